"""Payloads render escaped everywhere; the playground runs the real router with working buttons."""
from __future__ import annotations

import json
import re

from chatops import audit
from chatops.models import (AuditEvent, CommandPolicy, Community, Identity, Person, PendingAction, PersonRole, Role,
                            Tier)

from .conftest import page_token

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def assert_escaped(html: str, where: str) -> None:
    assert "<script>alert" not in html and "<img src=x" not in html, where
    assert "&lt;script&gt;" in html, f"payload not shown at all in {where}"


def test_payloads_in_every_text_field_render_escaped(panel):
    client = panel.login("root", "admin")
    tier = Tier.create(slug="t" , name=XSS, description=XSS)
    community = Community.create(slug="c", name=XSS, description=XSS, tier=tier)
    person = Person.create(name=XSS, email=XSS)
    ident = Identity.create(platform="slack", user_id=XSS[:60], person=person, display_name=XSS)
    role = Role.create(slug="r", name=XSS, description=XSS)
    PersonRole.create(person=person, role=role)
    policy = CommandPolicy.create(command="whoami", roles=XSS, communities=XSS, channels=XSS, note=XSS)
    event = audit.record(correlation_id="c1", actor=XSS, command=XSS[:64], outcome="allowed",
                         arguments={"text": XSS}, detail=XSS, community=XSS[:64])
    pages = {
        "tier": tier.id, "community": community.id, "person": person.id, "identity": ident.id, "role": role.id,
        "personrole": PersonRole.get().id, "commandpolicy": policy.id,
    }
    for endpoint, pk in pages.items():
        for url in (f"/admin/{endpoint}/", f"/admin/{endpoint}/details/?id={pk}", f"/admin/{endpoint}/edit/?id={pk}"):
            resp = client.get(url)
            assert resp.status_code == 200, url
            assert_escaped(resp.text, url)
    for url in ("/admin/audit_event/", f"/admin/audit_event/details/?id={event.id}", "/admin/"):
        assert_escaped(client.get(url).text, url)
    assert_escaped(client.get("/admin/playground/").text, "playground")


def test_playground_runs_a_command_as_an_identity(panel):
    runner = panel.runner
    runner.tier("premium", rank=10, first_response_minutes=240)
    runner.community("maker", tier="premium", slack_team="T0MAKER")
    runner.person("Cora <b>Customer</b>", roles=["customer"], identities=["slack:U0CORACUST"])
    client = panel.login("ed", "editor")
    token = page_token(client, "/admin/playground/")
    resp = client.post("/admin/playground/run", data={"csrf_token": token, "as": "slack:U0CORACUST",
                                                      "community": "maker", "text": "whoami"})
    assert resp.status_code == 200
    assert "Cora &lt;b&gt;Customer&lt;/b&gt;" in resp.text and "Maker" in resp.text and "Premium" in resp.text
    router_event, panel_event = AuditEvent.select().order_by(AuditEvent.seq.desc()).limit(2)[::-1]
    assert router_event.command == "whoami" and router_event.actor.startswith("slack:U0CORACUST")
    assert router_event.platform == "slack" and router_event.community == "maker"
    assert (panel_event.command, panel_event.actor) == ("admin.playground.run", "admin:ed")
    assert panel_event.correlation_id == router_event.correlation_id


def test_playground_buttons_work(panel):
    panel.runner.person("Sam", roles=["support"], identities=["slack:U0SAMSUPP"])
    client = panel.login("ed", "editor")
    token = page_token(client, "/admin/playground/")
    resp = client.post("/admin/playground/run", data={"csrf_token": token, "as": "slack:U0SAMSUPP",
                                                      "text": "rename-thing t1 Bolt"})
    assert "Rename t1" in resp.text
    refs = dict(re.findall(r'name="action_ref" value="([^"]+)">\s*<input type="hidden" name="label" value="([^"]+)"',
                           resp.text))
    confirm = next(ref for ref, label in refs.items() if label == "Confirm")
    resp = client.post("/admin/playground/press", data={"csrf_token": token, "as": "slack:U0SAMSUPP", "action_ref": confirm,
                                                        "label": "Confirm"})
    assert "Renamed t1 to Bolt" in resp.text
    commands = [(e.command, e.outcome) for e in AuditEvent.select().order_by(AuditEvent.seq)]
    assert ("rename-thing", "previewed") in commands and ("rename-thing", "executed") in commands
    assert ("admin.playground.press", "executed") in commands
    assert PendingAction.get().state != "pending"


def test_playground_persona_checks_a_policy(panel):
    runner = panel.runner
    runner.tier("premium", rank=10)
    runner.community("maker", tier="premium")
    runner.role("member")
    CommandPolicy.create(command="ping", roles="support")
    client = panel.login("ed", "editor")
    token = page_token(client, "/admin/playground/")
    resp = client.post("/admin/playground/run", data={"csrf_token": token, "as": "", "role": "member",
                                                      "community": "maker", "text": "ping"})
    assert resp.status_code == 200 and "pong" not in resp.text
    assert AuditEvent.select().where(AuditEvent.command == "ping").get().outcome == "denied"
    persona = Identity.get(Identity.user_id == "playground-member-maker")
    assert [r.role.slug for r in persona.person.role_links] == ["member"]
    assert json.loads(AuditEvent.get(AuditEvent.command == "admin.playground.persona").arguments)["role"] == "member"


def test_playground_refuses_posts_without_csrf_and_viewers(panel):
    panel.runner.person("Sam", identities=["slack:U0SAMSUPP"])
    viewer = panel.login("vic", "viewer")
    assert viewer.post("/admin/playground/run", data={"as": "slack:U0SAMSUPP", "text": "ping"}).status_code == 403
    editor = panel.login("ed", "editor")
    assert editor.post("/admin/playground/run", data={"as": "slack:U0SAMSUPP", "text": "ping"}).status_code == 400
    assert not AuditEvent.select().where(AuditEvent.command == "ping").exists()
