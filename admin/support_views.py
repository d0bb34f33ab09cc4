"""Views over support's tables (chatops/support/models.py): tickets with their timeline, routes, teams,
on-call rotation, channels, rules, and the cred ledger. Mounted by :mod:`admin.panel` when installed.

Tickets are read-only here: they change through the Inbox (admin/inbox.py) and chat commands, which
both keep SLA state and events consistent. Routing data is editable and audited, with choices from the
data (ticket types, tiers, communities, commands, platforms); cred and CSAT are ledgers, read-only. The
outbox is read-only too, with a "Retry" action for dead (failed) messages.
"""
from __future__ import annotations

import secrets

from flask import abort, flash, url_for
from flask_admin.actions import action
from flask_admin.contrib.peewee import filters as pf
from markupsafe import Markup
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, ValidationError

from admin.auditing import AuditedModelView
from admin.auth import current_user, state
from admin.choices import TYPE_CHOICES, ChannelField, ChoiceField, SlugListField, tier_choices
from admin.formatting import when, words, words_column
from admin.security import has_role
from chatops import outbox
from chatops.db import atomic
from chatops.models import Community, OutboundMessage, Person, PlatformRoleMapping, Role, Tier
from chatops.reply import Reply
from chatops.support.models import (CategoryWeight, CredEvent, Deflection, DeflectionRule, KeywordRule, OnCallShift,
                                    SlaCalendar, STATES, SupportChannel, SupportRoute, SupportTeam, Ticket,
                                    TicketEvent)
from chatops.support.classify import TYPES
from chatops.text import clip

PLATFORMS = [("slack", "Slack"), ("discord", "Discord")]

CATEGORIES = list(TYPES)


class ReadOnlyView(AuditedModelView):
    allow_create = allow_edit = allow_delete = False


def _timeline(view, context, model, name):
    events = list(TicketEvent.select().where(TicketEvent.ticket == model.id).order_by(TicketEvent.id).limit(500))
    rows = Markup("").join(
        Markup("<li><small class='text-muted'>{}</small> <strong>{}</strong> {}{}{}</li>").format(
            when(e.created_at), words(e.kind), e.actor_label,
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
    column_labels = {"sla_status": "SLA status", "category": "Type", "first_response_at": "First response",
                     "resolved_at": "Resolved", "created_at": "Opened", "first_response_due": "First response due",
                     "resolution_due": "Resolution due", "channel_id": "Channel", "correlation_id": "Correlation id"}
    column_formatters = {"state": words_column, "category": words_column, "sla_status": words_column,
                         "classified_by": words_column,
                         "id": lambda v, c, m, n: Markup('<a href="{}">#{}</a>').format(
                             url_for("desk.ticket", ticket_id=m.id), m.id)}
    column_searchable_list = ("summary", "details")
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
    column_labels = {"actor_label": "Actor", "created_at": "When"}
    column_formatters = {"kind": words_column}
    column_filters = (pf.FilterEqual(TicketEvent.kind, "Kind"), pf.IntEqualFilter(TicketEvent.ticket, "Ticket id"))
    column_sortable_list = ("id",)


class SupportRouteView(AuditedModelView):
    column_list = ("name", "tier", "community", "category", "team", "slack_channel", "discord_channel")
    column_labels = {"category": "Type"}
    column_formatters = {"category": lambda v, c, m, n: words(m.category) if m.category else "any"}
    form_columns = ("name", "tier", "community", "category", "team", "slack_channel", "discord_channel")
    form_overrides = {"category": ChoiceField, "slack_channel": ChannelField, "discord_channel": ChannelField}
    form_args = {"category": {"label": "Type", "options": TYPE_CHOICES, "blank": "any type",
                              "description": "A route for one ticket type beats tier and community routes."},
                 "slack_channel": {"platform": "slack", "label": "Slack channel"},
                 "discord_channel": {"platform": "discord", "label": "Discord channel"}}
    column_filters = (Tier.slug, "category")
    list_joins = ((SupportRoute.tier, Tier), (SupportRoute.community, Community), (SupportRoute.team, SupportTeam))


class SupportTeamView(AuditedModelView):
    column_list = ("slug", "name", "lead", "slack_channel", "discord_channel")
    form_columns = ("slug", "name", "lead", "slack_channel", "discord_channel")
    form_overrides = {"slack_channel": ChannelField, "discord_channel": ChannelField}
    form_args = {"slack_channel": {"platform": "slack", "label": "Slack channel (internal)"},
                 "discord_channel": {"platform": "discord", "label": "Discord channel (internal)"}}
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
    form_overrides = {"platform": ChoiceField, "tiers": SlugListField}
    form_args = {"platform": {"options": PLATFORMS, "validators": [InputRequired()]},
                 "tiers": {"what": "tier", "source": tier_choices, "description": "None picked: any tier."}}
    list_joins = ((SupportChannel.community, Community),)


class KeywordRuleView(AuditedModelView):
    """Text with any of the keywords scores ``weight`` for the type; the best-scoring type wins."""

    column_list = ("category", "keywords", "weight", "enabled")
    column_labels = {"category": "Type"}
    column_formatters = {"category": words_column}
    column_searchable_list = ("keywords",)
    form_columns = ("category", "keywords", "weight", "enabled")
    form_overrides = {"category": ChoiceField}
    form_args = {"category": {"label": "Type", "options": TYPE_CHOICES, "validators": [InputRequired()]},
                 "keywords": {"description": "Comma-separated; case-insensitive, whole words."},
                 "weight": {"validators": [InputRequired(), NumberRange(min=1, message="A weight is a whole number "
                                                                                      "of at least 1.")],
                            "description": "Points per matched keyword (a whole number, 1 or more)."}}


class SlaCalendarView(AuditedModelView):
    column_list = ("tier", "timezone", "day_start", "day_end", "weekdays")
    form_columns = ("tier", "timezone", "day_start", "day_end", "weekdays")
    list_joins = ((SlaCalendar.tier, Tier),)


class CategoryWeightView(AuditedModelView):
    column_list = ("category", "weight")
    column_labels = {"category": "Type"}
    column_formatters = {"category": words_column}
    form_columns = ("category", "weight")
    form_overrides = {"category": ChoiceField}
    form_args = {"category": {"label": "Type", "options": TYPE_CHOICES, "validators": [InputRequired()]}}


def _command_choices():
    return [(c.name, c.name) for c in sorted(state().chatops_app.registry, key=lambda c: c.name)]


class DeflectionRuleView(AuditedModelView):
    """Self-serve suggestions: keywords → a command the asker may run instead of opening a ticket."""

    column_list = ("command", "keywords", "example", "enabled")
    column_searchable_list = ("keywords", "command")
    form_columns = ("keywords", "command", "example", "why", "enabled")
    form_overrides = {"command": SelectField}
    form_args = {"command": {"choices": [], "validators": [InputRequired()]},
                 "example": {"description": "How to run it, shown to the asker (e.g. payment-status item_42)."}}

    def _with_commands(self, form, current=None):
        choices = [SelectChoice(v, label) for v, label in _command_choices()]
        if current and current not in {c.value for c in choices}:
            choices.append(SelectChoice(current, f"{current} (not installed)"))
        form.command.choices = choices
        return form

    def create_form(self, obj=None):
        return self._with_commands(super().create_form(obj))

    def edit_form(self, obj=None):
        return self._with_commands(super().edit_form(obj), obj.command if obj else None)

    def on_model_change(self, form, model, is_created):
        if model.command not in {v for v, _ in _command_choices()}:
            raise ValidationError(f"There is no command {model.command!r}; pick an installed one.")


class PlatformRoleMappingView(AuditedModelView):
    """A platform role (Discord role id or name, Slack user group id) → a role and/or a tier."""

    column_list = ("platform", "external_role", "community", "role", "tier", "note")
    column_labels = {"external_role": "Platform role", "community": "Only in community"}
    column_filters = ("platform", "external_role")
    form_columns = ("platform", "external_role", "community", "role", "tier", "note")
    form_overrides = {"platform": ChoiceField}
    form_args = {"platform": {"options": PLATFORMS, "validators": [InputRequired()]},
                 "external_role": {"label": "Platform role",
                                   "description": "Discord role id or name, Slack user group id."},
                 "community": {"description": "Empty: in every workspace."}}
    list_joins = ((PlatformRoleMapping.community, Community), (PlatformRoleMapping.role, Role),
                  (PlatformRoleMapping.tier, Tier))

    def on_model_change(self, form, model, is_created):
        if model.role_id is None and model.tier_id is None:
            raise ValidationError("Map the platform role to a role, a tier, or both.")


def _reply_text(view, context, model, name) -> str:
    try:
        reply = Reply.from_dict(model.reply or {})
    except Exception:  # noqa: BLE001 - an unreadable row still lists
        return ""
    texts = [getattr(b, "text", "") for b in reply.blocks if getattr(b, "text", "")]
    return clip(" / ".join(texts), 160)


OUTBOX_STATES = [("pending", "pending"), ("sending", "sending"), ("sent", "sent"), ("failed", "failed (dead)")]


class OutboxView(ReadOnlyView):
    """Messages the core asked the adapters to deliver, with their delivery state; "Retry" puts dead
    (failed) ones back in the queue (``chatops.outbox.retry_dead``), audited per message."""

    column_list = ("id", "created_at", "platform", "channel_id", "state", "attempts", "not_before", "sent_at",
                   "text", "error", "correlation_id")
    column_labels = {"channel_id": "Channel", "not_before": "Next try", "sent_at": "Sent", "created_at": "Queued",
                     "correlation_id": "Correlation id"}
    column_details_exclude_list = ("lease_until",)
    column_filters = (pf.FilterEqual(OutboundMessage.state, "State", options=OUTBOX_STATES),
                      pf.FilterEqual(OutboundMessage.platform, "Platform", options=PLATFORMS),
                      pf.FilterEqual(OutboundMessage.channel_id, "Channel"),
                      pf.FilterEqual(OutboundMessage.correlation_id, "Correlation id"))
    column_formatters = {"text": _reply_text, "error": lambda v, c, m, n: clip(m.error or "", 160),
                         "state": lambda v, c, m, n: "failed (dead)" if m.state == "failed" else m.state}
    column_sortable_list = ("id",)

    @action("retry", "Retry", "Put the selected dead messages back in the queue? Each retry is audited.")
    def action_retry(self, ids):
        if not has_role(current_user(), self.edit_role):
            abort(403)
        ids = self.checked_ids(ids)
        correlation_id = secrets.token_hex(6)
        with atomic():
            dead = list(OutboundMessage.select().where((OutboundMessage.id << ids) & (OutboundMessage.state == "failed")))
            count = outbox.retry_dead([m.id for m in dead], now=state().clock())
            for message in dead:
                self.record("retry", message, {"platform": message.platform, "channel": message.channel_id,
                                               "attempts": message.attempts, "error": clip(message.error or "", 200)},
                            correlation_id)
        skipped = len(ids) - count
        flash(f"{count} dead message(s) queued again." + (f" {skipped} not dead, left as they were." if skipped else ""),
              "success" if count else "info")

    def is_action_allowed(self, name: str) -> bool:
        if name == "retry":
            return self._may_edit()
        return super().is_action_allowed(name)


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
    from admin.inbox import add_views as add_inbox

    add_inbox(admin)
    for view, model, name in (
        (TicketView, Ticket, "Tickets"), (TicketEventView, TicketEvent, "Ticket events"),
        (SupportRouteView, SupportRoute, "Routes"), (SupportTeamView, SupportTeam, "Teams"),
        (OnCallShiftView, OnCallShift, "On-call rotation"), (SupportChannelView, SupportChannel, "Channels"),
        (KeywordRuleView, KeywordRule, "Keyword rules"), (SlaCalendarView, SlaCalendar, "SLA calendars"),
        (CategoryWeightView, CategoryWeight, "Type weights"), (CredEventView, CredEvent, "Cred ledger"),
        (DeflectionView, Deflection, "Deflections"), (DeflectionRuleView, DeflectionRule, "Deflection rules"),
    ):
        admin.add_view(view(model, name=name, category="Support"))
    admin.add_view(PlatformRoleMappingView(PlatformRoleMapping, name="Platform role mappings", category="People"))
    admin.add_view(OutboxView(OutboundMessage, name="Outbox", endpoint="outbox", category="Support"))
