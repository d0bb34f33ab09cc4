"""Every lookup over every seeded state: evidence (state, timeline, reason, next step), and who may see it."""
from __future__ import annotations

from datetime import timedelta

import pytest

from chatops.reply import Fields, Timeline

BATCHES = [
    ("B-1041", "done", ["was processed at 05:00 UTC", "212 payouts"], "Nothing; the money has left"),
    ("B-1042", "failed", ["Batch B-1042 failed at 02:00 UTC: the bank rejected the file (R03, no account). "
                          "It retries at 14:00 UTC; fix the account's bank details first."],
     "Fix account acct_1007's bank details"),
    ("B-1043", "processing", ["sent to the bank at 08:00 UTC and is being processed"], "The bank should confirm it by 11:00 UTC"),
    ("B-1044", "held", ["missed the bank's cut-off at 06:00 UTC", "public holiday"],
     "It is released automatically on 2026-01-06 06:00 UTC, the next banking day"),
    ("B-1045", "scheduled", ["open and collecting payouts"], "It closes and goes to the bank at 2026-01-05 18:00 UTC"),
]


def _fields(result) -> dict[str, str]:
    return {k: v for b in result.reply.blocks if isinstance(b, Fields) for k, v in b.items}


def _timeline(result) -> Timeline:
    return next(b for b in result.reply.blocks if isinstance(b, Timeline))


@pytest.mark.parametrize("batch,state,reasons,next_step", BATCHES)
def test_batch_status_explains_every_state(ops, batch, state, reasons, next_step):
    result = ops.runner.invoke(f"batch-status {batch}", as_=ops.SAM)
    assert result.outcome == "allowed"
    assert _fields(result)["State"] == state
    for reason in reasons:
        assert reason in result.text
    assert f"What happens next: {next_step}" in result.text.replace("\n", " ")
    assert _timeline(result).steps, "a lookup shows a timeline"


def test_failed_batch_timeline_marks_the_rejection(ops):
    steps = _timeline(ops.runner.invoke("batch-status B-1042", as_=ops.SAM)).steps
    assert [s.status for s in steps] == ["done", "done", "error", "pending"]
    assert "R03" in steps[2].detail and steps[2].at.hour == 2


DISBURSEMENTS = [
    ("acct_1004", "held", "has no bank details", "adds bank details"),
    ("acct_1005", "held", "identity check (KYC) is not complete", "uploads the requested document"),
    ("acct_1006", "held", "balance is negative", "New sales offset the negative balance"),
    ("acct_1007", "failed", "payout batch B-1042 failed", "Fix account acct_1007's bank details"),
    ("acct_1008", "paid", "was paid out to acct_1008 in batch B-1041", "Nothing"),
    ("acct_1001", "scheduled", "is scheduled in batch B-1045", "expected at the bank by 2026-01-05 20:00 UTC"),
]


@pytest.mark.parametrize("account,state,reason,next_step", DISBURSEMENTS)
def test_disbursement_status_explains_every_state(ops, account, state, reason, next_step):
    result = ops.runner.invoke(f"disbursement-status {account}", as_=ops.SAM)
    assert _fields(result)["State"] == state
    assert reason in result.text
    assert next_step in result.text
    assert _timeline(result).steps


DECLINES = [
    ("pay_3101", "51", "insufficient funds", "Top up the account or use another card"),
    ("pay_3102", "05", "do not honour", "Call the bank"),
    ("pay_3103", "54", "the card has expired", "renewed card"),
    ("pay_3104", "59", "suspected fraud", "Call the bank to confirm the purchase"),
    ("pay_3042", "65", "3-D Secure", "complete the bank's confirmation step"),
]


@pytest.mark.parametrize("payment,code,reason,next_step", DECLINES)
def test_card_decline_gives_the_issuer_reason_to_staff(ops, payment, code, reason, next_step):
    result = ops.runner.invoke(f"card-decline {payment}", as_=ops.SAM)
    assert f"issuer code {code}" in _fields(result)["Last decline"]
    assert reason in result.text and next_step in result.text
    assert all(s.status == "error" for s in _timeline(result).steps)


def test_card_decline_hides_fraud_detail_from_the_cardholder_but_not_from_staff(ops):
    from chatops.ops.ownership import link
    from chatops.models import Person
    link(Person.get(Person.name == "Cora Customer"), "acct_1003")  # the payer of pay_3104
    customer = ops.runner.invoke("card-decline pay_3104", as_=ops.CORA)
    assert "for security reasons" in customer.text
    assert "fraud" not in customer.text and "59" not in customer.text
    assert "suspected fraud" in ops.runner.invoke("card-decline pay_3104", as_=ops.SAM).text


def test_card_decline_without_declines_says_so(ops):
    result = ops.runner.invoke("card-decline pay_3045", as_=ops.SAM)
    assert "has no declined card attempt" in result.text and "payment-status item_45" in result.text


PAYMENTS = [
    # the test clock is hours after item_42's card attempt: its 3-D Secure check has run out
    ("item_42", "the buyer has not finished 3-D Secure", "its 30 minutes ran out"),
    ("item_43", "the payment is in a risk review", "A decision is due by 2026-01-05 13:00 UTC"),
    ("item_44", "waits for the next payout batch", "Batch B-1045 goes to the bank at 2026-01-05 18:00 UTC"),
    ("item_45", "Item item_45 is paid", "Nothing is pending"),
]


@pytest.mark.parametrize("item,reason,next_step", PAYMENTS)
def test_payment_status_explains_every_state(ops, item, reason, next_step):
    result = ops.runner.invoke(f"payment-status {item}", as_=ops.SAM)
    assert reason in result.text and next_step in result.text
    steps = _timeline(result).steps
    assert [s.at for s in steps] == sorted(s.at for s in steps)


def test_payment_status_for_the_issue_example(ops):
    result = ops.runner.invoke("payment-status item_42", as_=ops.CORA)  # Cora bought item_42
    assert result.outcome == "allowed"
    assert result.text.startswith("Item item_42 is in payment_pending because")


# ---- who may look --------------------------------------------------------------------

MATRIX = [
    # command, as, allowed?
    ("payment-status item_42", "CORA", True),     # her purchase
    ("payment-status item_43", "CORA", False),    # someone else's
    ("payment-status item_999", "CORA", False),   # does not exist: denied the same way (no probing)
    ("payment-status item_43", "MAX", False),
    ("payment-status item_43", "SAM", True),
    ("card-decline pay_3101", "CORA", True),
    ("card-decline pay_3102", "CORA", False),
    ("card-decline pay_3102", "LEE", True),
    ("disbursement-status acct_1001", "CORA", True),
    ("disbursement-status acct_1004", "CORA", False),
    ("disbursement-status acct_1004", "MAX", False),  # not a customer: the policy says no
    ("batch-status B-1042", "CORA", False),           # internal: staff only
    ("batch-status B-1042", "MAX", False),
    ("batch-status B-1042", "LEE", True),
]


@pytest.mark.parametrize("text,who,allowed", MATRIX)
def test_lookup_permission_and_ownership_matrix(ops, text, who, allowed):
    result = ops.runner.invoke(text, as_=getattr(ops, who))
    if allowed:
        assert result.outcome == "allowed" and not result.is_error
    else:
        assert result.outcome == "denied" and result.is_error
        assert "You can't do that" in result.text


def test_denial_is_explained(ops):
    result = ops.runner.invoke("payment-status item_43", as_=ops.CORA)
    assert "item `item_43` is not linked to your account" in result.text
    assert "ask support to link your chat identity" in result.text
    assert result.audit[-1].command == "payment-status"


def test_staff_get_a_plain_not_found(ops):
    result = ops.runner.invoke("batch-status B-9999", as_=ops.SAM)
    assert result.outcome == "invalid" and "There is no batch `B-9999`" in result.text


@pytest.mark.parametrize("text,message", [
    ("batch-status 1042", "`1042` is not a valid batch id; batch ids look like `B-1042` (that was the `batch` argument)."),
    ("payment-status 42", "item ids look like `item_42`"),
    ("disbursement-status ACCT-1", "account ids look like `acct_1001`"),
    ("card-decline pay_x1", "payment ids look like `pay_3042`"),
    # names what was typed, not the parameter: "`payment` is not a valid payment id" read as nonsense
    ("card-decline item_51", "`item_51` is not a valid payment id"),
])
def test_ids_are_validated_with_an_example(ops, text, message):
    result = ops.runner.invoke(text, as_=ops.SAM)
    assert result.outcome == "invalid" and message in result.text and "Usage:" in result.text


# ---- explanations as of the command's time ------------------------------------------------

LATE = [  # (command, what it must say at 21:00, what it must no longer promise)
    ("batch-status B-1042", "It was due to retry at 14:00 UTC and is still failed; fix the account's bank details "
                            "before the next attempt.", "It retries at"),
    ("batch-status B-1042", "the retry due at 14:00 UTC did not succeed", "before 14:00 UTC"),
    ("batch-status B-1043", "The bank's confirmation was due by 11:00 UTC and is overdue", "should confirm it by"),
    ("batch-status B-1045", "It was due to go to the bank at 2026-01-05 18:00 UTC and is still open",
     "It closes and goes"),
    ("disbursement-status acct_1001", "It was expected at the bank by 2026-01-05 20:00 UTC and has not been paid",
     "nothing to do"),
    ("disbursement-status acct_1007", "It was due to retry at 14:00 UTC", "It retries at"),
    ("payment-status item_43", "A decision was due by 2026-01-05 13:00 UTC and is overdue", "A decision is due"),
    ("payment-status item_44", "Batch B-1045 was due to go to the bank at 2026-01-05 18:00 UTC", "goes to the bank at"),
]


@pytest.mark.parametrize("command,says,not_says", LATE)
def test_times_already_past_are_not_promised(ops, clock, command, says, not_says):
    clock.advance(hours=12)  # 21:00 UTC on the seeded day
    text = " ".join(ops.runner.invoke(command, as_=ops.SAM).text.split())
    assert says in text and not_says not in text


def test_a_release_date_passed_the_next_day_says_so_with_dates(ops, clock):
    clock.advance(hours=22)  # 07:00 UTC the next day
    held = " ".join(ops.runner.invoke("batch-status B-1044", as_=ops.SAM).text.split())
    assert "It was due to be released on 2026-01-06 06:00 UTC and is still held" in held
    failed = " ".join(ops.runner.invoke("batch-status B-1042", as_=ops.SAM).text.split())
    assert "It was due to retry at 2026-01-05 14:00 UTC" in failed  # another day: the date, not just 14:00


def test_a_retry_tomorrow_names_its_date(ops):
    from dataclasses import replace
    from datetime import timedelta

    from chatops.ops import explain
    from chatops.ops.backend import load_backend
    b = load_backend(ops.runner.router.settings).batch("B-1042")
    now = ops.runner.clock()
    text = explain.batch_reason(replace(b, retry_at=b.retry_at + timedelta(days=1)), now)[0]
    assert "It retries at 2026-01-06 14:00 UTC" in text


def test_a_3ds_check_past_its_30_minutes_is_not_shown_as_still_waiting(ops):
    """item_42's challenge started with its card attempt; 9.5 hours later it is not "waiting" any more."""
    from chatops.ops.demo_backend import DemoCardAttempt

    started = max(a.at for a in DemoCardAttempt.select().where(DemoCardAttempt.payment == "pay_3042"))
    clock = ops.runner.clock
    clock.advance(seconds=(started + timedelta(minutes=20) - clock()).total_seconds())
    fresh = ops.runner.invoke("payment-status item_42", as_=ops.CORA)
    assert "completes the check in their bank's app" in fresh.text and "ran out" not in fresh.text
    clock.advance(hours=9, minutes=10)
    late = ops.runner.invoke("payment-status item_42", as_=ops.CORA)
    assert "its 30 minutes ran out at" in late.text and "completes the check" not in late.text
    assert "ask the payments team" in late.text


def test_a_retry_time_already_past_is_not_the_next_attempt(ops):
    from chatops.ops.demo_backend import DemoPayoutBatch

    batch = DemoPayoutBatch.get_by_id("B-1042")
    clock = ops.runner.clock
    clock.advance(seconds=(batch.retry_at + timedelta(hours=1) - clock()).total_seconds())
    fields = dict(next(b for b in ops.runner.invoke("batch-status B-1042", as_=ops.SAM).reply.blocks
                       if hasattr(b, "items")).items)
    assert "Was due to retry" in fields and "Next attempt" not in fields


def test_a_deflection_offer_keeps_the_ids_already_typed(ops):
    offer = ops.runner.invoke("support our batch B-1042 failed again last night", as_=ops.SAM, channel_id="C_SUPPORT")
    assert "batch-status B-1042" in offer.text and "batch-status BATCH" not in offer.text
    email = ops.runner.invoke("support please change the email of acct_1002 to new@example.org", as_=ops.CORA,
                              channel_id="C_SUPPORT")
    assert "change-email acct_1002 new@example.org" in email.text
