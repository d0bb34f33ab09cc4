"""What an adapter hands the core: one frozen, platform-neutral Invocation.

    inv = Invocation(platform="slack", user_id="U123", text="change-email acct_1 a@b.co",
                     community_id="T999", channel_id="C42", idempotency_key="slack:trigger:1234")

Adapters that already have typed values (a Discord app command's options, a
modal submission) pass ``command`` and ``arguments`` instead of text; the router
converts them with the same converters.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Mapping

PLATFORMS = ("slack", "discord", "console", "web")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def sanitize(text: str | None) -> str | None:
    """Drop control characters (but tab and newlines) and lone surrogates; keep the rest verbatim."""
    if text is None:
        return None
    text = str(text)
    if _CONTROL.search(text):
        text = _CONTROL.sub("", text)  # NUL, ESC, BEL…: nothing a person meant to type
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


@dataclass(frozen=True)
class Invocation:
    platform: str
    user_id: str
    text: str = ""
    community_id: str | None = None  # Slack team id, Discord guild id
    channel_id: str | None = None
    is_direct: bool = False
    thread_id: str | None = None
    display_name: str | None = None
    idempotency_key: str | None = None
    received_at: datetime = field(default_factory=utcnow)
    # Roles the platform reports (Discord guild role names/ids, Slack user group ids).
    platform_roles: frozenset[str] = frozenset()
    # Pre-split input: the command name and raw string values by parameter name.
    command: str | None = None
    arguments: tuple[tuple[str, str], ...] | None = None

    def __post_init__(self) -> None:
        for name in ("platform", "user_id", "text", "community_id", "channel_id", "thread_id", "display_name",
                     "idempotency_key", "command"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, sanitize(value))
        if self.arguments is not None:
            object.__setattr__(self, "arguments", tuple((sanitize(k), sanitize(v)) for k, v in self.arguments))
        if not self.platform or not self.user_id:
            raise ValueError("an Invocation needs a platform and a user_id")
        if self.received_at.tzinfo is None:
            raise ValueError("received_at must be timezone-aware (UTC)")

    @property
    def actor_key(self) -> str:
        return f"{self.platform}:{self.user_id}"

    def to_dict(self) -> dict:
        """JSON-ready (a durable work item stores the invocation it will run)."""
        return {
            "platform": self.platform, "user_id": self.user_id, "text": self.text,
            "community_id": self.community_id, "channel_id": self.channel_id, "is_direct": self.is_direct,
            "thread_id": self.thread_id, "display_name": self.display_name, "idempotency_key": self.idempotency_key,
            "received_at": self.received_at.isoformat(), "platform_roles": sorted(self.platform_roles),
            "command": self.command,
            "arguments": [list(pair) for pair in self.arguments] if self.arguments is not None else None,
        }

    # Who asked and where: what a stored action (a preview, an approval request, a button) keeps of the
    # invocation that made it, to run the command later as that person, in that place.
    ORIGIN_FIELDS = ("platform", "user_id", "community_id", "channel_id", "is_direct", "thread_id", "display_name")

    def origin(self) -> dict:
        """The :attr:`ORIGIN_FIELDS` of this invocation (JSON-ready)."""
        return {name: getattr(self, name) for name in self.ORIGIN_FIELDS}

    @classmethod
    def from_origin(cls, data: Mapping, received_at: datetime) -> "Invocation":
        """The invocation an :meth:`origin` describes, received at ``received_at`` (the press that runs it)."""
        fields = {k: data.get(k) for k in cls.ORIGIN_FIELDS}
        fields["is_direct"] = bool(fields["is_direct"])
        return cls(**fields, received_at=received_at, text="")

    @classmethod
    def from_dict(cls, data: Mapping) -> "Invocation":
        arguments = data.get("arguments")
        return cls(
            platform=data["platform"], user_id=data["user_id"], text=data.get("text") or "",
            community_id=data.get("community_id"), channel_id=data.get("channel_id"),
            is_direct=bool(data.get("is_direct")), thread_id=data.get("thread_id"),
            display_name=data.get("display_name"), idempotency_key=data.get("idempotency_key"),
            received_at=datetime.fromisoformat(data["received_at"]) if data.get("received_at") else utcnow(),
            platform_roles=frozenset(data.get("platform_roles") or ()), command=data.get("command"),
            arguments=tuple((str(k), str(v)) for k, v in arguments) if arguments is not None else None,
        )

    @classmethod
    def structured(cls, platform: str, user_id: str, command: str, arguments: Mapping[str, str], **kw) -> "Invocation":
        """An invocation from typed options (Discord app command, modal submission)."""
        text = " ".join([command, *(f"{k}={v}" for k, v in arguments.items())])
        return cls(platform=platform, user_id=user_id, text=kw.pop("text", text), command=command,
                   arguments=tuple((k, str(v)) for k, v in arguments.items()), **kw)
