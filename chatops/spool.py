"""The audit spool: audit events that could not be written because the database was down.

    spool.append(settings, dict(correlation_id=..., actor=..., command=..., outcome="failed", ...))
    spool.flush(settings)      # once the database answers: into the hash chain, oldest first

A request that was answered while the database was down (its ack said "briefly
unavailable", a work item gave up) still gets its audit event: a line in a local
JSON file (``CHATOPS_AUDIT_SPOOL``), appended under an exclusive file lock so several
processes on one machine can share it. The worker pool's housekeeping (and
``chatops audit flush``) appends the spooled events to the audit trail in one
transaction and empties the file; an event already in the trail (same correlation
id, outcome and time: a flush interrupted after its commit) is not added twice.
Each event keeps the time it happened; its place in the chain is when it was added.
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from chatops import audit
from chatops.db import atomic
from chatops.models import AuditEvent

log = logging.getLogger("chatops.spool")

FILENAME = "chatops-audit-spool.jsonl"


def path(settings: Any) -> Path:
    configured = settings.work.audit_spool
    if configured:
        return Path(configured)
    url = settings.database_url
    if url.startswith("sqlite:///") and ":memory:" not in url:
        db_path = Path(url[len("sqlite:///"):])
        return db_path.with_name(db_path.stem + "-audit-spool.jsonl")
    return Path(FILENAME)


def append(settings: Any, event: dict[str, Any]) -> None:
    """Keep one audit event (the arguments of ``audit.record``) until the database takes it."""
    at = event.get("at") or datetime.now(timezone.utc)
    line = json.dumps({**event, "at": at.astimezone(timezone.utc).isoformat()}, ensure_ascii=False, default=str)
    target = path(settings)
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "a", encoding="utf-8") as fp:
        fcntl.flock(fp, fcntl.LOCK_EX)
        try:
            fp.write(line + "\n")
            fp.flush()
            os.fsync(fp.fileno())
        finally:
            fcntl.flock(fp, fcntl.LOCK_UN)


def pending(settings: Any) -> int:
    target = path(settings)
    if not target.exists():
        return 0
    with open(target, encoding="utf-8") as fp:
        return sum(1 for line in fp if line.strip())


def flush(settings: Any) -> int:
    """Append the spooled events to the audit trail; returns how many were added."""
    target = path(settings)
    if not target.exists() or target.stat().st_size == 0:
        return 0
    added = 0
    with open(target, "r+", encoding="utf-8") as fp:
        fcntl.flock(fp, fcntl.LOCK_EX)
        try:
            events = []
            for number, line in enumerate(fp, 1):
                if not line.strip():
                    continue
                try:
                    events.append(json.loads(line))
                except ValueError:
                    log.error("audit spool %s line %d is not JSON; kept out of the trail: %r", target, number,
                              line[:200])
            with atomic():
                for event in events:
                    at = datetime.fromisoformat(event.pop("at"))
                    seen = AuditEvent.select().where(
                        (AuditEvent.correlation_id == event.get("correlation_id", ""))
                        & (AuditEvent.outcome == event.get("outcome", ""))
                        & (AuditEvent.created_at == at)).exists()
                    if seen:
                        continue
                    audit.record(at=at, **event)
                    added += 1
            fp.seek(0)
            fp.truncate()
        finally:
            fcntl.flock(fp, fcntl.LOCK_UN)
    if added:
        log.info("audit spool: %d event(s) written to the audit trail", added)
    return added
