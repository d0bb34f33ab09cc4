"""What a handler can see of the request: a parameter annotated ``Context`` receives it.

    @group.command(mutates=True, policy=staff)
    def unlock(ctx: Context, account: str) -> Reply:
        '''Unlock an account.'''
        ctx.confirm(f"Unlock {account}", changes=[("locked", "yes", "no")])
        ...  # only reached after the requester pressed Confirm
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Sequence

from chatops.identity import Actor
from chatops.invocation import Invocation
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

    def confirm(self, summary: str, changes: Sequence[tuple[str, Any, Any]] = (),
                *, details: Sequence[tuple[str, str]] = ()) -> None:
        """Stop here with a preview (``changes`` as field, old, new) until the requester confirms.

        On the confirmed run this returns and the handler goes on to make the change.
        """
        if not self.confirmed:
            raise NeedsConfirmation(summary, changes, details)
