"""How the panel shows values: times to the minute in UTC, enum values as words, "3 min ago".

    when(ticket.created_at)            # "2026-01-05 09:00 UTC"
    words("external_dev_problem")      # "external dev problem"
    ago(dt, now)                       # "3 min ago" (the exact time goes in a title attribute)
    relative(dt)                       # <time datetime="…" title="2026-01-05 09:00 UTC" data-ago>3 min ago</time>
    class MyView(AuditedModelView):    # every datetime column of every model view: when()

Used by :class:`~admin.auditing.AuditedModelView` (``column_type_formatters``), the inbox templates
(``when``, ``words``, ``ago`` are template globals) and the audit log. "Now" is the panel's injected clock
(``admin.auth.state().clock()``), so tests and the demo see stable ages.
"""
from __future__ import annotations

from datetime import date, datetime, timezone

from flask_admin.model.typefmt import BASE_FORMATTERS, DETAIL_FORMATTERS
from markupsafe import Markup


def when(value: datetime | None) -> str:
    """A time to the minute, in UTC, labelled: ``2026-01-05 09:00 UTC``; ``""`` for None."""
    if value is None:
        return ""
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc)
    return f"{value:%Y-%m-%d %H:%M} UTC"


def iso(value: datetime | None) -> str:
    """A machine-readable time for ``<time datetime>``, ``data-due`` and JSON: UTC, to the second, with its
    offset (``2026-01-05T09:00:00+00:00``; naive values are UTC), so a browser in any zone reads it right."""
    if value is None:
        return ""
    return _utc(value).replace(microsecond=0).isoformat()


def words(value: str | None) -> str:
    """An enum value as words: ``at_risk`` → ``at risk``."""
    return (value or "").replace("_", " ")


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def ago(value: datetime | None, now: datetime) -> str:
    """``"just now"``, ``"3 min ago"``, ``"2 h ago"``, ``"4 d ago"`` (``"in 5 min"`` for the future)."""
    if value is None:
        return ""
    seconds = int((_utc(now) - _utc(value)).total_seconds())
    future, seconds = seconds < 0, abs(seconds)
    if seconds < 60:
        return "just now" if not future else "in under a minute"
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            text = f"{seconds // size} {unit}"
            return f"in {text}" if future else f"{text} ago"
    return ""  # pragma: no cover


def panel_now() -> datetime:
    """The panel's clock (``admin.auth.state().clock()``); the wall clock outside a panel request."""
    try:
        from admin.auth import state

        return _utc(state().clock())
    except (RuntimeError, KeyError):  # no app context, or an app without the panel (a CLI, a unit test)
        return datetime.now(timezone.utc)


def relative(value: datetime | None, now: datetime | None = None) -> Markup:
    """``<time datetime="…" title="2026-01-05 09:00 UTC" data-ago>3 min ago</time>``: the age, the exact UTC time
    on hover; ``data-ago`` makes admin/static/clock.js keep the age current in the page.

    ``now`` defaults to the panel's clock. Built with :class:`Markup` formatting, so every part is escaped."""
    if value is None:
        return Markup("")
    value = _utc(value)
    now = panel_now() if now is None else _utc(now)
    return Markup('<time datetime="{}" title="{}" data-ago>{}</time>').format(iso(value), when(value), ago(value, now))


def _datetime_cell(view, value, name) -> Markup:
    return relative(value)


TYPE_FORMATTERS = {**BASE_FORMATTERS, datetime: _datetime_cell, date: lambda view, value, name: f"{value:%Y-%m-%d}"}
"""Flask-Admin list formatters: datetimes as "3 min ago" with the exact UTC minute on hover, everywhere."""

DETAIL_TYPE_FORMATTERS = {**DETAIL_FORMATTERS, datetime: _datetime_cell,
                          date: lambda view, value, name: f"{value:%Y-%m-%d}"}
"""The same for detail pages (``column_type_formatters_detail``); Flask-Admin's default shows ``str(value)``."""


def words_column(view, context, model, name) -> str:
    """A ``column_formatters`` entry that shows an enum column as words."""
    return words(getattr(model, name, None))
