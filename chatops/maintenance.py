"""Housekeeping for the tables that only grow: idempotency keys, finished buttons, delivered messages.

    chatops db purge --days 30

The audit trail is never purged (it is append-only and hash-chained). Pending
buttons that are still usable and undelivered messages are kept whatever their age.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from chatops.db import atomic
from chatops.models import IdempotencyRecord, OutboundMessage, PendingAction


@dataclass(frozen=True)
class PurgeReport:
    idempotency_keys: int
    actions: int
    messages: int


def purge(*, now: datetime, keep_days: int = 30) -> PurgeReport:
    if keep_days < 1:
        raise ValueError("keep at least one day: repeated deliveries arrive for minutes, retries for hours")
    cutoff = now - timedelta(days=keep_days)
    with atomic():
        keys = IdempotencyRecord.delete().where(IdempotencyRecord.created_at < cutoff).execute()
        finished = PendingAction.state.in_(["done", "cancelled", "expired", "rejected", "approved"])
        expired = (PendingAction.state == "pending") & (PendingAction.expires_at < cutoff)
        actions = PendingAction.delete().where((PendingAction.created_at < cutoff) & (finished | expired)).execute()
        messages = (OutboundMessage.delete()
                    .where((OutboundMessage.created_at < cutoff) & OutboundMessage.state.in_(["sent", "failed"]))
                    .execute())
    return PurgeReport(keys, actions, messages)
