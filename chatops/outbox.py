"""The transactional outbox: the core never sends; it records what to send, in the same
transaction as the change that caused it, and the adapters deliver.

    outbox.enqueue(Destination("slack", "C_APPROVALS"), reply, now=now, dedupe_key=f"approval:{request_id}")

    # an adapter's sender loop
    for msg in outbox.claim("slack", now=clock()):
        try:
            ts = post(msg.channel_id, render(Reply.from_dict(msg.reply)))
            outbox.mark_sent(msg, external_id=ts, now=clock())
        except RateLimited as e:
            outbox.retry(msg, after_seconds=e.retry_after, error="429", now=clock())

``edits`` makes a message an update of an earlier one (named by its dedupe key): a
ticket card that shows its new state, an approval request that says it was
withdrawn. The sender edits the platform message the earlier one became
(:func:`edit_target`); while that one is not sent yet the edit waits; if it was
never delivered, the edit is posted as a message of its own.

``dedupe_key`` makes a notification exactly-once: a second enqueue with the
same key is ignored (two SLA sweepers, a restart). ``claim`` leases messages so
two senders never deliver the same one; a lease that runs out (a sender that
died) makes the message claimable again.

What delivery guarantees: a message exists exactly when the change that caused
it committed, and it is delivered **at least once**. The one window for a second
delivery is a sender that dies after the platform took a message and before
``mark_sent``: the lease runs out and the message is claimed again with
``uncertain`` set (its first attempt's outcome is not known). The adapters then
look before sending again — Slack: the message carries its outbox id in
``metadata`` and ``conversations.history`` is searched for it; Discord: the
message carries a ``nonce`` with ``enforce_nonce``, so Discord itself returns the
first message instead of posting a second one (within its nonce window, a few
minutes). A duplicate that still gets through is harmless: it carries the same
buttons, which name the same stored action, and a stored action runs once.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import logging

import peewee

from chatops import logs, metrics
from chatops.db import atomic, is_sqlite
from chatops.models import OutboundMessage
from chatops.reply import Destination, Reply

MAX_ATTEMPTS = 8
log = logging.getLogger("chatops.outbox")


def lease_of(settings) -> timedelta:
    """How long a sender holds a message it is sending (CHATOPS_OUTBOX_LEASE_SECONDS)."""
    return timedelta(seconds=settings.work.outbox_lease_seconds)


def enqueue(destination: Destination, reply: Reply, *, now: datetime, dedupe_key: str | None = None,
            correlation_id: str = "", thread_id: str | None = None, edits: str | None = None) -> OutboundMessage | None:
    """Record a message to deliver; None when ``dedupe_key`` was already used (nothing is added).
    ``edits``: the dedupe key of an earlier message this one replaces on the platform (module doc)."""
    try:
        with atomic():  # a savepoint inside the caller's transaction
            return OutboundMessage.create(
                platform=destination.platform, channel_id=destination.channel_id, thread_id=thread_id,
                reply=reply.to_dict(), dedupe_key=dedupe_key, correlation_id=correlation_id or reply.correlation_id or "",
                not_before=now, created_at=now, edits=edits,
            )
    except peewee.IntegrityError:
        if dedupe_key and OutboundMessage.get_or_none(OutboundMessage.dedupe_key == dedupe_key):
            return None
        raise


EDIT_WAIT_SECONDS = 2.0  # an edit whose message is not sent yet looks again this much later


def edit_target(message: OutboundMessage) -> tuple[str, str | None, str | None]:
    """What an edit (``message.edits``) should do: ``("edit", channel_id, external_id)`` of the platform
    message to change; ``("wait", None, None)`` while that message is still to be sent; ``("post", None,
    None)`` when there is nothing to edit (never sent, failed, or not an edit): send it as a new message."""
    if not message.edits:
        return "post", None, None
    earlier = OutboundMessage.get_or_none(OutboundMessage.dedupe_key == message.edits)
    if earlier is None or earlier.state == "failed":
        return "post", None, None
    if earlier.state != "sent" or not earlier.external_id:
        return ("wait", None, None) if earlier.state in ("pending", "sending") else ("post", None, None)
    # Slack edits by channel + ts, thread replies included. On Discord a message posted into a thread lives in
    # the thread (a channel); a message a thread was started from (same id) lives in its parent channel.
    in_thread = (earlier.platform == "discord" and bool(earlier.thread_id) and earlier.thread_id.isdigit()
                 and earlier.thread_id != earlier.external_id)
    return "edit", earlier.thread_id if in_thread else earlier.channel_id, earlier.external_id


def claim(platform: str, *, now: datetime, limit: int = 50, lease: timedelta = timedelta(minutes=2)) -> list[OutboundMessage]:
    """Lease up to ``limit`` due messages of ``platform`` for delivery, oldest first."""
    due = ((OutboundMessage.platform == platform)
           & (((OutboundMessage.state == "pending") & (OutboundMessage.not_before <= now))
              | ((OutboundMessage.state == "sending") & (OutboundMessage.lease_until < now))))
    with atomic():
        query = OutboundMessage.select().where(due).order_by(OutboundMessage.id).limit(limit)
        if not is_sqlite():
            query = query.for_update(skip_locked=True)  # concurrent senders take different rows
        rows = list(query)
        if rows:
            (OutboundMessage.update(state="sending", lease_until=now + lease, attempts=OutboundMessage.attempts + 1)
             .where(OutboundMessage.id.in_([r.id for r in rows])).execute())
    for r in rows:
        # A row still "sending" after its lease: a sender took it and stopped; did the platform get it?
        r.uncertain = r.state == "sending"  # type: ignore[attr-defined]
        r.state, r.lease_until, r.attempts = "sending", now + lease, r.attempts + 1
    return rows


def mark_sent(message: OutboundMessage, *, now: datetime, external_id: str | None = None,
              thread_id: str | None = None) -> None:
    """Delivered; ``thread_id`` records the thread the adapter started for it (a ``"new"`` request)."""
    changes = dict(state="sent", sent_at=now, external_id=external_id, lease_until=None, error="")
    if thread_id is not None:
        changes["thread_id"] = thread_id
    OutboundMessage.update(**changes).where(OutboundMessage.id == message.id).execute()
    metrics.outbox_sent(message.platform, message.created_at, now)
    with logs.request(correlation_id=message.correlation_id, platform=message.platform):
        log.info("outbox message %s delivered to %s %s", message.id, message.platform, message.channel_id)


def retry(message: OutboundMessage, *, now: datetime, after_seconds: float, error: str,
          rate_limited: bool = False) -> None:
    """Put a message back for later; gives up after MAX_ATTEMPTS failed deliveries.

    ``rate_limited=True`` (a 429 with Retry-After) does not use up an attempt: the platform asked
    us to wait, nothing failed.
    """
    attempts = message.attempts - 1 if rate_limited else message.attempts
    state = "failed" if attempts >= MAX_ATTEMPTS else "pending"
    (OutboundMessage.update(state=state, attempts=max(0, attempts),
                            not_before=now + timedelta(seconds=max(0.0, after_seconds)),
                            lease_until=None, error=error[:2000])
     .where(OutboundMessage.id == message.id).execute())
    metrics.outbox_retry(message.platform, gave_up=state == "failed")
    if state == "failed":  # the senders log each failed try; this is the last one
        with logs.request(correlation_id=message.correlation_id, platform=message.platform):
            log.error("outbox message %s to %s %s given up after %d attempts: %s", message.id, message.platform,
                      message.channel_id, attempts, error)


def mark_failed(message: OutboundMessage, *, error: str) -> None:
    """A permanent failure (channel not found, not allowed): never retried."""
    (OutboundMessage.update(state="failed", lease_until=None, error=error[:2000])
     .where(OutboundMessage.id == message.id).execute())
    metrics.outbox_retry(message.platform, gave_up=True)


def retry_dead(ids, now: datetime) -> int:
    """Put dead messages (``failed``: out of attempts, or refused for good) back in the queue, due now, with
    their attempts reset; ids that are not dead are left alone. Returns how many were re-queued.

        outbox.retry_dead([41, 42], now=clock())     # the admin panel's "Retry" action on the outbox
    """
    ids = [int(i) for i in ids]
    if not ids:
        return 0
    return (OutboundMessage.update(state="pending", attempts=0, not_before=now, lease_until=None)
            .where(OutboundMessage.id.in_(ids) & (OutboundMessage.state == "failed")).execute())
