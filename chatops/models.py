"""The core's tables: people, communities and tiers, roles, policies, audit, idempotency, pending actions.

Time columns hold UTC. Schema changes go through migrations in
``chatops/migrations`` (peewee-migrate); ``chatops db upgrade`` applies them.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import peewee

from chatops.db import database


class UTCDateTimeField(peewee.DateTimeField):
    """Stores aware datetimes as naive UTC; reads them back as aware UTC."""

    def db_value(self, value: Any) -> Any:
        if isinstance(value, datetime) and value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return super().db_value(value)

    def python_value(self, value: Any) -> Any:
        value = super().python_value(value)
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class JSONField(peewee.TextField):
    def db_value(self, value: Any) -> Any:
        return None if value is None else json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)

    def python_value(self, value: Any) -> Any:
        return None if value is None else json.loads(value)


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


class BaseModel(peewee.Model):
    class Meta:
        database = database
        legacy_table_names = False


class Tier(BaseModel):
    slug = peewee.CharField(max_length=64, unique=True)
    name = peewee.CharField(max_length=128)
    rank = peewee.IntegerField(default=0, help_text="Higher ranks outrank lower ones (general 0, premium 10, internal 100).")
    first_response_minutes = peewee.IntegerField(null=True, help_text="First-response SLA target, minutes.")
    resolution_minutes = peewee.IntegerField(null=True, help_text="Resolution SLA target, minutes.")
    cred_weight = peewee.FloatField(default=1.0)
    description = peewee.TextField(default="")

    def __str__(self) -> str:
        return self.name


class Community(BaseModel):
    slug = peewee.CharField(max_length=64, unique=True)
    name = peewee.CharField(max_length=128)
    tier = peewee.ForeignKeyField(Tier, null=True, backref="communities", on_delete="SET NULL")
    permitted = peewee.BooleanField(default=False, help_text="May use the tier's channels and commands.")
    partner = peewee.BooleanField(default=False, help_text="Supports the project through tithing or revenue.")
    description = peewee.TextField(default="")
    created_at = UTCDateTimeField(default=now_utc)

    def __str__(self) -> str:
        return self.name


class CommunityLink(BaseModel):
    """A platform workspace that belongs to a community: a Slack team id or a Discord guild id."""

    community = peewee.ForeignKeyField(Community, backref="links", on_delete="CASCADE")
    platform = peewee.CharField(max_length=16)
    external_id = peewee.CharField(max_length=64)

    class Meta:
        indexes = ((("platform", "external_id"), True),)


class Person(BaseModel):
    name = peewee.CharField(max_length=128)
    email = peewee.CharField(max_length=254, null=True)
    active = peewee.BooleanField(default=True)
    created_at = UTCDateTimeField(default=now_utc)

    def __str__(self) -> str:
        return self.name


class Identity(BaseModel):
    platform = peewee.CharField(max_length=16)
    user_id = peewee.CharField(max_length=64)
    person = peewee.ForeignKeyField(Person, backref="identities", on_delete="CASCADE")
    display_name = peewee.CharField(max_length=128, default="")
    created_at = UTCDateTimeField(default=now_utc)

    class Meta:
        indexes = ((("platform", "user_id"), True),)

    def __str__(self) -> str:
        return f"{self.platform}:{self.user_id}"


class Role(BaseModel):
    slug = peewee.CharField(max_length=64, unique=True)
    name = peewee.CharField(max_length=128)
    description = peewee.TextField(default="")
    is_staff = peewee.BooleanField(default=False, help_text="Staff roles put a person on the internal tier.")

    def __str__(self) -> str:
        return self.slug


class PersonRole(BaseModel):
    person = peewee.ForeignKeyField(Person, backref="role_links", on_delete="CASCADE")
    role = peewee.ForeignKeyField(Role, backref="person_links", on_delete="CASCADE")

    class Meta:
        indexes = ((("person", "role"), True),)


class Membership(BaseModel):
    """Explicit membership of a person in a community (when no workspace says so)."""

    person = peewee.ForeignKeyField(Person, backref="memberships", on_delete="CASCADE")
    community = peewee.ForeignKeyField(Community, backref="memberships", on_delete="CASCADE")

    class Meta:
        indexes = ((("person", "community"), True),)


class PlatformRoleMapping(BaseModel):
    """A platform role (Discord guild role id or name, Slack user group id) → a role and/or a tier.

    With ``community`` set it applies only to requests from that community's workspace.
    A mapped tier applies when it outranks the tier the person would otherwise get
    (a "partner" role in a guild grants premium).
    """

    platform = peewee.CharField(max_length=16)
    external_role = peewee.CharField(max_length=100)
    community = peewee.ForeignKeyField(Community, null=True, on_delete="CASCADE")
    role = peewee.ForeignKeyField(Role, null=True, on_delete="CASCADE")
    tier = peewee.ForeignKeyField(Tier, null=True, on_delete="CASCADE")
    note = peewee.TextField(default="")

    class Meta:
        indexes = ((("platform", "external_role"), False),)


class CommandPolicy(BaseModel):
    """A stored override of a command's default policy (edited in the admin panel)."""

    command = peewee.CharField(max_length=64, unique=True)
    enabled = peewee.BooleanField(default=True)
    roles = peewee.TextField(default="", help_text="Comma-separated role slugs; any one suffices. Empty: any role.")
    min_tier = peewee.ForeignKeyField(Tier, null=True, on_delete="SET NULL")
    communities = peewee.TextField(default="", help_text="Comma-separated community slugs. Empty: any.")
    channels = peewee.TextField(default="", help_text="Comma-separated channel ids. Empty: any channel.")
    allow_dm = peewee.BooleanField(default=True, help_text="With channels set, also allow direct messages.")
    note = peewee.TextField(default="")
    updated_at = UTCDateTimeField(default=now_utc)


class AuditEvent(BaseModel):
    """Append-only and hash-chained: ``hash = sha256(prev_hash + canonical fields)``."""

    seq = peewee.BigIntegerField(unique=True)
    created_at = UTCDateTimeField(index=True)
    correlation_id = peewee.CharField(max_length=40, index=True)
    actor = peewee.CharField(max_length=200, index=True)
    actor_person_id = peewee.IntegerField(null=True)
    platform = peewee.CharField(max_length=16, default="")
    community = peewee.CharField(max_length=64, default="")
    command = peewee.CharField(max_length=64, index=True)
    arguments = peewee.TextField(default="{}")
    outcome = peewee.CharField(max_length=16, index=True)
    detail = peewee.TextField(default="")
    prev_hash = peewee.CharField(max_length=64)
    hash = peewee.CharField(max_length=64)

    class Meta:
        indexes = ((("command", "seq"), False), (("outcome", "seq"), False), (("actor", "seq"), False))


class IdempotencyRecord(BaseModel):
    key = peewee.CharField(max_length=200, unique=True)
    digest = peewee.CharField(max_length=64)
    outcome = peewee.CharField(max_length=16, default="pending")
    reply = JSONField(null=True)
    correlation_id = peewee.CharField(max_length=40)
    created_at = UTCDateTimeField(default=now_utc, index=True)


class PendingAction(BaseModel):
    """A button's server-side state. Buttons carry ``<token>.<verb>``; the token is unguessable."""

    token = peewee.CharField(max_length=64, primary_key=True)
    kind = peewee.CharField(max_length=32, default="confirm")
    command = peewee.CharField(max_length=64)
    arguments = JSONField(default=dict)  # raw string values by parameter name
    invocation = JSONField(default=dict)  # the original invocation's neutral fields
    requester = peewee.ForeignKeyField(Person, backref="pending_actions", on_delete="CASCADE")
    correlation_id = peewee.CharField(max_length=40, index=True)
    state = peewee.CharField(max_length=16, default="pending", index=True)
    expires_at = UTCDateTimeField(index=True)
    created_at = UTCDateTimeField(default=now_utc)
    finished_at = UTCDateTimeField(null=True)
    result = JSONField(null=True)


class OutboundMessage(BaseModel):
    """The transactional outbox: messages the core wants delivered to a channel, written in the
    same transaction as the change that caused them; adapters drain it (see chatops.outbox)."""

    platform = peewee.CharField(max_length=16)
    channel_id = peewee.CharField(max_length=64)
    thread_id = peewee.CharField(max_length=64, null=True)
    reply = JSONField()
    dedupe_key = peewee.CharField(max_length=200, null=True, unique=True)
    correlation_id = peewee.CharField(max_length=40, default="")
    state = peewee.CharField(max_length=16, default="pending")
    attempts = peewee.IntegerField(default=0)
    not_before = UTCDateTimeField(default=now_utc)
    lease_until = UTCDateTimeField(null=True)
    created_at = UTCDateTimeField(default=now_utc)
    sent_at = UTCDateTimeField(null=True)
    external_id = peewee.CharField(max_length=128, null=True, help_text="The platform's id of the sent message.")
    error = peewee.TextField(default="")
    # An edit: the dedupe key of the earlier message whose platform message this replaces (outbox.edit_target).
    edits = peewee.CharField(max_length=200, null=True)

    class Meta:
        indexes = ((("platform", "state", "not_before"), False),)


class WorkItem(BaseModel):
    """Accepted work: one row per platform request the app acknowledged (chatops.work).

    ``key`` is the platform's delivery id (a redelivery finds the row); ``kind`` names the handler
    that runs it (an adapter registers one per kind); ``payload`` is what that handler needs.
    """

    key = peewee.CharField(max_length=200, unique=True)
    kind = peewee.CharField(max_length=32)
    payload = JSONField(default=dict)
    state = peewee.CharField(max_length=16, default="queued")  # queued | running | done | dead | cancelled
    attempts = peewee.IntegerField(default=0)
    not_before = UTCDateTimeField(default=now_utc)
    lease_owner = peewee.CharField(max_length=80, null=True)
    lease_until = UTCDateTimeField(null=True)
    created_at = UTCDateTimeField(default=now_utc)
    started_at = UTCDateTimeField(null=True)
    finished_at = UTCDateTimeField(null=True)
    correlation_id = peewee.CharField(max_length=40, default="")
    error = peewee.TextField(default="")

    class Meta:
        table_name = "work_item"
        indexes = ((("state", "not_before"), False), (("state", "lease_until"), False))


class CommandRun(BaseModel):
    """A handler run that reached a call to another system: enough to resume it (chatops.effects).

    Written at the run's first external call, in the transaction that commits what the run had
    claimed (its idempotency key, its button); ``state`` running → done | failed | unknown.
    """

    key = peewee.CharField(max_length=200, unique=True)
    correlation_id = peewee.CharField(max_length=40, index=True)
    command = peewee.CharField(max_length=64)
    state = peewee.CharField(max_length=16, default="running")
    context = JSONField(default=dict)  # arguments, invocation, who asked/approved, the run's time
    lease_until = UTCDateTimeField(null=True)
    checks = peewee.IntegerField(default=0)  # automatic reconcile attempts so far
    next_check_at = UTCDateTimeField(null=True, index=True)
    work_key = peewee.CharField(max_length=200, null=True)  # the work item that carried the run
    reply = JSONField(null=True)
    detail = peewee.TextField(default="")
    created_at = UTCDateTimeField(default=now_utc)
    updated_at = UTCDateTimeField(default=now_utc)

    class Meta:
        table_name = "command_run"
        indexes = ((("state", "next_check_at"), False),)


class ExternalCall(BaseModel):
    """One call a run made to another system, in order (``seq``): the journal a resume replays.

    Changing calls are written *before* they are sent (``attempted``, with the idempotency key), then
    ``ok`` | ``failed`` (the other system said no: nothing changed) | ``unknown`` (no clear answer).
    Lookups are written only when a changing call follows them, so a resume sees what the run saw.
    """

    run = peewee.ForeignKeyField(CommandRun, backref="calls", on_delete="CASCADE")
    seq = peewee.IntegerField()
    operation = peewee.CharField(max_length=100)
    arguments = JSONField(default=dict)
    mutating = peewee.BooleanField(default=False)
    idempotency_key = peewee.CharField(max_length=200, default="")
    state = peewee.CharField(max_length=16)
    result = JSONField(null=True)
    error = peewee.TextField(default="")
    attempts = peewee.IntegerField(default=1)
    created_at = UTCDateTimeField(default=now_utc)
    finished_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "external_call"
        indexes = ((("run", "seq"), True),)


class FormDraft(BaseModel):
    """What a user gave with a command whose form is open (a Discord modal), until the form is submitted or
    ``expires_at``: the submission, which may reach another process (a restart; several web processes behind
    a load balancer), is merged with it. ``key`` is ``<platform>:<form id>``."""

    key = peewee.CharField(max_length=100, unique=True)
    command = peewee.CharField(max_length=64)
    given = JSONField(default=dict)
    expires_at = UTCDateTimeField(index=True)

    class Meta:
        table_name = "form_draft"


CORE_MODELS = [
    Tier, Community, CommunityLink, Person, Identity, Role, PersonRole, Membership,
    CommandPolicy, AuditEvent, IdempotencyRecord, PendingAction, OutboundMessage, PlatformRoleMapping,
    WorkItem, CommandRun, ExternalCall, FormDraft,
]
