"""One hierarchy of errors, one boundary (the router) that turns them into replies.

Everything a *user* can get wrong is a :class:`UserError` that knows its own
user-facing message. Anything else that escapes a handler is a bug: the router
logs it with a correlation id and shows the user a short apology quoting it.

    ChatOpsError
    ├── UserError                  shown to the user, audited "invalid"
    │   ├── UsageError             the text did not fit the command's schema
    │   │   ├── UnknownCommand
    │   │   ├── MissingArgument
    │   │   ├── BadArgument
    │   │   ├── TooManyArguments
    │   │   └── InputTooLong
    │   ├── PermissionDenied       a policy said no (audited as "denied")
    │   ├── NotFound
    │   ├── Conflict               e.g. an idempotency key reused with other arguments
    │   └── ActionUnavailable      a button that expired or was used (audited "refused")
    ├── ServiceUnavailable         a part chatops depends on failed or is not set up: shown, audited "failed"
    │   ├── DatabaseUnavailable    chatops's own database: a queued request is retried later
    │   └── (chatops.ops.backend)  BackendUnavailable, BackendMalformed: the ops backend
    └── RegistryError              a programming mistake while declaring commands
"""
from __future__ import annotations

from chatops import messages


class ChatOpsError(Exception):
    """Base class of every error this package raises on purpose."""


class UserError(ChatOpsError):
    """A mistake the user can fix; ``message`` is safe to show them. Audited as ``invalid``."""

    outcome = "invalid"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def user_message(self) -> str:
        return f"{self.message}\n{self.hint}" if self.hint else self.message


class UsageError(UserError):
    """The input did not match the command's schema."""

    def __init__(self, message: str, *, usage: str | None = None, hint: str | None = None) -> None:
        if usage and not hint:
            hint = messages.USAGE_HINT.format(usage=usage)
        super().__init__(message, hint=hint)
        self.usage = usage


class UnknownCommand(UsageError):
    def __init__(self, name: str, suggestions: list[str]) -> None:
        if suggestions:
            hint = messages.DID_YOU_MEAN.format(names=", ".join(f"`{s}`" for s in suggestions))
        else:
            hint = messages.TRY_HELP
        super().__init__(messages.UNKNOWN_COMMAND.format(name=name), hint=hint)
        self.name = name
        self.suggestions = suggestions


class MissingArgument(UsageError):
    def __init__(self, param: str, *, usage: str) -> None:
        super().__init__(messages.MISSING_ARGUMENT.format(param=param), usage=usage)
        self.param = param


class BadArgument(UsageError):
    """An argument that does not fit. With ``value`` (what the user typed), the message names the value —
    "`item_51` is not a valid payment id" — not only the parameter."""

    def __init__(self, param: str, problem: str, *, usage: str | None = None, value: str | None = None) -> None:
        if value is not None and value.strip() and f"`{value.strip()}`" not in problem:  # else it names it already
            from chatops.text import clip

            text = messages.BAD_VALUE.format(value=clip(value.strip(), 60, quoted=True, one_line=True),
                                             problem=problem.rstrip("."), param=param) + "."
        else:
            text = messages.BAD_ARGUMENT.format(param=param, problem=problem)
        super().__init__(text, usage=usage)
        self.param = param
        self.problem = problem


class TooManyArguments(UsageError):
    def __init__(self, extra: str, *, usage: str) -> None:
        super().__init__(messages.TOO_MANY_ARGUMENTS.format(extra=extra), usage=usage)


class InputTooLong(UsageError):
    def __init__(self, length: int, limit: int) -> None:
        super().__init__(messages.INPUT_TOO_LONG.format(length=length, limit=limit))


class PermissionDenied(UserError):
    """A policy refused. ``reason`` says why, ``remedy`` what to do instead."""

    outcome = "denied"

    def __init__(self, reason: str, remedy: str | None = None) -> None:
        super().__init__(messages.DENIED.format(reason=reason), hint=remedy)
        self.reason = reason
        self.remedy = remedy


class NotFound(UserError):
    pass


class Conflict(UserError):
    pass


class ActionUnavailable(UserError):
    """A button that expired, was already used, or is not valid. Audited as ``refused``
    (not ``rejected``, which is what an approver's Reject records)."""

    outcome = "refused"


class ServiceUnavailable(ChatOpsError):
    """A part chatops depends on is down, failing or not set up (the ops backend, an approvals channel,
    the database): not the user's mistake, and not a bug. The router shows ``message`` (what failed, and
    whether anything was changed when that is known) with the reference, logs it and audits it ``failed``.

    ``outcome_unknown``: raised by a *changing* call, may the other system have applied the change all the
    same? True unless the raiser knows the request never took effect (chatops.effects then checks it again).
    """

    outcome = "failed"
    outcome_unknown = True

    def __init__(self, message: str = "", *, hint: str | None = None, outcome_unknown: bool | None = None) -> None:
        super().__init__(message)
        self.message = message or messages.SERVICE_FAILED
        self.hint = hint
        if outcome_unknown is not None:
            self.outcome_unknown = outcome_unknown

    def user_message(self) -> str:
        return f"{self.message}\n{self.hint}" if self.hint else self.message


class DatabaseUnavailable(ServiceUnavailable):
    """chatops's own database is not answering: the work queue retries the request later."""


class RegistryError(ChatOpsError):
    """A command was declared wrongly, or registered at the wrong time."""
