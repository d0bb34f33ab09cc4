"""A command's typed schema → a Slack modal, and the submission back → raw arguments.

    if (typed := needs_form(command, text)) is not None:
        view = build_modal(command, prefill=typed, origin=Origin(channel_id="C1", response_url=url))
    client.views_open(trigger_id=trigger_id, view=view)
    ...
    raw = submission_arguments(command, payload["view"])     # {"account": "acct_1", "new_email": "a@b.co"}
    Invocation(platform="slack", user_id=..., command=command.name, arguments=tuple(raw.items()))

One input per parameter: a multi-line text box for free text, a number input
for int/float, a static select for choices (Enum, Literal, bool), a user
picker for a UserRef, a text box otherwise. Values are converted by the same
converters as typed text (``chatops.parser.convert_all``); a bad value is
shown under its field before the modal closes.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chatops import parser
from chatops.commands import Command, Parameter
from chatops.converters import UserRef
from chatops.errors import BadArgument, MissingArgument, UsageError
from chatops.invocation import Invocation

from chatops.text import clip

CALLBACK_ID = "chatops:modal"
BLOCK_PREFIX = "p:"
ACTION_ID = "value"
MAX_METADATA = 3000
MAX_OPTIONS = 100
MAX_TEXT_INPUT = 3000


@dataclass(frozen=True)
class Origin:
    """Where the command was typed, so the result can be answered there after the submission."""

    channel_id: str | None = None
    response_url: str | None = None
    thread_id: str | None = None


def needs_form(command: Command, text: str) -> dict[str, str] | None:
    """What was typed, by parameter, when the command should open its form instead of running; else None.

    The core decides (``Command.form_fields``): a required argument is missing, or nothing was typed
    for a command that takes free text (``/support`` alone opens the support form). A text that does
    not parse is left to the router, which explains the problem. Slack's modal then shows every
    parameter, prefilled with what was typed.
    """
    if not command.params:
        return None
    try:
        raw = parser.parse_raw(command, text)
    except UsageError:
        return None
    return raw if command.form_fields(raw) else None


def _element(param: Parameter, initial: str | None) -> dict[str, Any]:
    python_type = param.type.python_type
    if python_type is UserRef:
        element: dict[str, Any] = {"type": "users_select", "action_id": ACTION_ID}
        user = _slack_user(initial)
        if user:
            element["initial_user"] = user
        return element
    if param.choices:
        options = [{"text": {"type": "plain_text", "text": clip(c, 75)}, "value": c[:150]}
                   for c in param.choices[:MAX_OPTIONS]]
        element = {"type": "static_select", "action_id": ACTION_ID, "options": options}
        chosen = next((o for o in options if initial and o["value"].lower() == initial.strip().lower()), None)
        if chosen is None and not param.required and param.default not in (None, ""):
            default = param.default.value if hasattr(param.default, "value") else param.default
            if isinstance(default, bool):
                default = "yes" if default else "no"
            chosen = next((o for o in options if o["value"] == str(default)), None)
        if chosen:
            element["initial_option"] = chosen
        return element
    if python_type in (int, float):
        element = {"type": "number_input", "action_id": ACTION_ID, "is_decimal_allowed": python_type is float}
    else:
        element = {"type": "plain_text_input", "action_id": ACTION_ID, "multiline": param.is_tail,
                   "max_length": MAX_TEXT_INPUT if param.is_tail else parser.MAX_ARGUMENT}
    if initial:
        element["initial_value"] = initial[:MAX_TEXT_INPUT]
    return element


def _slack_user(raw: str | None) -> str | None:
    """``U123`` from ``<@U123>``, ``<@U123|ana>``, ``slack:U123`` or ``U123``; None otherwise."""
    if not raw:
        return None
    text = raw.strip()
    for prefix in ("<@", "slack:"):
        if text.startswith(prefix):
            text = text[len(prefix):]
    text = text.split("|", 1)[0].rstrip(">")
    return text if text[:1] in ("U", "W") and text.isalnum() else None


def build_modal(command: Command, *, prefill: dict[str, str] | None = None, origin: Origin = Origin()) -> dict[str, Any]:
    prefill = prefill or {}
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": clip(command.summary, 3000)}}]
    for param in command.params:
        block: dict[str, Any] = {
            "type": "input",
            "block_id": BLOCK_PREFIX + param.name,
            "label": {"type": "plain_text", "text": clip(param.display, 2000)},
            "optional": not param.required,
            "element": _element(param, prefill.get(param.name)),
        }
        if param.help:
            block["hint"] = {"type": "plain_text", "text": clip(param.help, 2000)}
        blocks.append(block)
    meta: dict[str, Any] = {"c": command.name}
    if origin.channel_id:
        meta["ch"] = origin.channel_id
    if origin.thread_id:
        meta["th"] = origin.thread_id
    if origin.response_url:
        meta["r"] = origin.response_url
    metadata = json.dumps(meta, separators=(",", ":"))
    if len(metadata) > MAX_METADATA:  # a very long response_url: answer by DM instead
        meta.pop("r", None)
        metadata = json.dumps(meta, separators=(",", ":"))
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": {"type": "plain_text", "text": command.form_title(24)},
        "submit": {"type": "plain_text", "text": "Run"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": metadata,
        "blocks": blocks[:100],
    }


def read_metadata(view: dict[str, Any]) -> tuple[str, Origin]:
    """(command name, origin) from a submitted view's private_metadata; ValueError when unusable."""
    meta = json.loads(view.get("private_metadata") or "{}")
    if not isinstance(meta, dict) or not isinstance(meta.get("c"), str):
        raise ValueError("this modal was not opened by chatops")
    return meta["c"], Origin(channel_id=meta.get("ch"), response_url=meta.get("r"), thread_id=meta.get("th"))


def submission_arguments(command: Command, view: dict[str, Any]) -> dict[str, str]:
    """Raw string values by parameter name from ``view.state.values`` (empty inputs left out)."""
    values = (view.get("state") or {}).get("values") or {}
    raw: dict[str, str] = {}
    for param in command.params:
        state = (values.get(BLOCK_PREFIX + param.name) or {}).get(ACTION_ID) or {}
        kind = state.get("type")
        value: Any
        if kind == "users_select":
            value = f"<@{state['selected_user']}>" if state.get("selected_user") else None
        elif kind == "static_select":
            value = (state.get("selected_option") or {}).get("value")
        else:
            value = state.get("value")
        if isinstance(value, str) and value.strip():
            raw[param.name] = value
    return raw


def field_errors(command: Command, raw: dict[str, str], invocation: Invocation) -> dict[str, str]:
    """``{block_id: message}`` for values the command's converters refuse (shown in the open modal)."""
    try:
        parser.convert_all(command, raw, invocation)
    except (BadArgument, MissingArgument) as exc:
        param = command.param(exc.param)
        block = BLOCK_PREFIX + (param.name if param else command.params[0].name)
        return {block: clip(exc.message.replace("`", ""), 150)}
    except UsageError as exc:
        return {BLOCK_PREFIX + command.params[0].name: clip(exc.message.replace("`", ""), 150)} if command.params else {}
    return {}
