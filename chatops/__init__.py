"""chatops: one typed command core for Slack, Discord, a console and a web playground.

This package is the core. It does no network I/O of its own and never imports
flask, flask_admin, slack_bolt, slack_sdk or discord: adapters translate, the
core decides (see chatops/README.md).
"""
from chatops.commands import Category, Command, CommandGroup, Registry, TicketType
from chatops.context import Context
from chatops.converters import Email, FreeText, Secret, UserRef
from chatops.errors import (BadArgument, ChatOpsError, Conflict, NotFound, PermissionDenied, ServiceUnavailable,
                            UsageError, UserError)
from chatops.invocation import Invocation
from chatops.policy import Predicate, admins, anyone, direct_message, has_role, in_channel, in_community, staff, tier_at_least
from chatops.reply import Button, Buttons, Destination, Fields, Post, Reply, Step, Text, Timeline

__all__ = [
    "BadArgument", "Button", "Buttons", "Category", "ChatOpsError", "Command", "CommandGroup", "Conflict",
    "Context", "Destination", "Email", "Fields", "FreeText", "Invocation", "NotFound", "PermissionDenied",
    "Post", "Predicate", "Registry", "Reply", "Secret", "ServiceUnavailable", "Step", "Text", "TicketType", "Timeline", "UsageError",
    "UserError",
    "UserRef", "admins", "anyone", "direct_message", "has_role", "in_channel", "in_community", "staff",
    "tier_at_least",
]
