"""Slack payloads → Invocations: the whole of the adapter's input side, as plain functions.

    inv = from_slash_command(body)            # /change-email acct_1 a@b.co
    inv = from_message_event(body)            # a DM or an @mention; None for what we do not handle
    ref, inv = from_block_action(body, action)
    inv = from_view_submission(body, "change-email", {"account": "acct_1", ...})

team_id → ``community_id``, user_id → ``user_id``, DMs → ``is_direct``, and an
idempotency key from what Slack gives each delivery (trigger_id, event_id, the
view id), so retries collapse in the core. A payload missing what Slack always
sends raises :class:`MalformedPayload` (answered 400).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from chatops.invocation import Invocation, utcnow

PLATFORM = "slack"


class MalformedPayload(ValueError):
    """A signed request whose body lacks what Slack always sends."""


def _str(data: Any, key: str, *, required: bool = True) -> str | None:
    value = data.get(key) if isinstance(data, Mapping) else None
    if isinstance(value, str) and value:
        return value
    if required:
        raise MalformedPayload(f"missing {key!r}")
    return None


def _dict(data: Any, key: str) -> Mapping[str, Any]:
    value = data.get(key) if isinstance(data, Mapping) else None
    return value if isinstance(value, Mapping) else {}


def is_dm_channel(channel_id: str | None, channel_name: str | None = None) -> bool:
    return bool(channel_id and channel_id.startswith("D")) or channel_name == "directmessage"


def command_name(body: Mapping[str, Any]) -> str:
    """``change-email`` from the slash command ``/change-email``."""
    return (_str(body, "command") or "").lstrip("/").lower()


def from_slash_command(body: Mapping[str, Any], *, now: datetime | None = None) -> Invocation:
    name = command_name(body)
    if not name:
        raise MalformedPayload("empty command")
    text = body.get("text") if isinstance(body.get("text"), str) else ""
    channel = _str(body, "channel_id", required=False)
    trigger = _str(body, "trigger_id", required=False)
    return Invocation(
        platform=PLATFORM, user_id=_str(body, "user_id"), text=f"{name} {text}".strip(),
        community_id=_str(body, "team_id", required=False), channel_id=channel,
        is_direct=is_dm_channel(channel, _str(body, "channel_name", required=False)),
        display_name=_str(body, "user_name", required=False),
        idempotency_key=f"slack:trigger:{trigger}" if trigger else None,
        received_at=now or utcnow(),
    )


def from_message_event(body: Mapping[str, Any], *, now: datetime | None = None) -> Invocation | None:
    """A DM to the bot (message.im) or an app_mention; None for bot messages, edits and other subtypes."""
    event = _dict(body, "event")
    kind = event.get("type")
    if kind not in ("message", "app_mention"):
        return None
    if event.get("subtype") or event.get("bot_id") or event.get("bot_profile"):
        return None  # our own posts, other bots, edits, joins…
    if kind == "message" and event.get("channel_type") != "im":
        return None
    user = _str(event, "user", required=False)
    text = event.get("text")
    if not user or not isinstance(text, str) or not text.strip():
        return None
    channel = _str(event, "channel")
    event_id = _str(body, "event_id", required=False)
    team = _str(body, "team_id", required=False) or _str(event, "team", required=False)
    is_direct = kind == "message" or is_dm_channel(channel)
    thread = _str(event, "thread_ts", required=False) or (None if is_direct else _str(event, "ts", required=False))
    return Invocation(
        platform=PLATFORM, user_id=user, text=text, community_id=team, channel_id=channel, is_direct=is_direct,
        thread_id=thread, idempotency_key=f"slack:event:{event_id}" if event_id else None,
        received_at=now or utcnow(),
    )


def _interactive_fields(body: Mapping[str, Any]) -> dict[str, Any]:
    user = _dict(body, "user")
    user_id = _str(user, "id")
    team = _str(_dict(body, "team"), "id", required=False) or _str(user, "team_id", required=False)
    channel = _dict(body, "channel")
    channel_id = _str(channel, "id", required=False) or _str(_dict(body, "container"), "channel_id", required=False)
    return dict(platform=PLATFORM, user_id=user_id, community_id=team, channel_id=channel_id,
                is_direct=is_dm_channel(channel_id, _str(channel, "name", required=False)),
                display_name=_str(user, "username", required=False) or _str(user, "name", required=False))


def from_block_action(body: Mapping[str, Any], action: Mapping[str, Any], *,
                      now: datetime | None = None) -> tuple[str, Invocation]:
    """(the button's ``<token>.<verb>`` reference, who pressed it and where)."""
    ref = _str(action, "value")
    if len(ref) > 200:
        raise MalformedPayload("button value too long")
    fields = _interactive_fields(body)
    message = _dict(body, "message")
    thread = _str(message, "thread_ts", required=False)
    action_ts = _str(action, "action_ts", required=False)
    return ref, Invocation(**fields, thread_id=thread,
                           idempotency_key=f"slack:action:{action_ts}:{ref}" if action_ts else None,
                           received_at=now or utcnow())


def from_view_submission(body: Mapping[str, Any], command: str, arguments: Mapping[str, str], *,
                         channel_id: str | None = None, thread_id: str | None = None,
                         now: datetime | None = None) -> Invocation:
    """A modal's values as a structured invocation of ``command``."""
    fields = _interactive_fields(body)
    if channel_id:
        fields["channel_id"] = channel_id
        fields["is_direct"] = is_dm_channel(channel_id)
    view_id = _str(_dict(body, "view"), "id", required=False)
    return Invocation.structured(PLATFORM, fields.pop("user_id"), command, dict(arguments),
                                 community_id=fields["community_id"], channel_id=fields["channel_id"],
                                 is_direct=fields["is_direct"], display_name=fields["display_name"],
                                 thread_id=thread_id,
                                 idempotency_key=f"slack:view:{view_id}" if view_id else None,
                                 received_at=now or utcnow())
