"""The panel warns when partners would be answered later than the public (issue: "partner SLAs that are better
at every hour"): on the tier, SLA-calendar and dashboard pages, and on its own page (Policy → SLA check).

The check is :func:`chatops.support.sla.inversions` (every quarter hour of the coming week, business calendars
included) — the same as ``chatops sla check``. It is computed again only when a tier or a calendar changed
(a fingerprint of their rows), so a page view costs one small query.
"""
from __future__ import annotations

import hashlib
import threading
from datetime import datetime, timedelta, timezone

from flask import flash, request
from flask_admin import BaseView, expose

from admin.auditing import PanelAccessMixin
from admin.auth import current_user, state
from admin.security import has_role
from chatops.models import Tier
from chatops.support import sla
from chatops.support.models import SlaCalendar

WARN_ON = ("tier.index_view", "tier.edit_view", "slacalendar.index_view", "slacalendar.edit_view", "admin.index")

_cache: dict[str, list[sla.Inversion]] = {}
_lock = threading.Lock()


def _fingerprint() -> str:
    rows = [tuple(r) for r in Tier.select(Tier.id, Tier.slug, Tier.rank, Tier.first_response_minutes,
                                          Tier.resolution_minutes).order_by(Tier.id).tuples()]
    rows += [tuple(r) for r in SlaCalendar.select(SlaCalendar.tier, SlaCalendar.timezone, SlaCalendar.day_start,
                                                  SlaCalendar.day_end, SlaCalendar.weekdays).order_by(SlaCalendar.tier).tuples()]
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def next_monday(now: datetime) -> datetime:
    today = now.astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    return today + timedelta(days=(7 - today.weekday()) % 7 or 7)


def current(now: datetime) -> list[sla.Inversion]:
    """The inversions for the coming week, computed once per change of the tiers or calendars."""
    key = _fingerprint()
    with _lock:
        if key not in _cache:
            _cache.clear()
            _cache[key] = sla.inversions(next_monday(now))
        return _cache[key]


def warn_before_request() -> None:
    if request.method != "GET" or request.endpoint not in WARN_ON or not has_role(current_user(), "viewer"):
        return
    try:
        found = current(state().clock())
    except Exception:  # noqa: BLE001 - a page must not fail because the check could not run (the DB is down)
        return
    if found:
        flash(f"SLA warning: {len(found)} case(s) where a higher tier is answered later than a lower one — "
              f"{found[0]}. See Policy → SLA check.", "warning")


class SlaCheckView(PanelAccessMixin, BaseView):
    @expose("/")
    def index(self):
        now = state().clock()
        return self.render("chatops_admin/sla_check.html", inversions=current(now), week_of=next_monday(now))


def add_views(admin) -> None:
    admin.add_view(SlaCheckView(name="SLA check", endpoint="sla_check", category="Policy"))
    if admin.app is not None:
        admin.app.before_request(warn_before_request)
