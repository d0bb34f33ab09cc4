"""Declaring commands: a decorator on a plain function, checked at declaration time.

    from chatops import CommandGroup, Category, Context, Email, Reply, staff

    group = CommandGroup("accounts")

    @group.command(category=Category.INTERNAL_TASK, mutates=True, policy=staff)
    def change_email(ctx: Context, account: str, new_email: Email) -> Reply:
        '''Change the e-mail address of an account.

        Args:
            account: the account id, like acct_1
            new_email: the new address
        '''

The function comes back unchanged (call it in a unit test); the group holds a
:class:`Command` describing it. The name is the function name in kebab case
unless given. Help comes from the docstring. An annotation with no converter,
a free-text parameter that is not last, or a bad name is a ``TypeError`` at
import time. A parameter annotated :class:`~chatops.context.Context` receives
the invocation context and is not part of the schema.
"""
from __future__ import annotations

import difflib
import enum
import inspect
import re
import typing
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from chatops.converters import ResolvedType, resolve_annotation
from chatops.errors import RegistryError
from chatops.policy import Predicate, anyone
from chatops.text import clip

NAME_RE = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
MAX_NAME = 32  # Slack and Discord both cap command names at 32 characters
FORM_TITLE_MAX = 24  # the shortest platform limit on a form's title (Slack's modal title)


class _Taxonomy(str, enum.Enum):
    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class TicketType(_Taxonomy):
    """The five ticket types of the dev-support seed: what a support ticket is about."""

    INTERNAL_TASK = "internal_task"
    INTERNAL_OPS_PROBLEM = "internal_ops_problem"
    EXTERNAL_OPS_PROBLEM = "external_ops_problem"
    EXTERNAL_DEV_INQUIRY = "external_dev_inquiry"
    EXTERNAL_DEV_PROBLEM = "external_dev_problem"


# A command's category: the ticket type it serves (one taxonomy: these values *are* the TicketType ones),
# plus SUPPORT (the support desk's own commands) and META (help, whoami, ping).
Category = _Taxonomy("Category", [(t.name, t.value) for t in TicketType] + [("SUPPORT", "support"), ("META", "meta")],
                     module=__name__, qualname="Category")
Category.__doc__ = "The five ticket types (TicketType), plus support and meta commands."


@dataclass(frozen=True)
class Parameter:
    name: str  # the Python name (new_email)
    type: ResolvedType
    required: bool
    default: Any = None
    help: str | None = None
    keyword_only: bool = False  # declared after `*`: only `name=value`, never positional

    @property
    def display(self) -> str:
        """The name users type and see: kebab case (new-email)."""
        return self.name.replace("_", "-")

    @property
    def choices(self) -> tuple[str, ...]:
        return self.type.arg_type.choices

    @property
    def is_tail(self) -> bool:
        return self.type.is_tail

    @property
    def secret(self) -> bool:
        return self.type.secret

    def schema(self) -> dict[str, Any]:
        return {
            "name": self.display,
            "python_name": self.name,
            "type": self.type.arg_type.name,
            "choices": list(self.choices),
            "required": self.required,
            "default": None if self.default is inspect.Parameter.empty else _jsonable(self.default),
            "help": self.help,
            "free_text": self.is_tail,
            "secret": self.secret,
            "keyword_only": self.keyword_only,
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


@dataclass(frozen=True)
class Command:
    name: str
    func: Callable[..., Any]
    summary: str
    help: str
    params: tuple[Parameter, ...]
    category: Category
    mutates: bool
    policy: Predicate
    context_param: str | None = None
    hidden: bool = False
    aliases: tuple[str, ...] = ()
    title: str = ""  # a form's title, declared (``title=``); else derived from the summary (form_title)
    private: bool = False  # its answers are for the asker only (diagnostics, their tickets): see private_first

    @property
    def usage(self) -> str:
        parts = [self.name]
        for p in self.params:
            label = p.display.upper().replace("-", "_")
            if p.choices:
                label = "{" + "|".join(p.choices) + "}"
            if p.is_tail:
                label += "…"
            if p.keyword_only:
                label = f"{p.display}={label}"
            parts.append(label if p.required else f"[{label}]")
        return " ".join(parts)

    @property
    def usage_hint(self) -> str:
        """The usage without the command name (Slack's slash command hint)."""
        return self.usage[len(self.name):].strip()

    def param(self, name: str) -> Parameter | None:
        key = name.replace("-", "_")
        return next((p for p in self.params if p.name == key), None)

    # ---- platform decisions: made here once, every adapter follows them ---------------------------
    @property
    def private_first(self) -> bool:
        """The first answer is private (ephemeral) on every platform: META commands (help, whoami, ping),
        commands that change data (their first answer is a preview or a personal result) and commands
        declared ``private=True`` (a diagnosis of one's own payment, one's tickets). Discord defers
        privately for these, so no public "thinking…" shows first."""
        return self.category == Category.META or self.mutates or self.private

    def missing(self, raw: Mapping[str, str]) -> list[Parameter]:
        """Required parameters absent or blank in ``raw`` (by name or by their displayed name)."""
        return [p for p in self.params
                if p.required and not (raw.get(p.name) or raw.get(p.display) or "").strip()]

    def form_fields(self, raw: Mapping[str, str], *, limit: int | None = None) -> list[Parameter] | None:
        """What a form should ask for, given the arguments typed so far: ``[]`` for no form (run it),
        ``None`` when the form would need more than ``limit`` inputs (answer with the usage instead).

        - required arguments missing or blank: those;
        - nothing given at all to a command with a free-text parameter (``/support`` alone): its
          parameters (required ones and the free text first, up to ``limit``);
        - otherwise no form.
        """
        missing = self.missing(raw)
        if missing:
            return missing if limit is None or len(missing) <= limit else None
        if not any((v or "").strip() for v in raw.values()) and any(p.is_tail for p in self.params):
            first = [p for p in self.params if p.required or p.is_tail]
            rest = [p for p in self.params if p not in first]
            chosen = (first + rest)[:limit] if limit is not None else first + rest
            return [p for p in self.params if p in chosen]
        return []

    def form_title(self, limit: int) -> str:
        """The title of this command's form in at most ``limit`` characters (Slack 24, Discord 45): the
        declared ``title``, else the summary's first clause ("Ask for help: …" → "Ask for help"), cut at a
        word, else the command's name."""
        if self.title:
            return clip(self.title, limit, at_word=True)
        clause = re.split(r"[:;.(—]|\s-\s", self.summary, maxsplit=1)[0].strip()
        if clause and len(clause) <= limit:
            return clause
        if clause and len(clause.split()) > 2:
            return clip(clause, limit, at_word=True)
        return clip(self.name, limit)

    def schema(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "summary": self.summary,
            "help": self.help,
            "usage": self.usage,
            "category": self.category.value,
            "mutates": self.mutates,
            "policy": self.policy.describe,
            "params": [p.schema() for p in self.params],
        }


def _parse_docstring(doc: str | None) -> tuple[str, str, dict[str, str]]:
    """(summary, body, {param: help}) from a Google-style docstring."""
    text = inspect.cleandoc(doc or "")
    if not text:
        return "", "", {}
    lines = text.splitlines()
    param_help: dict[str, str] = {}
    body: list[str] = []
    in_args = False
    current: str | None = None
    for line in lines:
        stripped = line.strip()
        if stripped.lower() in ("args:", "arguments:", "parameters:"):
            in_args = True
            continue
        if in_args:
            m = re.match(r"^(\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$", stripped)
            if m and line.startswith((" ", "\t")):
                current = m.group(1)
                param_help[current] = m.group(2)
                continue
            if stripped and current and line.startswith((" " * 8, "\t\t")):
                param_help[current] += " " + stripped
                continue
            if not stripped:
                continue
            in_args = False
        body.append(line)
    summary = body[0].strip() if body else ""
    return summary, "\n".join(body).strip(), param_help


def build_command(
    func: Callable[..., Any],
    *,
    name: str | None = None,
    category: Category | str = Category.META,
    mutates: bool = False,
    policy: Predicate = anyone,
    hidden: bool = False,
    aliases: Iterable[str] = (),
    title: str = "",
    private: bool = False,
) -> Command:
    """Read ``func``'s signature once and describe it as a :class:`Command` (TypeError if unsupported)."""
    from chatops.context import Context  # local: context imports models, which is heavier

    cmd_name = name or func.__name__.strip("_").replace("_", "-")
    where = f"command {cmd_name!r} ({func.__module__}.{func.__qualname__})"
    if not NAME_RE.match(cmd_name) or len(cmd_name) > MAX_NAME:
        raise TypeError(f"{where}: a command name is kebab-case, 1-{MAX_NAME} characters, like `change-email`")
    for alias in aliases:
        if not NAME_RE.match(alias):
            raise TypeError(f"{where}: alias {alias!r} is not kebab-case")
    try:
        category = Category(category)
    except ValueError:
        raise TypeError(f"{where}: category must be one of {[c.value for c in Category]}") from None
    if not isinstance(policy, Predicate):
        raise TypeError(f"{where}: policy must be a chatops.policy.Predicate, not {policy!r}")
    if not isinstance(title, str) or len(title.strip()) > FORM_TITLE_MAX:
        raise TypeError(f"{where}: title is a form's title: text of at most {FORM_TITLE_MAX} characters "
                        "(Slack's limit; Discord allows 45)")
    title = title.strip()
    summary, help_text, param_help = _parse_docstring(func.__doc__)
    if not summary:
        raise TypeError(f"{where}: write a docstring; its first line is the command's help")
    try:
        hints = typing.get_type_hints(func, include_extras=True)
    except Exception as exc:  # NameError for an undefined string annotation
        raise TypeError(f"{where}: cannot resolve annotations: {exc}") from exc
    params: list[Parameter] = []
    context_param = None
    signature = inspect.signature(func)
    for pname, p in signature.parameters.items():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise TypeError(f"{where}: *args and **kwargs are not supported; name each argument")
        if pname not in hints:
            raise TypeError(f"{where}: parameter {pname!r} needs a type annotation")
        if hints[pname] is Context:
            context_param = pname
            continue
        resolved = resolve_annotation(hints[pname], where=f"{where}, parameter {pname!r}")
        has_default = p.default is not inspect.Parameter.empty
        required = not has_default and not resolved.optional
        params.append(Parameter(pname, resolved, required, p.default if has_default else None, param_help.get(pname),
                                keyword_only=p.kind is p.KEYWORD_ONLY))
    positional = [p for p in params if not p.keyword_only]
    tails = [i for i, p in enumerate(positional) if p.is_tail]
    if tails and tails != [len(positional) - 1] or any(p.is_tail and p.keyword_only for p in params):
        raise TypeError(f"{where}: a FreeText parameter must be the last positional one, and only one")
    seen_optional = False
    for p in positional:
        if not p.required:
            seen_optional = True
        elif seen_optional and not p.is_tail:
            raise TypeError(f"{where}: required parameter {p.name!r} comes after an optional one")
    return Command(
        name=cmd_name, func=func, summary=summary, help=help_text, params=tuple(params),
        category=category, mutates=mutates, policy=policy, context_param=context_param,
        hidden=hidden, aliases=tuple(aliases), title=title, private=bool(private),
    )


class CommandGroup:
    """A module's commands, declared with ``@group.command(...)`` and included by the app.

    Entry points in the ``chatops.commands`` group point at a CommandGroup.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.commands: list[Command] = []
        self.action_handlers: dict[tuple[str, str], Callable[..., Any]] = {}
        self.requester_only: set[tuple[str, str]] = set()

    def command(self, name: str | None = None, **options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Register the decorated function as a command and return it unchanged."""
        if callable(name):  # used bare: @group.command
            func, name = name, None
            self.add_command(func)
            return func

        def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
            self.add_command(func, name=name, **options)
            return func

        return decorator

    def add_command(self, func: Callable[..., Any], **options: Any) -> Command:
        """The plain-call twin of :meth:`command`."""
        cmd = build_command(func, **options)
        if any(c.name == cmd.name for c in self.commands):
            raise TypeError(f"command {cmd.name!r} is declared twice in group {self.name!r}")
        self.commands.append(cmd)
        return cmd

    def action(self, kind: str, *verbs: str,
               requester_only: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Handle button presses ``<token>.<verb>`` on actions of ``kind`` (see Context.new_action).

            @group.action("ticket", "claim", "resolve")
            def ticket_button(press: ActionPress) -> Reply: ...

        ``requester_only``: only the person who created the action may press these verbs (checked
        before anything else, a stopped run's resume included). The kind ``confirm`` is the core's
        own (a preview's Confirm and Cancel, see :meth:`Context.confirm`).
        """
        if not re.fullmatch(r"[a-z][a-z0-9_-]{0,31}", kind) or kind == "confirm":
            raise TypeError(f"action kind {kind!r}: lower-case, 1-32 characters, and not the reserved 'confirm'")
        if not verbs:
            raise TypeError(f"action kind {kind!r}: name at least one verb")

        def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
            for verb in verbs:
                if not re.fullmatch(r"[a-z][a-z0-9_-]{0,31}", verb):
                    raise TypeError(f"action verb {verb!r} must be lower-case, 1-32 characters")
                if (kind, verb) in self.action_handlers:
                    raise TypeError(f"action {kind}.{verb} is handled twice in group {self.name!r}")
                self.action_handlers[(kind, verb)] = func
                if requester_only:
                    self.requester_only.add((kind, verb))
            return func

        return decorator

    def __iter__(self):
        return iter(self.commands)


def confirm_button(press: Any) -> Any:
    """``confirm.confirm`` / ``confirm.cancel``: the requester answers a preview (Context.confirm);
    Confirm runs the command again, confirmed (Router.run_confirmed)."""
    return press.router.run_confirmed(press)


class Registry:
    """Every command the app serves, by name. Frozen once the app starts."""

    def __init__(self) -> None:
        self._commands: dict[str, Command] = {}
        self._aliases: dict[str, str] = {}
        self._sources: dict[str, str] = {}
        self._frozen = False
        # The core's own action kind: a preview's buttons, which only its requester may press.
        self.action_handlers: dict[tuple[str, str], Callable[..., Any]] = {
            ("confirm", "confirm"): confirm_button, ("confirm", "cancel"): confirm_button}
        self.requester_only: set[tuple[str, str]] = {("confirm", "confirm"), ("confirm", "cancel")}

    def include(self, group: CommandGroup | Iterable[Command], *, source: str | None = None) -> None:
        for cmd in group:
            self.add(cmd, source=source or getattr(group, "name", "?"))
        for key, handler in getattr(group, "action_handlers", {}).items():
            if self._frozen:
                raise RegistryError("cannot add action handlers: the registry is frozen because the app has started")
            if key in self.action_handlers:
                raise RegistryError(f"action {key[0]}.{key[1]} from {source} is already handled elsewhere")
            self.action_handlers[key] = handler
            if key in getattr(group, "requester_only", ()):
                self.requester_only.add(key)

    def add(self, cmd: Command, *, source: str = "?") -> None:
        if self._frozen:
            raise RegistryError(
                f"cannot register {cmd.name!r}: the registry is frozen because the app has started. "
                "Register commands through an entry point or before creating the router."
            )
        for key in (cmd.name, *cmd.aliases):
            if key in self._commands or key in self._aliases:
                raise RegistryError(
                    f"command name {key!r} from {source} is already taken by {self._sources.get(key, '?')}"
                )
        self._commands[cmd.name] = cmd
        self._sources[cmd.name] = source
        for alias in cmd.aliases:
            self._aliases[alias] = cmd.name
            self._sources[alias] = source

    def freeze(self) -> None:
        self._frozen = True

    @property
    def frozen(self) -> bool:
        return self._frozen

    def get(self, name: str) -> Command | None:
        key = name.lower()
        return self._commands.get(key) or self._commands.get(self._aliases.get(key, ""))

    def __iter__(self):
        return iter(sorted(self._commands.values(), key=lambda c: c.name))

    def __len__(self) -> int:
        return len(self._commands)

    def __contains__(self, name: str) -> bool:
        return self.get(name) is not None

    def suggest(self, name: str, n: int = 3) -> list[str]:
        candidates = [*self._commands, *self._aliases]
        close = difflib.get_close_matches(name.lower(), candidates, n=n, cutoff=0.5)
        starts = [c for c in sorted(self._commands) if c.startswith(name.lower()[:3]) and c not in close]
        return (close + starts)[:n]

    def close_match(self, name: str) -> str | None:
        """The one command ``name`` is very likely a typo of (``hlep`` → ``help``), if any."""
        key = name.lower()
        if key in self._commands or key in self._aliases:
            return key
        found = difflib.get_close_matches(key, [*self._commands, *self._aliases], n=1, cutoff=0.75)
        return found[0] if found else None

    def schema(self) -> list[dict[str, Any]]:
        return [c.schema() for c in self]
