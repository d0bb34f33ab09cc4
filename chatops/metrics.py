"""Prometheus metrics: counted where things happen, the database's state read at scrape time.

    metrics.command_finished("slack", "ping", "allowed")       # the router, once per request
    with metrics.ack_timer("slack"): ...                        # an adapter's ack path
    body, content_type = metrics.exposition()                  # GET /metrics (adapters/metrics_http.py)

A registry (prometheus_client) is memory, not I/O, so it lives in the core; the HTTP endpoint is an
adapter's (``adapters.metrics_http``, mounted only with ``CHATOPS_METRICS=on``). Under gunicorn each
web process counts for itself and a scrape adds them up: ``PROMETHEUS_MULTIPROC_DIR`` names a
directory the processes share (``deploy/gunicorn.conf.py`` sets and empties one), read by
prometheus_client's ``MultiProcessCollector``. Counters and histograms only: every gauge is computed
from the database when scraped (:class:`DatabaseCollector`), so it is the same whichever process is
asked, and it counts the work of every process, ``chatops worker`` ones included.

Labels are bounded: ``command`` is a registered command's name (anything else is ``other``),
``operation`` a backend method's, ``platform`` and ``outcome`` come from short fixed vocabularies.
docs/operations.md lists every metric and what to alert on.
"""
from __future__ import annotations

import contextlib
import logging
import os
import time
from datetime import datetime, timezone
from typing import Any, Iterator

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

log = logging.getLogger("chatops.metrics")

REGISTRY = CollectorRegistry(auto_describe=True)  # ours, not prometheus_client's process-global default

ACK_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)
CALL_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
LAG_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0)

COMMANDS = Counter("chatops_commands", "Requests the router finished, by command, platform and audited outcome.",
                   ("command", "platform", "outcome"), registry=REGISTRY)
ACK_SECONDS = Histogram("chatops_ack_seconds", "Time from receiving a platform request to its ack (HTTP answer).",
                        ("platform",), buckets=ACK_BUCKETS, registry=REGISTRY)
REFUSED = Counter("chatops_requests_refused", "Requests answered without being accepted: busy (the work queue is "
                  "full), unavailable (the database), signature (a bad or missing signature), malformed, too_large.",
                  ("platform", "reason"), registry=REGISTRY)
WORK_FINISHED = Counter("chatops_work_finished", "Attempts at accepted work that ended: done, retried, dead "
                        "(dead-lettered).", ("kind", "result"), registry=REGISTRY)
LEASES_LOST = Counter("chatops_work_leases_lost", "Work items taken over because the worker holding them stopped "
                      "renewing the lease (a crash, a kill), or leases found taken over while running.",
                      ("kind",), registry=REGISTRY)
BACKEND_SECONDS = Histogram("chatops_backend_call_seconds", "Calls to other systems (the ops backend) by operation.",
                            ("operation",), buckets=CALL_BUCKETS, registry=REGISTRY)
BACKEND_ERRORS = Counter("chatops_backend_call_errors", "Calls to other systems that raised, by operation and "
                         "exception type.", ("operation", "error"), registry=REGISTRY)
OUTBOX_LAG = Histogram("chatops_outbox_lag_seconds", "From a message's enqueue to its delivery, per platform.",
                       ("platform",), buckets=LAG_BUCKETS, registry=REGISTRY)
OUTBOX_RETRIES = Counter("chatops_outbox_retries", "Deliveries put back for later (errors, 429s), per platform.",
                         ("platform",), registry=REGISTRY)
OUTBOX_DEAD = Counter("chatops_outbox_dead", "Messages given up on (attempts used up, or a permanent refusal).",
                      ("platform",), registry=REGISTRY)
AUDIT_APPENDS = Counter("chatops_audit_appends", "Events appended to the audit chain (rate: rate(...[5m])).",
                        ("outcome",), registry=REGISTRY)


def _safe(fn):
    """Metrics never break what they measure."""
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception:  # noqa: BLE001
            log.debug("metric %s failed", fn.__name__, exc_info=True)
            return None
    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


@_safe
def command_finished(platform: str, command: str, outcome: str) -> None:
    COMMANDS.labels(command or "other", platform or "other", outcome or "other").inc()


@contextlib.contextmanager
def ack_timer(platform: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        _observe(ACK_SECONDS, time.perf_counter() - started, platform)


@_safe
def _observe(histogram: Histogram, seconds: float, *labels: str) -> None:
    histogram.labels(*labels).observe(seconds)


@_safe
def refused(platform: str, reason: str) -> None:
    REFUSED.labels(platform, reason).inc()


# busy / unavailable are counted where they are decided (the worker pool's accept), whatever the answer's status
REFUSAL_BY_STATUS = {400: "malformed", 401: "signature", 413: "too_large"}


@_safe
def http_refusal(platform: str, status: int) -> None:
    """An HTTP answer of an adapter's endpoint: 400/401/413 are refusals (counted by reason)."""
    reason = REFUSAL_BY_STATUS.get(status)
    if reason is not None:
        REFUSED.labels(platform, reason).inc()


@_safe
def work_finished(kind: str, result: str) -> None:
    WORK_FINISHED.labels(kind, result).inc()


@_safe
def lease_lost(kind: str, count: int = 1) -> None:
    if count > 0:
        LEASES_LOST.labels(kind).inc(count)


@contextlib.contextmanager
def backend_call(operation: str) -> Iterator[None]:
    """Around one call to another system: its time, and its exception type when it raised."""
    started = time.perf_counter()
    try:
        yield
    except BaseException as exc:
        _error(operation, type(exc).__name__)
        raise
    finally:
        _observe(BACKEND_SECONDS, time.perf_counter() - started, operation)


@_safe
def _error(operation: str, error: str) -> None:
    BACKEND_ERRORS.labels(operation, error).inc()


@_safe
def outbox_sent(platform: str, created_at: datetime | None, now: datetime) -> None:
    if created_at is not None:
        OUTBOX_LAG.labels(platform).observe(max(0.0, (_aware(now) - _aware(created_at)).total_seconds()))


@_safe
def outbox_retry(platform: str, gave_up: bool) -> None:
    (OUTBOX_DEAD if gave_up else OUTBOX_RETRIES).labels(platform).inc()


@_safe
def audit_appended(outcome: str) -> None:
    AUDIT_APPENDS.labels(outcome or "other").inc()


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


# ---- scrape time ------------------------------------------------------------------------------

class DatabaseCollector:
    """Gauges read from the database when scraped: the work queue, the outbox, SLA tickets."""

    def __init__(self, now=None) -> None:
        self.now = now or (lambda: datetime.now(timezone.utc))

    def describe(self):
        return []  # collected at scrape only: nothing to read when registered

    def collect(self):
        import peewee

        from chatops.models import OutboundMessage, WorkItem

        now = _aware(self.now())
        up = GaugeMetricFamily("chatops_database_up", "1 when the scrape could read the database.")
        try:
            depth = GaugeMetricFamily("chatops_work_queue_depth", "Accepted work by kind and state (queued, "
                                      "running, dead).", labels=("kind", "state"))
            for kind, state, n in (WorkItem.select(WorkItem.kind, WorkItem.state, peewee.fn.COUNT(WorkItem.id))
                                   .where(WorkItem.state.in_(("queued", "running", "dead")))
                                   .group_by(WorkItem.kind, WorkItem.state).tuples()):
                depth.add_metric((kind, state), n)
            oldest = GaugeMetricFamily("chatops_work_oldest_queued_seconds", "Age of the oldest queued work item "
                                       "by kind (0: none waiting).", labels=("kind",))
            for kind, first in (WorkItem.select(WorkItem.kind, peewee.fn.MIN(WorkItem.created_at))
                                .where(WorkItem.state == "queued").group_by(WorkItem.kind).tuples()):
                oldest.add_metric((kind,), _age(now, WorkItem.created_at, first))
            stalled = GaugeMetricFamily("chatops_work_stalled", "Work running under a lease that ran out (its worker "
                                        "stopped; it is taken over at the next claim).")
            stalled.add_metric((), WorkItem.select().where((WorkItem.state == "running")
                                                           & (WorkItem.lease_until < now)).count())
            pending = GaugeMetricFamily("chatops_outbox_pending", "Messages to other channels not delivered yet, "
                                        "per platform.", labels=("platform",))
            lag = GaugeMetricFamily("chatops_outbox_oldest_pending_seconds", "Age of the oldest message not "
                                    "delivered yet, per platform.", labels=("platform",))
            for platform_, n, first in (OutboundMessage.select(OutboundMessage.platform,
                                                               peewee.fn.COUNT(OutboundMessage.id),
                                                               peewee.fn.MIN(OutboundMessage.created_at))
                                        .where(OutboundMessage.state.in_(("pending", "sending")))
                                        .group_by(OutboundMessage.platform).tuples()):
                pending.add_metric((platform_,), n)
                lag.add_metric((platform_,), _age(now, OutboundMessage.created_at, first))
            failed = GaugeMetricFamily("chatops_outbox_failed", "Messages given up on (stored), per platform.",
                                       labels=("platform",))
            for platform_, n in (OutboundMessage.select(OutboundMessage.platform, peewee.fn.COUNT(OutboundMessage.id))
                                 .where(OutboundMessage.state == "failed").group_by(OutboundMessage.platform).tuples()):
                failed.add_metric((platform_,), n)
            families = [depth, oldest, stalled, pending, lag, failed, *_sla_families()]
        except Exception as exc:  # noqa: BLE001 - the scrape says the database is down instead of failing
            log.warning("metrics: cannot read the database: %s", exc)
            up.add_metric((), 0)
            yield up
            return
        up.add_metric((), 1)
        yield up
        yield from families


def _sla_families() -> list[GaugeMetricFamily]:
    import peewee

    from chatops.models import Tier
    from chatops.support.models import Ticket

    tickets = GaugeMetricFamily("chatops_sla_tickets", "Open tickets whose SLA is at risk or breached, per tier.",
                                labels=("tier", "status"))
    rows = (Ticket.select(Tier.slug, Ticket.sla_status, peewee.fn.COUNT(Ticket.id))
            .join(Tier, peewee.JOIN.LEFT_OUTER, on=(Ticket.tier == Tier.id))
            .where(Ticket.sla_status.in_(("at_risk", "breached")) & Ticket.state.not_in(("resolved", "closed")))
            .group_by(Tier.slug, Ticket.sla_status).tuples())
    for tier, status, n in rows:
        tickets.add_metric((tier or "none", status), n)
    return [tickets]


def _age(now: datetime, field, value) -> float:
    if isinstance(value, str):  # SQLite hands aggregates back as text
        value = field.python_value(value)
    return max(0.0, (now - _aware(value)).total_seconds()) if value is not None else 0.0


def multiprocess_dir() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "") or os.environ.get("prometheus_multiproc_dir", "")


def exposition(*, database: bool = True) -> tuple[bytes, str]:
    """The metrics in the Prometheus text format, and its content type: this process's counters (or, with
    PROMETHEUS_MULTIPROC_DIR, every process's), plus the database's gauges."""
    if multiprocess_dir():
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        registry.register(_Forward(REGISTRY))
    if database:
        registry.register(DatabaseCollector())
    return generate_latest(registry), CONTENT_TYPE_LATEST


class _Forward:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def describe(self):
        return []

    def collect(self):
        return self.registry.collect()


def mark_process_dead(pid: int) -> None:
    """gunicorn's ``child_exit``: a web process that ended leaves its counters, not its live gauges."""
    if multiprocess_dir():
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)


ALERTS: tuple[tuple[str, str, str], ...] = (
    ('acks too slow',
     '`histogram_quantile(0.99, sum by (le, platform) (rate(chatops_ack_seconds_bucket[5m]))) > 1`',
     'Slack and Discord give 3 s; past it the user sees an error and (Slack commands) nothing is retried'),
    ('refusing work',
     '`sum by (reason) (rate(chatops_requests_refused_total{reason=~"busy\\|unavailable"}[5m])) > 0`',
     'users are told "busy / try again": add workers, or the database is down'),
    ('work waiting',
     '`max(chatops_work_oldest_queued_seconds) > 60`',
     'workers are down or too few; answers are going late'),
    ('dead letters',
     '`increase(chatops_work_finished_total{result="dead"}[15m]) > 0`',
     'a request gave up after its attempts (`chatops work status`)'),
    ('workers dying',
     '`increase(chatops_work_leases_lost_total[15m]) > 0` or `chatops_work_stalled > 0` for 5 min',
     'processes are crashing or being killed mid-work'),
    ('backend failing',
     '`sum by (operation) (rate(chatops_backend_call_errors_total{error!~"BackendRejected\\|BackendNotFound"}[5m])) > 0`',
     "the company's systems are down or unclear (`unknown` outcomes are checked again, but a person may be needed)"),
    ('outbox stuck',
     '`max(chatops_outbox_oldest_pending_seconds) > 300` or `increase(chatops_outbox_dead_total[1h]) > 0`',
     'notifications (tickets, approvals, escalations) are not reaching their channels'),
    ('SLA',
     '`sum by (tier) (chatops_sla_tickets{status="breached"}) > 0`',
     "for the support lead's dashboard more than for paging"),
    ('audit silent',
     '`rate(chatops_audit_appends_total[15m]) == 0` while `rate(chatops_commands_total[15m]) > 0`',
     'commands run but nothing reaches the audit trail'),
    ('scrape',
     '`chatops_database_up == 0` or `up == 0`',
     ''),
)
"""What to alert on: (name, PromQL as docs/operations.md writes it, why). The panel's dashboard lists them and a
test keeps that table in docs/operations.md the same as this one."""
