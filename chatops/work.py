"""The durable work queue: every platform request the app acknowledges is a row before the ack.

    accepted = work.accept("slack", "slack:trigger:123", {"op": "command", ...}, now=now)   # the ack path
    if accepted.duplicate: ...                   # a redelivery: the first one is (being) answered
    [item] = work.claim(("slack",), owner=me, now=now, lease_seconds=60)                 # a worker
    work.complete(item, now=now)                 # or work.retry(...), work.dead(...), work.release(...)

A row is ``queued`` → ``running`` (leased to one worker, the lease renewed by
:func:`heartbeat`) → ``done`` | ``dead`` | ``cancelled``. A worker that dies
leaves its rows ``running`` with a lease that runs out: :func:`claim` takes them
again (PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so concurrent workers take
different rows; SQLite: one short ``BEGIN IMMEDIATE`` transaction). Each claim
counts an attempt; past the limit a row is dead-lettered (the worker pool tells
the user and audits it).

Why not a job-queue library: the work row must commit in the same database as
the audit trail and the command's own state (a claim, a resume and a reconcile
are decided with the run's rows, in one transaction), the SQLite default must
work with no other service, and Huey — the project's scheduler — pops a task
before running it (a consumer that dies loses it). procrastinate (PostgreSQL
only) and Oban (Elixir) have the same shape as this module; see
docs/execution.md.

A request accepted by a process that runs workers itself is inserted already
leased to it (``lease_owner``) and handed to a local thread: one write on the
ack path, no claim query. If that process dies, the lease runs out and any
worker takes it.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable

import peewee

from chatops import logs, messages, metrics
from chatops.db import SQLITE_BUSY_TIMEOUT_MS, atomic, database, is_sqlite, writing
from chatops.models import WorkItem
from chatops.text import clip

log = logging.getLogger("chatops.work")

LEASE_LOST = "the worker holding it stopped before finishing (its lease ran out)"


@dataclass(frozen=True)
class Accepted:
    item: WorkItem
    duplicate: bool  # a row with this key existed: a redelivery of a request already accepted


ACK_BUSY_TIMEOUT_MS = 1500  # SQLite: an ack waits at most this long for the write lock (Slack allows 3 s)


def accept(kind: str, key: str, payload: dict[str, Any], *, now: datetime, lease_owner: str | None = None,
           lease_seconds: float = 60.0, correlation_id: str = "",
           busy_timeout_ms: int | None = ACK_BUSY_TIMEOUT_MS) -> Accepted:
    """Record an accepted request (one INSERT, committed before this returns); a repeated key is a duplicate.

    On SQLite the INSERT waits at most ``busy_timeout_ms`` for the write lock (other writers hold it
    for milliseconds; a longer wait would miss the platform's ack deadline): then it fails like a
    database that is down, and the ack says so.
    """
    fields = dict(key=key[:200], kind=kind, payload=payload, not_before=now, created_at=now,
                  correlation_id=correlation_id)
    if lease_owner:
        fields.update(state="running", attempts=1, lease_owner=lease_owner, started_at=now,
                      lease_until=now + timedelta(seconds=lease_seconds))
    db = database.obj
    if busy_timeout_ms is not None and is_sqlite(db) and not db.in_transaction():
        _short_busy_timeout(db, busy_timeout_ms)
    try:
        if db.in_transaction():
            with atomic():  # a savepoint: a duplicate must not spoil the caller's transaction
                item_id = _insert(db, fields)
        else:
            with writing(db, timeout=(busy_timeout_ms or SQLITE_BUSY_TIMEOUT_MS) / 1000, urgent=True):
                item_id = _insert(db, fields)  # autocommit: one statement on the ack path
    except peewee.IntegrityError:
        existing = WorkItem.get_or_none(WorkItem.key == key[:200])
        if existing is None:
            raise
        return Accepted(existing, True)
    item = WorkItem(id=item_id, **{"state": "queued", "attempts": 0, **fields})
    item._dirty.clear()
    return Accepted(item, False)


def _short_busy_timeout(db, ms: int) -> None:
    """The accepting thread's SQLite connection waits at most ``ms`` for another process's write lock (set
    once per connection: threads that accept requests answer within the platform's deadline; writers
    of this process take turns before that, see chatops.db.writing)."""
    conn = db.connection()
    if getattr(_ack_state, "conn", None) is not conn:
        db.execute_sql(f"PRAGMA busy_timeout = {int(ms)}")
        _ack_state.conn = conn


_ack_state = threading.local()

_COLUMNS = ("key", "kind", "payload", "state", "attempts", "not_before", "lease_owner", "lease_until", "created_at",
            "started_at", "correlation_id", "error")
_DEFAULTS = {"state": "queued", "attempts": 0, "lease_owner": None, "lease_until": None, "started_at": None,
             "error": ""}
_SQL: dict[type, str] = {}


def _insert(db, fields: dict[str, Any]) -> int:
    """One INSERT written once as SQL: on the ack path peewee's query builder costs more than SQLite."""
    sql = _SQL.get(type(db))
    if sql is None:
        marks = ", ".join([db.param] * len(_COLUMNS))
        sql = f'INSERT INTO "work_item" ({", ".join(chr(34) + c + chr(34) for c in _COLUMNS)}) VALUES ({marks})'
        if not is_sqlite(db):
            sql += " RETURNING id"
        _SQL[type(db)] = sql
    meta = WorkItem._meta.fields
    params = [meta[c].db_value(fields.get(c, _DEFAULTS.get(c))) for c in _COLUMNS]
    cursor = db.execute_sql(sql, params)
    return cursor.lastrowid if is_sqlite(db) else cursor.fetchone()[0]


def claim(kinds: Iterable[str], *, owner: str, now: datetime, lease_seconds: float, limit: int = 1) -> list[WorkItem]:
    """Lease up to ``limit`` items of ``kinds`` that are due, or whose worker's lease ran out; oldest first."""
    kinds = list(kinds)
    if not kinds:
        return []
    due = (WorkItem.kind.in_(kinds)
           & (((WorkItem.state == "queued") & (WorkItem.not_before <= now))
              | ((WorkItem.state == "running") & (WorkItem.lease_until < now))))
    if not database.obj.in_transaction() and not WorkItem.select(WorkItem.id).where(due).limit(1).exists():
        return []  # a plain read first: idle workers take no write lock
    with atomic():
        query = WorkItem.select().where(due).order_by(WorkItem.id).limit(limit)
        if not is_sqlite():
            query = query.for_update(skip_locked=True)
        rows = list(query)
        if not rows:
            return []
        lease = now + timedelta(seconds=lease_seconds)
        for row in rows:
            taken_over = row.state == "running"
            changes: dict[str, Any] = dict(state="running", lease_owner=owner, lease_until=lease,
                                           attempts=WorkItem.attempts + 1, started_at=now)
            if taken_over:
                changes["error"] = LEASE_LOST
                metrics.lease_lost(row.kind)
            WorkItem.update(**changes).where(WorkItem.id == row.id).execute()
            row.state, row.lease_owner, row.lease_until, row.attempts, row.started_at = (
                "running", owner, lease, row.attempts + 1, now)
            if taken_over:
                row.error = LEASE_LOST
    return rows


def payload_of(key: str) -> dict[str, Any] | None:
    """The stored payload of the request accepted under ``key`` (None: no such request, or pruned)."""
    row = WorkItem.select(WorkItem.payload).where(WorkItem.key == key).first()
    return dict(row.payload or {}) if row is not None else None


def heartbeat(ids: Iterable[int], *, owner: str, now: datetime, lease_seconds: float) -> int:
    """Renew the leases ``owner`` holds on ``ids``; returns how many it still held."""
    ids = list(ids)
    if not ids:
        return 0
    with atomic():
        return (WorkItem.update(lease_until=now + timedelta(seconds=lease_seconds))
                .where(WorkItem.id.in_(ids) & (WorkItem.lease_owner == owner) & (WorkItem.state == "running"))
                .execute())


def complete(item: WorkItem, *, now: datetime, correlation_id: str = "", state: str = "done") -> None:
    with atomic():
        (WorkItem.update(state=state, finished_at=now, lease_until=None, correlation_id=correlation_id or
                         item.correlation_id)
         .where(WorkItem.id == item.id).execute())
    item.state = state


def retry(item: WorkItem, *, now: datetime, error: str, after_seconds: float) -> None:
    """Put the item back for later (the attempt it used counts)."""
    with atomic():
        (WorkItem.update(state="queued", lease_owner=None, lease_until=None, error=error[:2000],
                         not_before=now + timedelta(seconds=max(0.0, after_seconds)))
         .where(WorkItem.id == item.id).execute())
    item.state = "queued"


def release(item: WorkItem, *, now: datetime) -> None:
    """Hand an item this worker never started back to the queue, without using up an attempt."""
    with atomic():
        (WorkItem.update(state="queued", lease_owner=None, lease_until=None, not_before=now,
                         attempts=peewee.fn.MAX(WorkItem.attempts - 1, 0) if is_sqlite()
                         else peewee.fn.GREATEST(WorkItem.attempts - 1, 0))
         .where((WorkItem.id == item.id) & (WorkItem.state == "running")).execute())


def expire_lease(item: WorkItem, *, now: datetime) -> None:
    """Stopping with this item still running: let the next worker take it at once (not after the lease)."""
    with atomic():
        (WorkItem.update(lease_until=now - timedelta(seconds=1), error="stopped before it finished")
         .where((WorkItem.id == item.id) & (WorkItem.state == "running")).execute())


def dead(item: WorkItem, *, now: datetime, error: str) -> None:
    with atomic():
        (WorkItem.update(state="dead", finished_at=now, lease_until=None, error=error[:2000])
         .where(WorkItem.id == item.id).execute())
    item.state = "dead"


def requeue(key: str, *, now: datetime, note: str, **payload_changes: Any) -> bool:
    """Run a finished item again (the reconcile sweep: its run's outcome is to be checked); False if it is
    already queued or running, or gone."""
    with atomic():
        item = WorkItem.get_or_none(WorkItem.key == key)
        if item is None or item.state in ("queued", "running"):
            return False
        payload = {**(item.payload or {}), **payload_changes}
        return (WorkItem.update(state="queued", attempts=0, not_before=now, lease_owner=None, lease_until=None,
                                error=note[:2000], payload=payload)
                .where((WorkItem.id == item.id) & (WorkItem.state == item.state)).execute()) == 1


_backlog_lock = threading.Lock()
_backlog: dict[int, tuple[float, int]] = {}


def backlog(*, max_age: float = 0.5) -> int:
    """Queued items (all kinds), counted at most every ``max_age`` seconds per database."""
    db = database.obj
    key = id(db)
    now = time.monotonic()
    with _backlog_lock:
        cached = _backlog.get(key)
        if cached is not None and now - cached[0] < max_age:
            return cached[1]
    count = WorkItem.select().where(WorkItem.state == "queued").count()
    with _backlog_lock:
        _backlog[key] = (now, count)
    return count


def forget_backlog() -> None:
    with _backlog_lock:
        _backlog.clear()


def status(*, now: datetime) -> dict[str, Any]:
    """Counts by state, the oldest queued item's age, and dead items (``chatops work status``)."""
    counts = {state: n for state, n in WorkItem.select(WorkItem.state, peewee.fn.COUNT(WorkItem.id))
              .group_by(WorkItem.state).tuples()}
    oldest = (WorkItem.select(peewee.fn.MIN(WorkItem.created_at)).where(WorkItem.state == "queued").scalar())
    if isinstance(oldest, str):  # SQLite hands aggregates back as text
        oldest = WorkItem.created_at.python_value(oldest)
    age = (now - oldest).total_seconds() if oldest is not None else 0.0
    stalled = (WorkItem.select().where((WorkItem.state == "running") & (WorkItem.lease_until < now)).count())
    return {"counts": counts, "oldest_queued_seconds": age, "stalled": stalled}


# ---- what to tell the user about a piece of work ---------------------------------------------------

def short(reason: str, limit: int = 160) -> str:
    return clip(reason, limit)


def gave_up_what(work_key: str) -> str:
    """What a dead-lettered request did, as far as is known: did it send a change anywhere?"""
    from chatops.db import DatabaseErrors
    from chatops.models import CommandRun, ExternalCall

    try:
        runs = [r.id for r in CommandRun.select(CommandRun.id).where(CommandRun.work_key == work_key)]
        sent = list(ExternalCall.select().where(ExternalCall.run.in_(runs) & ExternalCall.mutating)) if runs else []
    except DatabaseErrors:
        return messages.GAVE_UP_UNCHECKED
    if not sent:
        return messages.GAVE_UP_NOTHING_DONE
    if all(c.state == "failed" for c in sent):
        return messages.GAVE_UP_NOTHING_CHANGED
    if all(c.state == "ok" for c in sent):
        return messages.GAVE_UP_CHANGE_MADE
    return messages.GAVE_UP_BEING_CHECKED


def restarted(item: WorkItem) -> bool:
    """Whether this is an attempt after one that stopped before it finished (its lease ran out: the process
    died; or a graceful stop left it running)."""
    error = (item.error or "").lower()
    return item.attempts > 1 and ("lease" in error or "stopped" in error)


def late_reason(item: WorkItem, now: datetime) -> str:
    """Why an answer comes late ("" when it does not): a restart, a database outage, a long wait."""
    payload = item.payload or {}
    if payload.get("reconcile"):
        return ""  # the answer itself says it is the result of a check
    error = (item.error or "").lower()
    if item.attempts > 1:
        if restarted(item):
            return "the service restarted while it was being handled"
        if "database" in error:
            return "the database was briefly unavailable"
        return "it had to be tried again"
    received = (payload.get("inv") or {}).get("received_at")
    if received:
        waited = now - datetime.fromisoformat(received)
        if waited > timedelta(minutes=1):
            return f"it waited {int(waited.total_seconds() // 60)} min for the service (busy or restarting)"
    return ""


def correlation_of(item: WorkItem, idempotency_key: str | None) -> str:
    """The correlation id of accepted work, once its run has one ("" before it started)."""
    if item.correlation_id:
        return item.correlation_id
    if idempotency_key:
        from chatops.models import IdempotencyRecord

        found = IdempotencyRecord.get_or_none(IdempotencyRecord.key == idempotency_key)
        if found is not None:
            return found.correlation_id
    fresh = WorkItem.get_or_none(WorkItem.id == item.id)
    return fresh.correlation_id if fresh is not None else ""


# ---- the parts of running accepted work that are the same on every platform -------------------------

def command_name(inv) -> str:
    return (inv.command or (inv.text.split() or ["?"])[0]).lower()[:64]


def audit_refused(settings: Any, inv, outcome: str, detail: str, *, now: datetime) -> None:
    """Audit a request answered at the ack without the database: through the audit spool (chatops.spool)."""
    import secrets

    from chatops import spool

    try:
        spool.append(settings, dict(correlation_id=logs.current("correlation_id") or secrets.token_hex(6),
                                    actor=inv.actor_key,
                                    command=command_name(inv), outcome=outcome, detail=detail,
                                    platform=inv.platform, community=inv.community_id or "", at=now))
    except OSError:
        log.exception("could not spool the audit event of a refused request from %s", inv.actor_key)


def audit_duplicate(inv, item: WorkItem, *, now: datetime) -> None:
    """A redelivery of accepted work: acked, not run again, on record under the first one's correlation id."""
    import secrets

    from chatops import audit

    audit.record(correlation_id=correlation_of(item, inv.idempotency_key) or secrets.token_hex(6),
                 actor=inv.actor_key, command=command_name(inv), outcome="duplicate", platform=inv.platform,
                 community=inv.community_id or "", at=now,
                 detail=f"repeated delivery of {item.key}: already accepted ({item.state})")


def run_request(router: Any, item: WorkItem, inv) -> Any:
    """Run an accepted request through the router and return the reply to answer, or None when the user
    must not be answered again (a check of an unknown outcome that is still unclear). The reply carries a
    line when it is late (a restart, a database outage, a long wait)."""
    from chatops import messages
    from chatops.reply import Text

    payload = item.payload or {}
    if payload.get("op") in ("action", "press"):
        reply = router.handle_action(payload["ref"], inv, raise_unavailable=True, work_key=item.key,
                                     correlation_id=item.correlation_id or None)
    else:
        reply = router.handle(inv, raise_unavailable=True, work_key=item.key, correlation_id=item.correlation_id or None)
    item.correlation_id = reply.correlation_id or ""
    if payload.get("reconcile") and reply.checking:
        return None
    late = late_reason(item, router.clock())
    if late and reply.replayed and restarted(item):
        # The run had finished in an attempt that stopped (or whose process died) before its item was done:
        # that attempt may have answered already (an answer that is not an edit cannot be taken back or
        # checked). A retry after a refused answer or a database error is not one: nothing reached the user.
        late = messages.LATE_AGAIN
    if late:
        reply = reply.with_(blocks=(Text(messages.LATE.format(why=late), "warning"), *reply.blocks))
    return reply


def dead_letter_reply(settings: Any, item: WorkItem, inv, reason: str, *, now: datetime) -> Any:
    """What to tell the user of a dead-lettered request (and its audit event, through the spool)."""
    import secrets

    from chatops import messages
    from chatops.reply import Reply

    what = gave_up_what(item.key)
    audit_refused(settings, inv, "failed", f"dead-lettered after {item.attempts} attempt(s): {reason}; {what}", now=now)
    text = messages.GAVE_UP.format(attempts=item.attempts, reason=short(reason), what=what, ref=secrets.token_hex(6))
    return Reply.text(text, style="error", ephemeral=True)
