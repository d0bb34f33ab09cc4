"""Forms for commands run without their required arguments (Discord modals: at most five inputs).

    fields = command.form_fields(raw, limit=MAX_INPUTS) # the core decides (None: more than five)
    modal = build_modal(command, fields, form_id)       # None when there is nothing it can ask
    await interaction.response.send_modal(modal)
    ...
    values = submitted_values(interaction.data)         # {"description": "my payout is late"}

When a form opens (``Command.form_fields``, the same rule as Slack's): required arguments left out
(free text is optional on Discord, so ``/ticket reply 12`` without the text), or
a command with a free-text parameter run with no options at all (``/support``
alone: its category, urgency, summary and details in one form).

What happens beyond five: a modal cannot hold the sixth input, and a form that
collects only part of the arguments would lose the answers when the command
then fails, so a command missing more than five required arguments gets no
modal: it goes to the core as it is, which answers (ephemerally) with the
missing argument and the command's usage. A free-text command with more than
five parameters gets a form with its required ones and the free text first.

A modal's ``custom_id`` is ``chatops-form:<command>:<form id>``. The options the
user did give are kept in memory under the form id (15 minutes) and merged
with the submitted fields; after a restart the submitted fields alone go to the
core, which asks for anything still missing.
"""
from __future__ import annotations

import re
from typing import Any, Iterable

import discord

from chatops.commands import Command, Parameter

MAX_INPUTS = 5
FORM_PREFIX = "chatops-form:"
FORM_ID = re.compile(r"chatops-form:(?P<command>[a-z][a-z0-9-]{0,31}):(?P<form>[0-9]{1,20})")
MAX_INPUT_LENGTH = 4000  # Discord's cap for a text input


def form_custom_id(command: Command, form_id: int | str) -> str:
    return f"{FORM_PREFIX}{command.name}:{form_id}"


def parse_form_id(custom_id: str) -> tuple[str, str] | None:
    match = FORM_ID.fullmatch(custom_id or "")
    return (match["command"], match["form"]) if match else None


def _label(param: Parameter) -> str:
    label = param.display.replace("-", " ").capitalize()
    return label[:45]


class CommandForm(discord.ui.Modal):
    """A modal of text inputs named after the command's parameters.

    Its submission is handled by the bot's ``on_interaction`` (so it also works
    after a restart); ``on_submit`` does nothing.
    """

    def __init__(self, command: Command, params: Iterable[Parameter], form_id: int | str) -> None:
        super().__init__(title=command.form_title(45), timeout=900,
                         custom_id=form_custom_id(command, form_id))
        for param in params:
            long_text = param.is_tail
            hint = param.help or param.type.arg_type.describe()
            if param.choices:
                hint = "one of: " + ", ".join(param.choices)
            self.add_item(discord.ui.TextInput(
                label=_label(param), custom_id=param.display, required=param.required or param.is_tail,
                style=discord.TextStyle.paragraph if long_text else discord.TextStyle.short,
                placeholder=hint[:100] if hint else None,
                max_length=MAX_INPUT_LENGTH if long_text else 2000,
            ))

    async def on_submit(self, interaction: discord.Interaction) -> None:  # handled in on_interaction
        return None


def build_modal(command: Command, params: list[Parameter] | None, form_id: int | str) -> CommandForm | None:
    """A form asking for ``params``, or None when there is nothing to ask or more than five (module doc)."""
    if not params or len(params) > MAX_INPUTS:
        return None
    return CommandForm(command, params, form_id)


def submitted_values(data: dict[str, Any] | None) -> dict[str, str]:
    """Text input values by custom id, from a modal submission (action rows or labels, any depth)."""
    values: dict[str, str] = {}

    def walk(components: Any) -> None:
        for component in components or ():
            if not isinstance(component, dict):
                continue
            if isinstance(component.get("custom_id"), str) and isinstance(component.get("value"), str):
                values[component["custom_id"]] = component["value"]
            walk(component.get("components"))
            if isinstance(component.get("component"), dict):
                walk([component["component"]])

    walk((data or {}).get("components"))
    return values
