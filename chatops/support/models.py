"""Support's tables: teams and on-call, channels, routes, keyword rules, tickets and their events,
SLA calendars and notifications, deflections, cred and CSAT.

Everything an admin edits (channels, routes, rules, calendars, weights, rotations) is data here,
not configuration. Time columns hold UTC (see :class:`chatops.models.UTCDateTimeField`).
"""
from __future__ import annotations

import peewee

from chatops.models import BaseModel, Community, JSONField, Person, Tier, UTCDateTimeField, now_utc

OPEN_STATES = ("open", "claimed", "waiting")
STATES = ("open", "claimed", "waiting", "resolved", "closed")


class SupportTeam(BaseModel):
    """A support team: its lead, and its internal (team-only) channel per platform."""

    slug = peewee.CharField(max_length=64, unique=True)
    name = peewee.CharField(max_length=128)
    lead = peewee.ForeignKeyField(Person, null=True, on_delete="SET NULL")
    slack_channel = peewee.CharField(max_length=64, default="", help_text="Internal channel on Slack.")
    discord_channel = peewee.CharField(max_length=64, default="", help_text="Internal channel on Discord.")

    def channel(self, platform: str) -> str:
        return {"slack": self.slack_channel, "discord": self.discord_channel}.get(platform, "")

    def __str__(self) -> str:
        return self.name


class OnCallShift(BaseModel):
    """Who is on call for a team from ``starts_at`` until ``ends_at``."""

    team = peewee.ForeignKeyField(SupportTeam, backref="shifts", on_delete="CASCADE")
    person = peewee.ForeignKeyField(Person, on_delete="CASCADE")
    starts_at = UTCDateTimeField()
    ends_at = UTCDateTimeField()

    class Meta:
        indexes = ((("team", "starts_at"), False),)


class SupportChannel(BaseModel):
    """A chat channel that is set aside for some tiers or one community (entitlement).

    ``tiers`` empty: any tier; ``community`` set: only that community; ``staff_only``: the team.
    Channels not listed here are open to everyone.
    """

    platform = peewee.CharField(max_length=16)
    channel_id = peewee.CharField(max_length=64)
    name = peewee.CharField(max_length=100)
    tiers = peewee.CharField(max_length=200, default="", help_text="Comma-separated tier slugs; empty: any.")
    community = peewee.ForeignKeyField(Community, null=True, on_delete="CASCADE")
    staff_only = peewee.BooleanField(default=False)
    description = peewee.TextField(default="")

    class Meta:
        indexes = ((("platform", "channel_id"), True),)


class SupportRoute(BaseModel):
    """(tier?, community?, category?) → destination channel per platform. The most specific match wins."""

    name = peewee.CharField(max_length=100, default="")
    tier = peewee.ForeignKeyField(Tier, null=True, on_delete="CASCADE")
    community = peewee.ForeignKeyField(Community, null=True, on_delete="CASCADE")
    category = peewee.CharField(max_length=32, null=True)
    slack_channel = peewee.CharField(max_length=64, default="")
    discord_channel = peewee.CharField(max_length=64, default="")
    team = peewee.ForeignKeyField(SupportTeam, null=True, on_delete="SET NULL")

    def channel(self, platform: str) -> str:
        return {"slack": self.slack_channel, "discord": self.discord_channel}.get(platform, "")


class KeywordRule(BaseModel):
    """Text containing any of ``keywords`` (comma-separated, case-insensitive) suggests ``category``."""

    category = peewee.CharField(max_length=32)
    keywords = peewee.TextField()
    weight = peewee.IntegerField(default=1)
    enabled = peewee.BooleanField(default=True)


class DeflectionRule(BaseModel):
    """Self-serve suggestions an admin adds, offered with the ops area's built-in ones (chatops.ops.deflection).

    A suggestion is offered only when its command is installed and the asker may run it.
    """

    keywords = peewee.TextField(help_text="Comma-separated; any one matches.")
    command = peewee.CharField(max_length=64)
    example = peewee.CharField(max_length=200)
    why = peewee.TextField(default="")
    enabled = peewee.BooleanField(default=True)


class SlaCalendar(BaseModel):
    """Business hours of a tier: SLA minutes count only inside them. No row: the clock runs 24/7."""

    tier = peewee.ForeignKeyField(Tier, unique=True, on_delete="CASCADE")
    timezone = peewee.CharField(max_length=64, default="UTC")
    day_start = peewee.CharField(max_length=5, default="09:00")
    day_end = peewee.CharField(max_length=5, default="17:00")
    weekdays = peewee.CharField(max_length=40, default="mon,tue,wed,thu,fri")


class CategoryWeight(BaseModel):
    """Cred weight of a ticket type (multiplied by the tier's cred weight)."""

    category = peewee.CharField(max_length=32, unique=True)
    weight = peewee.FloatField(default=1.0)


class Ticket(BaseModel):
    requester = peewee.ForeignKeyField(Person, backref="tickets", on_delete="CASCADE")
    platform = peewee.CharField(max_length=16)
    requester_user_id = peewee.CharField(max_length=64)
    origin_channel_id = peewee.CharField(max_length=64, null=True)
    community = peewee.ForeignKeyField(Community, null=True, on_delete="SET NULL")
    tier = peewee.ForeignKeyField(Tier, null=True, on_delete="SET NULL")
    category = peewee.CharField(max_length=32, null=True)
    classified_by = peewee.CharField(max_length=16, default="triage")  # requester | learned | keywords | similar | triage | staff
    typed_why = peewee.CharField(max_length=200, default="", help_text="Why the ticket got its type, as typing explained it.")
    urgency = peewee.CharField(max_length=16, default="normal")
    summary = peewee.CharField(max_length=200)
    details = peewee.TextField(default="")
    state = peewee.CharField(max_length=16, default="open", index=True)
    needs_triage = peewee.BooleanField(default=False)
    route = peewee.ForeignKeyField(SupportRoute, null=True, on_delete="SET NULL")
    team = peewee.ForeignKeyField(SupportTeam, null=True, on_delete="SET NULL")
    channel_id = peewee.CharField(max_length=64, default="")
    assignee = peewee.ForeignKeyField(Person, null=True, backref="assigned_tickets", on_delete="SET NULL")
    action_token = peewee.CharField(max_length=64, default="")
    correlation_id = peewee.CharField(max_length=40, default="")
    created_at = UTCDateTimeField(index=True)
    claimed_at = UTCDateTimeField(null=True)
    first_response_at = UTCDateTimeField(null=True, index=True)
    waiting_since = UTCDateTimeField(null=True)
    resolved_at = UTCDateTimeField(null=True, index=True)
    closed_at = UTCDateTimeField(null=True)
    cycle = peewee.IntegerField(default=0, help_text="Times reopened; SLA notifications are once per cycle.")
    # SLA: targets and progress through the escalation ladder of each clock.
    first_response_due = UTCDateTimeField(null=True)
    resolution_due = UTCDateTimeField(null=True)
    fr_stage = peewee.IntegerField(default=0)
    res_stage = peewee.IntegerField(default=0)
    sla_status = peewee.CharField(max_length=16, default="ok")  # ok | at_risk | breached
    next_due = UTCDateTimeField(null=True, index=True)

    class Meta:
        indexes = ((("created_at", "id"), False),)  # the panel's keyset pages (migration 302)

    @property
    def ref(self) -> str:
        return f"#{self.id}"


class TicketEvent(BaseModel):
    ticket = peewee.ForeignKeyField(Ticket, backref="events", on_delete="CASCADE")
    kind = peewee.CharField(max_length=24)
    actor = peewee.ForeignKeyField(Person, null=True, on_delete="SET NULL")
    actor_label = peewee.CharField(max_length=200, default="")
    body = peewee.TextField(default="")
    internal = peewee.BooleanField(default=False, help_text="Internal notes: never shown to the requester.")
    data = JSONField(default=dict)
    created_at = UTCDateTimeField()

    class Meta:
        indexes = ((("ticket", "id"), False),)


class SlaNotification(BaseModel):
    """One row per (ticket, clock, cycle, stage): the unique key makes each alert exactly-once."""

    ticket = peewee.ForeignKeyField(Ticket, on_delete="CASCADE")
    clock = peewee.CharField(max_length=16)  # first_response | resolution
    cycle = peewee.IntegerField(default=0)
    stage = peewee.CharField(max_length=16)  # at_risk | breached | oncall | lead | internal
    recipient = peewee.CharField(max_length=200, default="")
    created_at = UTCDateTimeField()

    class Meta:
        indexes = ((("ticket", "clock", "cycle", "stage"), True),)


class Deflection(BaseModel):
    person = peewee.ForeignKeyField(Person, on_delete="CASCADE")
    text = peewee.TextField(default="")
    command = peewee.CharField(max_length=64)
    outcome = peewee.CharField(max_length=16, default="offered")  # offered | solved | opened
    ticket = peewee.ForeignKeyField(Ticket, null=True, on_delete="SET NULL")
    created_at = UTCDateTimeField(index=True)


class Article(BaseModel):
    """A knowledge-base article: searched with the database's full-text engine (chatops/support/search.py).

    ``ticket_types`` and ``tiers`` are comma-separated; empty means every type / every tier (staff see all).
    """

    title = peewee.CharField(max_length=200)
    body = peewee.TextField(help_text="Markdown.")
    tags = peewee.CharField(max_length=300, default="", help_text="Comma-separated words people search with.")
    ticket_types = peewee.CharField(max_length=300, default="", help_text="Comma-separated ticket types; empty: any.")
    tiers = peewee.CharField(max_length=200, default="", help_text="Comma-separated tier slugs that may see it; empty: any.")
    published = peewee.BooleanField(default=True)
    source_ticket = peewee.ForeignKeyField(Ticket, null=True, on_delete="SET NULL")
    author = peewee.CharField(max_length=200, default="")
    answered = peewee.IntegerField(default=0, help_text="Times someone said it answered their question.")
    not_answered = peewee.IntegerField(default=0, help_text="Times someone opened a ticket anyway.")
    created_at = UTCDateTimeField(default=now_utc)
    updated_at = UTCDateTimeField(default=now_utc)

    class Meta:
        table_name = "kb_article"

    @property
    def ref(self) -> str:
        return f"KB-{self.id}"

    def __str__(self) -> str:
        return f"{self.ref} {self.title}"


class CredEvent(BaseModel):
    person = peewee.ForeignKeyField(Person, backref="cred_events", on_delete="CASCADE")
    ticket = peewee.ForeignKeyField(Ticket, on_delete="CASCADE")
    cycle = peewee.IntegerField(default=0)
    role = peewee.CharField(max_length=16)  # claimer | replier
    tier_weight = peewee.FloatField()
    type_weight = peewee.FloatField()
    amount = peewee.FloatField()
    created_at = UTCDateTimeField(index=True)

    class Meta:
        indexes = ((("ticket", "person", "cycle"), True),)


class CsatRating(BaseModel):
    ticket = peewee.ForeignKeyField(Ticket, on_delete="CASCADE")
    cycle = peewee.IntegerField(default=0)
    person = peewee.ForeignKeyField(Person, on_delete="CASCADE")
    rating = peewee.IntegerField()
    created_at = UTCDateTimeField(index=True)

    class Meta:
        indexes = ((("ticket", "cycle"), True),)


SUPPORT_MODELS = [
    SupportTeam, OnCallShift, SupportChannel, SupportRoute, KeywordRule, DeflectionRule, SlaCalendar,
    CategoryWeight, Ticket, TicketEvent, SlaNotification, Deflection, Article, CredEvent, CsatRating,
]
__all__ = [m.__name__ for m in SUPPORT_MODELS] + ["OPEN_STATES", "STATES", "now_utc"]
