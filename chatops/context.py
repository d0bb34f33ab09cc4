"""What a handler can see of the request: a parameter annotated ``Context`` receives it.

    @group.command(mutates=True, policy=staff)
    def unlock(ctx: Context, account: str) -> Reply:
        '''Unlock an account.'''
        ctx.confirm(f"Unlock {account}", changes=[("locked", "yes", "no")])
        ...  # only reached after the requester pressed Confirm
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Sequence

from chatops.identity import Actor
from chatops.invocation import Invocation
from chatops.models import PendingAction
from chatops.reply import Button, ButtonStyle, Reply
from chatops.settings import Settings

if TYPE_CHECKING:
    from chatops.commands import Command
    from chatops.router import Router


class NeedsConfirmation(Exception):
    """Raised by :meth:`Context.confirm` on the first run; the router turns it into a preview."""

    def __init__(self, summary: str, changes: Sequence[tuple[str, Any, Any]], details: Sequence[tuple[str, str]]):
        super().__init__(summary)
        self.summary = summary
        self.changes = tuple((str(f), "" if o is None else str(o), "" if n is None else str(n)) for f, o, n in changes)
        self.details = tuple((str(k), str(v)) for k, v in details)


@dataclass(frozen=True)
class ActionHandle:
    """A stored action; its buttons carry ``<token>.<verb>`` and nothing a client could forge."""

    token: str
    kind: str

    def button(self, label: str, verb: str, style: ButtonStyle = "default") -> Button:
        return Button(label, f"{self.token}.{verb}", style)


def create_action(kind: str, *, payload: dict[str, Any], requester_id: int, correlation_id: str, now: datetime,
                  command: str = "", invocation: dict[str, Any] | None = None,
                  ttl: timedelta | None = None) -> ActionHandle:
    """Store an action in the current transaction; ``ttl=None`` keeps it usable until finished."""
    token = secrets.token_urlsafe(18)
    PendingAction.create(
        token=token, kind=kind, command=command, arguments=payload, invocation=invocation or {},
        requester=requester_id, correlation_id=correlation_id, state="pending",
        expires_at=now + (ttl if ttl is not None else timedelta(days=3650)), created_at=now,
    )
    return ActionHandle(token, kind)


@dataclass
class ActionPress:
    """What a ``@group.action(kind, verb)`` handler receives when a button is pressed."""

    action: PendingAction
    verb: str
    actor: Actor
    invocation: Invocation  # the press (who clicked, where)
    correlation_id: str
    now: datetime
    router: "Router"
    outcome: str = "executed"  # what the audit event records; a handler may change it
    detail: str = ""
    unit: Any = None  # the press's transaction (chatops.effects.Unit), for Router.run_approved
    trace: Any = None
    work_key: str | None = None
    recorded: bool = False
    # Posts the command a press ran (Router.run_confirmed / run_approved) already put in the outbox.
    delivered: tuple = ()

    @property
    def payload(self) -> dict[str, Any]:
        return dict(self.action.arguments or {})

    def record(self, outcome: str, detail: str = "") -> None:
        """Audit the press now (``outcome``, ``detail``) instead of after the handler returns.

        For a decision that must be on record before what follows it, like an approval before the
        approved change runs (``Router.run_approved`` commits it first).
        """
        self.outcome, self.detail = outcome, detail
        self.router.record_press(self, outcome, detail)
        self.recorded = True

    def claim(self, state: str) -> bool:
        """Move the action from ``pending`` to ``state`` unless another press got there first (False)."""
        return (PendingAction.update(state=state)
                .where((PendingAction.token == self.action.token) & (PendingAction.state == "pending"))
                .execute()) == 1

    def finish(self, state: str = "done", reply: Reply | None = None) -> None:
        """Mark the action used up (no button of it works again)."""
        (PendingAction.update(state=state, finished_at=self.now, result=reply.to_dict() if reply else None)
         .where(PendingAction.token == self.action.token).execute())


@dataclass
class Context:
    invocation: Invocation
    actor: Actor
    command: "Command"
    correlation_id: str
    now: datetime
    settings: Settings
    router: "Router"
    confirmed: bool = False
    raw_arguments: dict[str, str] = field(default_factory=dict)
    # Set when a second person approved this run (Router.run_approved).
    approved_by: Actor | None = None
    # A handler may name the audit outcome of this run (e.g. "pending_approval"); default by the router.
    audit_outcome: str | None = None
    audit_detail: str = ""
    # The App's ops backend (CHATOPS_BACKEND), journaled: calls through it hold no transaction open.
    backend: Any = None

    def confirm(self, summary: str, changes: Sequence[tuple[str, Any, Any]] = (),
                *, details: Sequence[tuple[str, str]] = ()) -> None:
        """Stop here with a preview (``changes`` as field, old, new) until the requester confirms.

        On the confirmed run this returns and the handler goes on to make the change.
        """
        if not self.confirmed:
            raise NeedsConfirmation(summary, changes, details)

    def new_action(self, kind: str, payload: dict[str, Any], *, ttl: timedelta | None = None) -> ActionHandle:
        """Store an action whose buttons a ``@group.action(kind, ...)`` handler answers.

            handle = ctx.new_action("ticket", {"ticket_id": t.id})
            return Reply.of("Ticket opened", Buttons((handle.button("Claim", "claim", "primary"),)))
        """
        return create_action(kind, payload=payload, requester_id=self.actor.person.id,
                             correlation_id=self.correlation_id, now=self.now, command=self.command.name,
                             invocation=self.invocation.origin(),
                             ttl=ttl)
