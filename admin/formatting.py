"""How the panel shows values: times to the minute in UTC, enum values as words, "3 min ago".

    when(ticket.created_at)            # "2026-01-05 09:00 UTC"
    words("external_dev_problem")      # "external dev problem"
    ago(dt, now)                       # "3 min ago" (the exact time goes in a title attribute)
    class MyView(AuditedModelView):    # every datetime column of every model view: when()

Used by :class:`~admin.auditing.AuditedModelView` (``column_type_formatters``), the inbox templates
(``when``, ``words``, ``ago`` are template globals) and the audit log.
"""
from __future__ import annotations

from datetime import date, datetime, timezone

from flask_admin.model.typefmt import BASE_FORMATTERS
from markupsafe import Markup


def when(value: datetime | None) -> str:
    """A time to the minute, in UTC, labelled: ``2026-01-05 09:00 UTC``; ``""`` for None."""
    if value is None:
        return ""
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc)
    return f"{value:%Y-%m-%d %H:%M} UTC"


def iso(value: datetime | None) -> str:
    """A machine-readable time for ``<time datetime>`` and JSON: UTC, to the second."""
    if value is None:
        return ""
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc)
    return value.replace(microsecond=0).isoformat()


def words(value: str | None) -> str:
    """An enum value as words: ``at_risk`` → ``at risk``."""
    return (value or "").replace("_", " ")


def ago(value: datetime | None, now: datetime) -> str:
    """``"just now"``, ``"3 min ago"``, ``"2 h ago"``, ``"4 d ago"`` (``"in 5 min"`` for the future)."""
    if value is None:
        return ""
    seconds = int((now - value).total_seconds())
    future, seconds = seconds < 0, abs(seconds)
    if seconds < 60:
        return "just now" if not future else "in under a minute"
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            text = f"{seconds // size} {unit}"
            return f"in {text}" if future else f"{text} ago"
    return ""  # pragma: no cover


def _datetime_cell(view, value, name) -> Markup:
    return Markup('<time datetime="{}" title="{}">{}</time>').format(iso(value), when(value), when(value))


TYPE_FORMATTERS = {**BASE_FORMATTERS, datetime: _datetime_cell, date: lambda view, value, name: f"{value:%Y-%m-%d}"}
"""Flask-Admin type formatters: datetimes to the minute with a UTC label, everywhere in the panel."""


def words_column(view, context, model, name) -> str:
    """A ``column_formatters`` entry that shows an enum column as words."""
    return words(getattr(model, name, None))
