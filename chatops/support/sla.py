"""SLA clocks: targets per tier, optionally counted in business hours, and the escalation ladder.

    >>> from datetime import datetime, time, timezone
    >>> hours = Hours(ZoneInfo("America/New_York"), time(9), time(17), frozenset(range(5)))
    >>> friday_4pm = datetime(2026, 12, 4, 21, 0, tzinfo=timezone.utc)   # 16:00 in New York
    >>> add_business_minutes(friday_4pm, 240, hours)   # 4 working hours later: Monday 12:00 New York
    datetime.datetime(2026, 12, 7, 17, 0, tzinfo=datetime.timezone.utc)
    >>> add_business_minutes(friday_4pm, 240, None)    # no calendar: around the clock
    datetime.datetime(2026, 12, 5, 1, 0, tzinfo=datetime.timezone.utc)

    steps = ladder(ticket, "resolution", settings)         # [(stage, at), ...] in time order
    when = next_due(ticket, settings)                      # the next step of either clock, or None

A tier's :class:`~chatops.support.models.SlaCalendar` (timezone, working hours, weekdays) makes
the targets count working minutes only; local times are resolved with ``zoneinfo`` on each day,
so a daylight-saving change moves the UTC instant of 09:00 and nothing else. Without a calendar
the clock runs around the clock.

Each clock (first response, resolution) climbs the same ladder: ``at_risk`` (at the at-risk ratio
of the target) → ``breached`` (tell the claimer) → ``oncall`` (at the breach) → ``lead`` (one
escalation step later) → ``internal`` (another step later).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from chatops.models import Tier
from chatops.settings import Settings
from chatops.support.models import SlaCalendar, Ticket

CLOCKS = ("first_response", "resolution")
STAGES = ("at_risk", "breached", "oncall", "lead", "internal")
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Hours:
    """Working hours in one timezone; ``None`` days (the default) mean 24/7."""

    zone: ZoneInfo
    start: time
    end: time
    weekdays: frozenset[int]

    @classmethod
    def from_row(cls, row: SlaCalendar) -> "Hours":
        days = frozenset(DAY_NAMES.index(d.strip().lower()[:3]) for d in row.weekdays.split(",") if d.strip())
        start, end = _hhmm(row.day_start), _hhmm(row.day_end)
        if not days or end <= start:
            raise ValueError(f"SLA calendar of tier {row.tier_id}: needs weekdays and a day_end after day_start")
        return cls(ZoneInfo(row.timezone), start, end, days)


def _hhmm(text: str) -> time:
    hours, _, minutes = text.strip().partition(":")
    return time(int(hours), int(minutes or 0))


def hours_for(tier_id: int | None) -> Hours | None:
    if tier_id is None:
        return None
    row = SlaCalendar.get_or_none(SlaCalendar.tier == tier_id)
    return Hours.from_row(row) if row is not None else None


def add_business_minutes(start: datetime, minutes: float, hours: Hours | None) -> datetime:
    """The UTC instant ``minutes`` working minutes after ``start``."""
    if hours is None:
        return start + timedelta(minutes=minutes)
    remaining = timedelta(minutes=minutes)
    cursor = start.astimezone(timezone.utc)
    for _ in range(3700):  # ten years of days: a calendar with no working time fails loudly below
        local_day: date = cursor.astimezone(hours.zone).date()
        if local_day.weekday() in hours.weekdays:
            opens = datetime.combine(local_day, hours.start, hours.zone).astimezone(timezone.utc)
            closes = datetime.combine(local_day, hours.end, hours.zone).astimezone(timezone.utc)
            cursor = max(cursor, opens)
            if cursor < closes:
                available = closes - cursor
                if remaining <= available:
                    return cursor + remaining
                remaining -= available
        cursor = datetime.combine(local_day + timedelta(days=1), time(0), hours.zone).astimezone(timezone.utc)
    raise ValueError("SLA calendar has no working time")


def targets(tier: Tier | None, start: datetime) -> tuple[datetime | None, datetime | None]:
    """(first response due, resolution due) for a ticket of ``tier`` opened (or reopened) at ``start``."""
    if tier is None:
        return None, None
    hours = hours_for(tier.id)
    fr = (add_business_minutes(start, tier.first_response_minutes, hours)
          if tier.first_response_minutes else None)
    res = add_business_minutes(start, tier.resolution_minutes, hours) if tier.resolution_minutes else None
    return fr, res


def clock_start(ticket: Ticket) -> datetime:
    """Where the current cycle's clocks started: the last reopen, else the creation."""
    from chatops.support.models import TicketEvent

    if ticket.cycle:
        last = (TicketEvent.select(TicketEvent.created_at)
                .where((TicketEvent.ticket == ticket.id) & (TicketEvent.kind == "reopened"))
                .order_by(TicketEvent.id.desc()).first())
        if last is not None:
            return last.created_at
    return ticket.created_at


@dataclass(frozen=True)
class Basis:
    """What a ticket's ladders are computed from: the cycle's clock start, its tier and working hours."""

    start: datetime
    tier: Tier | None
    hours: Hours | None


def basis(ticket: Ticket) -> Basis:
    """Loaded once per ticket object (three queries), then reused by every ``ladder``/``next_due`` call on it
    until its cycle, tier or creation time changes (a reopen starts a new cycle, so a new clock start)."""
    key = (ticket.cycle, ticket.tier_id, ticket.created_at)
    cached = ticket.__dict__.get("_sla_basis")
    if cached is not None and cached[0] == key:
        return cached[1]
    tier = Tier.get_or_none(Tier.id == ticket.tier_id) if ticket.tier_id else None
    found = Basis(clock_start(ticket), tier, hours_for(ticket.tier_id) if tier is not None else None)
    ticket.__dict__["_sla_basis"] = (key, found)
    return found


def ladder(ticket: Ticket, clock: str, settings: Settings) -> list[tuple[str, datetime]]:
    """The stages of one clock and when each is due (empty when the clock has no target)."""
    due = ticket.first_response_due if clock == "first_response" else ticket.resolution_due
    if due is None:
        return []
    ratio = settings.support.at_risk_ratio
    step = timedelta(minutes=settings.support.escalation_step_minutes)
    b = basis(ticket)
    start, tier = b.start, b.tier
    target = (tier.first_response_minutes if clock == "first_response" else tier.resolution_minutes) if tier else None
    if target:
        at_risk = add_business_minutes(start, target * ratio, b.hours)
    else:
        at_risk = start + (due - start) * ratio
    return [("at_risk", at_risk), ("breached", due), ("oncall", due), ("lead", due + step), ("internal", due + 2 * step)]


def clock_active(ticket: Ticket, clock: str) -> bool:
    if ticket.state not in ("open", "claimed", "waiting"):
        return False
    if clock == "first_response":
        return ticket.first_response_at is None
    return ticket.state != "waiting"  # no resolution alerts while the ball is with the requester


def next_due(ticket: Ticket, settings: Settings) -> datetime | None:
    """The earliest stage not yet done on an active clock: what the sweeper's index looks at."""
    best: datetime | None = None
    for clock, done in (("first_response", ticket.fr_stage), ("resolution", ticket.res_stage)):
        if not clock_active(ticket, clock):
            continue
        steps = ladder(ticket, clock, settings)
        if done < len(steps):
            at = steps[done][1]
            best = at if best is None or at < best else best
    return best


@dataclass(frozen=True)
class Inversion:
    """A higher-ranked tier whose deadline is later than a lower-ranked tier's for a ticket opened at ``start``."""

    higher: str
    lower: str
    clock: str  # "first response" | "resolution"
    start: datetime
    higher_due: datetime
    lower_due: datetime

    def __str__(self) -> str:
        return (f"{self.higher} gets a later {self.clock} deadline than {self.lower} for a ticket opened "
                f"{self.start:%a %H:%M} UTC: {self.higher_due:%a %H:%M} vs {self.lower_due:%a %H:%M} UTC")


def inversions(week_of: datetime, *, step_minutes: int = 15, tiers: list[Tier] | None = None) -> list[Inversion]:
    """Every start time in the week from ``week_of`` (each ``step_minutes``) at which a higher-ranked tier's
    effective deadline (its calendar included) is later than a lower-ranked tier's; the first one per pair of
    tiers and clock. Empty: partners are answered sooner at every hour. Tiers of equal rank are not compared."""
    tiers = list(Tier.select().order_by(Tier.rank, Tier.id)) if tiers is None else tiers
    calendars = {t.id: hours_for(t.id) for t in tiers}
    found: dict[tuple[str, str, str], Inversion] = {}
    start = week_of.astimezone(timezone.utc)
    for n in range(7 * 24 * 60 // step_minutes):
        at = start + timedelta(minutes=n * step_minutes)
        due: dict[int, tuple[datetime | None, datetime | None]] = {}
        for t in tiers:
            hours = calendars[t.id]
            due[t.id] = (add_business_minutes(at, t.first_response_minutes, hours) if t.first_response_minutes
                         else None,
                         add_business_minutes(at, t.resolution_minutes, hours) if t.resolution_minutes else None)
        for high in tiers:
            for low in tiers:
                if high.rank <= low.rank:
                    continue
                for i, clock in enumerate(("first response", "resolution")):
                    h, lo = due[high.id][i], due[low.id][i]
                    key = (high.slug, low.slug, clock)
                    if h is not None and lo is not None and h > lo and key not in found:
                        found[key] = Inversion(high.slug, low.slug, clock, at, h, lo)
    return sorted(found.values(), key=lambda v: (v.higher, v.lower, v.clock))
