"""Discord events → the core's ``Invocation``: who, where, which roles; nothing is decided here.

    inv = from_interaction(interaction, command="change-email", arguments={"account": "acct_1"})
    inv = from_interaction(interaction)            # a button press or modal submit: who and where only
    inv = from_message(message)                    # a DM: text, is_direct=True

guild id → ``community_id``, user id → ``user_id``, the member's role ids (and
names, when the guild is cached) → ``platform_roles``, so ``PlatformRoleMapping``
rows can grant roles and tiers. Interaction ids become idempotency keys: a
repeated delivery of one interaction runs once.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Mapping

import discord

from chatops.invocation import Invocation

PLATFORM = "discord"


def _now() -> datetime:
    return datetime.now(timezone.utc)


def platform_roles(user: discord.abc.User) -> frozenset[str]:
    """Role ids of a guild member, plus role names when the guild is cached (map ids where you can)."""
    if not isinstance(user, discord.Member):
        return frozenset()
    ids = {str(r) for r in getattr(user, "_roles", ())}
    guild = user.guild
    names = set()
    if guild is not None:
        for role_id in list(ids):
            role = guild.get_role(int(role_id))
            if role is not None and not role.is_default():
                names.add(role.name)
    ids.discard(str(guild.id) if guild is not None else "")
    return frozenset(ids | names)


def _display(user: discord.abc.User) -> str:
    return getattr(user, "display_name", None) or user.name


def from_interaction(interaction: discord.Interaction, *, command: str | None = None,
                     arguments: Mapping[str, str] | None = None, key_suffix: str = "") -> Invocation:
    """An invocation for an app command (``command`` + ``arguments``), or for a press/submit (neither)."""
    user = interaction.user
    fields = dict(
        platform=PLATFORM,
        user_id=str(user.id),
        community_id=str(interaction.guild_id) if interaction.guild_id else None,
        channel_id=str(interaction.channel_id) if interaction.channel_id else None,
        is_direct=interaction.guild_id is None,
        display_name=_display(user),
        platform_roles=platform_roles(user),
        received_at=_now(),
    )
    if command is None:
        return Invocation(**fields)
    return Invocation.structured(PLATFORM, fields.pop("user_id"), command, dict(arguments or {}),
                                 idempotency_key=f"discord:interaction:{interaction.id}{key_suffix}",
                                 **{k: v for k, v in fields.items() if k != "platform"})


def from_message(message: discord.Message) -> Invocation:
    """A direct message to the bot, as text (``support my payout is late``)."""
    return Invocation(
        platform=PLATFORM,
        user_id=str(message.author.id),
        text=message.content or "",
        channel_id=str(message.channel.id),
        is_direct=True,
        display_name=_display(message.author),
        idempotency_key=f"discord:message:{message.id}",
        received_at=_now(),
    )
