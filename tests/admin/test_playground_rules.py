"""The playground's rules: the two-person rule binds the panel user (not the chat identity they pick), only
allowed identities can be played (a refusal is 403), ``self`` is the panel user's own linked chat person and
nobody else's, and CHATOPS_ADMIN_PLAYGROUND=off removes the playground."""
from __future__ import annotations

import json
import re

import pytest

from admin.models import AdminUser
from chatops import demo as core_demo
from chatops.models import AuditEvent, Identity, PendingAction
from chatops.ops import demo as ops_demo
from chatops.ops.demo_backend import DemoSeller
from chatops.settings import Settings

from .conftest import Panel, page_token

REQUEST = "remove-seller-fee sel_2001 long-standing seller, goodwill after outage"
SAM = "slack:U0SAMSUPP"  # the demo's Sam Support (support role)
LEE = "slack:U0LEELEAD"  # the demo's Lee Lead (lead: approves)
ANA = "slack:U0ANAADMIN"  # the demo's Ana Admin (holds the chat admin role)
BUTTON = re.compile(r'name="action_ref" value="([^"]+)">\s*<input type="hidden" name="label" value="([^"]+)"')


def demo_panel(make_runner, **env) -> Panel:
    settings = Settings.from_env({"CHATOPS_SECRET_KEY": "test-secret", **env})
    runner = make_runner(settings=settings)  # every command group, ops included
    core_demo.seed()
    ops_demo.seed(lambda _: None, now=runner.clock())  # the demo backend and its approval policies
    return Panel(runner)


@pytest.fixture
def ops_panel(make_runner) -> Panel:
    return demo_panel(make_runner)


def buttons(html: str) -> dict[str, str]:
    return {label: ref for ref, label in BUTTON.findall(html)}


def run(client, as_, text, **fields):
    return client.post("/admin/playground/run", data={"csrf_token": page_token(client, "/admin/playground/"),
                                                      "as": as_, "text": text, **fields})


def press(client, as_, ref, label, **fields):
    return client.post("/admin/playground/press", data={"csrf_token": page_token(client, "/admin/playground/"),
                                                        "as": as_, "action_ref": ref, "label": label, **fields})


def fee() -> int:
    return DemoSeller.get_by_id("sel_2001").fee_bps


def request_in_playground(client):
    preview = run(client, SAM, REQUEST, channel="C_SUPPORT")
    assert preview.status_code == 200 and "Confirm" in buttons(preview.text), preview.text
    sent = press(client, SAM, buttons(preview.text)["Confirm"], "Confirm", channel="C_SUPPORT")
    assert "Sent for approval" in sent.text
    approve = buttons(sent.text)["Approve"]  # the request as posted to the approvals channel
    return sent, approve


def test_a_panel_user_cannot_approve_what_they_requested_whatever_identity_they_pick(ops_panel):
    ed = ops_panel.login("ed", "editor")
    sent, approve = request_in_playground(ed)
    reject = buttons(sent.text)["Reject"]
    resp = press(ed, LEE, approve, "Approve")  # requested as Sam Support, now "approved" as Lee Lead
    assert resp.status_code == 403
    assert "Two-person rule" in resp.text and "EXECUTED" not in resp.text
    assert press(ed, LEE, reject, "Reject").status_code == 403
    assert fee() == 300
    approval = PendingAction.get(PendingAction.kind == "approval")
    assert approval.state == "pending"
    refusals = list(AuditEvent.select().where((AuditEvent.command == "admin.playground.press")
                                              & (AuditEvent.outcome == "denied")))
    assert len(refusals) == 2 and all(e.correlation_id == approval.correlation_id for e in refusals)
    assert not AuditEvent.select().where((AuditEvent.correlation_id == approval.correlation_id)
                                         & (AuditEvent.outcome == "approved")).exists()
    # Another panel user may approve it, as the approver persona.
    eve = ops_panel.login("eve", "editor")
    resp = press(eve, LEE, approve, "Approve")
    assert resp.status_code == 200 and "Approved by" in resp.text
    assert fee() == 0


def test_each_playground_request_records_its_panel_user(ops_panel):
    ed = ops_panel.login("ed", "editor")
    request_in_playground(ed)
    approval = PendingAction.get(PendingAction.kind == "approval")
    events = list(AuditEvent.select().where((AuditEvent.correlation_id == approval.correlation_id)
                                            & AuditEvent.command.startswith("admin.playground."))
                  .order_by(AuditEvent.seq))
    assert [e.command for e in events] == ["admin.playground.run", "admin.playground.press"]
    ed_id = AdminUser.get(AdminUser.username == "ed").id
    for event in events:
        args = json.loads(event.arguments)
        assert (args["panel_user_id"], args["panel_user"], event.actor) == (ed_id, "ed", "admin:ed")
    # The Confirm press is on record before the router made the approval request.
    press_event = events[1]
    first_router_event = (AuditEvent.select().where((AuditEvent.correlation_id == approval.correlation_id)
                                                    & (AuditEvent.outcome == "pending_approval")).get())
    assert press_event.seq < first_router_event.seq


def test_a_request_made_in_chat_can_be_approved_in_the_playground(ops_panel):
    runner = ops_panel.runner
    preview = runner.invoke(REQUEST, as_=SAM, channel_id="C_SUPPORT")
    sent = runner.press("Confirm", as_=SAM)
    (post,) = sent.reply.posts
    ed = ops_panel.login("ed", "editor")
    resp = press(ed, LEE, post.reply.button_ids()["Approve"], "Approve")
    assert resp.status_code == 200 and "Approved by" in resp.text, resp.text
    assert preview.outcome == "previewed" and fee() == 0


def test_only_allowed_identities_can_be_played(ops_panel):
    ops_panel.runner.person("Outsider", roles=["support"], identities=["slack:U0OUTSIDER"])
    ed = ops_panel.login("ed", "editor")
    root = ops_panel.login("root", "admin")
    page = ed.get("/admin/playground/").text
    assert f'value="{SAM}"' in page and f'value="{LEE}"' in page
    assert 'value="console:local"' not in page and 'value="slack:U0OUTSIDER"' not in page
    assert f'value="{ANA}"' not in page  # holds the chat admin role: not for editors
    assert f'value="{ANA}"' in root.get("/admin/playground/").text
    for client in (ed, root):
        resp = run(client, "console:local", "whoami")
        assert resp.status_code == 403 and "may not run as &#39;console:local&#39;" in resp.text
        resp = run(client, "slack:U0OUTSIDER", "whoami")
        assert resp.status_code == 403 and "CHATOPS_ADMIN_PLAYGROUND_AS" in resp.text
    resp = run(ed, ANA, "whoami")
    assert resp.status_code == 403 and "only a panel admin" in resp.text
    assert run(root, ANA, "whoami").status_code == 200
    # A test persona with the chat admin role is refused to editors before it is created.
    resp = run(ed, "", "whoami", role="admin", community="internal")
    assert resp.status_code == 403 and "only a panel admin" in resp.text
    assert not Identity.select().where(Identity.user_id == "playground-admin-internal").exists()
    assert run(ed, "", "whoami", role="member", community="internal").status_code == 200
    # Refused runs reach neither the router nor the trail as the identity.
    assert not AuditEvent.select().where(AuditEvent.actor.startswith("console:local")).exists()
    assert not AuditEvent.select().where(AuditEvent.actor.startswith("slack:U0OUTSIDER")).exists()


def test_console_local_only_when_listed_by_name(make_runner):
    panel = demo_panel(make_runner, CHATOPS_ADMIN_PLAYGROUND_AS="demo,console:local")
    root = panel.login("root", "admin")
    assert 'value="console:local"' in root.get("/admin/playground/").text
    assert run(root, "console:local", "whoami").status_code == 200
    ed = panel.login("ed", "editor")
    assert run(ed, "console:local", "whoami").status_code == 403  # still the chat admin role


def test_all_allows_every_identity_but_console_local(make_runner):
    panel = demo_panel(make_runner, CHATOPS_ADMIN_PLAYGROUND_AS="all")
    panel.runner.person("Outsider", roles=["support"], identities=["slack:U0OUTSIDER"])
    root = panel.login("root", "admin")
    assert run(root, "slack:U0OUTSIDER", "whoami").status_code == 200
    assert run(root, "console:local", "whoami").status_code == 403


def test_playground_off_removes_it(make_runner):
    panel = demo_panel(make_runner, CHATOPS_ADMIN_PLAYGROUND="off")
    root = panel.login("root", "admin")
    assert root.get("/admin/playground/").status_code == 404
    token = page_token(root)
    assert root.post("/admin/playground/run", data={"csrf_token": token, "as": SAM, "text": "whoami"}).status_code == 404
    assert root.post("/admin/playground/press", data={"csrf_token": token, "as": SAM,
                                                      "action_ref": "x.confirm"}).status_code == 404
    home = root.get("/admin/")
    assert home.status_code == 200 and "/admin/playground/" not in home.text and "Playground" not in home.text
    assert not any(rule.rule.startswith("/admin/playground") for rule in panel.app.url_map.iter_rules())


def test_a_mistyped_allow_list_stops_the_start(make_runner):
    with pytest.raises(ValueError, match="CHATOPS_ADMIN_PLAYGROUND_AS must be .*'dmeo' is none of them"):
        demo_panel(make_runner, CHATOPS_ADMIN_PLAYGROUND_AS="dmeo,personas")



# ---- self: the panel user's own linked chat person --------------------------------------------------------

def link(username: str, identity_key: str) -> None:
    platform, user_id = identity_key.split(":", 1)
    person = Identity.get((Identity.platform == platform) & (Identity.user_id == user_id)).person
    AdminUser.update(person=person.id).where(AdminUser.username == username).execute()


def options(html: str) -> list[str]:
    select = html.split('<select name="as"', 1)[1].split("</select>", 1)[0]
    return re.findall(r'<option value="([^"]+)"', select)


def test_the_default_allows_the_demo_the_personas_and_self():
    assert Settings.from_env({}).admin.playground_as == frozenset({"demo", "personas", "self"})


def test_a_linked_editor_may_act_as_their_own_person_and_no_one_else(make_runner):
    panel = demo_panel(make_runner, CHATOPS_ADMIN_PLAYGROUND_AS="personas,self")
    ed, eve = panel.login("ed", "editor"), panel.login("eve", "editor")
    link("ed", SAM)
    link("eve", LEE)
    page = ed.get("/admin/playground/").text
    assert sorted(options(page)) == ["discord:200000000000000002", SAM]   # Sam's Slack and Discord identities
    assert re.search(f'value="{SAM}"\\s+data-self', page) and "(you: your linked chat person)" in page
    assert LEE not in options(page)
    resp = run(ed, SAM, "whoami")
    assert resp.status_code == 200 and "Sam Support" in resp.text
    event = AuditEvent.select().where(AuditEvent.command == "admin.playground.run").order_by(AuditEvent.seq.desc()).get()
    assert event.actor == "admin:ed" and json.loads(event.arguments)["as"] == SAM
    # Another panel user's person is refused, on a direct POST as well: 403, and nothing runs as Lee.
    before = AuditEvent.select().count()
    resp = run(ed, LEE, "whoami")
    assert resp.status_code == 403 and "another panel user&#39;s linked chat person" in resp.text
    assert AuditEvent.select().count() == before
    assert not AuditEvent.select().where(AuditEvent.actor.startswith(LEE)).exists()
    assert run(eve, LEE, "whoami").status_code == 200
    # A person nobody is linked to, not allowed otherwise: 403 too.
    assert run(ed, "slack:U0CORACUST", "whoami").status_code == 403


def test_an_unlinked_user_has_no_self_entry(make_runner):
    panel = demo_panel(make_runner, CHATOPS_ADMIN_PLAYGROUND_AS="personas,self")
    vic = panel.login("vic", "editor")
    page = vic.get("/admin/playground/").text
    assert options(page) == [] and "data-self" not in page and "your linked chat person" not in page
    assert run(vic, SAM, "whoami").status_code == 403


def test_self_does_not_lift_the_chat_admin_rule(make_runner):
    panel = demo_panel(make_runner, CHATOPS_ADMIN_PLAYGROUND_AS="self")
    ed = panel.login("ed", "editor")
    link("ed", ANA)  # linked to a person holding the chat admin role
    assert options(ed.get("/admin/playground/").text) == []
    resp = run(ed, ANA, "whoami")
    assert resp.status_code == 403 and "only a panel admin" in resp.text
    root = panel.login("root", "admin")
    link("root", ANA)
    assert ANA in options(root.get("/admin/playground/").text)
    assert run(root, ANA, "whoami").status_code == 200


def test_the_two_person_rule_binds_the_panel_user_acting_as_their_own_person(make_runner):
    panel = demo_panel(make_runner, CHATOPS_ADMIN_PLAYGROUND_AS="self")
    ed, eve = panel.login("ed", "editor"), panel.login("eve", "editor")
    link("ed", SAM)
    link("eve", LEE)
    sent, approve = request_in_playground(ed)          # requested as ed's own person, Sam Support
    resp = press(ed, SAM, approve, "Approve")
    assert resp.status_code == 403 and "Two-person rule" in resp.text
    assert fee() == 300
    resp = press(eve, LEE, approve, "Approve")          # eve, as her own person Lee Lead (an approver)
    assert resp.status_code == 200 and "Approved by" in resp.text
    assert fee() == 0
    # The approval names the panel users: ed's request, eve's decision.
    approval = PendingAction.get(PendingAction.kind == "approval")
    presses = [json.loads(e.arguments)["panel_user"] for e in AuditEvent.select().where(
        (AuditEvent.correlation_id == approval.correlation_id) & (AuditEvent.command == "admin.playground.press"))
        .order_by(AuditEvent.seq)]
    assert presses == ["ed", "ed", "eve"]


def test_a_mistyped_entry_stops_the_settings_parser():
    with pytest.raises(ValueError, match=r"^CHATOPS_ADMIN_PLAYGROUND_AS must be demo, personas, self, all or "
                                         r"platform:user_id entries .*'slef' is none of them.*not 'demo,slef'$"):
        Settings.from_env({"CHATOPS_ADMIN_PLAYGROUND_AS": "demo,slef"})
    with pytest.raises(ValueError, match=r"'slack: U1' is none of them"):  # matches no identity: a typo
        Settings.from_env({"CHATOPS_ADMIN_PLAYGROUND_AS": "demo,slack: U1"})
    for fine in ("self", "demo, personas, self", "all", "slack:U1,self"):
        assert Settings.from_env({"CHATOPS_ADMIN_PLAYGROUND_AS": fine}).admin.playground_as
