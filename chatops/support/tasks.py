"""Background work on Huey: the SLA sweep and the expiry of ops approval requests every minute, and the
daily standup digest.

    CHATOPS_HUEY_URL=""                 → SqliteHuey in a file next to the SQLite database
    CHATOPS_HUEY_URL=redis://host:6379/0 → RedisHuey

Task bodies are plain functions (``run_sweep(now=…)``, ``run_approval_expiry(now=…)``,
``run_digest(now=…)``) so tests call
them directly with an injected clock; the periodic tasks only wrap them. The database is the
one the process's App bound (``chatops worker`` and ``chatops run`` create it first).
"""
from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from huey import Huey, RedisHuey, SqliteHuey, crontab

from chatops.invocation import utcnow
from chatops.settings import Settings
from chatops.support import digest, sweeper

log = logging.getLogger("chatops.support.tasks")


def huey_storage_path(database_url: str) -> Path:
    if database_url.startswith("sqlite:///") and ":memory:" not in database_url:
        db_path = Path(database_url[len("sqlite:///"):])
        return db_path.with_name(db_path.stem + "-huey.db")
    return Path("chatops-huey.db")


def make_huey(settings: Settings, name: str = "chatops") -> Huey:
    url = settings.get("CHATOPS_HUEY_URL")
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(name, url=url)
    if url:
        raise ValueError(f"CHATOPS_HUEY_URL {url!r}: leave it empty (SQLite) or give a redis:// URL")
    return SqliteHuey(name, filename=str(huey_storage_path(settings.database_url)))


settings = Settings.from_env()
huey = make_huey(settings)


def run_sweep(now: datetime | None = None, cfg: Settings | None = None) -> sweeper.SweepReport:
    report = sweeper.sweep(now=now or utcnow(), settings=cfg or settings)
    if report.notified:
        log.info("SLA sweep: %d ticket(s), %d notification(s)", report.examined, report.notified)
    return report


def run_approval_expiry(now: datetime | None = None) -> int:
    """Retire expired ops approval requests and tell their requesters (once); 0 without the ops area."""
    try:
        from chatops.ops.approvals import expire_requests
    except ImportError:
        return 0
    report = expire_requests(now=now or utcnow())
    if report.expired:
        log.info("approval expiry: %d request(s) expired, %d requester(s) told", report.expired, report.notified)
    return report.expired


def run_digest(now: datetime | None = None, cfg: Settings | None = None) -> int:
    return digest.post_daily(now=now or utcnow(), settings=cfg or settings)


def _digest_schedule():
    hh, _, mm = settings.get("CHATOPS_SUPPORT_DIGEST_TIME").partition(":")
    return crontab(minute=str(int(mm or 0)), hour=str(int(hh)))


@huey.periodic_task(crontab(minute="*"), retries=0)
def sla_sweep() -> int:
    return run_sweep().notified


@huey.periodic_task(crontab(minute="*"), retries=0)
def approval_expiry() -> int:
    return run_approval_expiry()


@huey.periodic_task(_digest_schedule(), retries=2, retry_delay=60)
def daily_digest() -> int:
    return run_digest()


@huey.periodic_task(crontab(minute="17", hour="3"), retries=0)
def nightly_purge() -> int:
    """Old idempotency keys, finished buttons and delivered messages (see chatops.maintenance)."""
    from chatops.maintenance import purge

    report = purge(now=utcnow(), keep_days=30)
    return report.idempotency_keys + report.actions + report.messages
