"""The transactional outbox: dedupe, leases, retries."""
from datetime import timedelta

from chatops import outbox
from chatops.models import OutboundMessage
from chatops.reply import Destination, Reply


def test_enqueue_dedupes_and_claim_leases(runner):
    now = runner.clock()
    first = outbox.enqueue(Destination("slack", "C1"), Reply.text("hi"), now=now, dedupe_key="k1")
    assert first is not None
    assert outbox.enqueue(Destination("slack", "C1"), Reply.text("hi again"), now=now, dedupe_key="k1") is None
    assert OutboundMessage.select().count() == 1
    claimed = outbox.claim("slack", now=now)
    assert [m.id for m in claimed] == [first.id]
    assert outbox.claim("slack", now=now) == []  # leased
    assert outbox.claim("discord", now=now) == []  # other platform
    # a sender that died: the lease runs out and the message is claimable again
    again = outbox.claim("slack", now=now + timedelta(minutes=3))
    assert [m.id for m in again] == [first.id]
    outbox.mark_sent(again[0], now=now, external_id="1.2", thread_id="T9")
    row = OutboundMessage.get_by_id(first.id)
    assert (row.state, row.external_id, row.thread_id) == ("sent", "1.2", "T9")


def test_retry_waits_and_rate_limits_do_not_use_up_attempts(runner):
    now = runner.clock()
    msg = outbox.enqueue(Destination("slack", "C1"), Reply.text("hi"), now=now)
    for _ in range(outbox.MAX_ATTEMPTS + 3):
        (m,) = outbox.claim("slack", now=now)
        outbox.retry(m, now=now, after_seconds=30, error="429", rate_limited=True)
        assert outbox.claim("slack", now=now + timedelta(seconds=29)) == []
        now += timedelta(seconds=30)
    assert OutboundMessage.get_by_id(msg.id).state == "pending"
    for _ in range(outbox.MAX_ATTEMPTS):
        (m,) = outbox.claim("slack", now=now)
        outbox.retry(m, now=now, after_seconds=0, error="500")
    assert OutboundMessage.get_by_id(msg.id).state == "failed"
    assert outbox.claim("slack", now=now + timedelta(days=1)) == []
