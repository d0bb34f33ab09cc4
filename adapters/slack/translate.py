"""Slack payloads → Invocations: the whole of the adapter's input side, as plain functions.

    inv = from_slash_command(body)            # /change-email acct_1 a@b.co
    inv = from_message_event(body)            # a DM or an @mention; None for what we do not handle
    ref, inv = from_block_action(body, action)
    inv = from_view_submission(body, "change-email", {"account": "acct_1", ...})

team_id → ``community_id``, user_id → ``user_id``, DMs → ``is_direct``, and an
idempotency key from what Slack gives each delivery (trigger_id, event_id, the
view id), so retries collapse in the core. A payload missing what Slack always
sends raises :class:`MalformedPayload` (answered 400).

Text, decoded once for what each path carries (:func:`decode`): message events
(DMs, mentions) and slash commands arrive in Slack's markup — ``&``, ``<``, ``>``
as ``&amp;`` ``&lt;`` ``&gt;``, mentions and links in ``<…>`` (slash commands
too: the manifest sets ``should_escape``, so users come as ``<@U…|name>``, not a
bare ``@name``). The core gets readable text: entities decoded, a user mention
as ``<@U…>`` (what its user converter reads), a channel as ``<#C…>``, a link as
its URL, ``mailto:`` as the address, ``<!here>`` / ``<!channel>`` / ``<!everyone>``
/ ``<!subteam^S…|@team>`` as plain ``@here`` … ``@team`` (text, not a ping: the
renderer never sends them back as mentions). Modal inputs arrive as typed, and
are taken verbatim. A DM with files (subtype ``file_share``) keeps its text and
gets one ``Attached: <name> <permalink>`` line per file.
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Mapping

from chatops.invocation import Invocation, utcnow

PLATFORM = "slack"
MAX_FILES = 10  # "Attached:" lines per message (Slack allows 10 files a message)
HANDLED_SUBTYPES = frozenset({"file_share"})  # a user's message with files; every other subtype is not a command

_MARKUP = re.compile(r"<([^<>]*)>")
_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,20}")
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,20}")
_CHANNEL_NAME = re.compile(r"[\w.-]{1,80}")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{0,20}:")
BROADCASTS = ("here", "channel", "everyone")


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


def unescape(text: str) -> str:
    """Slack's three entities back to characters, in one pass (``&amp;lt;`` is the text ``&lt;``)."""
    return _ENTITY.sub(lambda m: _ENTITIES[m.group(1)], text)


def decode(text: str) -> str:
    """Slack message markup → the readable text the core gets (module docstring)."""
    out: list[str] = []
    pos = 0
    for m in _MARKUP.finditer(text):
        out.append(unescape(text[pos:m.start()]))
        out.append(_markup(m.group(1)))
        pos = m.end()
    out.append(unescape(text[pos:]))
    return "".join(out)


def _markup(inner: str) -> str:
    target, _, label = inner.partition("|")
    label = unescape(label)
    if target.startswith("@"):
        user = target[1:]
        return f"<@{user}>" if _USER_ID.fullmatch(user) else "@" + (label.lstrip("@") or user)
    if target.startswith("#"):
        channel = target[1:]
        if not _CHANNEL_ID.fullmatch(channel):
            return "#" + (label.lstrip("#") or channel)
        return f"<#{channel}|{label}>" if _CHANNEL_NAME.fullmatch(label) else f"<#{channel}>"
    if target.startswith("!"):
        kind, _, rest = target[1:].partition("^")
        if kind in BROADCASTS:
            return "@" + kind
        if kind == "subteam":  # a user group: its handle as text
            return "@" + (label.lstrip("@") or rest.split("^", 1)[0] or "group")
        return label or kind  # <!date^…|fallback>, and anything newer: what Slack shows without it
    if target.lower().startswith("mailto:"):
        return unescape(target[len("mailto:"):])
    if _SCHEME.match(target):
        return unescape(target)  # a link (typed, or pasted with a label): its URL, never a hidden one
    return "<" + unescape(inner) + ">"  # not Slack markup (Slack escapes a typed "<"): kept as typed


def _attachments(event: Mapping[str, Any]) -> list[str]:
    """``Attached: name permalink`` for each file of a ``file_share`` message."""
    files = event.get("files")
    lines = []
    for item in (files if isinstance(files, list) else [])[:MAX_FILES]:
        if not isinstance(item, Mapping):
            continue
        name = _str(item, "name", required=False) or _str(item, "title", required=False) or \
            f"file {_str(item, 'id', required=False) or '?'}"
        link = _str(item, "permalink", required=False) or _str(item, "url_private", required=False)
        lines.append(f"Attached: {' '.join(name.split())}" + (f" {link}" if link else ""))
    return lines


def is_dm_channel(channel_id: str | None, channel_name: str | None = None) -> bool:
    return bool(channel_id and channel_id.startswith("D")) or channel_name == "directmessage"


def command_name(body: Mapping[str, Any]) -> str:
    """``change-email`` from the slash command ``/change-email``."""
    return (_str(body, "command") or "").lstrip("/").lower()


def slash_text(body: Mapping[str, Any]) -> str:
    """What was typed after the slash command, decoded (Slack escapes it as it does messages)."""
    text = body.get("text")
    return decode(text) if isinstance(text, str) else ""


def from_slash_command(body: Mapping[str, Any], *, now: datetime | None = None) -> Invocation:
    name = command_name(body)
    if not name:
        raise MalformedPayload("empty command")
    text = slash_text(body)
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
    """A DM to the bot (message.im) or an app_mention, with its files; None for bot messages, edits and
    other subtypes."""
    event = _dict(body, "event")
    kind = event.get("type")
    if kind not in ("message", "app_mention"):
        return None
    subtype = event.get("subtype")
    if (subtype and subtype not in HANDLED_SUBTYPES) or event.get("bot_id") or event.get("bot_profile"):
        return None  # our own posts, other bots, edits, deletions, joins…
    if kind == "message" and event.get("channel_type") != "im":
        return None
    user = _str(event, "user", required=False)
    raw = event.get("text")
    if not user or not isinstance(raw, str):
        return None
    text = "\n".join(part for part in (decode(raw).strip(), *_attachments(event)) if part)
    if not text.strip():
        return None
    channel = _str(event, "channel")
    event_id = _str(body, "event_id", required=False)
    # Slack Connect / Enterprise Grid: the community is the *user's* organisation (event.user_team, or
    # event.team), not the workspace hosting the shared channel (the envelope's team_id).
    team = (_str(event, "user_team", required=False) or _str(event, "team", required=False)
            or _str(body, "team_id", required=False))
    is_direct = kind == "message" or is_dm_channel(channel)
    thread = _str(event, "thread_ts", required=False) or (None if is_direct else _str(event, "ts", required=False))
    return Invocation(
        platform=PLATFORM, user_id=user, text=text, community_id=team, channel_id=channel, is_direct=is_direct,
        thread_id=thread, idempotency_key=f"slack:event:{event_id}" if event_id else None,
        received_at=now or utcnow(),
    )


def from_home_opened(body: Mapping[str, Any], *, now: datetime | None = None) -> Invocation | None:
    """The App Home tab opened (app_home_opened, tab ``home``): the person's ``my``; None for the Messages tab."""
    event = _dict(body, "event")
    if event.get("type") != "app_home_opened" or event.get("tab") != "home":
        return None
    user = _str(event, "user", required=False)
    if not user:
        return None
    event_id = _str(body, "event_id", required=False)
    return Invocation(
        platform=PLATFORM, user_id=user, text="my", command="my", arguments=(),
        community_id=_str(body, "team_id", required=False), channel_id=_str(event, "channel", required=False),
        is_direct=True, idempotency_key=f"slack:event:{event_id}" if event_id else None, received_at=now or utcnow(),
    )


def _interactive_fields(body: Mapping[str, Any]) -> dict[str, Any]:
    user = _dict(body, "user")
    user_id = _str(user, "id")
    # the presser's own organisation wins over the channel host's (Slack Connect, Enterprise Grid)
    team = _str(user, "team_id", required=False) or _str(_dict(body, "team"), "id", required=False)
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
