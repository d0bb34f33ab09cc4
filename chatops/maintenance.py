"""Housekeeping for the tables that only grow: idempotency keys, finished buttons, delivered messages,
finished work items and runs (never one whose change's outcome is still open), and expired form drafts
(whatever ``--days``: a draft is of no use once its form expired, and it holds what a user typed).

    chatops db purge --days 30

The audit trail is never purged (it is append-only and hash-chained). Pending
buttons that are still usable and undelivered messages are kept whatever their age.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from chatops.db import atomic
from chatops.models import CommandRun, FormDraft, IdempotencyRecord, OutboundMessage, PendingAction, WorkItem


@dataclass(frozen=True)
class PurgeReport:
    idempotency_keys: int
    actions: int
    messages: int
    work_items: int = 0
    runs: int = 0
    form_drafts: int = 0


def purge(*, now: datetime, keep_days: int = 30) -> PurgeReport:
    if keep_days < 1:
        raise ValueError("keep at least one day: repeated deliveries arrive for minutes, retries for hours")
    cutoff = now - timedelta(days=keep_days)
    with atomic():
        open_runs = CommandRun.state.in_(["running", "unknown"])
        # A key or a button whose run is still open stays: pressing it again (or a redelivery) settles the run.
        open_keys = CommandRun.select(CommandRun.key).where(open_runs)
        keys = (IdempotencyRecord.delete()
                .where((IdempotencyRecord.created_at < cutoff) & IdempotencyRecord.key.not_in(open_keys)).execute())
        open_tokens = [k.split(":", 1)[1] for (k,) in CommandRun.select(CommandRun.key).where(open_runs).tuples()
                       if k.startswith(("confirm:", "action:"))]
        finished = PendingAction.state.in_(["done", "cancelled", "expired", "rejected", "approved"])
        expired = (PendingAction.state == "pending") & (PendingAction.expires_at < cutoff)
        actions = (PendingAction.delete()
                   .where((PendingAction.created_at < cutoff) & (finished | expired)
                          & PendingAction.token.not_in(open_tokens or [""])).execute())
        messages = (OutboundMessage.delete()
                    .where((OutboundMessage.created_at < cutoff) & OutboundMessage.state.in_(["sent", "failed"]))
                    .execute())
        work_items = (WorkItem.delete()
                      .where((WorkItem.created_at < cutoff) & WorkItem.state.in_(["done", "dead", "cancelled"])
                             & WorkItem.key.not_in(CommandRun.select(CommandRun.work_key)
                                                   .where(open_runs & CommandRun.work_key.is_null(False))))
                      .execute())
        runs = (CommandRun.delete()  # their external calls go with them (ON DELETE CASCADE)
                .where((CommandRun.updated_at < cutoff) & CommandRun.state.in_(["done", "failed"])).execute())
        drafts = FormDraft.delete().where(FormDraft.expires_at < now).execute()
    return PurgeReport(keys, actions, messages, work_items, runs, drafts)
