"""Reply → Block Kit: sections, fields, the timeline as context blocks, buttons.

    payload = render(reply)     # {"text": fallback, "blocks": [...]}
    client.chat_postMessage(channel="C1", **payload)

A button's Block Kit ``value`` is the core's server-side reference
(``<token>.<verb>``, an unguessable stored action); its ``action_id`` is only
``chatops:<n>``, unique within the message. Text is escaped for Slack's mrkdwn
(``&``, ``<``, ``>``), keeping only plain user and channel mentions, so nothing
a user typed can ping ``@channel`` or hide a link. Slack's limits (50 blocks,
3000 characters a section, 10 fields, 10 context elements, 25 buttons, 75
characters a button label) are respected by splitting or clipping.
"""
from __future__ import annotations

import re
from typing import Any

from chatops.reply import Buttons, Fields, Reply, Text, Timeline
from chatops.text import clip

ACTION_PREFIX = "chatops:"
MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_FIELD = 2000
MAX_FIELDS = 10
MAX_CONTEXT = 10
MAX_BUTTONS = 25
MAX_LABEL = 75
MAX_FALLBACK = 3000

_STYLE_MARK = {"plain": "", "success": ":white_check_mark: ", "warning": ":warning: ", "error": ":x: "}
_STEP_MARK = {"done": ":white_check_mark:", "current": ":arrow_forward:", "pending": ":hourglass_flowing_sand:",
              "error": ":x:", "info": ":information_source:"}
# Mentions we keep as they are: users and channels. Everything else in <...> is escaped.
_KEEP = re.compile(r"<(?:@[UW][A-Z0-9]{2,20}|#C[A-Z0-9]{2,20}(?:\|[\w.-]{1,80})?)>")


def escape(text: str) -> str:
    """Escape Slack mrkdwn control characters, keeping plain ``<@U…>`` and ``<#C…>`` mentions."""
    out: list[str] = []
    pos = 0
    for m in _KEEP.finditer(text):
        out.append(_escape_plain(text[pos:m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(_escape_plain(text[pos:]))
    return "".join(out)


def _escape_plain(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _chunks(text: str, limit: int) -> list[str]:
    """Split at line breaks where possible, so a long text becomes several sections."""
    chunks: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        if cut <= 0:
            cut = limit
        chunks.append(text[:cut])
        text = text[cut:].lstrip("\n")
    if text or not chunks:
        chunks.append(text)
    return chunks


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": _mrkdwn(text)}


def render_blocks(reply: Reply) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    button_index = 0
    for block in reply.blocks:
        if isinstance(block, Text):
            body = _STYLE_MARK.get(block.style, "") + escape(block.text)
            blocks.extend(_section(chunk) for chunk in _chunks(body or " ", MAX_SECTION))
        elif isinstance(block, Fields):
            if block.title:
                blocks.append(_section(f"*{clip(escape(block.title), MAX_SECTION - 2)}*"))
            items = [_mrkdwn(clip(f"*{escape(k)}*\n{escape(v) or '—'}", MAX_FIELD)) for k, v in block.items]
            for i in range(0, len(items), MAX_FIELDS):
                blocks.append({"type": "section", "fields": items[i:i + MAX_FIELDS]})
        elif isinstance(block, Timeline):
            if block.title:
                blocks.append(_section(f"*{clip(escape(block.title), MAX_SECTION - 2)}*"))
            elements = []
            for step in block.steps:
                when = f"{step.at:%Y-%m-%d %H:%M} UTC  " if step.at else ""
                line = f"{_STEP_MARK.get(step.status, '•')} {when}{escape(step.label)}"
                if step.detail:
                    line += f" — {escape(step.detail)}"
                elements.append(_mrkdwn(clip(line, MAX_FIELD)))
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


def fallback_text(reply: Reply) -> str:
    """The notification / screen-reader text Slack shows where blocks are not rendered."""
    text = "\n".join(escape(b.text) for b in reply.blocks if isinstance(b, Text))
    if not text:
        text = escape(reply.plain_text())
    return clip(text or " ", MAX_FALLBACK)


def render(reply: Reply) -> dict[str, Any]:
    """``{"text": ..., "blocks": [...]}`` for chat.postMessage, response_url and chat.postEphemeral."""
    return {"text": fallback_text(reply), "blocks": render_blocks(reply)}


def is_error(reply: Reply) -> bool:
    return any(isinstance(b, Text) and b.style == "error" for b in reply.blocks)
