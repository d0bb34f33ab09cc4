"""Discord events → the core's ``Invocation``: who, where, which roles; nothing is decided here.

    inv = from_interaction(interaction, command="change-email", arguments={"account": "acct_1"})
    inv = from_interaction(interaction)            # a button press or modal submit: who and where only
    inv = from_message(message)                    # a DM: text, is_direct=True
    inv = from_payload(payload, command="ping")    # the raw JSON of an HTTP interaction (adapters.discord.http)

guild id → ``community_id``, user id → ``user_id``, the member's role ids (and
names, when the guild is cached) → ``platform_roles``, so ``PlatformRoleMapping``
rows can grant roles and tiers. Interaction ids become idempotency keys: a
repeated delivery of one interaction runs once.

The gateway (a ``discord.Interaction``) and the Interactions Endpoint (the raw
JSON Discord POSTs) go through the same :func:`invocation`, so both transports
build the same Invocation for the same interaction. Without a gateway there is
no guild cache: only role *ids* are known (map roles by id).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Mapping

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


def invocation(*, interaction_id: int | str, user_id: int | str, display_name: str, guild_id: int | str | None,
               channel_id: int | str | None, roles: frozenset[str] = frozenset(), command: str | None = None,
               arguments: Mapping[str, str] | None = None, key_suffix: str = "") -> Invocation:
    """The one place an interaction becomes an Invocation: for an app command (``command`` + ``arguments``,
    keyed by the interaction id), or for a press/submit (neither: who and where only)."""
    fields = dict(
        platform=PLATFORM,
        user_id=str(user_id),
        community_id=str(guild_id) if guild_id else None,
        channel_id=str(channel_id) if channel_id else None,
        is_direct=not guild_id,
        display_name=display_name,
        platform_roles=roles,
        received_at=_now(),
    )
    if command is None:
        return Invocation(**fields)
    return Invocation.structured(PLATFORM, fields.pop("user_id"), command, dict(arguments or {}),
                                 idempotency_key=f"discord:interaction:{interaction_id}{key_suffix}",
                                 **{k: v for k, v in fields.items() if k != "platform"})


def from_interaction(interaction: discord.Interaction, *, command: str | None = None,
                     arguments: Mapping[str, str] | None = None, key_suffix: str = "") -> Invocation:
    """An invocation for an app command (``command`` + ``arguments``), or for a press/submit (neither)."""
    user = interaction.user
    return invocation(interaction_id=interaction.id, user_id=user.id, display_name=_display(user),
                      guild_id=interaction.guild_id, channel_id=interaction.channel_id, roles=platform_roles(user),
                      command=command, arguments=arguments, key_suffix=key_suffix)


class MalformedInteraction(ValueError):
    """An interaction payload without the fields every interaction has (an id, a user)."""


def payload_user(payload: Mapping[str, Any]) -> Mapping[str, Any]:
    """The user of a raw interaction: ``member.user`` in a guild, ``user`` in a DM."""
    member = payload.get("member")
    user = member.get("user") if isinstance(member, Mapping) else payload.get("user")
    if not isinstance(user, Mapping) or not str(user.get("id") or "").isdigit():
        raise MalformedInteraction("no user")
    return user


def from_payload(payload: Mapping[str, Any], *, command: str | None = None,
                 arguments: Mapping[str, str] | None = None, key_suffix: str = "") -> Invocation:
    """The same invocation as :func:`from_interaction`, from the raw JSON of an interaction (HTTP mode)."""
    if not str(payload.get("id") or "").isdigit():
        raise MalformedInteraction("no interaction id")
    user = payload_user(payload)
    member = payload.get("member") if isinstance(payload.get("member"), Mapping) else {}
    guild_id = payload.get("guild_id")
    roles = frozenset(str(r) for r in (member.get("roles") or ()) if str(r) != str(guild_id))
    channel = payload.get("channel") if isinstance(payload.get("channel"), Mapping) else {}
    display = member.get("nick") or user.get("global_name") or user.get("username") or str(user["id"])
    return invocation(interaction_id=payload["id"], user_id=user["id"], display_name=str(display),
                      guild_id=guild_id, channel_id=payload.get("channel_id") or channel.get("id"), roles=roles,
                      command=command, arguments=arguments, key_suffix=key_suffix)


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
