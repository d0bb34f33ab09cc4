"""Text → (command name, converted arguments).

Shell-like tokens: whitespace separates, '…' and "…" group (also the curly
quotes phones type), a backslash escapes the next character. Arguments are
positional or ``name=value``. A :class:`~chatops.converters.FreeText` parameter
takes the rest of the line verbatim.

    >>> [(t.value, t.quoted) for t in tokenize('change-email acct_1 "a b@c.d"')]
    [('change-email', False), ('acct_1', False), ('a b@c.d', True)]
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from chatops import messages
from chatops.commands import Command, Parameter
from chatops.errors import BadArgument, InputTooLong, MissingArgument, TooManyArguments, UsageError
from chatops.invocation import Invocation
from chatops.text import clip

MAX_INPUT = 8000
MAX_ARGUMENT = 2000
# An opening quote → the characters that close it (phones type curly quotes; ” or ’ alone is literal).
_QUOTES = {"'": "'", '"': '"', "“": "”“", "„": "“”", "‘": "’‘", "‚": "‘’"}
_KEYWORD = re.compile(r"^([A-Za-z][A-Za-z0-9_-]{0,40})=(.*)$", re.S)
_KEYWORD_PREFIX = re.compile(r"([A-Za-z][A-Za-z0-9_-]{0,40})=")


@dataclass(frozen=True)
class Token:
    value: str
    start: int
    end: int
    quoted: bool = False


def normalise(text: str) -> str:
    """Drop a leading slash or bot mention (the rest, curly quotes included, stays verbatim)."""
    text = text.strip()
    text = re.sub(r"^<@[A-Za-z0-9!]+>\s*", "", text)
    return text[1:] if text.startswith("/") else text


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i = _skip_space(text, 0)
    while i < len(text):
        token = read_token(text, i)
        tokens.append(token)
        i = _skip_space(text, token.end)
    return tokens


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i].isspace():
        i += 1
    return i


def read_token(text: str, i: int) -> Token:
    """The token starting at ``text[i]``. Inside "…" a backslash escapes " and \\; outside, any character."""
    start, n = i, len(text)
    buf: list[str] = []
    quoted = False
    while i < n and not text[i].isspace():
        ch = text[i]
        if ch in _QUOTES:
            quoted = True
            closers = _QUOTES[ch]
            j = i + 1
            while j < n and text[j] not in closers:
                if ch == '"' and text[j] == "\\" and j + 1 < n and text[j + 1] in '"\\':
                    j += 1
                buf.append(text[j])
                j += 1
            if j >= n:
                raise UsageError(messages.UNBALANCED_QUOTES)
            i = j + 1
        elif ch == "\\" and i + 1 < n:
            buf.append(text[i + 1])
            i += 2
        else:
            buf.append(ch)
            i += 1
    return Token("".join(buf), start, i, quoted)


def split_command(text: str) -> tuple[str, str]:
    """(command name, the rest of the text) after normalising."""
    if len(text) > MAX_INPUT:
        raise InputTooLong(len(text), MAX_INPUT)
    text = normalise(text)
    if not text:
        raise UsageError(messages.EMPTY_INPUT)
    parts = text.split(None, 1)
    name = parts[0]
    rest = parts[1] if len(parts) > 1 else ""
    return name.lower(), rest


def bind(command: Command, rest: str, invocation: Invocation | None = None) -> dict[str, Any]:
    """Match the text after the command name to the command's parameters and convert them."""
    return convert_all(command, parse_raw(command, rest), invocation)


def parse_raw(command: Command, rest: str) -> dict[str, str]:
    """Match the text after the command name to parameters: raw strings by parameter name.

    Tokens are read one at a time, so a free-text tail is taken verbatim and never tokenized.
    """
    raw: dict[str, str] = {}
    positional = [p for p in command.params if not p.keyword_only]
    pos_index = 0
    i = _skip_space(rest, 0)
    while i < len(rest):
        prefix = _KEYWORD_PREFIX.match(rest, i)
        named = prefix is not None and command.param(prefix.group(1)) is not None
        if not named and _tail_is_next(positional, pos_index, raw):
            tail = next(p for p in positional[pos_index:] if p.name not in raw)
            raw[tail.name] = _tail_value(rest[i:].strip())
            break
        token = read_token(rest, i)
        i = _skip_space(rest, token.end)
        raw_token = rest[token.start:token.end]
        m = None if raw_token[:1] in _QUOTES else _KEYWORD.match(raw_token)
        if m and command.param(m.group(1)):
            param = command.param(m.group(1))
            assert param is not None
            if param.name in raw:
                raise UsageError(messages.DUPLICATE_ARGUMENT.format(param=param.display), usage=command.usage)
            raw[param.name] = token.value.split("=", 1)[1]
            continue
        if m:
            raise UsageError(messages.UNKNOWN_KEYWORD.format(name=m.group(1), command=command.name),
                             usage=command.usage)
        while pos_index < len(positional) and positional[pos_index].name in raw:
            pos_index += 1
        if pos_index >= len(positional):
            raise TooManyArguments(clip(rest[token.start:], 60, quoted=True), usage=command.usage)
        raw[positional[pos_index].name] = token.value
        pos_index += 1
    return raw


def _tail_value(text: str) -> str:
    """Free text verbatim, except that one quoted string (`"duplicate fee"`) loses its quotes."""
    if text[:1] in _QUOTES:
        try:
            token = read_token(text, 0)
        except UsageError:
            return text
        if token.end == len(text):
            return token.value
    return text


def _tail_is_next(params: list[Parameter], index: int, raw: dict[str, str]) -> bool:
    while index < len(params) and params[index].name in raw:
        index += 1
    return index < len(params) and params[index].is_tail


def convert_all(command: Command, raw: dict[str, str], invocation: Invocation | None = None) -> dict[str, Any]:
    """Convert raw strings (from text, Discord options or a modal) by the command's schema."""
    values: dict[str, Any] = {}
    for key in raw:
        if command.param(key) is None:
            raise UsageError(messages.UNKNOWN_KEYWORD.format(name=key, command=command.name), usage=command.usage)
    for param in command.params:
        key = param.name
        value = raw.get(key)
        if value is None:
            value = raw.get(param.display)
        if value is None or (value == "" and not param.required):
            if param.required:
                raise MissingArgument(param.display, usage=command.usage)
            values[key] = param.default
            continue
        if len(value) > (MAX_INPUT if param.is_tail else MAX_ARGUMENT):
            raise BadArgument(param.display, f"is too long ({len(value)} characters).", usage=command.usage)
        if param.required and not value.strip():
            raise MissingArgument(param.display, usage=command.usage)
        try:
            values[key] = param.type.arg_type.convert(value, invocation)
        except ValueError as exc:
            raise BadArgument(param.display, str(exc), usage=command.usage,
                              value=None if param.secret else value) from None
    return values


def _clip(text: str, limit: int = 60) -> str:
    """User input echoed in a `code span` (``chatops.text.clip`` with ``quoted``)."""
    return clip(text, limit, quoted=True)
