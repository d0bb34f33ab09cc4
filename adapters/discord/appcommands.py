"""The registry as Discord application commands, and an interaction's options back as raw strings.

    payload = commands_payload(app.registry)        # PUT /applications/{id}/commands (chatops discord sync)
    raw = options_to_arguments(command, interaction.data["options"])   # {"account": "acct_1", ...}

One command declaration drives the schema: a ``str``/``Email`` is a string
option, ``int`` an integer, ``float`` a number, ``bool`` a boolean, an Enum or
``Literal`` a string with choices (up to Discord's 25; beyond that a plain
string the core validates), a ``UserRef`` a user option. Descriptions come from
the docstring. A free-text (``FreeText``) parameter is *optional on Discord*
even when the command requires it: leaving it out opens a modal with a
paragraph field (``/support`` alone asks "What do you need help with?").

Options are handed to the core as raw strings; the core's converters decide
what is valid, so a malformed interaction gets the same error as bad text.
"""
from __future__ import annotations

from typing import Any, Iterable

from chatops.commands import Command, Parameter, Registry
from chatops.converters import UserRef
from chatops.text import clip

STRING, INTEGER, BOOLEAN, USER, NUMBER = 3, 4, 5, 6, 10
MAX_CHOICES = 25
MAX_OPTIONS = 25
MAX_DESCRIPTION = 100
CHAT_INPUT = 1
# Where a command may be used: in guilds (0) and in the bot's DMs (1); installed to guilds (0).
CONTEXTS = [0, 1]


def option_type(param: Parameter) -> int:
    python_type = param.type.python_type
    if param.choices and python_type is not bool:
        return STRING
    if python_type is bool:
        return BOOLEAN
    if python_type is int:
        return INTEGER
    if python_type is float:
        return NUMBER
    if python_type is UserRef:
        return USER
    return STRING


def discord_required(param: Parameter) -> bool:
    """Required on Discord: the core's required flag, except free text (collected by a modal)."""
    return param.required and not param.is_tail


def option_payload(param: Parameter) -> dict[str, Any]:
    kind = option_type(param)
    option: dict[str, Any] = {
        "type": kind,
        "name": param.display,
        "description": clip(param.help or param.type.arg_type.describe(), MAX_DESCRIPTION, one_line=True) or param.display,
        "required": discord_required(param),
    }
    if kind == STRING and param.choices and len(param.choices) <= MAX_CHOICES:
        option["choices"] = [{"name": clip(c, 100, one_line=True), "value": c} for c in param.choices]
    if kind == STRING:
        option["max_length"] = 6000 if param.is_tail else 2000
    return option


def command_payload(command: Command) -> dict[str, Any]:
    if len(command.params) > MAX_OPTIONS:
        raise ValueError(f"command {command.name!r} has more than {MAX_OPTIONS} parameters; Discord allows {MAX_OPTIONS}")
    options = [option_payload(p) for p in command.params]
    # Discord wants required options first; options are named, so their order is only cosmetic.
    options.sort(key=lambda o: not o["required"])
    return {
        "type": CHAT_INPUT,
        "name": command.name,
        "description": clip(command.summary, MAX_DESCRIPTION, one_line=True),
        "options": options,
        "contexts": CONTEXTS,
        "integration_types": [0],
    }


def commands_payload(commands: Registry | Iterable[Command]) -> list[dict[str, Any]]:
    """Every visible command of the registry (hidden ones answer in DMs only), sorted by name."""
    return [command_payload(c) for c in commands if not c.hidden]


def option_value(kind: int | None, value: Any) -> str:
    if kind == USER:
        return f"<@{value}>"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def options_to_arguments(options: list[dict[str, Any]] | None) -> dict[str, str]:
    """The raw string value of each option by its (kebab-case) name, for ``Invocation.arguments``.

    Nested options (sub-commands) are not part of our schema: their names reach
    the core, which rejects them as unknown arguments.
    """
    raw: dict[str, str] = {}
    for option in options or ():
        if not isinstance(option, dict) or not isinstance(option.get("name"), str):
            raise ValueError(f"malformed option {option!r}")
        if "value" not in option:
            raw[option["name"]] = ""
            continue
        raw[option["name"]] = option_value(option.get("type"), option["value"])
    return raw

