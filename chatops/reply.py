"""Platform-neutral replies: what a command answers, before any adapter renders it.

    Reply.of(
        Text("Batch B-1042 failed."),
        Fields((("State", "failed"), ("Retry", "14:00 UTC"))),
        Timeline((Step("Created", at=t0), Step("Rejected by bank", at=t1, status="error"))),
        Buttons((Button("Confirm", action_id="a8f...", style="primary"),)),
        ephemeral=True,
    )

Adapters turn these blocks into Block Kit, Discord embeds/components or plain
text; the core never produces a platform format. Replies round-trip through
``to_dict``/``from_dict`` so a stored reply (idempotency) renders the same.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal, Union

TextStyle = Literal["plain", "success", "warning", "error"]
ButtonStyle = Literal["default", "primary", "danger"]
StepStatus = Literal["done", "current", "pending", "error", "info"]


@dataclass(frozen=True)
class Text:
    text: str
    style: TextStyle = "plain"


@dataclass(frozen=True)
class Fields:
    items: tuple[tuple[str, str], ...]
    title: str | None = None


@dataclass(frozen=True)
class Step:
    label: str
    at: datetime | None = None
    detail: str | None = None
    status: StepStatus = "done"


@dataclass(frozen=True)
class Timeline:
    steps: tuple[Step, ...]
    title: str | None = None

    SHOWN = 20  # steps a chat message shows: the latest ones (a 400-event history would bury the news)

    def latest(self, limit: int | None = None) -> tuple[tuple[Step, ...], int]:
        """The newest ``limit`` (default ``SHOWN``) steps, oldest first, and how many earlier ones they leave
        out (shown as "N earlier steps")."""
        limit = self.SHOWN if limit is None else max(0, limit)
        kept = self.steps[-limit:] if limit else ()
        return tuple(kept), len(self.steps) - len(kept)

    @staticmethod
    def earlier(count: int) -> str:
        return f"… {count} earlier step{'s' if count != 1 else ''}"


@dataclass(frozen=True)
class Button:
    """A button. ``action_id`` is an unguessable server-side reference, never a record id."""

    label: str
    action_id: str
    style: ButtonStyle = "default"


@dataclass(frozen=True)
class Buttons:
    buttons: tuple[Button, ...]


Block = Union[Text, Fields, Timeline, Buttons]


@dataclass(frozen=True)
class Destination:
    """Where a post goes: a channel on one platform."""

    platform: str
    channel_id: str


@dataclass(frozen=True)
class Post:
    """A message the core wants delivered somewhere else than the reply (an approvals channel, a queue).

    ``thread_id``: post into that thread; ``"new"`` asks the adapter to start a thread on the message.
    ``key``: names it (once only, see ``outbox.enqueue``'s dedupe_key), so a later post can ``edits`` it:
    replace that message on the platform with its own content (a request that was withdrawn).
    """

    destination: Destination
    reply: "Reply"
    thread_id: str | None = None
    key: str | None = None
    edits: str | None = None


@dataclass(frozen=True)
class Reply:
    blocks: tuple[Block, ...] = ()
    ephemeral: bool = False
    correlation_id: str | None = None
    posts: tuple[Post, ...] = ()
    # True when this reply is a stored answer returned for a repeated delivery.
    replayed: bool = False
    # True when the reply says a change's outcome is not known yet and an automatic check follows
    # (a re-run for that check need not repeat it to the user).
    checking: bool = False
    # The platform user ids this reply means to notify (the on-call person in an escalation, a requester
    # told about their ticket). Nothing else in it pings anyone: not a mention typed by a user and
    # quoted here, nor @everyone / @here / a role — adapters send each message so (Discord's
    # allowed_mentions, Slack's escaping).
    mentions: tuple[str, ...] = ()
    # An answer to a button press that is the new state of the message the button was on (a ticket card
    # after Claim, an approval request after Approve): adapters edit that message in place — its text,
    # who acted, its buttons retired or changed — instead of posting another one.
    in_place: bool = False

    @classmethod
    def of(cls, *blocks: Block | str, ephemeral: bool = False, posts: tuple[Post, ...] = ()) -> "Reply":
        return cls(
            blocks=tuple(Text(b) if isinstance(b, str) else b for b in blocks),
            ephemeral=ephemeral,
            posts=posts,
        )

    @classmethod
    def text(cls, text: str, *, style: TextStyle = "plain", ephemeral: bool = False) -> "Reply":
        return cls(blocks=(Text(text, style),), ephemeral=ephemeral)

    def with_(self, **changes: Any) -> "Reply":
        return replace(self, **changes)

    # ---- plain text (console, logs, DM fallbacks) -------------------------------
    def plain_text(self) -> str:
        out: list[str] = []
        for block in self.blocks:
            if isinstance(block, Text):
                out.append(block.text)
            elif isinstance(block, Fields):
                if block.title:
                    out.append(block.title)
                width = max((len(k) for k, _ in block.items), default=0)
                out.extend(f"  {k.ljust(width)}  {v}" for k, v in block.items)
            elif isinstance(block, Timeline):
                if block.title:
                    out.append(block.title)
                for step in block.steps:
                    when = step.at.strftime("%Y-%m-%d %H:%M UTC") if step.at else ""
                    mark = {"done": "✓", "current": "→", "pending": "·", "error": "✗", "info": "•"}[step.status]
                    line = f"  {mark} {when + '  ' if when else ''}{step.label}"
                    if step.detail:
                        line += f" — {step.detail}"
                    out.append(line)
            elif isinstance(block, Buttons):
                out.append("  " + "  ".join(f"[{b.label}: {b.action_id}]" for b in block.buttons))
        return "\n".join(out)

    def button_ids(self) -> dict[str, str]:
        """Label → action id of every button (handy in tests and the console)."""
        return {b.label: b.action_id for blk in self.blocks if isinstance(blk, Buttons) for b in blk.buttons}

    # ---- serialisation ----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "blocks": [_block_to_dict(b) for b in self.blocks],
            "ephemeral": self.ephemeral,
            "correlation_id": self.correlation_id,
            "posts": [
                {"platform": p.destination.platform, "channel_id": p.destination.channel_id,
                 "thread_id": p.thread_id, "reply": p.reply.to_dict(), "key": p.key, "edits": p.edits}
                for p in self.posts
            ],
            "mentions": list(self.mentions),
            "in_place": self.in_place,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Reply":
        return cls(
            blocks=tuple(_block_from_dict(b) for b in data.get("blocks", ())),
            ephemeral=bool(data.get("ephemeral")),
            correlation_id=data.get("correlation_id"),
            posts=tuple(
                Post(Destination(p["platform"], p["channel_id"]), cls.from_dict(p["reply"]), p.get("thread_id"),
                     p.get("key"), p.get("edits"))
                for p in data.get("posts", ())
            ),
            mentions=tuple(str(m) for m in data.get("mentions") or ()),
            in_place=bool(data.get("in_place")),
        )


def _block_to_dict(block: Block) -> dict[str, Any]:
    if isinstance(block, Text):
        return {"type": "text", "text": block.text, "style": block.style}
    if isinstance(block, Fields):
        return {"type": "fields", "title": block.title, "items": [list(i) for i in block.items]}
    if isinstance(block, Timeline):
        return {
            "type": "timeline",
            "title": block.title,
            "steps": [
                {"label": s.label, "at": s.at.isoformat() if s.at else None, "detail": s.detail, "status": s.status}
                for s in block.steps
            ],
        }
    if isinstance(block, Buttons):
        return {
            "type": "buttons",
            "buttons": [{"label": b.label, "action_id": b.action_id, "style": b.style} for b in block.buttons],
        }
    raise TypeError(f"not a reply block: {block!r}")


def _block_from_dict(data: dict[str, Any]) -> Block:
    kind = data["type"]
    if kind == "text":
        return Text(data["text"], data.get("style", "plain"))
    if kind == "fields":
        return Fields(tuple((str(k), str(v)) for k, v in data["items"]), data.get("title"))
    if kind == "timeline":
        return Timeline(
            tuple(
                Step(
                    s["label"],
                    datetime.fromisoformat(s["at"]) if s.get("at") else None,
                    s.get("detail"),
                    s.get("status", "done"),
                )
                for s in data["steps"]
            ),
            data.get("title"),
        )
    if kind == "buttons":
        return Buttons(tuple(Button(b["label"], b["action_id"], b.get("style", "default")) for b in data["buttons"]))
    raise ValueError(f"unknown block type {kind!r}")


__all__ = [
    "Block", "Button", "Buttons", "Destination", "Fields", "Post", "Reply", "Step", "Text", "Timeline",
    "field",
]
