"""The worked example of docs/ops.md: a company's own ops task against the http backend."""
from __future__ import annotations

from chatops import Category, CommandGroup, Context, FreeText, Reply
from chatops.ops.approvals import gate
from chatops.ops.backend import ChangeRequest
from adapters.ops_http import HttpBackend
from chatops.policy import staff

commands = CommandGroup("acme-payouts")


@commands.command(category=Category.INTERNAL_TASK, mutates=True, policy=staff)
def pause_payouts(ctx: Context, account: str, reason: FreeText) -> Reply:
    """Pause an account's payouts until support resumes them.

    Args:
        account: the account id, like acct_1001
        reason: why (kept in the audit trail)
    """
    backend = ctx.backend  # built once at start-up from CHATOPS_BACKEND; every call journaled
    if not isinstance(backend, HttpBackend):
        raise TypeError("pause-payouts needs CHATOPS_BACKEND=http")
    d = backend.disbursement(account)  # the typed lookup: raises a clear error if unknown
    pending = gate(ctx, f"Pause payouts of {account}", [("Payouts", d.status, "paused")], reason=reason)
    if pending is not None:
        return pending  # the preview (and, if the ops policy says so, the approval request)
    backend.call("POST", ("accounts", account, "payout-pause"), {"reason": str(reason)},
                 change=ChangeRequest.of(ctx), kind="account", record_id=account)
    return Reply.text(f"Payouts of {account} are paused.", style="success")
