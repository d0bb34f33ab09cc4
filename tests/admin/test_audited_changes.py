"""Every change made in the panel lands in the audit trail, in the same transaction; the audit log is read-only."""
from __future__ import annotations

import json
import re

import pytest

from admin.models import AdminUser
from chatops import audit
from chatops.models import AuditEvent, Community, CommunityLink, Identity, Tier

from .conftest import page_token


def events(prefix: str) -> list[AuditEvent]:
    return list(AuditEvent.select().where(AuditEvent.command.startswith(prefix)).order_by(AuditEvent.seq))


def column(html: str, name: str) -> list[str]:
    """The cells of one column of a Flask-Admin list page."""
    return [c.strip() for c in re.findall(rf'<td class="col-{name}">(.*?)</td>', html, re.S)]


def args(event: AuditEvent) -> dict:
    return json.loads(event.arguments)


def test_create_update_delete_are_audited_with_old_and_new_values(panel):
    client = panel.login("ed", "editor")
    token = page_token(client, "/admin/tier/new/")
    client.post("/admin/tier/new/", data={"csrf_token": token, "slug": "gold", "name": "Gold", "rank": "5",
                                          "first_response_minutes": "240", "cred_weight": "1.5"})
    tier = Tier.get(Tier.slug == "gold")
    client.post(f"/admin/tier/edit/?id={tier.id}", data={
        "csrf_token": token, "slug": "gold", "name": "Gold", "rank": "5", "first_response_minutes": "120",
        "cred_weight": "1.5"})
    assert Tier.get_by_id(tier.id).first_response_minutes == 120
    client.post("/admin/tier/delete/", data={"csrf_token": token, "id": tier.id})
    assert not Tier.select().where(Tier.id == tier.id).exists()
    create, update, delete = events("admin.tier.")
    assert (create.command, create.actor, create.outcome) == ("admin.tier.create", "admin:ed", "executed")
    assert args(create)["values"]["first_response_minutes"] == 240
    assert args(update)["changes"] == {"first_response_minutes": {"old": 240, "new": 120}}
    assert delete.command == "admin.tier.delete" and args(delete)["values"]["slug"] == "gold"
    assert audit.verify().ok


def test_bulk_delete_writes_one_event_per_row(panel):
    client = panel.login("ed", "editor")
    a, b, c = (panel.runner.tier(s) for s in ("a", "b", "c"))
    token = page_token(client, "/admin/tier/")
    resp = client.post("/admin/tier/action/", data={"csrf_token": token, "action": "delete", "rowid": [a.id, b.id]})
    assert resp.status_code == 302
    assert [t.slug for t in Tier.select()] == ["c"]
    deletes = events("admin.tier.delete")
    assert sorted(args(e)["values"]["slug"] for e in deletes) == ["a", "b"]
    assert len({e.correlation_id for e in deletes}) == 1 and all(args(e)["bulk"] for e in deletes)


def test_fast_mass_delete_cannot_skip_the_trail(panel):
    from admin.views import TierView

    client = panel.login("ed", "editor")
    view = next(v for v in panel.app.extensions["admin"][0]._views if isinstance(v, TierView))
    view.fast_mass_delete = True  # even if someone flips it, the panel's delete action deletes row by row
    t = panel.runner.tier("x")
    client.post("/admin/tier/action/", data={"csrf_token": page_token(client, "/admin/tier/"), "action": "delete",
                                             "rowid": [t.id]})
    assert not Tier.select().where(Tier.id == t.id).exists()
    assert len(events("admin.tier.delete")) == 1


def test_a_failed_change_writes_no_event(panel):
    client = panel.login("ed", "editor")
    panel.runner.tier("gold")
    token = page_token(client, "/admin/tier/new/")
    client.post("/admin/tier/new/", data={"csrf_token": token, "slug": "gold", "name": "Again", "rank": "1",
                                          "cred_weight": "1"})  # duplicate slug: IntegrityError
    assert Tier.select().count() == 1
    assert events("admin.tier.") == []


def test_community_workspaces_are_edited_and_audited(panel):
    client = panel.login("ed", "editor")
    panel.runner.tier("premium")
    community = panel.runner.community("maker", tier="premium", slack_team="T1")
    token = page_token(client, f"/admin/community/edit/?id={community.id}")
    page = client.get(f"/admin/community/edit/?id={community.id}").text
    assert 'value="T1"' in page
    client.post(f"/admin/community/edit/?id={community.id}", data={
        "csrf_token": token, "slug": "maker", "name": "Maker", "tier": str(community.tier_id), "permitted": "y",
        "partner": "y", "slack_team_ids": "T2, T3", "discord_guild_ids": "999"})
    links = sorted((l.platform, l.external_id) for l in CommunityLink.select())
    assert links == [("discord", "999"), ("slack", "T2"), ("slack", "T3")]
    (update,) = events("admin.community.update")
    changes = args(update)["changes"]
    assert changes["slack_team_ids"] == {"old": "T1", "new": "T2,T3"}
    assert changes["partner"] == {"old": False, "new": True}
    listing = client.get("/admin/community/").text
    assert "slack:T2" in listing and "discord:999" in listing


def test_linking_an_identity_to_a_person_is_audited(panel):
    client = panel.login("ed", "editor")
    ana = panel.runner.person("Ana", identities=["slack:U1"])
    other = panel.runner.person("Ana on Discord", identities=["discord:42"])
    ident = Identity.get(Identity.user_id == "42")
    token = page_token(client, "/admin/identity/")
    client.post(f"/admin/identity/edit/?id={ident.id}", data={
        "csrf_token": token, "platform": "discord", "user_id": "42", "display_name": "Ana", "person": str(ana.id)})
    assert Identity.get_by_id(ident.id).person_id == ana.id
    (update,) = events("admin.identity.update")
    assert args(update)["changes"]["person"] == {"old": other.id, "new": ana.id}


def test_panel_user_password_changes_are_audited_but_never_recorded(panel):
    client = panel.login("root", "admin")
    target = panel.user("vic", "viewer")
    token = page_token(client, "/admin/adminuser/")
    old_hash = target.password_hash
    client.post(f"/admin/adminuser/edit/?id={target.id}", data={
        "csrf_token": token, "username": "vic", "role": "editor", "active": "y", "new_password": "another long one"})
    user = AdminUser.get_by_id(target.id)
    assert user.role == "editor" and user.password_hash != old_hash
    (update,) = events("admin.admin_user.update")
    change = args(update)["changes"]["password_hash"]
    assert change["old"].startswith("•••") and change["new"].startswith("•••") and change["old"] != change["new"]
    assert old_hash not in update.arguments and user.password_hash not in update.arguments
    assert args(update)["changes"]["role"] == {"old": "viewer", "new": "editor"}


@pytest.mark.parametrize("role", ["viewer", "editor", "admin"])
def test_the_audit_log_refuses_every_write_for_every_role(panel, role):
    client = panel.login(f"user-{role}", role)
    event = AuditEvent.select().order_by(AuditEvent.seq.desc()).first()
    before = [(e.id, e.hash) for e in AuditEvent.select().order_by(AuditEvent.id)]
    token = page_token(client, "/admin/audit_event/")
    assert client.get("/admin/audit_event/new/").status_code == 403
    assert client.post("/admin/audit_event/new/", data={"csrf_token": token, "actor": "x", "command": "y"}).status_code == 403
    assert client.get(f"/admin/audit_event/edit/?id={event.id}").status_code == 403
    assert client.post(f"/admin/audit_event/edit/?id={event.id}",
                       data={"csrf_token": token, "actor": "forged"}).status_code == 403
    assert client.post("/admin/audit_event/delete/", data={"csrf_token": token, "id": event.id}).status_code == 403
    assert client.post("/admin/audit_event/action/",
                       data={"csrf_token": token, "action": "delete", "rowid": [event.id]}).status_code == 403
    assert client.post("/admin/audit_event/ajax/update/",
                       data={"csrf_token": token, "list_form_pk": event.id, "actor": "forged"}).status_code == 403
    assert [(e.id, e.hash) for e in AuditEvent.select().order_by(AuditEvent.id)] == before
    page = client.get("/admin/audit_event/").text
    assert "/admin/audit_event/new/" not in page and "/admin/audit_event/edit/" not in page


def test_audit_log_filters_keyset_pages_and_verify(panel):
    client = panel.login("vic", "viewer")
    for i in range(200):
        audit.record(correlation_id=f"c{i}", actor="slack:U1 (Ana)" if i % 2 else "discord:9 (Bo)",
                     command="whoami" if i % 3 else "ping", outcome="allowed")
    view = next(v for v in panel.app.extensions["admin"][0]._views if v.endpoint == "audit_event")
    index = {(f.name, f.operation()): i for i, f in enumerate(view._filters)}
    command_eq = index[("Command", "equals")]
    page = client.get(f"/admin/audit_event/?flt0_{command_eq}=ping").text
    assert set(column(page, "command")) == {"ping"} and len(column(page, "command")) == 50
    newest = AuditEvent.select().order_by(AuditEvent.seq.desc()).first().seq
    page = client.get(f"/admin/audit_event/?before={newest - 100}").text
    seqs = [int(s) for s in column(page, "seq")]
    assert seqs == list(range(newest - 101, newest - 151, -1))
    first = client.get("/admin/audit_event/").text
    assert [int(s) for s in column(first, "seq")][0] == newest
    assert f"before={newest - 49}" in first  # "Older" continues below the last seq shown
    last = client.get(f"/admin/audit_event/?before=30").text
    assert len(column(last, "seq")) == 29 and 'id="older-page"' not in last
    resp = client.post("/admin/audit_event/verify/", data={"csrf_token": page_token(client, "/admin/audit_event/")},
                       follow_redirects=True)
    assert "Audit chain intact" in resp.text
    AuditEvent.update(actor="tampered").where(AuditEvent.seq == 10).execute()
    resp = client.post("/admin/audit_event/verify/", data={"csrf_token": page_token(client, "/admin/audit_event/")},
                       follow_redirects=True)
    assert "BROKEN" in resp.text and "seq 10" in resp.text
    assert events("admin.audit.verify")[-1].actor == "admin:vic"


def test_audit_export_is_csv_and_capped(panel):
    client = panel.login("vic", "viewer")
    view = next(v for v in panel.app.extensions["admin"][0]._views if v.endpoint == "audit_event")
    view.export_max_rows = 5
    for i in range(10):
        audit.record(correlation_id=f"c{i}", actor="slack:U1", command="ping", outcome="allowed")
    resp = client.get("/admin/audit_event/export/csv/")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert len(resp.text.strip().splitlines()) == 1 + 5
