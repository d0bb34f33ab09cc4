"""The support dashboard: ticket volume, SLA compliance, median response times and deflection, by day.

    /admin/dashboard/?days=30     every signed-in role (viewer and up); days is 7, 30 or 90

    data = dashboard_data(now=clock(), days=30)   # what the page charts, JSON-ready

Everything is computed in the database with GROUP BY over the period only
(``created_at``/``resolved_at`` are indexed), bucketed by UTC day:

- **Volume**: tickets opened per day by tier and by type (stacked bars).
- **SLA compliance** per day a ticket was opened, for each clock (first
  response, resolution): *met* (answered/resolved by the stored due time),
  *missed* (later than it), *breached, still open* (no answer yet and past
  due: counts as not met) and *pending* (no answer yet, not due yet: not
  counted). Compliance = met / (met + missed + breached open).
- **Medians**: median minutes from opening to first response (by the day of
  the first response) and to resolution (by the day of resolution):
  ``percentile_cont(0.5)`` over the interval on PostgreSQL; on SQLite the
  period's durations are fetched (two timestamps a row) and
  :func:`statistics.median` taken in Python. Both average the middle two.
- **Deflection**: self-serve suggestions answered "That solved it" against
  tickets opened, and self-serve (ops) command runs from the audit trail
  (executed or allowed, by the indexed ``created_at``).

Chart.js is served from ``admin/static/vendor/chartjs`` (the panel
blueprint's ``/admin/_assets``): no CDN. The page carries the numbers as JSON
(``|tojson``) and as tables, so it reads without JavaScript too.
"""
from __future__ import annotations

import re

import statistics
from collections import defaultdict
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Iterable

import peewee
from flask import request
from flask_admin import BaseView, expose

from admin.auditing import PanelAccessMixin
from admin.auth import state
from chatops.db import database, is_sqlite
from chatops.models import AuditEvent, Tier
from chatops.support.classify import label as type_label
from chatops.support.models import Deflection, Ticket
from chatops.text import clip

CHARTJS_VERSION = "4.6.1"
CHARTJS_FILE = "vendor/chartjs/chart.umd.min.js"
PERIODS = (7, 30, 90)
DEFAULT_PERIOD = 30
NO_TIER = "no tier"
# Audit outcomes that mean a command actually ran (previews, denials and errors do not count).
RAN = ("executed", "allowed")


def self_serve_commands() -> tuple[str, ...]:
    """Names (and aliases) of the ops group's self-serve commands; empty when chatops.ops is not installed."""
    try:
        from chatops.ops.commands import commands as ops_group
    except ImportError:
        return ()
    names: list[str] = []
    for cmd in ops_group.commands:
        names.extend((cmd.name, *cmd.aliases))
    return tuple(sorted(set(names)))


def parse_period(raw: str | None) -> tuple[int, str | None]:
    """(days, error): a bad or missing value gives the default, with a message when it was bad."""
    if raw is None or raw == "":
        return DEFAULT_PERIOD, None
    try:
        days = int(raw.strip())
    except (ValueError, AttributeError):
        days = None
    if days not in PERIODS:
        shown = clip(raw, 21)
        return DEFAULT_PERIOD, (f"Unknown period {shown!r}: choose {', '.join(map(str, PERIODS))} days. "
                                f"Showing the last {DEFAULT_PERIOD} days.")
    return days, None


def _naive_utc(value: datetime) -> datetime:
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def _day(field: peewee.Field) -> peewee.Function:
    # DATE(ts): 'YYYY-MM-DD' text on SQLite, a date on PostgreSQL (function-style cast); both UTC (stored naive UTC).
    return peewee.fn.DATE(field).coerce(False)  # not the field's datetime converter


def _key(value: Any) -> str:
    if isinstance(value, datetime):
        value = value.date()
    return value.isoformat() if isinstance(value, date) else str(value)[:10]


def _when(condition) -> peewee.Node:
    return peewee.fn.SUM(peewee.Case(None, [(condition, 1)], 0))


def _minutes(delta: timedelta | None) -> float | None:
    return None if delta is None else round(delta.total_seconds() / 60, 1)


def _series(days: list[str], counts: dict[str, int | float | None], default=0) -> list:
    return [counts.get(d, default) for d in days]


class _Period:
    def __init__(self, now: datetime, days: int) -> None:
        now = now.astimezone(timezone.utc) if now.tzinfo else now.replace(tzinfo=timezone.utc)
        today = now.date()
        first = today - timedelta(days=days - 1)
        self.now = now
        self.days = [(first + timedelta(days=i)).isoformat() for i in range(days)]
        self.start = datetime.combine(first, time(0), tzinfo=timezone.utc)
        self.end = datetime.combine(today + timedelta(days=1), time(0), tzinfo=timezone.utc)

    def within(self, field: peewee.Field) -> peewee.Expression:
        return (field >= self.start) & (field < self.end)


# ---- the queries -------------------------------------------------------------------------


def _volume(p: _Period) -> dict[str, Any]:
    day = _day(Ticket.created_at)
    by_tier: dict[int | None, dict[str, int]] = defaultdict(dict)
    for d, tier_id, n in (Ticket.select(day, Ticket.tier, peewee.fn.COUNT(Ticket.id))
                          .where(p.within(Ticket.created_at)).group_by(day, Ticket.tier).tuples()):
        by_tier[tier_id][_key(d)] = n
    by_type: dict[str | None, dict[str, int]] = defaultdict(dict)
    for d, category, n in (Ticket.select(day, Ticket.category, peewee.fn.COUNT(Ticket.id))
                           .where(p.within(Ticket.created_at)).group_by(day, Ticket.category).tuples()):
        by_type[category][_key(d)] = n
    tiers = {t.id: t for t in Tier.select(Tier.id, Tier.name, Tier.slug, Tier.rank)
             .where(Tier.id.in_([i for i in by_tier if i is not None] or [0]))}
    # Highest rank first, "no tier" (or a tier deleted since) last.
    tier_order = sorted(by_tier, key=lambda i: (i not in tiers, -(tiers[i].rank if i in tiers else 0),
                                                 tiers[i].name if i in tiers else ""))
    tier_rows = [{"label": tiers[i].name if i in tiers else NO_TIER, "data": _series(p.days, by_tier[i])}
                 for i in tier_order]
    type_rows = [{"label": type_label(c), "data": _series(p.days, by_type[c])}
                 for c in sorted(by_type, key=lambda c: (c is None, c or ""))]
    total = [sum(row["data"][i] for row in tier_rows) for i in range(len(p.days))]
    return {"by_tier": tier_rows, "by_type": type_rows, "total": total}


def _compliance(p: _Period) -> dict[str, Any]:
    now = _naive_utc(p.now)
    day = _day(Ticket.created_at)
    clocks = (("first_response", Ticket.first_response_at, Ticket.first_response_due),
              ("resolution", Ticket.resolved_at, Ticket.resolution_due))
    columns = [day]
    for _, done, due in clocks:
        columns += [
            _when(done.is_null(False) & due.is_null(False) & (done <= due)),   # met
            _when(done.is_null(False) & due.is_null(False) & (done > due)),    # missed
            _when(done.is_null() & due.is_null(False) & (due < now)),          # breached, still open
            _when(done.is_null() & due.is_null(False) & (due >= now)),         # pending, not due yet
        ]
    rows = {_key(r[0]): r[1:] for r in Ticket.select(*columns).where(p.within(Ticket.created_at))
            .group_by(day).tuples()}
    out: dict[str, Any] = {}
    for index, (name, _, _) in enumerate(clocks):
        counts = {k: [int(v[index * 4 + j] or 0) for j in range(4)] for k, v in rows.items()}
        met, missed, breached, pending = ([counts.get(d, [0, 0, 0, 0])[j] for d in p.days] for j in range(4))
        totals = [sum(met), sum(missed), sum(breached), sum(pending)]
        out[name] = {
            "met": met, "missed": missed, "breached_open": breached, "pending": pending,
            "percent": [_percent(m, m + x + b) for m, x, b in zip(met, missed, breached)],
            "total": {"met": totals[0], "missed": totals[1], "breached_open": totals[2], "pending": totals[3],
                      "percent": _percent(totals[0], totals[0] + totals[1] + totals[2])},
        }
    return out


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _medians(p: _Period) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, done in (("first_response", Ticket.first_response_at), ("resolution", Ticket.resolved_at)):
        where = p.within(done)
        day = _day(done)
        if is_sqlite(database.obj):
            per_day: dict[str, list[timedelta]] = defaultdict(list)
            for opened, finished in Ticket.select(Ticket.created_at, done).where(where).tuples():
                per_day[finished.date().isoformat()].append(finished - opened)
            every = [d for ds in per_day.values() for d in ds]
            by_day = {k: _minutes(statistics.median(v)) for k, v in per_day.items()}
            overall = _minutes(statistics.median(every)) if every else None
            counts = {k: len(v) for k, v in per_day.items()}
        else:
            median = _percentile_median(done - Ticket.created_at)
            by_day, counts = {}, {}
            for d, value, n in (Ticket.select(day, median, peewee.fn.COUNT(Ticket.id)).where(where)
                                .group_by(day).tuples()):
                by_day[_key(d)] = _minutes(value)
                counts[_key(d)] = n
            overall = _minutes(Ticket.select(median).where(where).scalar())
        out[name] = {"minutes": _series(p.days, by_day, None), "count": _series(p.days, counts),
                     "overall": overall}
    return out


def _percentile_median(expr: peewee.Node) -> peewee.Node:
    """PostgreSQL: percentile_cont(0.5) WITHIN GROUP (ORDER BY <interval>) — an exact interval."""
    return peewee.NodeList((peewee.SQL("percentile_cont(0.5) WITHIN GROUP"),
                            peewee.NodeList((peewee.SQL("ORDER BY"), expr), parens=True)))


def _deflection(p: _Period, opened: list[int], commands: Iterable[str]) -> dict[str, Any]:
    day = _day(Deflection.created_at)
    solved, offered = {}, {}
    for d, n_solved, n in (Deflection.select(day, _when(Deflection.outcome == "solved"), peewee.fn.COUNT(Deflection.id))
                           .where(p.within(Deflection.created_at)).group_by(day).tuples()):
        solved[_key(d)], offered[_key(d)] = int(n_solved or 0), n
    commands = list(commands)
    runs: dict[str, int] = {}
    if commands:
        aday = _day(AuditEvent.created_at)
        for d, n in (AuditEvent.select(aday, peewee.fn.COUNT(AuditEvent.id))
                     .where(p.within(AuditEvent.created_at) & AuditEvent.command.in_(commands)
                            & AuditEvent.outcome.in_(RAN))
                     .group_by(aday).tuples()):
            runs[_key(d)] = n
    solved_s, offered_s, runs_s = _series(p.days, solved), _series(p.days, offered), _series(p.days, runs)
    return {
        "solved": solved_s, "offered": offered_s, "tickets_opened": opened, "self_serve_runs": runs_s,
        # Share of requests that ended without a ticket: solved / (solved + tickets opened).
        "percent": [_percent(s, s + o) for s, o in zip(solved_s, opened)],
        "total": {"solved": sum(solved_s), "offered": sum(offered_s), "tickets_opened": sum(opened),
                  "self_serve_runs": sum(runs_s), "percent": _percent(sum(solved_s), sum(solved_s) + sum(opened))},
    }


def dashboard_data(*, now: datetime, days: int = DEFAULT_PERIOD,
                   commands: Iterable[str] | None = None) -> dict[str, Any]:
    """Everything the dashboard shows for the ``days`` UTC days up to and including ``now``'s day."""
    if days not in PERIODS:
        raise ValueError(f"days must be one of {PERIODS}")
    p = _Period(now, days)
    volume = _volume(p)
    return {
        "days": p.days, "period": days, "start": p.start.isoformat(), "now": p.now.isoformat(),
        "volume": volume,
        "sla": _compliance(p),
        "medians": _medians(p),
        "deflection": _deflection(p, volume["total"], self_serve_commands() if commands is None else commands),
    }


class DashboardView(PanelAccessMixin, BaseView):
    view_role = "viewer"

    @expose("/")
    def index(self):
        days, error = parse_period(request.args.get("days"))
        data = dashboard_data(now=state().clock(), days=days)
        return self.render("chatops_admin/dashboard.html", data=data, days=days, periods=PERIODS, error=error,
                           chartjs=CHARTJS_FILE, chartjs_version=CHARTJS_VERSION, alerts=alerts(),
                           metrics_on=state().chatops_app.settings.web.metrics_on)


def alerts() -> list[tuple[str, list[str], str]]:
    """chatops.metrics.ALERTS for the page: each expression split into its PromQL parts (docs/operations.md)."""
    from chatops.metrics import ALERTS

    out = []
    for name, expression, why in ALERTS:
        parts = [p.replace("\\|", "|") for p in re.findall(r"`([^`]+)`", expression)]
        out.append((name, parts, why))
    return out


def add_views(admin) -> None:
    admin.add_view(DashboardView(name="Dashboard", endpoint="dashboard"))
