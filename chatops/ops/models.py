"""The ops tables: approval policy per command, and which backend accounts a person owns.

Migrations: chatops/migrations/100_ops.py, 102_ops_approvals_per_platform.py. The admin panel edits both tables.
"""
from __future__ import annotations

import peewee

from chatops.models import BaseModel, Person, UTCDateTimeField, now_utc


class OpsPolicy(BaseModel):
    """Safety policy of one ops command; a missing row means the defaults in code (approvals.DEFAULTS)."""

    command = peewee.CharField(max_length=64, unique=True)
    approval_required = peewee.BooleanField(default=False, help_text="A second person must approve each run.")
    approver_role = peewee.CharField(max_length=200, default="lead",
                                     help_text="Comma-separated role slugs; anyone holding one may approve.")
    approvals_platform = peewee.CharField(max_length=16, default="",
                                          help_text="slack or discord: send every request there, whatever the "
                                                    "requester's platform; empty: to the requester's platform.")
    approvals_channel = peewee.CharField(max_length=64, default="",
                                         help_text="With approvals platform: the one channel id for every request. "
                                                   "Without it (deprecated): read as the Slack or Discord channel "
                                                   "by its form (digits: Discord).")
    approvals_slack_channel = peewee.CharField(max_length=64, default="",
                                               help_text="Slack channel id for requests made on Slack (and the "
                                                         "console); empty: CHATOPS_OPS_APPROVALS_SLACK_CHANNEL.")
    approvals_discord_channel = peewee.CharField(max_length=64, default="",
                                                 help_text="Discord channel id for requests made on Discord; "
                                                           "empty: CHATOPS_OPS_APPROVALS_DISCORD_CHANNEL.")
    ttl_minutes = peewee.IntegerField(null=True, help_text="Minutes before a request expires; empty: "
                                                           "CHATOPS_OPS_APPROVAL_TTL_MINUTES.")
    reason_required = peewee.BooleanField(default=False, help_text="The requester must give a reason.")
    note = peewee.TextField(default="")
    updated_at = UTCDateTimeField(default=now_utc)

    class Meta:
        table_name = "ops_policy"


class AccountLink(BaseModel):
    """A person owns this backend account (a customer may look up and change only these)."""

    person = peewee.ForeignKeyField(Person, backref="ops_accounts", on_delete="CASCADE")
    account_id = peewee.CharField(max_length=64, index=True)
    note = peewee.TextField(default="")
    created_at = UTCDateTimeField(default=now_utc)

    class Meta:
        table_name = "ops_account_link"
        indexes = ((("person", "account_id"), True),)


OPS_MODELS = [OpsPolicy, AccountLink]
