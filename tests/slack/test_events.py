"""Events API: DMs, app mentions, bot messages ignored, retries collapsed by event_id."""
from __future__ import annotations

from chatops.models import AuditEvent, IdempotencyRecord


def dm(text: str, *, user: str = "U0ANA", channel: str = "D0ANA", **extra):
    return {"type": "message", "channel_type": "im", "channel": channel, "user": user, "text": text,
            "ts": "1700000001.000100", **extra}


def test_a_direct_message_runs_a_command_and_is_answered_in_the_dm(slack, fake):
    response = slack.event(dm("slk-greet Dora"), event_id="EvDM1")
    assert response.status_code == 200
    call = fake.wait_for("chat.postMessage")[0].body
    assert call["channel"] == "D0ANA"
    assert call["blocks"][0]["text"]["text"].startswith("Hello Dora")
    assert slack.adapter.wait_idle()
    assert IdempotencyRecord.get_or_none(IdempotencyRecord.key == "slack:event:EvDM1") is not None


def test_a_dm_with_free_text_reaches_support(slack, fake):
    slack.event(dm("help"))
    assert "Commands you can run" in fake.wait_for("chat.postMessage")[0].body["text"]


def test_a_dm_missing_arguments_gets_the_usage(slack, fake):
    slack.event(dm("slk-invite"))
    text = fake.wait_for("chat.postMessage")[0].body["text"]
    assert "`email` is missing" in text and "slk-invite EMAIL" in text


def test_an_app_mention_is_answered_in_its_thread(slack, fake):
    event = {"type": "app_mention", "channel": "C0GENERAL", "user": "U0ANA", "text": "<@U0BOT> slk-greet Eve",
             "ts": "1700000002.000200"}
    assert slack.event(event).status_code == 200
    call = fake.wait_for("chat.postMessage")[0].body
    assert call["channel"] == "C0GENERAL" and call["thread_ts"] == "1700000002.000200"
    assert "Hello Eve" in call["text"]


def test_an_ephemeral_answer_to_a_mention_is_posted_ephemerally(slack, fake):
    event = {"type": "app_mention", "channel": "C0GENERAL", "user": "U0ANA", "text": "<@U0BOT> whoami",
             "ts": "1700000003.000300"}
    slack.event(event)
    call = fake.wait_for("chat.postEphemeral")[0].body
    assert call["user"] == "U0ANA" and call["channel"] == "C0GENERAL"


def test_bot_messages_edits_and_channel_messages_are_ignored(slack, fake):
    ignored = [
        dm("slk-greet A", bot_id="B0BOT"),                      # our own reply (or another bot)
        dm("slk-greet B", subtype="message_changed"),
        dm("slk-greet C", subtype="bot_message"),
        {**dm("slk-greet D"), "channel_type": "channel", "channel": "C0GENERAL"},
        {"type": "reaction_added", "user": "U0ANA", "reaction": "tada"},
        dm("   "),
    ]
    for event in ignored:
        assert slack.event(event).status_code == 200
    assert slack.adapter.wait_idle()
    assert fake.calls == []
    assert AuditEvent.select().count() == 0


def test_an_events_api_retry_has_one_side_effect(slack, fake):
    assert slack.event(dm("slk-greet Once"), event_id="EvRETRY").status_code == 200
    fake.wait_for("chat.postMessage")  # the first delivery is answered (and committed) before the retries
    assert slack.event(dm("slk-greet Once"), event_id="EvRETRY", retry=1).status_code == 200
    assert slack.event(dm("slk-greet Once"), event_id="EvRETRY", retry=2).status_code == 200
    assert slack.adapter.wait_idle()
    assert len(fake.called("chat.postMessage")) == 1
    import time
    for _ in range(200):  # the redeliveries are audited off the ack path
        outcomes = [e.outcome for e in AuditEvent.select()]
        if outcomes.count("duplicate") == 2:
            break
        time.sleep(0.02)
    assert outcomes.count("allowed") == 1 and outcomes.count("duplicate") == 2
    first = AuditEvent.get(AuditEvent.outcome == "allowed")
    assert {e.correlation_id for e in AuditEvent.select().where(AuditEvent.outcome == "duplicate")} == \
        {first.correlation_id}


def test_a_retry_whose_first_delivery_never_arrived_is_processed(slack, fake):
    assert slack.event(dm("slk-greet Late"), event_id="EvLOST", retry=1).status_code == 200
    assert "Hello Late" in fake.wait_for("chat.postMessage")[0].body["text"]


def test_opening_the_app_home_publishes_what_is_yours(slack, fake):
    event = {"type": "app_home_opened", "user": "U0ANA", "channel": "D0ANA", "tab": "home",
             "event_ts": "1700000009.000100"}
    assert slack.event(event, event_id="EvHome1").status_code == 200
    (call,) = fake.wait_for("views.publish")
    assert call.body["user_id"] == "U0ANA" and call.body["view"]["type"] == "home"
    text = " ".join(b.get("text", {}).get("text", "") for b in call.body["view"]["blocks"] if b["type"] == "section")
    assert "What you may run" in text and "`help`" in text
    assert slack.adapter.wait_idle()
    assert AuditEvent.select().where(AuditEvent.command == "my").count() == 1  # a read, audited like any
    slack.event({**event, "tab": "messages"}, event_id="EvHome2")  # the Messages tab: nothing to publish
    assert slack.adapter.wait_idle() and len(fake.called("views.publish")) == 1
    assert not fake.called("chat.postMessage")
