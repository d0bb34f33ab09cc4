"""Log records that say which request they belong to, as text or as one JSON object per line.

    logs.configure(settings)                         # CHATOPS_LOG_LEVEL, CHATOPS_LOG_FORMAT=text|json
    with logs.request(platform="slack", work_key=key):
        logs.update(correlation_id=cid)              # learnt later: the records from now on carry it
        log.info("accepted")                         # {"time": ..., "correlation_id": cid, "platform": "slack", ...}

The request fields live in a :mod:`contextvars` variable, set where the code already knows them:
the Slack HTTP view (platform), the worker pool's ``accept`` (the work key and the correlation id it
gives the request, stored with the work item), a worker running an item (the same two, read back
from the row), the router (the command and its outcome) and the outbox senders (a message's
correlation id). So one request's lines carry one correlation id in the web process, the worker
and the sender, whichever processes those are.

Why a ``logging.Formatter`` subclass and not python-json-logger: the record is eight fixed fields
plus an exception, ``json.dumps`` does it in a few lines, and the core takes no dependency for it.
"""
from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import sys
import traceback
from datetime import datetime, timezone
from typing import Any, Iterator

FIELDS = ("correlation_id", "work_key", "platform", "command", "outcome")

_current: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar("chatops_log_request", default=None)


@contextlib.contextmanager
def request(**fields: str) -> Iterator[dict[str, str]]:
    """The fields of the request being handled on this thread (or task), for every record inside."""
    outer = _current.get()
    values = {**(outer or {}), **{k: v for k, v in fields.items() if v}}
    token = _current.set(values)
    try:
        yield values
    finally:
        _current.reset(token)


def update(**fields: str) -> None:
    """Add to the current request's fields (no request: nothing)."""
    values = _current.get()
    if values is not None:
        values.update({k: v for k, v in fields.items() if v})


def current(name: str) -> str:
    """One field of the current request ("" when there is none)."""
    values = _current.get()
    return (values or {}).get(name, "")


class RequestFilter(logging.Filter):
    """Copies the current request's fields onto each record (``%(correlation_id)s`` in a text format)."""

    def filter(self, record: logging.LogRecord) -> bool:
        values = _current.get() or {}
        for name in FIELDS:
            if not getattr(record, name, ""):
                setattr(record, name, values.get(name, ""))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, the request fields, and
    ``exception`` (the formatted traceback) when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        values = _current.get() or {}
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            data[name] = getattr(record, name, "") or values.get(name, "")
        data["process"] = record.process
        if record.exc_info:
            data["exception"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        elif record.exc_text:
            data["exception"] = record.exc_text
        return json.dumps(data, ensure_ascii=False, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def handler(log_format: str, stream=None) -> logging.Handler:
    """A stderr handler in ``log_format`` (``text`` or ``json``)."""
    out = logging.StreamHandler(stream or sys.stderr)
    out.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    out.addFilter(RequestFilter())
    return out


def configure(settings: Any) -> None:
    """Root logging from CHATOPS_LOG_LEVEL and CHATOPS_LOG_FORMAT (again: replaces what it set before).

    Text stays as it was (``logging.basicConfig``'s format); JSON replaces the root's stderr handlers."""
    root = logging.getLogger()
    root.setLevel(settings.log_level)
    if settings.log_format != "json":
        return
    for old in list(root.handlers):
        if isinstance(old, logging.StreamHandler) and getattr(old, "stream", None) in (sys.stderr, sys.stdout):
            root.removeHandler(old)
    root.addHandler(handler("json"))
