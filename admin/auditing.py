"""The base of every model view: signed-in only, role-gated, CSRF-checked, and audited.

    class TierView(AuditedModelView):
        column_list = ("slug", "name", "rank")

Every create, update and delete made through the panel writes an audit event
(``admin.<table>.create|update|delete``, actor ``admin:<username>``, arguments
with the old → new values) in the same transaction as the change. Bulk
deletes go row by row through the same path; ``fast_mass_delete`` is off and
cannot be turned on, so no delete escapes the trail.
"""
from __future__ import annotations

import hashlib
import json
import logging
import secrets
from datetime import date, datetime
from typing import Any

import peewee
from flask import abort, flash, has_request_context, redirect, request, url_for
from flask_admin.actions import action
from flask_admin.contrib.peewee import ModelView
from flask_admin.contrib.peewee.form import save_inline
from flask_admin.form import SecureForm

from admin.auth import actor_label, current_user
from admin.exports import SafeExportMixin
from admin.formatting import DETAIL_TYPE_FORMATTERS, TYPE_FORMATTERS
from admin.keyset import KeysetMixin
from admin.params import RangeCheckedConverter, SafeParamsMixin
from admin.security import has_role
from chatops import audit
from chatops.audit import SENSITIVE_NAME
from chatops.db import atomic

log = logging.getLogger("chatops.admin")


def plain(value: Any) -> Any:
    """A JSON-friendly value for the audit trail."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, peewee.Model):
        return value.get_id()
    return str(value)


def snapshot(model: peewee.Model) -> dict[str, Any]:
    """Column values by field name (foreign keys as ids), secrets masked to a fingerprint."""
    out = {}
    for field in model._meta.sorted_fields:
        value = model.__data__.get(field.name)
        if SENSITIVE_NAME.search(field.name) and value:
            # Masked, with a short fingerprint so a change still shows as a change.
            value = f"{audit.MASK} {hashlib.sha256(str(value).encode()).hexdigest()[:8]}"
        out[field.name] = plain(value)
    return out


def diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: {"old": old.get(k), "new": new.get(k)} for k in new if old.get(k) != new.get(k)}


class PanelAccessMixin:
    """Anonymous → sign-in page; a signed-in user without ``view_role`` → 403."""

    view_role = "viewer"

    def is_accessible(self) -> bool:
        return has_role(current_user(), self.view_role)

    def inaccessible_callback(self, name, **kwargs):
        if current_user() is None:
            return redirect(url_for("chatops_admin.login", next=request.full_path.rstrip("?")))
        abort(403)


class AuditedModelView(PanelAccessMixin, SafeExportMixin, KeysetMixin, SafeParamsMixin, ModelView):
    form_base_class = SecureForm
    model_form_converter = RangeCheckedConverter
    simple_list_pager = True  # no COUNT(*) over the whole table on every page; pages by keyset (admin/keyset.py)
    fast_mass_delete = False
    can_view_details = True
    page_size = 50
    can_set_page_size = True
    page_size_options = (20, 50, 100)
    column_default_sort = ("id", True)
    column_type_formatters = TYPE_FORMATTERS  # times as their age, the exact UTC minute on hover
    column_type_formatters_detail = DETAIL_TYPE_FORMATTERS
    edit_role = "editor"
    # What this view allows at all, before roles: subclasses narrow these.
    allow_create = True
    allow_edit = True
    allow_delete = True
    # Related models get_query joins (and selects), so a list page costs one query.
    list_joins: tuple[tuple[peewee.ForeignKeyField, type[peewee.Model]], ...] = ()

    # ---- role-dependent permissions (outside a request: what the form scaffolding needs) ----
    def _may_edit(self) -> bool:
        return not has_request_context() or has_role(current_user(), self.edit_role)

    @property
    def can_create(self) -> bool:  # type: ignore[override]
        return self.allow_create and self._may_edit()

    @property
    def can_edit(self) -> bool:  # type: ignore[override]
        return self.allow_edit and self._may_edit()

    @property
    def can_delete(self) -> bool:  # type: ignore[override]
        return self.allow_delete and self._may_edit()

    @property
    def can_export(self) -> bool:  # type: ignore[override]
        return self.allow_export

    allow_export = False

    # ---- one query per list page -------------------------------------------------
    def get_query(self) -> peewee.ModelSelect:
        if not self.list_joins:
            return self.model.select()
        query = self.model.select(self.model, *(m for _, m in self.list_joins))
        for fk, related in self.list_joins:
            query = query.switch(self.model).join(related, peewee.JOIN.LEFT_OUTER, on=(fk == related._meta.primary_key),
                                                  attr=fk.name)
        return query.switch(self.model)

    def _handle_join(self, query, field, joins):
        model = getattr(field, "model", None)
        if any(model is related for _, related in self.list_joins):
            joins.add(model.__name__)  # get_query joined it already
            return query
        return super()._handle_join(query, field, joins)

    # ---- the audit trail ------------------------------------------------------------
    @property
    def audit_name(self) -> str:
        return self.model._meta.table_name

    def extra_snapshot(self, model: peewee.Model) -> dict[str, Any]:
        """Values a view edits outside the model's own columns (links, memberships)."""
        return {}

    def _full_snapshot(self, model: peewee.Model) -> dict[str, Any]:
        return {**snapshot(model), **self.extra_snapshot(model)}

    def record(self, verb: str, model: peewee.Model, arguments: dict[str, Any], correlation_id: str | None = None) -> None:
        audit.record(
            correlation_id=correlation_id or secrets.token_hex(6), actor=actor_label(), platform="web",
            command=f"admin.{self.audit_name}.{verb}",
            arguments={"model": self.audit_name, "id": plain(model.get_id()), "label": str(model)[:200], **arguments},
            outcome="executed",
        )

    def create_model(self, form):
        try:
            with atomic():
                model = self.model()
                form.populate_obj(model)
                self._on_model_change(form, model, True)
                model.save(force_insert=True)
                save_inline(form, model)
                self.after_save(form, model, True)
                self.record("create", model, {"values": self._full_snapshot(model)})
        except Exception as ex:
            if not self.handle_view_exception(ex):
                flash(f"Failed to create record. {ex}", "error")
                log.exception("admin create failed")
            return False
        self.after_model_change(form, model, True)
        return model

    def update_model(self, form, model):
        try:
            with atomic():
                before = self._full_snapshot(model)
                form.populate_obj(model)
                self._on_model_change(form, model, False)
                model.save()
                save_inline(form, model)
                self.after_save(form, model, False)
                changes = diff(before, self._full_snapshot(model))
                if changes:
                    self.record("update", model, {"changes": changes})
        except Exception as ex:
            if not self.handle_view_exception(ex):
                flash(f"Failed to update record. {ex}", "error")
                log.exception("admin update failed")
            return False
        self.after_model_change(form, model, False)
        return True

    def after_save(self, form, model, is_created: bool) -> None:
        """Inside the transaction, after the row is saved: write what the form edits beyond the row."""

    def _delete_audited(self, model: peewee.Model, correlation_id: str, bulk: bool) -> None:
        cascade = {}
        for condition, fk in model.dependencies():
            n = fk.model.select().where(condition).count()
            if n:
                cascade[f"{fk.model._meta.table_name}.{fk.name}"] = n
        self.record("delete", model, {"values": self._full_snapshot(model), "cascade": cascade, "bulk": bulk},
                    correlation_id)
        self.on_model_delete(model)
        model.delete_instance(recursive=True)

    def delete_model(self, model):
        try:
            with atomic():
                self._delete_audited(model, secrets.token_hex(6), bulk=False)
        except Exception as ex:
            if not self.handle_view_exception(ex):
                flash(f"Failed to delete record. {ex}", "error")
                log.exception("admin delete failed")
            return False
        self.after_model_delete(model)
        return True

    @action("delete", "Delete", "Delete the selected records? Each deletion is recorded in the audit log.")
    def action_delete(self, ids):
        if not self.can_delete:
            abort(403)
        pk = self.model._meta.primary_key
        ids = self.checked_ids(ids)
        correlation_id = secrets.token_hex(6)
        try:
            with atomic():  # all or nothing, one audit event per row under one correlation id
                count = 0
                for model in self.model.select().where(pk << list(ids)):
                    self._delete_audited(model, correlation_id, bulk=True)
                    count += 1
        except Exception as ex:
            if not self.handle_view_exception(ex):
                flash(f"Failed to delete records. {ex}", "error")
                log.exception("admin bulk delete failed")
            return
        flash(f"{count} record(s) deleted.", "success")

    def is_action_allowed(self, name: str) -> bool:
        if name == "delete" and not self.can_delete:
            return False
        return super().is_action_allowed(name)


def pretty_json(text: str) -> str:
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError):
        return text
