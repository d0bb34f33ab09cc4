"""Views over ops' tables (chatops/ops/models.py) and the approvals queue (pending actions of kind
``approval``). Mounted by :mod:`admin.panel` when installed."""
from __future__ import annotations

import json

from flask_admin.contrib.peewee import filters as pf

from admin.auditing import AuditedModelView
from chatops.audit import mask_arguments
from chatops.models import PendingAction, Person
from chatops.ops.models import AccountLink, OpsPolicy


class OpsPolicyView(AuditedModelView):
    column_default_sort = ("command", False)


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
