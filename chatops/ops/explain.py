"""Evidence, not status words: records -> the reason in plain language, what happens next, and
Reply blocks (fields + timeline) that Slack and Discord render natively.

    reply = explain.batch(backend.batch("B-1042"), now=ctx.now)
    # "Batch B-1042 failed at 02:00 UTC: the bank rejected the file (R03, no account).
    #  It retries at 14:00 UTC; fix the account's bank details first."
    # after 14:00: "It was due to retry at 14:00 UTC and is still failed; fix … before the next attempt."

Times in what happens next are compared with ``now`` (the command's ``ctx.now``): a time already
passed is said as "was due …", never as a promise.

Every user-facing sentence about a backend state lives here, keyed by the
codes the backend sends (issuer response codes, bank return codes, hold and
pending reasons). An unknown code is shown as it is, never guessed at.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Iterable

from chatops.invocation import utcnow
from chatops.ops.backend import Disbursement, Event, Item, Payment, PayoutBatch
from chatops.reply import Fields, Reply, Step, Text, Timeline

# Issuer response codes (ISO 8583 field 39) -> (what it means, what the cardholder can do).
DECLINES: dict[str, tuple[str, str]] = {
    "05": ("the card's bank declined it without giving a reason (do not honour)",
           "Call the bank on the back of the card to ask why, or pay with another card."),
    "14": ("the card number is not valid", "Check the number and enter it again, or use another card."),
    "51": ("there were not enough funds or credit on the card (insufficient funds)",
           "Top up the account or use another card; the same card will keep failing until then."),
    "54": ("the card has expired", "Use the renewed card (new expiry date and security code) or another card."),
    "59": ("the card's bank suspected fraud and blocked the payment",
           "Call the bank to confirm the purchase, then try again."),
    "41": ("the card was reported lost", "Do not retry this card; use another one."),
    "43": ("the card was reported stolen", "Do not retry this card; use another one."),
    "61": ("the payment is over the card's spending limit", "Ask the bank to raise the limit, or use another card."),
    "65": ("the bank requires 3-D Secure authentication for this payment (soft decline)",
           "Try again and complete the bank's confirmation step in its app or page."),
    "91": ("the card's bank did not answer in time", "Try again in a few minutes; nothing was charged."),
}
# Codes a cardholder is told only as "declined for security reasons" (card schemes' rules).
SECURITY_CODES = frozenset({"41", "43", "59"})

# Bank return codes for a payout file or entry -> (meaning, short name).
BANK_RETURNS: dict[str, tuple[str, str]] = {
    "R01": ("the account has insufficient funds", "insufficient funds"),
    "R02": ("the account is closed", "account closed"),
    "R03": ("no account matches the bank details", "no account"),
    "R04": ("the account number is not valid", "invalid account number"),
    "R20": ("the account does not accept payouts", "non-transaction account"),
}
BANK_DETAIL_CODES = frozenset({"R02", "R03", "R04", "R20"})

HOLDS: dict[str, tuple[str, str]] = {
    "missing_bank_details": ("the account has no bank details to pay out to",
                             "The seller adds bank details under Settings → Payouts; the next batch after that "
                             "pays out."),
    "kyc_pending": ("the seller's identity check (KYC) is not complete",
                    "The seller uploads the requested document under Settings → Verification; review takes up "
                    "to 2 business days, then the next batch pays out."),
    "negative_balance": ("the account's balance is negative after refunds or chargebacks",
                         "New sales offset the negative balance first; payouts resume once it is positive."),
}


def when(at: datetime | None) -> str:
    return at.strftime("%H:%M UTC") if at else "an unknown time"


def day(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC") if at else "—"


THREE_DS_WINDOW = timedelta(minutes=30)  # a 3-D Secure challenge lapses this long after the card attempt


def is_past(at: datetime | None, now: datetime) -> bool:
    """``at`` is known and not after ``now``: say "was due", never "will"."""
    return at is not None and at <= now


def at_time(at: datetime | None, now: datetime) -> str:
    """``14:00 UTC`` on ``now``'s day, else the date too (a retry tomorrow is not "at 14:00")."""
    if at is None:
        return "an unknown time"
    return when(at) if at.astimezone(timezone.utc).date() == now.astimezone(timezone.utc).date() else day(at)


def money(amount_minor: int, currency: str) -> str:
    sign = "−" if amount_minor < 0 else ""
    return f"{sign}{abs(amount_minor) / 100:,.2f} {currency}"


def timeline(events: Iterable[Event], title: str = "What happened") -> Timeline:
    status = {"done", "current", "pending", "error", "info"}
    return Timeline(tuple(Step(e.label, at=e.at, detail=e.detail or None,
                               status=e.status if e.status in status else "info") for e in events), title=title)


def _reply(headline: str, style: str, fields: list[tuple[str, str]], events: Iterable[Event],
           next_step: str) -> Reply:
    blocks: list = [Text(headline, style), Fields(tuple(fields), title="Current state")]
    steps = timeline(events)
    if steps.steps:
        blocks.append(steps)
    blocks.append(Text(f"What happens next: {next_step}"))
    return Reply(tuple(blocks), ephemeral=True)


# ---- payout batches -------------------------------------------------------------------


def batch_reason(b: PayoutBatch, now: datetime | None = None) -> tuple[str, str, str]:
    """(headline, style, next step) for a payout batch, as of ``now`` (times before it are past)."""
    now = now or utcnow()
    if b.status == "done":
        return (f"Batch {b.id} was processed at {when(b.processed_at)}: {b.payment_count} payouts, "
                f"{money(b.total_minor, b.currency)}.", "success",
                "Nothing; the money has left. Banks usually credit it within one business day.")
    if b.status == "failed":
        meaning, short = BANK_RETURNS.get(b.failure_code, (f"the bank returned code {b.failure_code}",
                                                           b.failure_code or "no code"))
        code = f"{b.failure_code}, {short}" if b.failure_code else short
        head = f"Batch {b.id} failed at {when(b.processed_at)}: the bank rejected the file ({code})."
        bank_details = b.failure_code in BANK_DETAIL_CODES
        whose = f"account {b.failure_account_id}'s" if b.failure_account_id else "the account's"
        if b.retry_at is None:
            return f"{head} It is not retried automatically.", "warning", (
                f"Fix {whose} bank details ({meaning}), then ask the payments team to send the batch again."
                if bank_details else f"{meaning.capitalize()}; ask the payments team to send the batch again.")
        at = at_time(b.retry_at, now)
        if is_past(b.retry_at, now):
            if bank_details:
                return (f"{head} It was due to retry at {at} and is still failed; fix the account's bank details "
                        "before the next attempt.", "warning",
                        f"Fix {whose} bank details ({meaning}), then ask the payments team to send the batch "
                        f"again; the retry due at {at} did not succeed.")
            return (f"{head} It was due to retry at {at} and is still failed.", "warning",
                    f"{meaning.capitalize()}; the retry due at {at} did not succeed, so ask the payments team.")
        if bank_details:
            return f"{head} It retries at {at}; fix the account's bank details first.", "warning", (
                f"Fix {whose} bank details ({meaning}) before {at}, or the retry fails the same way.")
        return f"{head} It retries at {at}.", "warning", f"{meaning.capitalize()}; the batch is sent again at {at}."
    if b.status == "held":
        late = is_past(b.retry_at, now)
        if b.held_reason == "holiday_cutoff":
            holiday = b.holiday_name or "a bank holiday"
            head = (f"Batch {b.id} is held: it missed the bank's cut-off at {when(b.cutoff_at)} before "
                    f"{holiday}, when the bank processes no files.")
            if b.retry_at is None:
                return head, "warning", "It is released on the next banking day; nothing to do."
            if late:
                return head, "warning", (f"It was due to be released on {day(b.retry_at)} and is still held; "
                                         "ask the payments team.")
            return head, "warning", (f"It is released automatically on {day(b.retry_at)}, the next banking day; "
                                     "nothing to do.")
        head = f"Batch {b.id} is held ({b.held_reason or 'no reason given'})."
        if b.retry_at is None:
            return head, "warning", "Ask the payments team to release it."
        if late:
            return head, "warning", (f"It was due to be released at {day(b.retry_at)} and is still held; ask the "
                                     "payments team.")
        return head, "warning", f"It is released at {day(b.retry_at)}."
    if b.status == "processing":
        head = f"Batch {b.id} was sent to the bank at {when(b.cutoff_at)} and is being processed."
        if b.expected_at is None:
            return head, "plain", "The bank confirms it when it has processed the file; nothing to do."
        if is_past(b.expected_at, now):
            return head, "warning", (f"The bank's confirmation was due by {at_time(b.expected_at, now)} and is "
                                     "overdue; ask the payments team to check with the bank.")
        return head, "plain", f"The bank should confirm it by {at_time(b.expected_at, now)}; nothing to do before then."
    if b.status == "scheduled":
        head = f"Batch {b.id} is open and collecting payouts ({b.payment_count} so far)."
        if b.cutoff_at is None:
            return head, "plain", "It goes to the bank at its next cut-off."
        if is_past(b.cutoff_at, now):
            return head, "warning", (f"It was due to go to the bank at {day(b.cutoff_at)} and is still open; ask "
                                     "the payments team.")
        return head, "plain", f"It closes and goes to the bank at {day(b.cutoff_at)}."
    return f"Batch {b.id} is {b.status}.", "plain", "Ask the payments team; this state is not explained here."


def batch(b: PayoutBatch, now: datetime | None = None) -> Reply:
    headline, style, next_step = batch_reason(b, now)
    fields = [("Batch", b.id), ("State", b.status), ("Payouts", str(b.payment_count)),
              ("Total", money(b.total_minor, b.currency)), ("Created", day(b.created_at))]
    if b.failure_code:
        fields.append(("Bank return code", b.failure_code))
    if b.failure_account_id:
        fields.append(("Rejected account", b.failure_account_id))
    if b.retry_at:  # a time already past is not "next"
        fields.append(("Was due to retry" if is_past(b.retry_at, now or utcnow()) else "Next attempt", day(b.retry_at)))
    return _reply(headline, style, fields, b.events, next_step)


# ---- disbursements ----------------------------------------------------------------------


def disbursement_reason(d: Disbursement, batch_: PayoutBatch | None,
                        now: datetime | None = None) -> tuple[str, str, str]:
    now = now or utcnow()
    amount = money(d.amount_minor, d.currency)
    if d.status == "paid":
        return (f"{amount} was paid out to {d.account_id} in batch {d.batch_id}.", "success",
                "Nothing; banks usually credit it within one business day.")
    if d.status == "held":
        meaning, remedy = HOLDS.get(d.hold_reason, (f"it is on hold ({d.hold_reason or 'no reason given'})",
                                                    "Ask the payments team what the hold needs."))
        return f"{amount} for {d.account_id} has not been disbursed: {meaning}.", "warning", remedy
    if d.status == "failed" or (batch_ is not None and batch_.status == "failed"):
        extra = f" {batch_reason(batch_, now)[0]}" if batch_ is not None else ""
        return (f"{amount} for {d.account_id} was not disbursed: its payout batch {d.batch_id} failed.{extra}",
                "warning", batch_reason(batch_, now)[2] if batch_ is not None else "Ask the payments team.")
    if batch_ is not None and batch_.status == "held":
        return (f"{amount} for {d.account_id} is waiting in batch {d.batch_id}, which is held.", "warning",
                batch_reason(batch_, now)[2])
    head = f"{amount} for {d.account_id} is scheduled in batch {d.batch_id}."
    if d.expected_at is None:
        return head, "plain", "It goes out with the batch; nothing to do."
    if is_past(d.expected_at, now):
        return head, "warning", (f"It was expected at the bank by {day(d.expected_at)} and has not been paid "
                                 "yet; ask the payments team.")
    return head, "plain", f"It is expected at the bank by {day(d.expected_at)}; nothing to do."


def disbursement(d: Disbursement, batch_: PayoutBatch | None, now: datetime | None = None) -> Reply:
    headline, style, next_step = disbursement_reason(d, batch_, now)
    fields = [("Account", d.account_id), ("State", d.status), ("Amount", money(d.amount_minor, d.currency)),
              ("Balance", money(d.balance_minor, d.currency))]
    if d.hold_reason:
        fields.append(("Hold", d.hold_reason.replace("_", " ")))
    if d.batch_id:
        fields.append(("Batch", f"{d.batch_id} ({batch_.status})" if batch_ else d.batch_id))
    if d.expected_at:
        fields.append(("Expected", day(d.expected_at)))
    return _reply(headline, style, fields, d.events, next_step)


# ---- card declines --------------------------------------------------------------------------


def decline_reason(code: str, *, staff: bool) -> tuple[str, str]:
    meaning, remedy = DECLINES.get(code, (f"the card's bank declined it (code {code})",
                                          "Call the bank on the back of the card, or use another card."))
    if code in SECURITY_CODES and not staff:
        return ("the card's bank declined it for security reasons",
                "Call the bank on the back of the card; it can tell you more. Or use another card.")
    return meaning, remedy


def card_decline(p: Payment, *, staff: bool) -> Reply:
    declines = [a for a in p.attempts if a.result == "declined"]
    amount = money(p.amount_minor, p.currency)
    fields = [("Payment", p.id), ("Item", p.item_id), ("Amount", amount), ("State", p.status),
              ("Attempts", f"{len(p.attempts)} ({len(declines)} declined)")]
    steps = [Event(a.at, f"{a.card_brand} •••• {a.card_last4}: {a.result}",
                   (f"code {a.response_code}: " if staff or a.response_code not in SECURITY_CODES else "")
                   + decline_reason(a.response_code, staff=staff)[0] if a.result == "declined" else "",
                   "error" if a.result == "declined" else "done") for a in p.attempts]
    if not declines:
        return _reply(f"Payment {p.id} ({amount}) has no declined card attempt.", "plain", fields, steps,
                      "Nothing to fix on the card; see `payment-status " + p.item_id + "` for where it is.")
    last = declines[-1]
    meaning, remedy = decline_reason(last.response_code, staff=staff)
    if p.attempts[-1].result == "approved":
        return _reply(f"Payment {p.id} was declined earlier ({meaning}) but a later attempt was approved.",
                      "success", fields, steps, "Nothing; the payment went through.")
    code = f" (issuer code {last.response_code})" if staff or last.response_code not in SECURITY_CODES else ""
    fields.append(("Last decline", f"{last.card_brand} •••• {last.card_last4}{code}"))
    return _reply(f"The card was declined for payment {p.id} ({amount}): {meaning}.", "warning", fields, steps,
                  remedy)


# ---- items in payment_pending -------------------------------------------------------------------

PENDING: dict[str, str] = {
    "three_ds": "the buyer has not finished 3-D Secure, the bank's confirmation step",
    "risk_review": "the payment is in a risk review",
    "payout_batch": "the payment is captured and waits for the next payout batch to the seller",
}


def payment_status(item: Item, p: Payment | None, batch_: PayoutBatch | None, now: datetime | None = None) -> Reply:
    now = now or utcnow()
    amount = money(item.amount_minor, item.currency)
    fields = [("Item", f"{item.id} — {item.title}"), ("Item state", item.status), ("Price", amount)]
    events = list(item.events)
    if p is not None:
        fields += [("Payment", p.id), ("Payment state", p.status)]
        events += list(p.events)
    events.sort(key=lambda e: e.at)
    if p is None:
        return _reply(f"Item {item.id} is {item.status}; it has no payment yet.", "plain", fields, events,
                      "The item waits for a buyer to pay.")
    if item.status != "payment_pending":
        return _reply(f"Item {item.id} is {item.status}; its payment {p.id} is {p.status}.", "success", fields,
                      events, "Nothing is pending on the payment.")
    why = PENDING.get(p.pending_reason, f"the payment is {p.status} ({p.pending_reason or 'no reason given'})")
    head = f"Item {item.id} is in payment_pending because {why}."
    if p.pending_reason == "three_ds":
        started = max((a.at for a in p.attempts), default=None)
        lapses = started + THREE_DS_WINDOW if started else None
        if lapses is not None and is_past(lapses, now):
            head = (f"Item {item.id} is in payment_pending because {why}, but that check started at "
                    f"{at_time(started, now)} and its 30 minutes ran out at {at_time(lapses, now)}.")
            next_step = ("The payment should have lapsed and still shows pending: ask the payments team to release "
                         "it; the buyer can pay again meanwhile.")
        else:
            until = f" (by {at_time(lapses, now)})" if lapses else ""
            next_step = ("The buyer completes the check in their bank's app or page; if not finished within "
                         f"30 minutes of the attempt{until} the payment lapses and the buyer can pay again.")
    elif p.pending_reason == "risk_review":
        fields.append(("Review due", day(p.review_due_at)))
        next_step = (f"A decision was due by {day(p.review_due_at)} and is overdue; ask the payments team about "
                     "the review." if is_past(p.review_due_at, now) else
                     f"A decision is due by {day(p.review_due_at)}; nobody needs to do anything before then.")
    elif p.pending_reason == "payout_batch" and batch_ is not None:
        fields.append(("Payout batch", f"{batch_.id} ({batch_.status})"))
        if batch_.status != "scheduled":
            next_step = batch_reason(batch_, now)[2]
        elif is_past(batch_.cutoff_at, now):
            next_step = (f"Batch {batch_.id} was due to go to the bank at {day(batch_.cutoff_at)} and is still "
                         "open; ask the payments team.")
        else:
            next_step = f"Batch {batch_.id} goes to the bank at {day(batch_.cutoff_at)}; the item moves to paid then."
    else:
        next_step = "Ask the payments team; this pending reason is not explained here."
    return _reply(head, "warning", fields, events, next_step)
