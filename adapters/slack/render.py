"""Reply → Block Kit: sections, fields, the timeline as context blocks, buttons.

    payload = render(reply)     # {"text": fallback, "blocks": [...]}
    client.chat_postMessage(channel="C1", **payload)

A button's Block Kit ``value`` is the core's server-side reference
(``<token>.<verb>``, an unguessable stored action); its ``action_id`` is only
``chatops:<n>``, unique within the message.

Text is the core's plain text (``translate.decode`` made it so on the way in),
encoded for Slack's mrkdwn exactly once (:func:`escape`): ``&``, ``<``, ``>``
become entities; a URL becomes a link showing itself (``<https://…>``), a
channel ``<#C…>`` stays a channel link; a user mention ``<@U…>`` pings only when
the reply names that user in ``Reply.mentions`` (the on-call person in an
escalation, a requester told about their ticket), otherwise it is written as
``@name`` (``name_of``: the adapter's cached users.info) — so nothing a user
typed can ping anyone: ``<!channel>`` arrives as the text ``@channel`` and goes
out as text, with a word joiner after the ``@`` besides, and every mrkdwn
object is ``verbatim`` (Slack parses no bare ``@here``, ``@team`` or
``#channel`` in it). Slack's limits (50 blocks, 3000 characters a section, 10
fields, 10 context elements, 25 buttons, 75 characters a button label) are
respected by splitting (at a line break, else a space) or clipping, never
inside an entity or a ``<…>`` link.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Collection

from chatops.reply import Buttons, Fields, Reply, Text, Timeline
from chatops.text import ELLIPSIS, clip

ACTION_PREFIX = "chatops:"
MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_FIELD = 2000
MAX_FIELDS = 10
MAX_CONTEXT = 10
MAX_BUTTONS = 25
MAX_LABEL = 75
MAX_FALLBACK = 3000
WORD_JOINER = "\u2060"  # invisible: "@\u2060here" reads as @here and is no mention in any parser

_STYLE_MARK = {"plain": "", "success": ":white_check_mark: ", "warning": ":warning: ", "error": ":x: "}
_STEP_MARK = {"done": ":white_check_mark:", "current": ":arrow_forward:", "pending": ":hourglass_flowing_sand:",
              "error": ":x:", "info": ":information_source:"}
# What the core's text may carry that stays structure in Slack: a user mention (pings only when the reply names
# the user), a channel, a URL (made a link). Everything else is text.
_STRUCTURE = re.compile(r"<@(?P<user>[UW][A-Z0-9]{2,20})>"
                        r"|<#(?P<channel>[CG][A-Z0-9]{2,20})(?:\|(?P<name>[\w.-]{0,80}))?>"
                        r"|(?P<url>\bhttps?://[^\s<>|\"`]+)")
_BROADCAST = re.compile(r"@(?=(?:here|channel|everyone)\b)", re.IGNORECASE)
_TRAILING = ".,;:!?'\")]}*_~"
# What a cut must not fall inside: a <…> link or mention, an entity.
_PROTECTED = re.compile(r"<[^<>]*>|&(?:amp|lt|gt);")

NameOf = Callable[[str], "str | None"]


def escape(text: str, mentions: Collection[str] = (), name_of: NameOf | None = None) -> str:
    """The core's plain ``text`` as mrkdwn: entities once, links, mentions only for ``mentions``."""
    out: list[str] = []
    pos = 0
    for m in _STRUCTURE.finditer(text):
        out.append(_escape_plain(text[pos:m.start()]))
        end = m.end()
        if m.group("user"):
            user = m.group("user")
            if user in mentions:
                out.append(f"<@{user}>")
            else:
                out.append("@" + _escape_plain((name_of(user) if name_of else None) or user))
        elif m.group("channel"):
            name = m.group("name")
            out.append(f"<#{m.group('channel')}|{name}>" if name else f"<#{m.group('channel')}>")
        else:
            url = m.group("url")
            while url and url[-1] in _TRAILING and not (url[-1] == ")" and url.count("(") >= url.count(")")):
                url = url[:-1]
            end = m.start() + len(url)
            out.append(f"<{_entities(url)}>" if len(url) > len("https://") else _escape_plain(url))
        pos = end
    out.append(_escape_plain(text[pos:]))
    return "".join(out)


def _entities(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _escape_plain(text: str) -> str:
    return _BROADCAST.sub("@" + WORD_JOINER, _entities(text))


def _blocked(text: str, upto: int) -> bytearray:
    """``blocked[p]`` is 1 when cutting ``text`` at ``p`` would split an entity or a ``<…>`` (p <= upto)."""
    blocked = bytearray(upto + 1)
    for m in _PROTECTED.finditer(text):
        if m.start() >= upto:
            break
        for p in range(m.start() + 1, min(m.end(), upto + 1)):
            blocked[p] = 1
    return blocked


def safe_cut(text: str, limit: int, *, prefer_breaks: bool = True) -> int:
    """Where to cut ``text`` so the first part has at most ``limit`` characters: at the last line break in
    its second half, else the last space there, else as late as possible — never inside an entity or a
    ``<…>``."""
    if len(text) <= limit:
        return len(text)
    blocked = _blocked(text, limit)
    if prefer_breaks:
        low = max(1, limit // 2)  # a break in the first half would waste a block: cut later instead
        for sep in ("\n", " "):
            p = limit
            while p >= low:
                p = text.rfind(sep, low, p + 1)
                if p < 0:
                    break
                if not blocked[p]:
                    return p
                p -= 1
    for p in range(limit, 0, -1):
        if not blocked[p]:
            return p
    return limit  # one <…> longer than the limit: it cannot stay whole


def clip_markup(text: str, limit: int) -> str:
    """``text`` (mrkdwn) cut to ``limit`` characters with "…", at a safe place (:func:`safe_cut`)."""
    if len(text) <= limit:
        return text
    return text[:safe_cut(text, limit - 1, prefer_breaks=False)] + ELLIPSIS


def _chunks(text: str, limit: int) -> list[str]:
    """Split at line breaks where possible (else spaces), so a long text becomes several sections."""
    chunks: list[str] = []
    while len(text) > limit:
        cut = safe_cut(text, limit)
        chunks.append(text[:cut])
        rest = text[cut:]
        text = rest[1:] if rest[:1] in ("\n", " ") else rest
    if text or not chunks:
        chunks.append(text)
    return chunks


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": _mrkdwn(text)}


def render_blocks(reply: Reply, name_of: NameOf | None = None) -> list[dict[str, Any]]:
    def esc(text: str) -> str:
        return escape(text, reply.mentions, name_of)

    blocks: list[dict[str, Any]] = []
    button_index = 0
    for block in reply.blocks:
        if isinstance(block, Text):
            body = _STYLE_MARK.get(block.style, "") + esc(block.text)
            blocks.extend(_section(chunk) for chunk in _chunks(body or " ", MAX_SECTION))
        elif isinstance(block, Fields):
            if block.title:
                blocks.append(_section(f"*{clip_markup(esc(block.title), MAX_SECTION - 2)}*"))
            items = [_mrkdwn(clip_markup(f"*{esc(k)}*\n{esc(v) or '—'}", MAX_FIELD)) for k, v in block.items]
            for i in range(0, len(items), MAX_FIELDS):
                blocks.append({"type": "section", "fields": items[i:i + MAX_FIELDS]})
        elif isinstance(block, Timeline):
            if block.title:
                blocks.append(_section(f"*{clip_markup(esc(block.title), MAX_SECTION - 2)}*"))
            steps, earlier = block.latest()  # the newest steps are the news; older ones are counted
            elements = [_mrkdwn(Timeline.earlier(earlier))] if earlier else []
            for step in steps:
                when = f"{step.at:%Y-%m-%d %H:%M} UTC  " if step.at else ""
                line = f"{_STEP_MARK.get(step.status, '•')} {when}{esc(step.label)}"
                if step.detail:
                    line += f" — {esc(step.detail)}"
                elements.append(_mrkdwn(clip_markup(line, MAX_FIELD)))
            for i in range(0, len(elements), MAX_CONTEXT):
                blocks.append({"type": "context", "elements": elements[i:i + MAX_CONTEXT]})
        elif isinstance(block, Buttons):
            elements = []
            for button in block.buttons[:MAX_BUTTONS]:
                element: dict[str, Any] = {
                    "type": "button",
                    "text": {"type": "plain_text", "text": clip(button.label, MAX_LABEL), "emoji": True},
                    "action_id": f"{ACTION_PREFIX}{button_index}",
                    "value": button.action_id,
                }
                if button.style in ("primary", "danger"):
                    element["style"] = button.style
                elements.append(element)
                button_index += 1
            if elements:
                blocks.append({"type": "actions", "elements": elements})
    if len(blocks) > MAX_BLOCKS:
        # Keep the buttons (the last actions block) reachable: drop middle content instead.
        actions = [b for b in blocks if b["type"] == "actions"][-1:]
        keep = MAX_BLOCKS - 1 - len(actions)
        blocks = blocks[:keep] + [_section("_…(shortened)_")] + actions
    return blocks


def fallback_text(reply: Reply, name_of: NameOf | None = None) -> str:
    """The notification / screen-reader text Slack shows where blocks are not rendered."""
    text = "\n".join(escape(b.text, reply.mentions, name_of) for b in reply.blocks if isinstance(b, Text))
    if not text:
        text = escape(reply.plain_text(), reply.mentions, name_of)
    return clip_markup(text or " ", MAX_FALLBACK)


def render(reply: Reply, name_of: NameOf | None = None) -> dict[str, Any]:
    """``{"text": ..., "blocks": [...]}`` for chat.postMessage, response_url and chat.postEphemeral.

    ``name_of(user_id)``: the name to show for a user mention that must not ping (None: the id)."""
    return {"text": fallback_text(reply, name_of), "blocks": render_blocks(reply, name_of)}


def is_error(reply: Reply) -> bool:
    return any(isinstance(b, Text) and b.style == "error" for b in reply.blocks)
