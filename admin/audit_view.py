"""The audit log: read-only for every role, keyset-paged, filterable, exportable (capped), verifiable.

    /admin/audit_event/?before=123456          the 50 events before seq 123456 (an index range, not OFFSET)
    /admin/audit_event/?flt0_0=admin.tier.update   filters: actor, command, outcome, correlation id, date
    POST /admin/audit_event/verify/            walk the hash chain; the result is flashed and audited

Create, edit, delete, bulk actions and inline edits answer 403 whatever the
role: the trail is append-only and only the code paths that act write to it.
"""
from __future__ import annotations

import secrets

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.peewee import ModelView
from flask_admin.contrib.peewee import filters as pf
from markupsafe import Markup

from admin.auditing import PanelAccessMixin, pretty_json
from admin.auth import CsrfForm, actor_label, state
from admin.exports import SafeExportMixin
from admin.formatting import DETAIL_TYPE_FORMATTERS, TYPE_FORMATTERS
from admin.keyset import Cursor, KeysetMixin
from admin.params import SafeParamsMixin, int_bounds, int_param
from chatops import audit
from chatops.models import AuditEvent
from chatops.text import clip

OUTCOMES = ["allowed", "executed", "previewed", "pending_approval", "approved", "rejected", "withdrawn", "denied",
            "invalid", "refused", "failed", "duplicate", "cancelled", "expired", "solved"]


class AuditEventView(PanelAccessMixin, SafeExportMixin, KeysetMixin, SafeParamsMixin, ModelView):
    can_create = False
    can_edit = False
    can_delete = False
    can_view_details = True
    can_export = True
    export_types = ["csv"]
    simple_list_pager = True
    page_size = 50
    list_template = "chatops_admin/audit_list.html"
    column_list = ("seq", "created_at", "actor", "command", "outcome", "community", "arguments", "detail",
                   "correlation_id")
    column_details_list = ("seq", "created_at", "correlation_id", "actor", "actor_person_id", "platform", "community",
                           "command", "arguments", "outcome", "detail", "prev_hash", "hash")
    column_sortable_list = ("seq",)
    column_default_sort = ("seq", True)
    column_type_formatters = TYPE_FORMATTERS
    column_type_formatters_detail = DETAIL_TYPE_FORMATTERS
    column_labels = {"created_at": "When", "correlation_id": "Correlation id", "actor_person_id": "Actor person id"}
    # The search box: an exact actor, command or correlation id (each indexed; no LIKE over the whole log).
    column_searchable_list = ("actor", "command", "correlation_id")

    column_filters = (
        pf.FilterEqual(AuditEvent.actor, "Actor"),
        pf.FilterEqual(AuditEvent.command, "Command"),
        pf.FilterInList(AuditEvent.command, "Command"),
        pf.FilterEqual(AuditEvent.outcome, "Outcome", options=[(o, o) for o in OUTCOMES]),
        pf.FilterInList(AuditEvent.outcome, "Outcome"),
        pf.FilterEqual(AuditEvent.correlation_id, "Correlation id"),
        pf.DateTimeGreaterFilter(AuditEvent.created_at, "Date"),
        pf.DateTimeSmallerFilter(AuditEvent.created_at, "Date"),
        pf.DateTimeBetweenFilter(AuditEvent.created_at, "Date"),
    )
    column_formatters = {
        "arguments": lambda v, c, m, n: clip(m.arguments, 160),
        "detail": lambda v, c, m, n: clip(m.detail, 160),
    }
    column_formatters_detail = {
        "arguments": lambda v, c, m, n: Markup("<pre class='mb-0'>{}</pre>").format(pretty_json(m.arguments)),
    }

    def search_placeholder(self) -> str:
        return "Exact actor, command or correlation id"

    def __init__(self, *args, export_max_rows: int = 50000, **kwargs):
        super().__init__(*args, **kwargs)
        self.export_max_rows = export_max_rows

    # ---- keyset pagination on seq (admin/keyset.py; ``?before=`` is this log's own cursor) --------------
    @staticmethod
    def cursor() -> int | None:
        """``?before=``: a seq (0 up to the column's 64-bit limit), else 400."""
        return int_param("before", request.args.get("before"), 0, int_bounds(AuditEvent.seq)[1])

    def keyset_cursor(self, plan, sort_column):
        found = super().keyset_cursor(plan, sort_column)
        before = self.cursor()
        if found is None and before is not None and sort_column is None:
            return Cursor("after", before, None)  # the default order is seq descending: older = after
        return found

    def keyset_base_query(self, sort_column, sort_desc, search, filters):
        rows = super().keyset_base_query(sort_column, sort_desc, None, filters)
        term = (search or "").strip()
        if term:
            rows = rows.where((AuditEvent.actor == term) | (AuditEvent.command == term)
                              | (AuditEvent.correlation_id == term))
        return rows

    # ---- append-only: refuse every way of writing ------------------------------------
    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        abort(403)

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self):
        abort(403)

    @expose("/delete/", methods=("POST",))
    def delete_view(self):
        abort(403)

    @expose("/action/", methods=("POST",))
    def action_view(self):
        abort(403)

    @expose("/ajax/update/", methods=("POST",))
    def ajax_update(self):
        abort(403)

    def create_model(self, form):
        abort(403)

    def update_model(self, form, model):
        abort(403)

    def delete_model(self, model):
        abort(403)

    # ---- verify the chain -------------------------------------------------------------
    @expose("/verify/", methods=("POST",))
    def verify_view(self):
        form = CsrfForm(request.form)
        if not form.validate():
            abort(400, "missing or expired CSRF token")
        result = audit.verify()
        if result.ok:
            seq, digest = audit.head()
            message = f"Audit chain intact: {result.checked} event(s), head seq {seq}, hash {digest[:16]}…"
            flash(message, "success")
        else:
            message = f"Audit chain BROKEN after {result.checked} good event(s): {result.problem.message}"
            flash(message, "error")
        audit.record(correlation_id=secrets.token_hex(6), actor=actor_label(), platform="web",
                     command="admin.audit.verify", arguments={"checked": result.checked, "ok": result.ok},
                     outcome="executed", detail=message, at=state().clock())
        return redirect(url_for(".index_view"))
