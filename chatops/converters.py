"""Argument types and their converters: ``convert(raw, invocation) -> value`` or raise.

A converter raises :class:`ValueError` with a short, user-facing problem
("is not a whole number"); the parser wraps it in a ``BadArgument`` naming the
parameter. The annotation → converter map is resolved once, when a command is
declared; an annotation with no converter is a ``TypeError`` right there.

Supported annotations: ``str``, ``int``, ``float``, ``bool``, an ``Enum``
subclass, ``Literal[...]``, :class:`Email`, :class:`UserRef`, :class:`FreeText`
(the free-text tail), ``X | None``, and ``Annotated[X, Secret]`` to mask a
value in the audit trail.
"""
from __future__ import annotations

import enum
import re
import types
import typing
from dataclasses import dataclass
from typing import Any, Callable

from email_validator import EmailNotValidError, validate_email

from chatops.invocation import Invocation
from chatops.text import clip


class Email(str):
    """An e-mail address, validated and normalised (email-validator, no DNS lookups)."""


class FreeText(str):
    """The free-text tail: everything after the preceding arguments, verbatim. Must be last."""


class Secret:
    """Marker: ``Annotated[str, Secret]`` masks the value in audit events and logs."""


@dataclass(frozen=True)
class UserRef:
    """A reference to a chat user: ``<@U123>``, ``<@!123>``, ``slack:U123`` or ``discord:123``."""

    platform: str
    user_id: str

    def __str__(self) -> str:
        return f"{self.platform}:{self.user_id}"


_TRUE = {"true", "yes", "y", "on", "1"}
_FALSE = {"false", "no", "n", "off", "0"}
_SLACK_MENTION = re.compile(r"^<@([UW][A-Z0-9]{2,20})(?:\|[^>]{0,80})?>$")
_DISCORD_MENTION = re.compile(r"^<@!?(\d{5,22})>$")
_QUALIFIED = re.compile(r"^(slack|discord|console|web):([A-Za-z0-9_.\-]{1,64})$")


@dataclass(frozen=True)
class ArgType:
    """How one annotation is converted and described."""

    name: str  # shown in usage and schemas: "text", "int", "email", "user", "choice"...
    convert: Callable[[str, Invocation | None], Any]
    choices: tuple[str, ...] = ()
    pii: bool = False  # masked in the audit trail by default

    def describe(self) -> str:
        return "|".join(self.choices) if self.choices else self.name


def _convert_str(raw: str, inv: Invocation | None) -> str:
    return raw


def _convert_int(raw: str, inv: Invocation | None) -> int:
    text = raw.strip().replace("_", "").replace(",", "")
    if not re.fullmatch(r"[+-]?\d{1,18}", text):
        raise ValueError(f"must be a whole number, not `{clip(raw, 40, quoted=True)}`.")
    return int(text)


def _convert_float(raw: str, inv: Invocation | None) -> float:
    try:
        value = float(raw.strip().replace(",", ""))
    except ValueError:
        raise ValueError(f"must be a number, not `{clip(raw, 40, quoted=True)}`.") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError("must be a finite number.")
    return value


def _convert_bool(raw: str, inv: Invocation | None) -> bool:
    low = raw.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise ValueError(f"must be yes or no, not `{clip(raw, 40, quoted=True)}`.")


def _convert_email(raw: str, inv: Invocation | None) -> Email:
    text = raw.strip()
    # Slack wraps addresses as <mailto:a@b.co|a@b.co>.
    m = re.fullmatch(r"<mailto:([^|>]+)(?:\|[^>]*)?>", text)
    if m:
        text = m.group(1)
    if len(text) > 254:
        raise ValueError("is too long to be an e-mail address.")
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"is not a valid e-mail address: {exc}") from None
    return Email(result.normalized)


def _convert_user(raw: str, inv: Invocation | None) -> UserRef:
    text = raw.strip()
    if m := _SLACK_MENTION.match(text):
        return UserRef("slack", m.group(1))
    if m := _DISCORD_MENTION.match(text):
        return UserRef("discord", m.group(1))
    if m := _QUALIFIED.match(text):
        return UserRef(m.group(1), m.group(2))
    if inv is not None and re.fullmatch(r"[A-Za-z0-9_.\-]{1,64}", text.lstrip("@")):
        return UserRef(inv.platform, text.lstrip("@"))
    raise ValueError(f"must mention a user (like @someone), not `{clip(raw, 40, quoted=True)}`.")


def _choice(values: tuple[str, ...], to_value: Callable[[str], Any]) -> Callable[[str, Invocation | None], Any]:
    def norm(text: str) -> str:  # "External ops-problem" matches external_ops_problem
        return re.sub(r"[\s\-_]+", "_", text.strip().lower())

    lowered = {norm(v): v for v in values}

    def convert(raw: str, inv: Invocation | None) -> Any:
        key = norm(raw)
        if key not in lowered:
            raise ValueError(f"must be one of {', '.join(values)}; `{clip(raw, 40, quoted=True)}` is not.")
        return to_value(lowered[key])

    return convert


BASE_TYPES: dict[type, ArgType] = {
    str: ArgType("text", _convert_str),
    FreeText: ArgType("text…", lambda raw, inv: FreeText(raw)),
    int: ArgType("int", _convert_int),
    float: ArgType("number", _convert_float),
    bool: ArgType("yes|no", _convert_bool, choices=("yes", "no")),
    Email: ArgType("email", _convert_email, pii=True),
    UserRef: ArgType("user", _convert_user),
}


@dataclass(frozen=True)
class ResolvedType:
    arg_type: ArgType
    python_type: Any
    optional: bool
    secret: bool
    is_tail: bool


def resolve_annotation(annotation: Any, *, where: str) -> ResolvedType:
    """Map an annotation to its converter, or raise TypeError naming the problem."""
    secret = False
    optional = False
    if typing.get_origin(annotation) is typing.Annotated:
        base, *extras = typing.get_args(annotation)
        secret = any(e is Secret or isinstance(e, Secret) for e in extras)
        annotation = base
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) != 1 or len(typing.get_args(annotation)) != 2:
            raise TypeError(f"{where}: only `X | None` unions are supported, not {annotation!r}")
        optional = True
        annotation = args[0]
        if typing.get_origin(annotation) is typing.Annotated:  # Annotated[str, Secret] | None
            base, *extras = typing.get_args(annotation)
            secret = secret or any(e is Secret or isinstance(e, Secret) for e in extras)
            annotation = base
        origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        values = tuple(str(v) for v in typing.get_args(annotation))
        originals = {str(v): v for v in typing.get_args(annotation)}
        arg = ArgType("choice", _choice(values, originals.__getitem__), choices=values)
        return ResolvedType(arg, annotation, optional, secret, False)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        enum_cls = annotation
        values = tuple(str(m.value) for m in enum_cls)
        by_value = {str(m.value): m for m in enum_cls}
        arg = ArgType("choice", _choice(values, by_value.__getitem__), choices=values)
        return ResolvedType(arg, annotation, optional, secret, False)
    if annotation in BASE_TYPES:
        return ResolvedType(BASE_TYPES[annotation], annotation, optional, secret, annotation is FreeText)
    raise TypeError(
        f"{where}: unsupported annotation {annotation!r}; use str, int, float, bool, an Enum, "
        f"Literal[...], Email, UserRef, FreeText, or X | None"
    )
