"""Views over ops' tables (chatops/ops/models.py) and the approvals queue (pending actions of kind
``approval``). Mounted by :mod:`admin.panel` when installed."""
from __future__ import annotations

import json

from flask_admin.contrib.peewee import filters as pf
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from admin.auditing import AuditedModelView
from admin.auth import now, state
from admin.choices import ChoiceField, SlugListField, role_choices
from chatops.audit import mask_arguments
from chatops.models import PendingAction, Person
from chatops.ops.models import AccountLink, OpsPolicy


class OpsPolicyView(AuditedModelView):
    """Approval rules of ops commands: approver roles picked from the roles that exist; ``updated_at`` is
    set on save, not edited."""

    column_default_sort = ("command", False)
    column_list = ("command", "approval_required", "approver_role", "approvals_platform", "ttl_minutes",
                   "reason_required", "updated_at")
    column_labels = {"approver_role": "Approver roles", "ttl_minutes": "Expires after (min)", "updated_at": "Updated"}
    column_searchable_list = ("command",)
    form_columns = ("command", "approval_required", "approver_role", "approvals_platform", "approvals_channel",
                    "approvals_slack_channel", "approvals_discord_channel", "ttl_minutes", "reason_required", "note")
    form_overrides = {"command": SelectField, "approver_role": SlugListField, "approvals_platform": ChoiceField}
    form_args = {"command": {"choices": []},
                 "approver_role": {"label": "Approver roles", "what": "role", "source": role_choices,
                                   "description": "Anyone holding one may approve; none picked: lead."},
                 "approvals_platform": {"options": [("slack", "Slack"), ("discord", "Discord")],
                                        "blank": "the requester's platform"}}

    def _with_commands(self, form, current=None):
        names = sorted(c.name for c in state().chatops_app.registry)
        if current and current not in names:
            names.append(current)
        form.command.choices = [SelectChoice(n, n) for n in names]
        return form

    def create_form(self, obj=None):
        return self._with_commands(super().create_form(obj))

    def edit_form(self, obj=None):
        return self._with_commands(super().edit_form(obj), obj.command if obj else None)

    def on_model_change(self, form, model, is_created):
        model.approvals_platform = model.approvals_platform or ""
        model.updated_at = now()


class AccountLinkView(AuditedModelView):
    column_list = ("person", "account_id", "note")
    form_ajax_refs = {"person": {"fields": ("name", "email"), "page_size": 20}}
    column_filters = ("account_id", Person.name)
    list_joins = ((AccountLink.person, Person),)


class PendingActionView(AuditedModelView):
    """Approvals and other buttons waiting for a press: read-only (they are decided in chat)."""

    allow_create = allow_edit = allow_delete = False
    column_list = ("created_at", "kind", "command", "state", "requester", "expires_at", "arguments")
    column_details_exclude_list = ("token", "invocation", "result")
    column_filters = (pf.FilterEqual(PendingAction.kind, "Kind", options=[("approval", "approval"),
                                                                          ("confirm", "confirm"), ("ticket", "ticket")]),
                      pf.FilterEqual(PendingAction.state, "State"), pf.FilterEqual(PendingAction.command, "Command"))
    column_sortable_list = ("created_at",)
    column_default_sort = ("created_at", True)
    column_formatters = {"arguments": lambda v, c, m, n: json.dumps(mask_arguments(m.arguments or {}),
                                                                    ensure_ascii=False, sort_keys=True)}
    column_formatters_detail = column_formatters
    list_joins = ((PendingAction.requester, Person),)


def add_views(admin) -> None:
    admin.add_view(OpsPolicyView(OpsPolicy, name="Ops policies", category="Policy"))
    admin.add_view(AccountLinkView(AccountLink, name="Account owners", category="People"))
    admin.add_view(PendingActionView(PendingAction, name="Approvals & pending", endpoint="pending_action",
                                     category="Support"))
