"""Views over support's tables (chatops/support/models.py): tickets with their timeline, routes, teams,
on-call rotation, channels, rules, and the cred ledger. Mounted by :mod:`admin.panel` when installed.

Tickets are read-only here (they change through chat commands, which keep SLA state and events
consistent); routing data is editable and audited; cred and CSAT are ledgers, read-only.
"""
from __future__ import annotations

from flask_admin.contrib.peewee import filters as pf
from markupsafe import Markup

from admin.auditing import AuditedModelView
from chatops.models import Community, Person, Tier
from chatops.support.models import (CategoryWeight, CredEvent, Deflection, KeywordRule, OnCallShift, SlaCalendar,
                                    STATES, SupportChannel, SupportRoute, SupportTeam, Ticket, TicketEvent)

CATEGORIES = ["internal_task", "internal_ops_problem", "external_ops_problem", "external_dev_inquiry",
              "external_dev_problem"]


class ReadOnlyView(AuditedModelView):
    allow_create = allow_edit = allow_delete = False


def _timeline(view, context, model, name):
    events = list(TicketEvent.select().where(TicketEvent.ticket == model.id).order_by(TicketEvent.id).limit(500))
    rows = Markup("").join(
        Markup("<li><small class='text-muted'>{} UTC</small> <strong>{}</strong> {}{}{}</li>").format(
            e.created_at.strftime("%Y-%m-%d %H:%M"), e.kind, e.actor_label,
            Markup(" <span class='badge badge-warning'>internal</span>") if e.internal else "",
            Markup(" — {}").format(e.body) if e.body else "")
        for e in events)
    return Markup("<ul class='list-unstyled mb-0'>{}</ul>").format(rows)


class TicketView(ReadOnlyView):
    column_list = ("id", "created_at", "summary", "state", "category", "tier", "community", "team", "assignee",
                   "sla_status", "first_response_at", "resolved_at")
    column_details_list = ("id", "summary", "details", "state", "category", "urgency", "classified_by", "tier",
                           "community", "team", "assignee", "requester", "platform", "channel_id", "created_at",
                           "first_response_at", "resolved_at", "closed_at", "first_response_due", "resolution_due",
                           "sla_status", "cycle", "correlation_id", "timeline")
    column_formatters_detail = {"timeline": _timeline}
    column_sortable_list = ("id", "created_at")
    column_filters = (
        pf.FilterEqual(Tier.slug, "Tier"),
        pf.FilterEqual(Ticket.category, "Type", options=[(c, c.replace("_", " ")) for c in CATEGORIES]),
        pf.FilterEqual(Ticket.state, "Status", options=[(s, s) for s in STATES]),
        pf.FilterEqual(Ticket.sla_status, "SLA", options=[("ok", "ok"), ("at_risk", "at risk"), ("breached", "breached")]),
        pf.FilterEqual(Community.slug, "Community"),
        pf.DateTimeGreaterFilter(Ticket.created_at, "Created"),
        pf.DateTimeSmallerFilter(Ticket.created_at, "Created"),
    )
    list_joins = ((Ticket.tier, Tier), (Ticket.community, Community), (Ticket.team, SupportTeam),
                  (Ticket.assignee, Person))


class TicketEventView(ReadOnlyView):
    column_list = ("id", "ticket", "created_at", "kind", "actor_label", "internal", "body")
    column_filters = (pf.FilterEqual(TicketEvent.kind, "Kind"), pf.IntEqualFilter(TicketEvent.ticket, "Ticket id"))
    column_sortable_list = ("id",)


class SupportRouteView(AuditedModelView):
    column_list = ("name", "tier", "community", "category", "team", "slack_channel", "discord_channel")
    form_columns = ("name", "tier", "community", "category", "team", "slack_channel", "discord_channel")
    column_filters = (Tier.slug, "category")
    list_joins = ((SupportRoute.tier, Tier), (SupportRoute.community, Community), (SupportRoute.team, SupportTeam))


class SupportTeamView(AuditedModelView):
    column_list = ("slug", "name", "lead", "slack_channel", "discord_channel")
    form_columns = ("slug", "name", "lead", "slack_channel", "discord_channel")
    form_ajax_refs = {"lead": {"fields": ("name", "email"), "page_size": 20}}
    list_joins = ((SupportTeam.lead, Person),)


class OnCallShiftView(AuditedModelView):
    column_list = ("team", "person", "starts_at", "ends_at")
    form_columns = ("team", "person", "starts_at", "ends_at")
    form_ajax_refs = {"person": {"fields": ("name", "email"), "page_size": 20}}
    column_filters = (SupportTeam.slug, pf.DateTimeGreaterFilter(OnCallShift.ends_at, "Ends after"))
    list_joins = ((OnCallShift.team, SupportTeam), (OnCallShift.person, Person))
    column_default_sort = ("starts_at", True)


class SupportChannelView(AuditedModelView):
    column_list = ("platform", "channel_id", "name", "tiers", "community", "staff_only")
    form_columns = ("platform", "channel_id", "name", "tiers", "community", "staff_only", "description")
    list_joins = ((SupportChannel.community, Community),)


class KeywordRuleView(AuditedModelView):
    column_list = ("category", "keywords", "weight", "enabled")


class SlaCalendarView(AuditedModelView):
    column_list = ("tier", "timezone", "day_start", "day_end", "weekdays")
    form_columns = ("tier", "timezone", "day_start", "day_end", "weekdays")
    list_joins = ((SlaCalendar.tier, Tier),)


class CategoryWeightView(AuditedModelView):
    column_list = ("category", "weight")


class CredEventView(ReadOnlyView):
    column_list = ("id", "created_at", "person", "ticket", "role", "tier_weight", "type_weight", "amount")
    column_filters = (Person.name, "role")
    column_sortable_list = ("id", "created_at")
    list_joins = ((CredEvent.person, Person),)


class DeflectionView(ReadOnlyView):
    column_list = ("id", "created_at", "person", "command", "outcome", "ticket")
    column_filters = ("command", "outcome")
    list_joins = ((Deflection.person, Person),)


def add_views(admin) -> None:
    for view, model, name in (
        (TicketView, Ticket, "Tickets"), (TicketEventView, TicketEvent, "Ticket events"),
        (SupportRouteView, SupportRoute, "Routes"), (SupportTeamView, SupportTeam, "Teams"),
        (OnCallShiftView, OnCallShift, "On-call rotation"), (SupportChannelView, SupportChannel, "Channels"),
        (KeywordRuleView, KeywordRule, "Keyword rules"), (SlaCalendarView, SlaCalendar, "SLA calendars"),
        (CategoryWeightView, CategoryWeight, "Type weights"), (CredEventView, CredEvent, "Cred ledger"),
        (DeflectionView, Deflection, "Deflections"),
    ):
        admin.add_view(view(model, name=name, category="Support"))
