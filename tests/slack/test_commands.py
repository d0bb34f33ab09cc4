"""Slash commands through the real Bolt app: every registry command, rendering, identity, fast ack, modals."""
from __future__ import annotations

import json

from chatops.models import AuditEvent, IdempotencyRecord
from chatops.plugins import build_registry

from adapters.slack.app import BUSY
from tests.slack import sample
from tests.slack.conftest import TEAM, buttons_of

ALL_COMMANDS = [c.name for c in build_registry(extra=(sample.group,)) if c.name != "slk-gate"]


def test_every_registry_command_is_answered_as_a_slash_command(slack, fake):
    """Bare `/name`: either its form opens (views.open with the trigger), or — when the person may not run
    it, or it needs no form — the core's reply comes back."""
    from chatops.invocation import Invocation

    assert {"help", "whoami", "slk-plan"} <= set(ALL_COMMANDS)
    who = Invocation(platform="slack", user_id="U0ANA", community_id=TEAM)
    for name in ALL_COMMANDS:
        command = slack.runner.app.registry.get(name)
        opened = len(fake.called("views.open"))
        response, rid = slack.command(name, "", trigger=f"trig-{name}")
        assert response.status_code == 200 and response.data == b"", name
        wants_form = any(p.required for p in command.params) or any(p.is_tail for p in command.params)
        if wants_form and not slack.runner.router.may_run(command, who):
            answer = fake.wait_for("response:" + rid)[0].body
            assert "You can't do that" in answer["text"] and not fake.called("views.open")[opened:], name
        elif wants_form:
            call = fake.wait_for("views.open", opened + 1)[-1]
            assert call.body["trigger_id"] == f"trig-{name}"
            assert json.loads(call.body["view"]["private_metadata"])["c"] == name
            inputs = {b["block_id"] for b in call.body["view"]["blocks"] if b["type"] == "input"}
            assert inputs == {"p:" + p.name for p in command.params}, name
        else:
            answer = fake.wait_for("response:" + rid)[0].body
            assert answer["blocks"] and answer["text"].strip(), name
            assert "something went wrong" not in answer["text"], (name, answer["text"])


def test_a_slash_command_runs_through_the_router_and_renders_block_kit(slack, fake):
    response, rid = slack.command("slk-greet", "Ana", user="U0ANA", channel="C0GENERAL", trigger="tg1")
    assert response.status_code == 200 and response.data == b""
    answer = fake.wait_for("response:" + rid)[0].body
    assert answer["response_type"] == "in_channel"
    kinds = [b["type"] for b in answer["blocks"]]
    assert kinds == ["section", "section", "context"]
    assert answer["blocks"][0]["text"]["text"] == "Hello Ana &lt;!channel&gt;"  # no @channel ping from input
    assert answer["blocks"][1]["fields"][0]["text"] == "*Asked by*\nU0ANA"
    assert ":hourglass_flowing_sand: Wave" in answer["blocks"][2]["elements"][1]["text"]
    assert slack.adapter.wait_idle()
    event = AuditEvent.select().order_by(AuditEvent.seq.desc()).first()
    assert (event.platform, event.command, event.outcome, event.community) == ("slack", "slk-greet", "allowed", TEAM)
    assert event.actor.startswith("slack:U0ANA")
    assert IdempotencyRecord.get_or_none(IdempotencyRecord.key == "slack:trigger:tg1") is not None


def test_team_id_maps_to_the_community_and_ephemeral_replies_stay_ephemeral(slack, fake):
    slack.runner.tier("premium", rank=10)
    slack.runner.community("acme", tier="premium", slack_team=TEAM)
    response, rid = slack.command("whoami", "", user="U0NEW")
    answer = fake.wait_for("response:" + rid)[0].body
    assert answer["response_type"] == "ephemeral"
    text = json.dumps(answer["blocks"])
    assert "Acme" in text and "Premium" in text and "slack:U0NEW" in text


def test_the_ack_does_not_wait_for_the_work(slack, fake):
    sample.GATE.clear()
    sample.STARTED.clear()
    try:
        response, rid = slack.command("slk-gate")
        assert response.status_code == 200       # acked ...
        assert sample.STARTED.wait(5)            # ... while the handler runs in the executor
        assert fake.called("response:" + rid) == []
    finally:
        sample.GATE.set()
    assert "gate passed" in fake.wait_for("response:" + rid)[0].body["text"]


def test_a_full_queue_answers_busy_at_once_audited_and_events_get_503(make_slack, fake):
    slack = make_slack(CHATOPS_WORKERS="1", CHATOPS_WORK_QUEUE_LIMIT="1")
    sample.GATE.clear()
    sample.STARTED.clear()
    try:
        first, rid = slack.command("slk-gate")
        assert first.status_code == 200 and sample.STARTED.wait(5)
        waiting, rid_wait = slack.command("slk-greet", "Al")      # the one place in the queue
        assert waiting.status_code == 200 and waiting.data == b""
        second, rid2 = slack.command("slk-greet", "Bo")
        assert second.status_code == 200 and second.data.decode() == BUSY   # Slack shows it to the user
        event = slack.event({"type": "message", "channel_type": "im", "channel": "D1", "user": "U1",
                             "text": "ping", "ts": "1.2"})
        assert event.status_code == 503          # Slack delivers the event again later
    finally:
        sample.GATE.set()
    fake.wait_for("response:" + rid)
    assert "Hello Al" in fake.wait_for("response:" + rid_wait)[0].body["text"]
    assert slack.adapter.wait_idle()
    assert fake.called("response:" + rid2) == []
    from chatops import spool
    assert spool.flush(slack.runner.app.settings) == 1       # the refusal is on record
    refused = AuditEvent.get(AuditEvent.outcome == "refused")
    assert refused.command == "slk-greet" and refused.actor == "slack:U0ANA" and "busy" in refused.detail
    assert AuditEvent.select().where((AuditEvent.command == "slk-greet") & (AuditEvent.outcome == "allowed")).count() == 1


# ---- modals --------------------------------------------------------------------------------------
def _open(slack, fake, name, text=""):
    response, rid = slack.command(name, text, trigger=f"trig-open-{name}")
    assert response.status_code == 200 and response.data == b""
    view = fake.wait_for("views.open")[0].body["view"]
    return view, rid


def test_missing_arguments_open_a_modal_generated_from_the_schema(slack, fake):
    view, _ = _open(slack, fake, "slk-plan", "acct_9")
    assert view["callback_id"] == "chatops:modal" and view["title"]["text"] == "Change an account's plan"  # the summary, not the name
    inputs = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
    assert list(inputs) == ["p:account", "p:plan", "p:owner", "p:urgent", "p:note"]
    assert inputs["p:account"]["element"] == {"type": "plain_text_input", "action_id": "value", "multiline": False,
                                              "max_length": 2000, "initial_value": "acct_9"}
    assert inputs["p:account"]["hint"]["text"] == "the account id, like acct_1"
    assert [o["value"] for o in inputs["p:plan"]["element"]["options"]] == ["free", "pro"]
    assert inputs["p:plan"]["element"]["type"] == "static_select"
    assert inputs["p:owner"]["element"]["type"] == "users_select"
    assert inputs["p:urgent"]["element"]["type"] == "static_select"
    assert inputs["p:urgent"]["element"]["initial_option"]["value"] == "no"
    assert inputs["p:note"]["element"]["multiline"] is True
    assert [inputs[k]["optional"] for k in inputs] == [False, False, False, True, True]
    assert AuditEvent.select().count() == 0     # nothing ran yet


def test_a_modal_submission_goes_through_the_router_then_confirm(slack, fake):
    view, rid = _open(slack, fake, "slk-plan")
    values = {"p:account": {"value": {"type": "plain_text_input", "value": "acct_7"}},
              "p:plan": {"value": {"type": "static_select", "selected_option": {"value": "pro"}}},
              "p:owner": {"value": {"type": "users_select", "selected_user": "U0BOB"}},
              "p:urgent": {"value": {"type": "static_select", "selected_option": {"value": "yes"}}},
              "p:note": {"value": {"type": "plain_text_input", "value": "asked by phone"}}}
    response = slack.submit(view, values, view_id="V77")
    assert response.status_code == 200 and response.data == b""    # closes the modal
    preview = fake.wait_for("response:" + rid)[0].body               # answered where the command was typed
    assert preview["response_type"] == "ephemeral"
    assert "Set acct_7 to pro" in preview["text"]
    confirm = buttons_of(preview["blocks"])["Confirm"]
    assert confirm["action_id"] == "chatops:0" and confirm["value"].endswith(".confirm")
    assert IdempotencyRecord.get_or_none(IdempotencyRecord.key == "slack:view:V77") is not None
    pressed, bid = slack.press(confirm, ephemeral=True)
    assert pressed.status_code == 200
    done = fake.wait_for("response:" + bid)[0].body
    assert done["replace_original"] is True
    assert "acct_7 is now on pro (owner slack:U0BOB)" in done["text"]
    assert sample.CALLS == [("slk-plan", {"account": "acct_7", "plan": "pro", "owner": "slack:U0BOB",
                                          "note": "asked by phone"})]


def test_invalid_modal_values_are_shown_in_the_modal_and_nothing_runs(slack, fake):
    view, rid = _open(slack, fake, "slk-invite")
    response = slack.submit(view, {"p:email": {"value": {"type": "plain_text_input", "value": "not-an-address"}}})
    body = response.get_json()
    assert body["response_action"] == "errors"
    assert "email" in body["errors"]["p:email"] and "valid e-mail" in body["errors"]["p:email"]
    assert slack.adapter.wait_idle()
    assert fake.called("response:" + rid) == []
    assert AuditEvent.select().count() == 0


def test_support_typed_alone_opens_the_support_form(slack, fake):
    view, _ = _open(slack, fake, "support")
    assert json.loads(view["private_metadata"])["c"] == "support"
    details = next(b for b in view["blocks"] if b.get("block_id") == "p:details")
    assert details["element"]["multiline"] is True


def test_a_modal_opened_without_a_response_url_answers_by_dm(slack, fake):
    view, _ = _open(slack, fake, "slk-invite")
    meta = json.loads(view["private_metadata"])
    meta.pop("r")
    view["private_metadata"] = json.dumps(meta)
    slack.submit(view, {"p:email": {"value": {"type": "plain_text_input", "value": "a@example.com"}}}, user="U0CY")
    # channel C0GENERAL came from the metadata; the ephemeral reply goes to the user there
    call = fake.wait_for("chat.postEphemeral")[0].body
    assert call["user"] == "U0CY" and call["channel"] == "C0GENERAL" and "invited a@example.com" in call["text"]


def test_views_open_failure_tells_the_user_how_to_type_it(slack, fake):
    fake.queue("views.open", body={"ok": False, "error": "expired_trigger_id"})
    response, rid = slack.command("slk-invite")
    answer = fake.wait_for("response:" + rid)[0].body
    assert "Could not open the form" in answer["text"] and "/slk-invite EMAIL" in answer["text"]


def test_a_slow_policy_check_does_not_use_up_the_form_trigger(slack, fake, monkeypatch):
    """The trigger_id is valid 3 s: a policy check that hangs gets PERMISSION_PEEK_SECONDS, then the form opens."""
    import threading

    release = threading.Event()

    def stuck(command, inv):
        release.wait(10)
        return False

    monkeypatch.setattr(slack.runner.router, "may_run", stuck)
    opened = len(fake.called("views.open"))
    try:
        response, _ = slack.command("support", "", trigger="trig-slow")
        assert response.status_code == 200
        call = fake.wait_for("views.open", opened + 1)[-1]
        assert call.body["trigger_id"] == "trig-slow"
        assert not release.is_set()  # the form opened while the check was still stuck (it waits 10 s)
    finally:
        release.set()
