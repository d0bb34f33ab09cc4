"""Numbers the panel reads from requests: checked before they reach a query, 400 with a message if bad.

    page = int_param("page", request.args.get("page"), 0, MAX_PAGE)     # abort(400, "...") when not
    class AuditedModelView(SafeParamsMixin, ModelView)                  # every Flask-Admin number checked

Flask-Admin reads ``page``, ``page_size``, ``sort``, ``desc``, ``id`` (details, edit, delete, inline
edit), ``rowid`` (bulk actions), ``offset``/``limit`` (the person pickers' lookups) and filter values
(``flt0_3=…``); the audit log reads ``before`` (its keyset cursor). An oversized value used to reach the
database (SQLite: OverflowError; PostgreSQL: bigint out of range) and answer 500. Each is now a whole
number in plain ASCII digits, within the column's own range (32-bit for ids and integer columns,
64-bit for big ones) or the parameter's sensible range, else 400 saying what is accepted. Float
filter values must be finite. Number fields of forms get the column's range as a validator.
"""
from __future__ import annotations

import math
import re
from typing import Any

import peewee
from flask import abort, request
from flask_admin import expose
from flask_admin.contrib.peewee.filters import FilterInList
from flask_admin.contrib.peewee.ajax import QueryAjaxModelLoader, create_ajax_loader
from flask_admin.contrib.peewee.form import CustomModelConverter
from flask_admin.model.filters import BaseBooleanFilter, BaseFloatListFilter, BaseIntListFilter
from wtforms import validators
from wtfpeewee.fields import SelectQueryField

from chatops.text import clip

INTEGER = re.compile(r"[+-]?[0-9]{1,20}")  # ASCII digits only (str.isdigit() also takes "²" and "٣")
MAX_PAGE = 10_000_000
MAX_PAGE_SIZE = 10_000
MAX_LOOKUP = 100
BITS = {"SMALLINT": 16, "INT": 32, "AUTO": 32, "BIGINT": 64, "BIGAUTO": 64}
FLOAT_TYPES = ("FLOAT", "DOUBLE", "REAL", "DECIMAL")


def int_bounds(field: Any) -> tuple[int, int] | None:
    """(lowest, highest) an integer column holds (a foreign key: the column it points at); None when the
    field is not an integer column."""
    field_type = getattr(field, "field_type", None)
    bits = BITS.get(field_type) if isinstance(field_type, str) else None
    if bits is None:
        return None
    return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1


def is_float_field(field: Any) -> bool:
    field_type = getattr(field, "field_type", None)
    return isinstance(field_type, str) and field_type in FLOAT_TYPES


def _shown(raw: str) -> str:
    return repr(clip(raw, 32, quoted=True, one_line=True))


def int_param(name: str, raw: str | None, lowest: int, highest: int, *, default: int | None = None) -> int | None:
    """``raw`` as an int in [lowest, highest]; ``default`` when absent or empty; else abort(400)."""
    if raw is None or raw.strip() == "":
        return default
    text = raw.strip()
    if INTEGER.fullmatch(text):
        value = int(text)
        if lowest <= value <= highest:
            return value
    abort(400, f"{name} must be a whole number from {lowest} to {highest}, not {_shown(raw)}.")


def float_param(name: str, raw: str) -> float:
    try:
        value = float(raw.strip())
    except (ValueError, AttributeError):
        value = math.nan
    if not math.isfinite(value):
        abort(400, f"{name} must be a number, not {_shown(raw)}.")
    return value


class SafeParamsMixin:
    """For Flask-Admin peewee model views: every number read from the request is checked (see the module)."""

    # ---- list, export: page, page_size, sort, desc and filter values ---------------------------------
    def _get_list_extra_args(self):
        args = request.args
        int_param("page", args.get("page"), 0, MAX_PAGE)
        int_param("page_size", args.get("page_size"), 0, MAX_PAGE_SIZE)
        int_param("sort", args.get("sort"), 0, 10_000)
        int_param("desc", args.get("desc"), 0, 1)
        self._check_filter_values()
        return super()._get_list_extra_args()

    def _check_filter_values(self) -> None:
        if not getattr(self, "_filters", None):
            return
        for arg, raw in request.args.items(multi=True):
            if not arg.startswith("flt") or "_" not in arg:
                continue
            key = arg[3:].split("_", 1)[1]
            found = (self._filter_args or {}).get(key)
            if found is None:
                continue
            _, flt = found
            if isinstance(flt, BaseBooleanFilter):
                continue  # 0 or 1, checked by Flask-Admin
            column = getattr(flt, "column", None)
            name = f"The filter {flt.name} {flt.operation()}"
            listed = isinstance(flt, (BaseIntListFilter, BaseFloatListFilter, FilterInList))
            for value in (raw.split(",") if listed else [raw]):
                if not value.strip():
                    continue  # nothing typed: Flask-Admin says "Invalid Filter Value" and ignores it
                bounds = int_bounds(column)
                if bounds is not None:
                    int_param(name, value, *bounds)
                elif is_float_field(column):
                    float_param(name, value)

    # ---- one row: details, edit, delete, inline edit ------------------------------------------------
    def get_one(self, id):
        pk = self.model._meta.primary_key
        bounds = None if self.model._meta.composite_key else int_bounds(pk)
        if bounds is not None:
            id = int_param("id", str(id) if id is not None else None, *bounds)
            if id is None:
                abort(400, "id must be a whole number.")
        return super().get_one(id)

    def checked_ids(self, ids) -> list:
        """The row ids of a bulk action, each checked like ``id``."""
        pk = self.model._meta.primary_key
        bounds = None if self.model._meta.composite_key else int_bounds(pk)
        if bounds is None:
            return list(ids)
        return [int_param("rowid", str(i), *bounds) for i in ids]

    # ---- the pickers' lookups (form_ajax_refs) --------------------------------------------------------
    def _create_ajax_loader(self, name, options):
        loader = create_ajax_loader(self.model, name, name, options)
        loader.__class__ = CheckedAjaxLoader
        return loader

    @expose("/ajax/lookup/")
    def ajax_lookup(self):
        int_param("offset", request.args.get("offset"), 0, MAX_PAGE)
        int_param("limit", request.args.get("limit"), 1, MAX_LOOKUP)
        return super().ajax_lookup()


def checked_pk(model, raw: Any) -> Any:
    """A row id a form field or picker received: None (no such row) when it is not one the column holds."""
    bounds = int_bounds(model._meta.primary_key)
    if bounds is None:
        return raw
    text = str(raw).strip() if raw is not None else ""
    if not INTEGER.fullmatch(text) or not bounds[0] <= int(text) <= bounds[1]:
        return None
    return int(text)


class _CheckedModelSelect:
    """A wtfpeewee select of rows: an id out of the column's range is "not a valid choice", not an error."""

    def get_model(self, pk):
        pk = checked_pk(self.model, pk)
        return None if pk is None else super().get_model(pk)


class CheckedAjaxLoader(QueryAjaxModelLoader):
    """The pickers' loader (form_ajax_refs): an unknown or out-of-range id is no row (the form then says
    "Not a valid choice"), where Flask-Admin raised DoesNotExist (a 500)."""

    def get_one(self, pk):
        pk = checked_pk(self.model, pk)
        return None if pk is None else self.model.get_or_none(**{self.pk: pk})


class RangeCheckedConverter(CustomModelConverter):
    """Form fields for integer columns only take what the column holds; float fields only finite numbers;
    row selects treat an out-of-range id as not a valid choice."""

    def convert(self, model, field, field_args):
        bounds = int_bounds(field)
        extra = []
        if bounds is not None and not isinstance(field, (peewee.ForeignKeyField, peewee.AutoField)):
            extra.append(validators.NumberRange(min=bounds[0], max=bounds[1]))
        elif is_float_field(field):
            extra.append(_finite)
        if extra:
            field_args = dict(field_args or {})
            field_args["validators"] = [*field_args.get("validators", ()), *extra]
        info = super().convert(model, field, field_args)
        unbound = getattr(info, "field", None)
        field_class = getattr(unbound, "field_class", None)
        if isinstance(field_class, type) and issubclass(field_class, SelectQueryField) \
                and not issubclass(field_class, _CheckedModelSelect):
            unbound.field_class = type(f"Checked{field_class.__name__}", (_CheckedModelSelect, field_class), {})
        return info


def _finite(form, field) -> None:
    if field.data is not None and not math.isfinite(field.data):
        raise validators.ValidationError("Enter a finite number.")
