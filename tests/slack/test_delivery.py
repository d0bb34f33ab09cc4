"""Replies that cannot reach the channel they were asked from: the bot's own DM instead, and a clear failure
when even that does not work (staff replies to requesters, answers to commands)."""
from __future__ import annotations

import json

from chatops.models import OutboundMessage
from chatops.support.models import Ticket

from tests.slack.test_flows import CORA, _answer, _support

SAM = dict(user="U0SAMSUPP", team="T0TEAM", channel="C0INTERNAL")
BOT_DM = "D0BOTCORA"


def _refuse_posts_in(fake, channel: str, error: str) -> None:
    """chat.postMessage answers ``error`` for ``channel`` (like Slack for a channel the bot is not in)."""
    counter = iter(range(1, 10_000))

    def post(call):
        if call.body.get("channel") == channel:
            return {"ok": False, "error": error}
        return {"ok": True, "ts": f"1700000100.{next(counter):06d}", "channel": call.body.get("channel")}

    fake.on("chat.postMessage", post)


def _open_dm(fake, channel: str | None = BOT_DM, error: str | None = None) -> None:
    fake.on("conversations.open", lambda call: {"ok": False, "error": error} if error else
            {"ok": True, "channel": {"id": channel}})


def _ticket_and_staff_reply(slack, fake, asked_in: dict) -> Ticket:
    _, rid = slack.command("support", "the sdk crashes on init", **asked_in)
    assert "is open" in _answer(fake, rid)["text"]
    ticket = Ticket.get()
    assert ticket.origin_channel_id == asked_in["channel"]
    _, rid = slack.command("ticket", f"reply {ticket.id} Fixed: update the sdk", **SAM)
    _answer(fake, rid)
    assert slack.adapter.wait_idle()
    return ticket


def _to(fake, channel: str) -> list[dict]:
    return [c.body for c in fake.called("chat.postMessage") if c.body.get("channel") == channel]


def _told(fake, channel: str) -> dict:
    for _ in range(100):
        posts = [p for p in _to(fake, channel) if "About your ticket" in p["text"]]
        if posts:
            return posts[0]
        fake.wait_for("chat.postMessage", len(fake.called("chat.postMessage")) + 1)
    raise AssertionError(f"nothing told in {channel}")


def _row() -> OutboundMessage:
    [row] = [r for r in OutboundMessage.select() if "About your ticket" in json.dumps(r.reply)]
    return row


def test_a_staff_reply_to_a_requester_in_a_channel_without_the_bot_comes_by_dm(make_slack, fake):
    slack = _support(make_slack)
    _refuse_posts_in(fake, "C0NOBOT", "not_in_channel")
    _open_dm(fake)
    _ticket_and_staff_reply(slack, fake, dict(CORA, channel="C0NOBOT"))
    told = _told(fake, BOT_DM)
    assert "Fixed: update the sdk" in told["text"] and "<@U0CORACUST>" in told["text"]   # still pings them
    assert [c.body["users"] for c in fake.called("conversations.open")] == ["U0CORACUST"]
    assert any(p for p in _to(fake, "C0NOBOT"))          # the channel was tried first
    slack.adapter.sender.stop()
    row = _row()
    assert row.state == "sent" and row.external_id


def test_a_staff_reply_to_a_support_request_typed_in_a_dm_between_two_people_comes_by_dm(make_slack, fake):
    slack = _support(make_slack)
    _refuse_posts_in(fake, "D0CORAMAX", "channel_not_found")   # someone else's DM: the bot is not in it
    _open_dm(fake)
    _ticket_and_staff_reply(slack, fake, dict(CORA, channel="D0CORAMAX"))
    assert "Fixed: update the sdk" in _told(fake, BOT_DM)["text"]
    slack.adapter.sender.stop()
    assert _row().state == "sent"


def test_when_the_dm_fails_too_the_message_is_failed_with_both_reasons(make_slack, fake, caplog):
    slack = _support(make_slack)
    _refuse_posts_in(fake, "C0NOBOT", "not_in_channel")
    _open_dm(fake, error="user_disabled")
    _ticket_and_staff_reply(slack, fake, dict(CORA, channel="C0NOBOT"))
    fake.wait_for("conversations.open")
    slack.adapter.sender.stop()
    row = _row()
    assert row.state == "failed"
    assert "not_in_channel in C0NOBOT" in row.error and "U0CORACUST: user_disabled" in row.error
    assert "direct message failed too" in row.error
    assert any("undelivered" in r.getMessage() and r.levelname == "ERROR" for r in caplog.records)
    assert not [c for c in fake.called("chat.postMessage") if "About your ticket" in c.body.get("text", "")
                and c.body.get("channel") != "C0NOBOT"]


def test_a_message_naming_nobody_is_failed_as_before(make_slack, fake):
    """An outbox post with no Reply.mentions (a channel announcement) has no one to DM: failed, not DMed."""
    slack = make_slack()
    _refuse_posts_in(fake, "C0NOBOT", "not_in_channel")
    _, rid = slack.command("slk-announce", "C0NOBOT 1")
    _answer(fake, rid)
    for _ in range(200):
        row = OutboundMessage.get()
        if row.state == "failed":
            break
        slack.adapter.sender.kick()
        fake.wait_for("chat.postMessage")
    assert row.state == "failed" and row.error == "not_in_channel"
    assert fake.called("conversations.open") == []


def test_an_answer_in_a_dm_between_two_people_falls_back_to_the_bots_dm(slack, fake):
    """A form opened in someone else's DM and submitted without a response_url: posting there fails, the asker
    gets the answer in the bot's DM."""
    _refuse_posts_in(fake, "D0ANABOB", "channel_not_found")
    _open_dm(fake, "D0BOTANA")
    _, _ = slack.command("slk-invite", "", channel="D0ANABOB", trigger="trig-dm-form")
    view = fake.wait_for("views.open")[0].body["view"]
    meta = json.loads(view["private_metadata"])
    meta.pop("r")
    view["private_metadata"] = json.dumps(meta)
    slack.submit(view, {"p:email": {"value": {"type": "plain_text_input", "value": "a@example.com"}}})
    assert slack.adapter.wait_idle()
    assert [c["channel"] for c in _to(fake, "D0ANABOB")] == ["D0ANABOB"]
    [answer] = _to(fake, "D0BOTANA")
    assert "invited a@example.com" in answer["text"]
