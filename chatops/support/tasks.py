"""Background work on Huey: the SLA sweep and the expiry of ops approval requests every minute, and the
daily standup digest.

    CHATOPS_HUEY_URL=""                 → SqliteHuey in a file next to the SQLite database
    CHATOPS_HUEY_URL=redis://host:6379/0 → RedisHuey

    jobs = tasks.build(app.settings)    # a Huey with the periodic jobs, for this App (tasks.for_app caches it)

Task bodies are plain functions (``run_sweep(settings, now=…)``, ``run_approval_expiry(now=…)``,
``run_digest(settings, now=…)``) so tests call them directly with an injected clock; the periodic
tasks only wrap them. Importing this module reads no environment and creates no file: the Huey and
its storage exist once an App's settings build them. The database is the one the process's App
bound (``chatops worker`` and ``chatops run`` create it first).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

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
    """The Huey storage the settings name (no tasks registered: see :func:`build`)."""
    url = settings.work.huey_url
    if url:
        return RedisHuey(name, url=url)
    return SqliteHuey(name, filename=str(huey_storage_path(settings.database_url)))


def run_sweep(cfg: Settings, now: datetime | None = None) -> sweeper.SweepReport:
    now = now or utcnow()
    report = sweeper.sweep(now=now, settings=cfg)
    undelivered = sweeper.report_undelivered(now=now)
    if undelivered:
        log.warning("%d message(s) to requesters could not be delivered: staff told in the tickets' channels",
                    undelivered)
    if report.notified:
        log.info("SLA sweep: %d ticket(s), %d notification(s)", report.examined, report.notified)
    return report


def run_approval_expiry(now: datetime | None = None) -> int:
    """Retire expired ops approval requests and tell their requesters (once)."""
    from chatops.ops.approvals import expire_requests

    report = expire_requests(now=now or utcnow())
    if report.expired:
        log.info("approval expiry: %d request(s) expired, %d requester(s) told", report.expired, report.notified)
    return report.expired


def run_digest(cfg: Settings, now: datetime | None = None) -> int:
    return digest.post_daily(now=now or utcnow(), settings=cfg)


def run_purge(now: datetime | None = None) -> int:
    """Old idempotency keys, finished buttons, delivered messages, finished work (see chatops.maintenance)."""
    from chatops.maintenance import purge

    report = purge(now=now or utcnow(), keep_days=30)
    return report.idempotency_keys + report.actions + report.messages + report.work_items + report.runs


@dataclass
class Jobs:
    """A Huey with the periodic jobs registered, for one App's settings (``build``)."""

    huey: Huey
    sla_sweep: Any
    approval_expiry: Any
    daily_digest: Any
    nightly_purge: Any


def build(settings: Settings, name: str = "chatops") -> Jobs:
    """The Huey of these settings with the periodic jobs on it; importing this module builds nothing."""
    huey = make_huey(settings, name)
    hour, minute = settings.support.digest_time
    sla_sweep = huey.periodic_task(crontab(minute="*"), retries=0, name="sla_sweep")(
        lambda: run_sweep(settings).notified)
    approval_expiry = huey.periodic_task(crontab(minute="*"), retries=0, name="approval_expiry")(run_approval_expiry)
    daily_digest = huey.periodic_task(crontab(minute=str(minute), hour=str(hour)), retries=2, retry_delay=60,
                                      name="daily_digest")(lambda: run_digest(settings))
    nightly_purge = huey.periodic_task(crontab(minute="17", hour="3"), retries=0, name="nightly_purge")(run_purge)
    return Jobs(huey, sla_sweep, approval_expiry, daily_digest, nightly_purge)


def for_app(app: Any) -> Jobs:
    """The App's jobs, built once from its settings."""
    jobs = getattr(app, "_jobs", None)
    if jobs is None:
        jobs = app._jobs = build(app.settings)
    return jobs
