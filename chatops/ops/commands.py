"""The ops commands: self-serve tasks and lookups over the backend seam.

    [project.entry-points."chatops.commands"]
    ops = "chatops.ops.commands:commands"

Tasks that change data (``change-email``, ``remove-seller-fee``,
``unlock-account``, ``resend-verification``) preview first, run on Confirm,
and wait for a second person where the ops policy says (see approvals.py).
Lookups (``batch-status``, ``disbursement-status``, ``card-decline``,
``payment-status``) answer with the state, a timeline, the reason and what
happens next (see explain.py). Customers see and change only their own
records (ownership.py); staff any.
"""
from __future__ import annotations

from chatops.commands import Category, CommandGroup
from chatops.context import Context
from chatops.converters import Email, FreeText
from chatops.errors import BadArgument, Conflict
from chatops.ops import explain
from chatops.ops.approvals import approval_button, gate
from chatops.ops.backend import Backend, BackendNotFound, ChangeRequest, check_id
from chatops.ops.ownership import fetch_owned, is_staff
from chatops.policy import anyone, has_role, staff
from chatops.reply import Fields, Reply, Text

commands = CommandGroup("ops")
commands.action("approval", "approve", "reject", "withdraw")(approval_button)

customers_and_staff = staff | has_role("customer")


def _backend(ctx: Context) -> Backend:
    return ctx.backend


def _id(ctx: Context, backend: Backend, kind: str, param: str, value: str) -> str:
    try:
        return check_id(backend, kind, value)
    except ValueError as exc:
        raise BadArgument(param, str(exc), usage=ctx.command.usage, value=value) from None


def _done(text: str, items: list[tuple[str, str]]) -> Reply:
    return Reply((Text(text, "success"), Fields(tuple(items), title="Now")), ephemeral=True)


# ---- internal tasks (change data) -----------------------------------------------------


@commands.command(category=Category.INTERNAL_TASK, mutates=True, policy=customers_and_staff)
def change_email(ctx: Context, account: str, new_email: Email, reason: FreeText | None = None) -> Reply:
    """Change the e-mail address of an account (a verification e-mail goes to the new address).

    Args:
        account: the account id, like acct_1001
        new_email: the new address
        reason: why (required when the command's ops policy says so)
    """
    backend = _backend(ctx)
    account = _id(ctx, backend, "account", "account", account)
    acct = fetch_owned(ctx.actor, "account", account, backend.account)
    if acct.email.lower() == str(new_email).lower():
        raise Conflict(f"Account `{acct.id}` already uses that e-mail address; nothing to change.")
    pending = gate(ctx, f"Change the e-mail address of {acct.id} ({acct.name})",
                   [("E-mail", acct.email, new_email),
                    ("Verified", "yes" if acct.email_verified else "no", "no, until the new address is confirmed")],
                   reason=reason)
    if pending is not None:
        return pending
    updated = backend.change_email(acct.id, str(new_email), change=ChangeRequest.of(ctx))
    return _done(f"Done: {updated.id}'s e-mail address is now {updated.email}. A verification e-mail was sent "
                 "there; the old address no longer signs in.",
                 [("Account", updated.id), ("E-mail", updated.email), ("Verified", "no (link sent)")])


@commands.command(category=Category.INTERNAL_TASK, mutates=True, policy=staff)
def remove_seller_fee(ctx: Context, seller: str, reason: FreeText) -> Reply:
    """Remove a seller's fee (needs a second person's approval by default).

    Args:
        seller: the seller id, like sel_2001
        reason: why the fee is waived (kept in the audit trail)
    """
    backend = _backend(ctx)
    seller = _id(ctx, backend, "seller", "seller", seller)
    row = backend.seller(seller)
    if row.fee_bps == 0:
        raise Conflict(f"Seller `{row.id}` already pays no fee"
                       + (f" (waived: {row.fee_waived_reason})." if row.fee_waived_reason else "."))
    pending = gate(ctx, f"Remove the seller fee of {row.id} ({row.name})",
                   [("Seller fee", f"{row.fee_bps / 100:g}%", "0%")],
                   details=[("Standard fee", f"{row.standard_fee_bps / 100:g}%")], reason=reason)
    if pending is not None:
        return pending
    updated = backend.remove_seller_fee(row.id, str(reason), change=ChangeRequest.of(ctx))
    approver = f", approved by {ctx.approved_by.label}" if ctx.approved_by else ""
    return _done(f"Done: seller {updated.id} now pays {updated.fee_bps / 100:g}% (was {row.fee_bps / 100:g}%){approver}.",
                 [("Seller", f"{updated.id} ({updated.name})"), ("Fee", f"{updated.fee_bps / 100:g}%"),
                  ("Reason", updated.fee_waived_reason or str(reason))])


@commands.command(category=Category.INTERNAL_TASK, mutates=True, policy=staff)
def unlock_account(ctx: Context, account: str, reason: FreeText | None = None) -> Reply:
    """Unlock an account that was locked (after failed sign-ins or a security hold).

    Args:
        account: the account id, like acct_1002
        reason: why it is safe to unlock (required by the default ops policy)
    """
    backend = _backend(ctx)
    account = _id(ctx, backend, "account", "account", account)
    acct = backend.account(account)
    if acct.status != "locked":
        raise Conflict(f"Account `{acct.id}` is not locked (it is {acct.status}); nothing to unlock.")
    why = acct.locked_reason.replace("_", " ") or "no reason recorded"
    pending = gate(ctx, f"Unlock account {acct.id} ({acct.name})",
                   [("Status", f"locked ({why}) since {explain.day(acct.locked_at)}", "active")], reason=reason)
    if pending is not None:
        return pending
    updated = backend.unlock_account(acct.id, str(reason or ""), change=ChangeRequest.of(ctx))
    return _done(f"Done: account {updated.id} is {updated.status}; the customer can sign in again.",
                 [("Account", updated.id), ("Status", updated.status)])


@commands.command(category=Category.INTERNAL_TASK, mutates=True, policy=customers_and_staff)
def resend_verification(ctx: Context, account: str) -> Reply:
    """Send the e-mail verification link again (earlier links stop working).

    Args:
        account: the account id, like acct_1003
    """
    backend = _backend(ctx)
    account = _id(ctx, backend, "account", "account", account)
    acct = fetch_owned(ctx.actor, "account", account, backend.account)
    if acct.email_verified:
        raise Conflict(f"The e-mail address of `{acct.id}` is already verified; no link is needed.")
    last = f"last sent {explain.day(acct.verification_sent_at)}" if acct.verification_sent_at else "never sent"
    pending = gate(ctx, f"Send a new verification e-mail for {acct.id} to {acct.email}",
                   [("Verification link", last, f"new link to {acct.email}; earlier links stop working")])
    if pending is not None:
        return pending
    updated = backend.resend_verification(acct.id, change=ChangeRequest.of(ctx))
    return _done(f"Done: a new verification e-mail went to {updated.email}. The link works for 24 hours.",
                 [("Account", updated.id), ("Sent", explain.day(updated.verification_sent_at))])


# ---- internal ops lookups ----------------------------------------------------------------


@commands.command(category=Category.INTERNAL_OPS_PROBLEM, policy=staff, private=True)
def batch_status(ctx: Context, batch: str) -> Reply:
    """Why has a payout batch not been processed? State, timeline, reason and next step.

    Args:
        batch: the payout batch id, like B-1042
    """
    backend = _backend(ctx)
    return explain.batch(backend.batch(_id(ctx, backend, "batch", "batch", batch)), now=ctx.now)


@commands.command(category=Category.INTERNAL_OPS_PROBLEM, policy=customers_and_staff, private=True)
def disbursement_status(ctx: Context, account: str) -> Reply:
    """Why have an account's funds not been disbursed? State, timeline, reason and next step.

    Args:
        account: the account id, like acct_1004
    """
    backend = _backend(ctx)
    account = _id(ctx, backend, "account", "account", account)
    fetch_owned(ctx.actor, "account", account, backend.account)
    d = backend.disbursement(account)
    return explain.disbursement(d, _batch_or_none(backend, d.batch_id), now=ctx.now)


# ---- external ops lookups --------------------------------------------------------------------


@commands.command(category=Category.EXTERNAL_OPS_PROBLEM, policy=anyone, private=True)
def card_decline(ctx: Context, payment: str) -> Reply:
    """Why is my card declined? The issuer's reason in plain language and what to do.

    Args:
        payment: the payment id, like pay_3101
    """
    backend = _backend(ctx)
    payment = _id(ctx, backend, "payment", "payment", payment)
    p = fetch_owned(ctx.actor, "payment", payment, backend.payment)
    return explain.card_decline(p, staff=is_staff(ctx.actor))


@commands.command(category=Category.EXTERNAL_OPS_PROBLEM, policy=anyone, private=True)
def payment_status(ctx: Context, item: str) -> Reply:
    """Why is my item in payment_pending? Where its payment is and what happens next.

    Args:
        item: the item id, like item_42
    """
    backend = _backend(ctx)
    item = _id(ctx, backend, "item", "item", item)
    it = fetch_owned(ctx.actor, "item", item, backend.item)
    p = backend.payment(it.payment_id) if it.payment_id else None
    return explain.payment_status(it, p, _batch_or_none(backend, p.batch_id if p else None), now=ctx.now)


PENDING_WHY = {"three_ds": "3-D Secure check", "risk_review": "risk review", "payout_batch": "waiting for its payout batch"}


def _payment_line(p) -> tuple[str, str]:
    state = p.status + (f" ({PENDING_WHY.get(p.pending_reason, p.pending_reason)})" if p.pending_reason else "")
    return f"`{p.id}`", f"item `{p.item_id}` · {explain.money(p.amount_minor, p.currency)} · {state}"


@commands.command(name="my-accounts", category=Category.EXTERNAL_OPS_PROBLEM, policy=anyone, private=True)
def my_accounts(ctx: Context) -> Reply:
    """The accounts linked to you, with their ids, names and state (the ids the self-serve commands need)."""
    from chatops.ops.ownership import accounts_of

    backend = _backend(ctx)
    accounts = sorted(accounts_of(ctx.actor.person.id))
    if not accounts:
        return Reply.text("No account is linked to your chat identity yet. Ask with `support link my account` "
                          "and a person will link it.", ephemeral=True)
    items = []
    for account_id in accounts[:20]:
        try:
            a = backend.account(account_id)
            state = a.status + ("" if a.email_verified else ", e-mail not verified")
            items.append((f"`{a.id}`", f"{a.name} · {a.email} · {state}"))
        except BackendNotFound:
            items.append((f"`{account_id}`", f"not found in {getattr(backend, 'system', 'the payments system')}"))
    more = f"\n… and {len(accounts) - 20} more." if len(accounts) > 20 else ""
    return Reply((Fields(tuple(items), title="Your accounts"),
                  Text("Use them with `my-payments ACCOUNT`, `disbursement-status ACCOUNT`, `change-email ACCOUNT NEW` "
                       "or `resend-verification ACCOUNT`." + more)), ephemeral=True)


@commands.command(name="my-payments", category=Category.EXTERNAL_OPS_PROBLEM, policy=anyone, private=True)
def my_payments(ctx: Context, account: str | None = None) -> Reply:
    """Your latest payments and their ids, for `payment-status` and `card-decline`.

    Args:
        account: one of your accounts (default: all of them); staff name any account
    """
    from chatops.ops.ownership import accounts_of

    backend = _backend(ctx)
    if not hasattr(backend, "payments_of"):
        raise Conflict(f"{getattr(backend, 'system', 'The payments system')} cannot list payments here; "
                       "find the payment id in your receipt e-mail and use `payment-status ITEM` or `card-decline PAYMENT`.")
    if account is not None:
        accounts = [_id(ctx, backend, "account", "account", account)]
    elif is_staff(ctx.actor):
        raise BadArgument("account", "staff: name the account, like `my-payments acct_1004`.", usage=ctx.command.usage)
    else:
        accounts = sorted(accounts_of(ctx.actor.person.id))[:3]
        if not accounts:
            return Reply.text("No account is linked to your chat identity yet, so I cannot list your payments. "
                              "Ask with `support link my account` and a person will link it.", ephemeral=True)
    blocks: list = []
    for account_id in accounts:
        found = fetch_owned(ctx.actor, "account", account_id, lambda a: backend.payments_of(a, 10))
        items = tuple(_payment_line(p) for p in found.payments)
        blocks.append(Fields(items, title=f"Payments of {account_id}") if items
                      else Text(f"{account_id} has no payments yet."))
    blocks.append(Text("Ask about one: `payment-status ITEM` (where is it?) or `card-decline PAYMENT` (why declined?)."))
    return Reply(tuple(blocks), ephemeral=True)


def _batch_or_none(backend: Backend, batch_id: str | None):
    if not batch_id:
        return None
    try:
        return backend.batch(batch_id)
    except BackendNotFound:
        return None
