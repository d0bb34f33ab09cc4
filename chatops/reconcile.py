"""The reconcile sweep: runs whose outcome is unknown, or whose process stopped half-way, are finished.

    report = sweep(app.router, now=utcnow())      # the worker pool runs it every few seconds

A run (chatops.effects) is due when its outcome is ``unknown`` and its next check
is due (back-off from 30 s to an hour, ``CHATOPS_RECONCILE_MAX_CHECKS`` checks), or
when it is ``running`` but its lease ran out (the process died mid-run). A run that
came with a piece of accepted work (a Slack command, a Discord interaction) is
settled by running that work item again: the router resumes the run (the same
request, with the same idempotency key) and the adapter answers the user where
they asked — through the response_url or interaction token while valid, else a
direct message — unless the answer is only "still checking". A run without one
(the console, the web playground) is resumed here, and an approval's requester is
told the result in their channel.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from chatops import work
from chatops.models import CommandRun, WorkItem

log = logging.getLogger("chatops.reconcile")


@dataclass
class ReconcileReport:
    due: int = 0
    requeued: int = 0   # handed to their work item (which answers the user)
    resumed: int = 0    # resumed here
    skipped: int = 0    # their work item is queued or running already


def due_runs(now: datetime, limit: int = 50) -> list[CommandRun]:
    due = (((CommandRun.state == "unknown") & CommandRun.next_check_at.is_null(False)
            & (CommandRun.next_check_at <= now))
           | ((CommandRun.state == "running") & (CommandRun.lease_until < now)))
    return list(CommandRun.select().where(due).order_by(CommandRun.id).limit(limit))


def sweep(router: Any, *, now: datetime, limit: int = 50, stopping: Callable[[], bool] = lambda: False
          ) -> ReconcileReport:
    report = ReconcileReport()
    for row in due_runs(now, limit):
        if stopping():
            break
        report.due += 1
        if row.work_key:
            item = WorkItem.get_or_none(WorkItem.key == row.work_key)
            if item is not None:
                if item.state in ("queued", "running"):
                    report.skipped += 1  # claiming it resumes the run
                    continue
                if work.requeue(row.work_key, now=now, note=f"checking the outcome of run {row.key}",
                                reconcile=True):
                    report.requeued += 1
                else:
                    report.skipped += 1
                continue
        reply = router.resume(row)
        if reply is not None:
            report.resumed += 1
            log.info("reconcile: run %s [%s] resumed: %s", row.key, row.correlation_id,
                     reply.plain_text().splitlines()[0][:200] if reply.blocks else "")
    if report.due:
        log.info("reconcile: %d due, %d handed to their work, %d resumed, %d already under way", report.due,
                 report.requeued, report.resumed, report.skipped)
    return report
