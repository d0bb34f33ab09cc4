"""The outbox sender: one message a second per channel, 429 Retry-After, permanent failures, threads."""
from __future__ import annotations

import json
from datetime import timedelta

from slack_sdk import WebClient

from chatops import outbox
from chatops.models import OutboundMessage
from chatops.reply import Destination, Reply

from adapters.slack.sender import OutboxSender


class FakeTime:
    """monotonic() and sleep() for the sender: sleeping moves time, nothing waits."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 3))
        self.now += seconds


def _sender(runner, fake, clock: FakeTime) -> OutboxSender:
    client = WebClient(token="xoxb-test", base_url=fake.url)
    return OutboxSender(runner.app, client, monotonic=clock.monotonic, sleep=clock.sleep)


def _enqueue(runner, channel: str, text: str, **kw) -> OutboundMessage:
    return outbox.enqueue(Destination("slack", channel), Reply.text(text), now=runner.clock(), **kw)


def test_about_one_message_per_second_per_channel_without_holding_up_other_channels(runner, fake):
    clock = FakeTime()
    times: list[tuple[str, float]] = []
    fake.on("chat.postMessage", lambda call: times.append((call.body["text"], clock.now)) or {"ok": True, "ts": "9.1"})
    for i in range(3):
        _enqueue(runner, "CALERTS", f"alert {i}")
    _enqueue(runner, "CDIGEST", "digest")
    _enqueue(runner, "CSLACK", "other", thread_id="1700.1")
    assert _sender(runner, fake, clock).drain() == 5
    assert times == [("alert 0", 1000.0), ("digest", 1000.0), ("other", 1000.0),
                     ("alert 1", 1001.0), ("alert 2", 1002.0)]
    assert fake.called("chat.postMessage")[2].body["thread_ts"] == "1700.1"
    assert {m.state for m in OutboundMessage.select()} == {"sent"}
    assert OutboundMessage.get(OutboundMessage.channel_id == "CDIGEST").external_id == "9.1"


def test_429_is_retried_after_retry_after_and_pauses_that_channel(runner, fake):
    clock = FakeTime()
    fake.queue("chat.postMessage", status=429, body={"ok": False, "error": "ratelimited"},
               headers={"Retry-After": "7"})
    first = _enqueue(runner, "CBUSY", "one")
    _enqueue(runner, "CBUSY", "two")
    sender = _sender(runner, fake, clock)
    sender.drain()
    row = OutboundMessage.get_by_id(first.id)
    assert row.state == "pending" and row.error.startswith("429")
    assert row.not_before == runner.clock() + timedelta(seconds=7)
    assert 7.0 in clock.slept                                   # "two" waited out the Retry-After
    assert [c.body["text"] for c in fake.called("chat.postMessage")] == ["one", "two"]
    runner.clock.advance(seconds=7)
    sender.drain()
    assert OutboundMessage.get_by_id(first.id).state == "sent"


def test_permanent_errors_fail_the_message_and_others_still_go(runner, fake):
    clock = FakeTime()
    fake.queue("chat.postMessage", body={"ok": False, "error": "channel_not_found"})
    gone = _enqueue(runner, "CGONE", "lost")
    ok = _enqueue(runner, "COK", "fine")
    _sender(runner, fake, clock).drain()
    assert OutboundMessage.get_by_id(gone.id).state == "failed"
    assert OutboundMessage.get_by_id(gone.id).error == "channel_not_found"
    assert OutboundMessage.get_by_id(ok.id).state == "sent"


def test_a_server_error_is_retried_with_backoff(runner, fake):
    fake.queue("chat.postMessage", status=500, body={"ok": False, "error": "internal_error"})
    msg = _enqueue(runner, "C1", "later")
    _sender(runner, fake, FakeTime()).drain()
    row = OutboundMessage.get_by_id(msg.id)
    assert row.state == "pending" and row.not_before > runner.clock()


def test_other_platforms_posts_are_left_alone(runner, fake):
    outbox.enqueue(Destination("discord", "123"), Reply.text("not mine"), now=runner.clock())
    assert _sender(runner, fake, FakeTime()).drain() == 0
    assert fake.calls == [] and OutboundMessage.get().state == "pending"


def test_the_sender_thread_delivers_after_a_kick_and_stops(runner, fake):
    sender = _sender(runner, fake, FakeTime())
    sender.poll_seconds = 60
    sender.start()
    try:
        _enqueue(runner, "CKICK", "kicked")
        sender.kick()
        assert fake.wait_for("chat.postMessage")[0].body["channel"] == "CKICK"
    finally:
        sender.stop()
    assert sender._thread is None


def _stopped_mid_post(runner, message: OutboundMessage) -> None:
    """A sender took the message and stopped (kill -9) before it recorded the outcome."""
    outbox.claim("slack", now=runner.clock())
    runner.clock.advance(minutes=3)


def test_a_message_its_stopped_sender_did_post_is_found_and_not_posted_again(runner, fake):
    message = _enqueue(runner, "CAPPROVALS", "Approval needed")
    _stopped_mid_post(runner, message)
    fake.on("conversations.history", lambda call: {"ok": True, "messages": [
        {"ts": "1700000000.000042", "text": "Approval needed",
         "metadata": {"event_type": "chatops_outbox", "event_payload": {"outbox_id": message.id}}},
        {"ts": "1700000000.000041", "text": "someone else"}]})
    assert _sender(runner, fake, FakeTime()).drain() == 1
    assert fake.called("chat.postMessage") == []  # posted once, by the sender that stopped
    history = fake.called("conversations.history")[0].body
    assert history["channel"] == "CAPPROVALS" and history["include_all_metadata"] in ("true", True, "1")
    row = OutboundMessage.get_by_id(message.id)
    assert row.state == "sent" and row.external_id == "1700000000.000042"


def test_a_message_its_stopped_sender_did_not_post_is_sent_with_its_outbox_id(runner, fake):
    message = _enqueue(runner, "CAPPROVALS", "Approval needed")
    _stopped_mid_post(runner, message)
    fake.on("conversations.history", lambda call: {"ok": True, "messages": []})
    assert _sender(runner, fake, FakeTime()).drain() == 1
    (post,) = fake.called("chat.postMessage")
    metadata = post.body["metadata"]
    metadata = json.loads(metadata) if isinstance(metadata, str) else metadata
    assert metadata == {"event_type": "chatops_outbox", "event_payload": {"outbox_id": message.id}}
    assert OutboundMessage.get_by_id(message.id).state == "sent"


def test_a_fresh_message_is_not_looked_up_first(runner, fake):
    _enqueue(runner, "CAPPROVALS", "hello")
    assert _sender(runner, fake, FakeTime()).drain() == 1
    assert fake.called("conversations.history") == [] and len(fake.called("chat.postMessage")) == 1


def test_an_edit_updates_the_message_its_earlier_row_became_and_waits_for_it(runner, fake):
    clock = FakeTime()
    card = _enqueue(runner, "CTICKETS", "Ticket #1: open", dedupe_key="ticket:1:opened")
    edit = _enqueue(runner, "CTICKETS", "Ticket #1: claimed by Sam", edits="ticket:1:opened")
    sender = _sender(runner, fake, clock)
    rows = {r.id: r for r in outbox.claim("slack", now=runner.clock())}
    assert not sender.deliver(rows[edit.id])  # the edit comes first: it waits for the card
    assert OutboundMessage.get_by_id(edit.id).state == "pending" and not fake.called("chat.update")
    assert sender.deliver(rows[card.id])  # the card is posted
    runner.clock.advance(seconds=3)
    assert sender.drain() == 1
    (update,) = fake.called("chat.update")
    posted = OutboundMessage.get_by_id(card.id)
    assert update.body["ts"] == posted.external_id and update.body["channel"] == "CTICKETS"
    assert "claimed by Sam" in update.body["text"]
    assert len(fake.called("chat.postMessage")) == 1  # edited, not posted again


def test_an_edit_of_a_message_never_delivered_is_posted_instead(runner, fake):
    clock = FakeTime()
    card = _enqueue(runner, "CGONE", "Ticket #2: open", dedupe_key="ticket:2:opened")
    outbox.mark_failed(card, error="channel_not_found")
    _enqueue(runner, "CTICKETS", "Ticket #2: claimed", edits="ticket:2:opened")
    assert _sender(runner, fake, clock).drain() == 1
    assert not fake.called("chat.update")
    assert [c.body["text"] for c in fake.called("chat.postMessage")] == ["Ticket #2: claimed"]
