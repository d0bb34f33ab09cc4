"""The playground's rules: the two-person rule binds the panel user (not the chat identity they pick), only
allowed identities can be played, and CHATOPS_ADMIN_PLAYGROUND=off removes the playground."""
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
        assert resp.status_code == 400 and "may not run as &#39;console:local&#39;" in resp.text
        resp = run(client, "slack:U0OUTSIDER", "whoami")
        assert resp.status_code == 400 and "CHATOPS_ADMIN_PLAYGROUND_AS" in resp.text
    resp = run(ed, ANA, "whoami")
    assert resp.status_code == 400 and "only a panel admin" in resp.text
    assert run(root, ANA, "whoami").status_code == 200
    # A test persona with the chat admin role is refused to editors before it is created.
    resp = run(ed, "", "whoami", role="admin", community="internal")
    assert resp.status_code == 400 and "only a panel admin" in resp.text
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
    assert run(ed, "console:local", "whoami").status_code == 400  # still the chat admin role


def test_all_allows_every_identity_but_console_local(make_runner):
    panel = demo_panel(make_runner, CHATOPS_ADMIN_PLAYGROUND_AS="all")
    panel.runner.person("Outsider", roles=["support"], identities=["slack:U0OUTSIDER"])
    root = panel.login("root", "admin")
    assert run(root, "slack:U0OUTSIDER", "whoami").status_code == 200
    assert run(root, "console:local", "whoami").status_code == 400


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
    with pytest.raises(ValueError, match="CHATOPS_ADMIN_PLAYGROUND_AS .* not 'dmeo'"):
        demo_panel(make_runner, CHATOPS_ADMIN_PLAYGROUND_AS="dmeo,personas")

