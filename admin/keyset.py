"""Keyset ("seek") pagination for the panel's sorted list views: every page costs the same at any depth.

    /admin/ticket/                                    the first page: ORDER BY id DESC LIMIT 50
    /admin/ticket/?page=1&after=99951                 the page after ticket 99951: WHERE id < 99951 …
    /admin/ticket/?sort=1&desc=1&page=3&after=4711.2025-06-30T10:15:00
                                                      sorted by created_at: WHERE created_at <= v AND
                                                      (created_at < v OR id < 4711) ORDER BY created_at
                                                      DESC, id DESC LIMIT 50
    /admin/ticket/?page=2&prior=99901                 the page before ticket 99901 (the "‹" link)
    /admin/ticket/?page=300                           refused (400): OFFSET beyond MAX_OFFSET_ROWS

A view that mixes this in (every :class:`~admin.auditing.AuditedModelView`, the audit log) pages by the
last row's (sort key, id) whenever the sort is one of the model's own columns (the default sort or a
sortable column; a sort over a joined table falls back to OFFSET). Ties on the sort key are broken by the
primary key (a unique, non-null sort key needs no tie-breaker); NULL sort keys come last in the shown
order, whichever the direction. Filters and search apply as before: the cursor only adds a WHERE.

Flask-Admin's own pager keeps working: the "›" and "‹" links it draws carry ``after=`` / ``prior=`` (the
last / first row's cursor) next to the page number, which is then only a counter. A page number typed by
hand (no cursor) is an OFFSET and still works while it stays within :data:`MAX_OFFSET_ROWS` rows (page 200
at 50 a page); deeper is **refused with 400** saying to use the links or a filter. A cursor that is not
what the sort column holds is 400 (admin/params.py's style).

The cursor is ``<id>.<value>`` (``<id>`` alone: the row's sort key is NULL), or just ``<value>`` when the
sort key is the primary key or unique (a text primary key such as a token must hold no "."). Values: integers in decimal, times as ISO 8601 (UTC), text as is.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import peewee
from flask import abort, g, has_request_context, request

from admin.params import INTEGER, _shown, float_param, int_bounds

MAX_OFFSET_ROWS = 10_000  # a hand-typed page number reaches this many rows deep; beyond: 400
MAX_TEXT_CURSOR = 1000
PARAMS = ("after", "prior")
CURSOR_ARGS = (*PARAMS, "before")  # "before": the audit log's own cursor, dropped from the pager's links


@dataclass(frozen=True)
class Plan:
    field: peewee.Field
    desc: bool           # the shown order
    tiebreak: bool       # ties broken by the primary key

    @property
    def nullable(self) -> bool:
        return bool(self.field.null)


@dataclass(frozen=True)
class Cursor:
    direction: str       # "after" (the next page) | "prior" (the previous page)
    value: Any           # the sort key (None: NULL)
    pk: Any              # the row id (tie-breaker), None when the plan has none


@dataclass
class PageState:
    plan: Plan
    has_prev: bool
    page: int


def _parse_value(name: str, field: peewee.Field, raw: str) -> Any:
    bounds = int_bounds(field)
    if bounds is not None:
        text = raw.strip()
        if INTEGER.fullmatch(text) and bounds[0] <= int(text) <= bounds[1]:
            return int(text)
        abort(400, f"{name} must be a whole number from {bounds[0]} to {bounds[1]} here, not {_shown(raw)}.")
    if isinstance(field, peewee.DateTimeField):
        try:
            value = datetime.fromisoformat(raw.strip())
        except ValueError:
            abort(400, f"{name} must be a time like 2026-01-31T12:00:00 here, not {_shown(raw)}.")
        return value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(field, peewee.DateField):
        try:
            return date.fromisoformat(raw.strip())
        except ValueError:
            abort(400, f"{name} must be a date like 2026-01-31 here, not {_shown(raw)}.")
    if isinstance(field, peewee.BooleanField):
        if raw in ("0", "1"):
            return raw == "1"
        abort(400, f"{name} must be 0 or 1 here, not {_shown(raw)}.")
    if isinstance(field, (peewee.FloatField, peewee.DecimalField)):
        return float_param(name, raw)
    if len(raw) > MAX_TEXT_CURSOR:
        abort(400, f"{name} must be at most {MAX_TEXT_CURSOR} characters.")
    return raw


def _format_value(value: Any) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


class KeysetMixin:
    """For Flask-Admin peewee model views (before ``ModelView`` in the bases): see the module."""

    max_offset_rows = MAX_OFFSET_ROWS

    # ---- which order pages by keyset ----------------------------------------------------------------
    def keyset_plan(self, sort_column: str | None, sort_desc: bool | None) -> Plan | None:
        pk = self.model._meta.primary_key
        if self.model._meta.composite_key:
            return None
        if sort_column is not None:
            target, desc = self._sortable_columns.get(sort_column), bool(sort_desc)
        else:
            order = self._get_default_order() or [(pk.name, False)]
            if len(order) != 1:
                return None
            target, desc = order[0][0], bool(order[0][1])
        field = getattr(self.model, target, None) if isinstance(target, str) else target
        if not isinstance(field, peewee.Field) or field.model is not self.model:
            return None  # a joined table's column: OFFSET (bounded)
        unique = field is pk or (field.unique and not field.null)
        return Plan(field=field, desc=desc, tiebreak=not unique)

    def keyset_cursor(self, plan: Plan, sort_column: str | None) -> Cursor | None:
        """``after=`` / ``prior=`` from the request, checked (400 when not what the sort column holds)."""
        given = [(p, request.args.get(p)) for p in PARAMS if (request.args.get(p) or "").strip()]
        if not given:
            return None
        if len(given) > 1:
            abort(400, "after and prior must not be given together.")
        name, raw = given[0]
        if not plan.tiebreak:
            return Cursor(name, _parse_value(name, plan.field, raw), None)
        head, dot, rest = raw.partition(".")
        pk = self.model._meta.primary_key
        bounds = int_bounds(pk)
        if bounds is None:  # a text key (a token): no "." in it
            row_id = _parse_value(name, pk, head)
        elif INTEGER.fullmatch(head.strip()) and bounds[0] <= int(head) <= bounds[1]:
            row_id = int(head)
        else:
            abort(400, f"{name} must be a row id from {bounds[0]} to {bounds[1]}, then \".\" and the sort "
                       f"value, not {_shown(raw)}.")
        value = _parse_value(name, plan.field, rest) if dot else None
        return Cursor(name, value, row_id)

    def row_cursor(self, plan: Plan, row: peewee.Model) -> str:
        value = row.__data__.get(plan.field.name)
        if not plan.tiebreak:
            return _format_value(value)
        pk = row.get_id()
        return str(pk) if value is None else f"{pk}.{_format_value(value)}"

    def _get_list_extra_args(self):
        """Flask-Admin carries every unknown request argument into the links it draws (sort headers, page
        size, search, filters): a cursor belongs to one order and one position, so it is not carried."""
        view_args = super()._get_list_extra_args()
        for name in CURSOR_ARGS:
            view_args.extra_args.pop(name, None)
        return view_args

    # ---- the query --------------------------------------------------------------------------------------
    def keyset_base_query(self, sort_column, sort_desc, search, filters) -> peewee.ModelSelect:
        """Search and filters applied, no order, no limit (views with their own search override this)."""
        _, query = super().get_list(None, sort_column, sort_desc, search, filters, execute=False, page_size=0)
        return query

    def _ordering(self, plan: Plan, reverse: bool) -> list:
        desc = plan.desc != reverse
        nulls = ("FIRST" if reverse else "LAST") if plan.nullable else None
        clauses = [plan.field.desc(nulls=nulls) if desc else plan.field.asc(nulls=nulls)]
        if plan.tiebreak:
            pk = self.model._meta.primary_key
            clauses.append(pk.desc() if desc else pk.asc())
        return clauses

    def _seek(self, plan: Plan, cursor: Cursor) -> peewee.Expression:
        """Rows after (or, for ``prior``, before) the cursor's row in the shown order."""
        forward = cursor.direction == "after"
        smaller = plan.desc == forward  # rows further along have smaller keys
        col, value = plan.field, cursor.value

        def beyond(a, b):
            return a < b if smaller else a > b

        def beyond_or_at(a, b):
            return a <= b if smaller else a >= b

        if not plan.tiebreak:
            return beyond(col, value)
        pk = self.model._meta.primary_key
        if value is None:  # the cursor row's key is NULL: NULLs are last in the shown order
            among_nulls = col.is_null() & beyond(pk, cursor.pk)
            return among_nulls if forward else (col.is_null(False) | among_nulls)
        seek = beyond_or_at(col, value) & (beyond(col, value) | beyond(pk, cursor.pk))
        if plan.nullable and forward:
            seek = seek | col.is_null()
        return seek

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        if not has_request_context():
            return super().get_list(page, sort_column, sort_desc, search, filters, execute=execute,
                                    page_size=page_size)
        if page_size is None:
            page_size = self.page_size
        plan = self.keyset_plan(sort_column, sort_desc)
        cursor = self.keyset_cursor(plan, sort_column) if plan is not None and execute else None
        if cursor is None and page and page_size and page * page_size > self.max_offset_rows:
            deepest = self.max_offset_rows // page_size
            abort(400, f"page must be at most {deepest} when typed by hand ({self.max_offset_rows:,} rows "
                       "deep at most); go further with the › link, which pages by the last row shown, "
                       "or narrow the list with a filter.")
        if plan is None:
            return super().get_list(page, sort_column, sort_desc, search, filters, execute=execute,
                                    page_size=page_size)
        base = self.keyset_base_query(sort_column, sort_desc, search, filters)
        forward = base.order_by(*self._ordering(plan, reverse=False))
        shown_page = page or 0
        if cursor is None:
            query = forward
            if page_size:
                query = query.limit(page_size)
                if page:
                    query = query.offset(page * page_size)
            if not execute:
                return None, query
            rows, has_prev = list(query), bool(page)
        elif cursor.direction == "after":
            query = forward.where(self._seek(plan, cursor))
            rows = list(query.limit(page_size) if page_size else query)
            has_prev, shown_page = True, max(shown_page, 1)
        else:
            query = base.where(self._seek(plan, cursor)).order_by(*self._ordering(plan, reverse=True))
            rows = list(query.limit(page_size + 1) if page_size else query)
            if page_size and len(rows) > page_size:
                rows, has_prev, shown_page = rows[:page_size][::-1], True, max(shown_page, 1)
            else:  # back at the start: the first page, full
                rows = list(forward.limit(page_size) if page_size else forward)
                has_prev, shown_page = False, 0
        g.keyset_page = PageState(plan=plan, has_prev=has_prev, page=shown_page if has_prev else 0)
        return None, rows

    # ---- the pager's links ----------------------------------------------------------------------------
    def render(self, template, **kwargs):
        state = g.pop("keyset_page", None) if has_request_context() else None
        pager_url = kwargs.get("pager_url")
        if state is not None and pager_url is not None and kwargs.get("num_pages") is None:
            rows = kwargs.get("data") or []
            current = state.page
            first = self.row_cursor(state.plan, rows[0]) if rows else None
            last = self.row_cursor(state.plan, rows[-1]) if rows else None

            def keyset_url(p: int) -> str:
                if p > current and last is not None:
                    return _with(pager_url(p), after=last)
                if p < current and first is not None and state.has_prev:
                    return _with(pager_url(p), prior=first)
                return _with(pager_url(0)) if p <= 0 or not rows else _with(pager_url(current), **_current_cursor())

            kwargs.update(pager_url=keyset_url, page=current)
        return super().render(template, **kwargs)


def _current_cursor() -> dict[str, str]:
    return {p: request.args[p] for p in PARAMS if request.args.get(p)}


def _with(url: str, **params: str) -> str:
    """``url`` without any cursor it carried over from this request, plus ``params``."""
    parts = urlsplit(url)
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in CURSOR_ARGS]
    return urlunsplit(parts._replace(query=urlencode(kept + list(params.items()))))
