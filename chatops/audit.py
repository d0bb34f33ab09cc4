"""The audit trail: append-only, SHA-256 hash-chained, written in the caller's transaction.

    with atomic():
        ...the action's own writes...
        audit.record(correlation_id=cid, actor="slack:U1 (Ana)", command="change-email",
                     arguments={"account": "acct_1"}, outcome="executed")

Each event stores ``seq`` (unique, gap-free), ``prev_hash`` (the previous
event's hash) and ``hash = sha256(canonical(fields))``. Concurrent writers
cannot fork the chain: on PostgreSQL a transaction-scoped advisory lock
orders appenders from the head read to the commit, and SQLite's IMMEDIATE
transactions hold the write lock the same way; the unique ``seq`` is the last
line of defence.

:func:`verify` walks the chain and names the first event that was edited,
deleted, reordered or inserted. Deleting the newest events leaves a shorter
but valid chain: keep ``head()`` somewhere else (``chatops audit head``, a log,
a ticket) and pass it back as ``verify(expect_head=…)`` to catch that.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterator, Mapping

import peewee

from chatops import metrics
from chatops.db import atomic, database, is_sqlite
from chatops.models import AuditEvent
from chatops.text import clip

GENESIS = "0" * 64
MASK = "•••"
SENSITIVE_NAME = re.compile(r"(pass(word)?|secret|token|api[_-]?key|card|pan|cvv|cvc|iban|ssn)", re.I)
AUDIT_LOCK_KEY = 0x6368_6174_6f70  # "chatop": the PostgreSQL advisory lock that orders appends


def canonical(seq: int, created_at: datetime, correlation_id: str, actor: str, actor_person_id: int | None,
              platform: str, community: str, command: str, arguments: str, outcome: str, detail: str,
              prev_hash: str) -> bytes:
    if created_at.tzinfo is not None:
        created_at = created_at.astimezone(timezone.utc).replace(tzinfo=None)
    payload = [seq, created_at.isoformat(timespec="microseconds"), correlation_id, actor, actor_person_id,
               platform, community, command, arguments, outcome, detail, prev_hash]
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def compute_hash(event: AuditEvent) -> str:
    return hashlib.sha256(canonical(
        event.seq, event.created_at, event.correlation_id, event.actor, event.actor_person_id,
        event.platform, event.community, event.command, event.arguments, event.outcome, event.detail,
        event.prev_hash,
    )).hexdigest()


def mask_email(value: str) -> str:
    local, _, domain = value.partition("@")
    return f"{local[:1]}***@{domain}" if domain else MASK


def mask_arguments(arguments: Mapping[str, Any], *, secret: set[str] = frozenset(), pii: set[str] = frozenset()) -> dict[str, Any]:
    """Mask secrets entirely and PII partially; everything else as a short string."""
    out: dict[str, Any] = {}
    for key, value in arguments.items():
        if value is None:
            out[key] = None
        elif key in secret or SENSITIVE_NAME.search(key):
            out[key] = MASK
        elif key in pii:
            out[key] = mask_email(str(value))
        else:
            text = getattr(value, "value", value)
            text = text if isinstance(text, (int, float, bool)) else str(text)
            out[key] = clip(text, 501) if isinstance(text, str) else text
    return out


_HEAD = "SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1"
_FIELDS = ("seq", "created_at", "correlation_id", "actor", "actor_person_id", "platform", "community", "command",
           "arguments", "outcome", "detail", "prev_hash", "hash")
_INSERT = ("INSERT INTO audit_event (" + ", ".join(_FIELDS) + ") VALUES (" + ", ".join("?" * len(_FIELDS)) + ")")


def _insert(db: peewee.Database, values: dict[str, Any]) -> int:
    params = [AuditEvent.created_at.db_value(values[f]) if f == "created_at" else values[f] for f in _FIELDS]
    if is_sqlite(db):
        return db.execute_sql(_INSERT, params).lastrowid
    return db.execute_sql(_INSERT.replace("?", "%s") + " RETURNING id", params).fetchone()[0]


def record(*, correlation_id: str, actor: str, command: str, outcome: str, arguments: Mapping[str, Any] | None = None,
           detail: str = "", actor_person_id: int | None = None, platform: str = "", community: str = "",
           at: datetime | None = None) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction (or a new one)."""
    args_text = json.dumps(dict(arguments or {}), sort_keys=True, ensure_ascii=False, default=str)
    created = (at or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(tzinfo=None)
    fields = dict(
        created_at=created, correlation_id=correlation_id, actor=actor[:200], actor_person_id=actor_person_id,
        platform=platform[:16], community=(community or "")[:64], command=command[:64], arguments=args_text,
        outcome=outcome[:16], detail=detail[:4000],
    )
    db = database.obj
    # Inside the caller's transaction there is nothing to open (not even a savepoint).
    with (contextlib.nullcontext() if db.in_transaction() else atomic()):
        if not is_sqlite(db):
            # Serialise appenders until commit; SQLite's BEGIN IMMEDIATE already holds the write lock.
            db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (AUDIT_LOCK_KEY,))
        prev = db.execute_sql(_HEAD).fetchone()
        seq, prev_hash = (prev[0] + 1, prev[1]) if prev else (1, GENESIS)
        digest = hashlib.sha256(canonical(seq=seq, prev_hash=prev_hash, **fields)).hexdigest()
        values = dict(fields, seq=seq, prev_hash=prev_hash, hash=digest)
        event = AuditEvent(id=_insert(db, values), **values)  # the unique seq is the last line of defence
        event._dirty.clear()
        metrics.audit_appended(fields["outcome"])
        return event


def head() -> tuple[int, str]:
    prev = AuditEvent.select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1).tuples().first()
    return (prev[0], prev[1]) if prev else (0, GENESIS)


@dataclass(frozen=True)
class Problem:
    seq: int
    event_id: int | None
    kind: str  # edited | missing | out-of-chain | anchor
    message: str


@dataclass(frozen=True)
class VerifyResult:
    checked: int
    problem: Problem | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _iter_events(batch: int = 5000) -> Iterator[AuditEvent]:
    last = None
    while True:
        query = AuditEvent.select().order_by(AuditEvent.seq).limit(batch)
        if last is not None:
            query = query.where(AuditEvent.seq > last)
        rows = list(query)
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def verify(expect_head: tuple[int, str] | None = None) -> VerifyResult:
    """Walk the chain from the first event; report the first break.

    ``expect_head`` is a ``(seq, hash)`` read earlier with :func:`head` and kept outside the
    database: the chain must still contain that event unchanged, which catches the one
    tampering the chain cannot show by itself — deleting the newest events.
    """
    expected_seq = 1
    prev_hash = GENESIS
    checked = 0
    anchor_seen = expect_head is None or expect_head[0] == 0
    for event in _iter_events():
        if expect_head is not None and event.seq == expect_head[0]:
            anchor_seen = True
            if event.hash != expect_head[1]:
                return VerifyResult(checked, Problem(
                    event.seq, event.id, "anchor",
                    f"event seq {event.seq} (id {event.id}) is not the one recorded as the head earlier "
                    f"(hash {expect_head[1][:16]}…): the chain was rewritten from there on"))
        if event.seq != expected_seq:
            return VerifyResult(checked, Problem(
                event.seq, event.id, "missing",
                f"event seq {event.seq} (id {event.id}) follows seq {expected_seq - 1}: "
                f"{event.seq - expected_seq} event(s) before it were deleted or renumbered"))
        if compute_hash(event) != event.hash:
            return VerifyResult(checked, Problem(
                event.seq, event.id, "edited",
                f"event seq {event.seq} (id {event.id}) does not match its hash: it was edited"))
        if event.prev_hash != prev_hash:
            return VerifyResult(checked, Problem(
                event.seq, event.id, "out-of-chain",
                f"event seq {event.seq} (id {event.id}) does not link to the event before it: "
                "events were inserted, reordered or replaced"))
        prev_hash = event.hash
        expected_seq += 1
        checked += 1
    if not anchor_seen:
        return VerifyResult(checked, Problem(
            expect_head[0], None, "missing",
            f"the chain ends at seq {expected_seq - 1}, but seq {expect_head[0]} was recorded as the head "
            "earlier: the newest events were deleted"))
    return VerifyResult(checked, None)
