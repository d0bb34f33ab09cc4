"""Seed the demo backend with every state a payments support person meets. Idempotent.

    chatops demo --seed-only           # runs seed(click.echo) through the chatops.seeders entry point

Times are relative to ``now`` (today 00:00 UTC is the anchor), so "failed at
02:00, retries at 14:00" reads true on the day you seed. Accounts: Cora
Customer's (linked to her chat identities from the core demo), a locked one,
an unverified one, sellers held for missing bank details, KYC and a negative
balance. Batches: done, processing, failed (R03), held by a holiday cut-off,
scheduled. Payments: pending on 3-D Secure, risk review and the next batch,
paid, and card declines with issuer codes 51, 05, 54, 59. Approvals: when the core demo's people
are there (its lead approves), the commands that need approval get an ops policy with the demo
approvals channels (Slack ``C0APPROVALS``, Discord ``300000000000000011``).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable

from chatops.db import atomic
from chatops.invocation import utcnow
from chatops.models import Identity
from chatops.ops.demo_backend import (DemoAccount, DemoCardAttempt, DemoDisbursement, DemoItem, DemoPayment,
                                      DemoPayoutBatch, DemoSeller, add_event)
from chatops.ops.approvals import DEFAULTS
from chatops.ops.models import OpsPolicy
from chatops.ops.ownership import link

# The demo's approvals channels (Slack channel id, Discord channel id), next to the support demo's channels.
APPROVALS_SLACK = "C0APPROVALS"
APPROVALS_DISCORD = "300000000000000011"
DEMO_APPROVER = "U0LEELEAD"  # the core demo's lead (chatops/demo.py)

ACCOUNTS = [
    # id, name, email, status, verified, locked_reason, locked (hours before anchor+9h), verification sent (days)
    ("acct_1001", "Cora Customer", "cora@example.com", "active", True, "", None, None),
    ("acct_1002", "Bob Buyer", "bob@example.org", "locked", True, "failed_logins", 2, None),
    ("acct_1003", "Uma Unverified", "uma@example.net", "active", False, "", None, 3),
    ("acct_1004", "Hana's Handmade", "hana@example.com", "active", True, "", None, None),
    ("acct_1005", "Kim's Kiosk", "kim@example.com", "active", True, "", None, None),
    ("acct_1006", "Nate's Notebooks", "nate@example.com", "active", True, "", None, None),
    ("acct_1007", "Rita's Records", "rita@example.com", "active", True, "", None, None),
    ("acct_1008", "Pete's Prints", "pete@example.com", "active", True, "", None, None),
]
SELLERS = [
    # id, account, name, fee bps, standard bps, waived reason
    ("sel_2001", "acct_1001", "Cora's Corner", 300, 300, ""),
    ("sel_2004", "acct_1004", "Hana's Handmade", 300, 300, ""),
    ("sel_2005", "acct_1005", "Kim's Kiosk", 300, 300, ""),
    ("sel_2006", "acct_1006", "Nate's Notebooks", 450, 300, ""),
    ("sel_2007", "acct_1007", "Rita's Records", 300, 300, ""),
    ("sel_2008", "acct_1008", "Pete's Prints", 0, 300, "charity partner, agreed 2025-11"),
]


def anchor_of(now: datetime) -> datetime:
    """Midnight UTC of the day the seed describes (yesterday before 03:00, so 02:00 is in the past)."""
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return day if now.hour >= 3 else day - timedelta(days=1)


def seed(echo: Callable[[str], object] = print, *, now: datetime | None = None) -> int:
    """Create the demo backend's records that are missing; returns how many were created."""
    t0 = anchor_of(now or utcnow())
    h = lambda hours: t0 + timedelta(hours=hours)  # noqa: E731 - a local shorthand for times
    created = 0
    with atomic():
        for aid, name, email, status, verified, locked_reason, locked_h, sent_days in ACCOUNTS:
            if DemoAccount.get_or_none(DemoAccount.id == aid) is not None:
                continue
            DemoAccount.create(id=aid, name=name, email=email, status=status, email_verified=verified,
                               locked_reason=locked_reason, locked_at=h(9 - locked_h) if locked_h else None,
                               verification_sent_at=h(9) - timedelta(days=sent_days) if sent_days else None)
            add_event(f"account:{aid}", h(-24 * 200), "Account opened", email)
            if status == "locked":
                add_event(f"account:{aid}", h(9 - locked_h), "Locked after 5 failed sign-ins",
                          "from a new device; the customer asked support to unlock", "error")
            if sent_days:
                add_event(f"account:{aid}", h(9) - timedelta(days=sent_days), "Verification e-mail sent",
                          "the link was never opened", "current")
            created += 1
        for sid, aid, name, fee, std, waived in SELLERS:
            if DemoSeller.get_or_none(DemoSeller.id == sid) is None:
                DemoSeller.create(id=sid, account=aid, name=name, fee_bps=fee, standard_fee_bps=std,
                                  fee_waived_reason=waived)
                add_event(f"seller:{sid}", h(-24 * 150), "Seller onboarded", f"fee {fee / 100:g}%")
                created += 1
        created += _batches(h)
        created += _items_and_payments(h)
        created += _disbursements(h)
        if Identity.get_or_none((Identity.platform == "slack") & (Identity.user_id == DEMO_APPROVER)) is not None:
            created += _approval_policies()  # over the core demo's people: Lee Lead approves
        for identity_key in ("slack:U0CORACUST", "discord:200000000000000004"):
            platform, user_id = identity_key.split(":")
            identity = Identity.get_or_none((Identity.platform == platform) & (Identity.user_id == user_id))
            if identity is not None:
                link(identity.person, "acct_1001", "demo: Cora Customer's account")
    echo(f"Ops demo backend ready ({created} new record(s)); try `batch-status B-1042` as Sam Support, "
         f"or `payment-status item_42` as Cora Customer. Approval requests go to {APPROVALS_SLACK} on Slack "
         f"(also from the console) and {APPROVALS_DISCORD} on Discord.")
    return created


def _approval_policies() -> int:
    """An OpsPolicy row with demo approvals channels on both platforms for each command that needs approval,
    so approvals work in the demo on Slack, Discord and the console (which uses the Slack one)."""
    created = 0
    for command, rules in DEFAULTS.items():
        if not rules.get("approval_required"):
            continue
        row = OpsPolicy.get_or_none(OpsPolicy.command == command)
        if row is None:
            OpsPolicy.create(command=command, approval_required=True, approver_role="lead",
                             reason_required=bool(rules.get("reason_required")),
                             approvals_slack_channel=APPROVALS_SLACK, approvals_discord_channel=APPROVALS_DISCORD,
                             note="demo: approvals channels on both platforms")
            created += 1
        elif not (row.approvals_channel or row.approvals_slack_channel or row.approvals_discord_channel):
            row.approvals_slack_channel, row.approvals_discord_channel = APPROVALS_SLACK, APPROVALS_DISCORD
            row.save()
    return created


def _batches(h) -> int:
    batches = [
        # id, status, created h, count, total, extra fields, events
        ("B-1041", "done", -22, 212, 4_861_230, dict(cutoff_at=h(-20), processed_at=h(-19)),
         [(-22, "Batch opened", "", "done"), (-20, "Sent to the bank", "212 payouts", "done"),
          (-19, "Bank confirmed the file", "all payouts accepted", "done")]),
        ("B-1042", "failed", -4, 187, 3_920_455,
         dict(cutoff_at=h(1), processed_at=h(2), failure_code="R03", failure_account_id="acct_1007",
              retry_at=h(14)),
         [(-4, "Batch opened", "", "done"), (1, "Sent to the bank", "187 payouts", "done"),
          (2, "Bank rejected the file", "R03 no account: the bank details of acct_1007 match no account",
           "error"), (14, "Automatic retry", "scheduled", "pending")]),
        ("B-1043", "processing", 3, 96, 1_204_880, dict(cutoff_at=h(8), expected_at=h(11)),
         [(3, "Batch opened", "", "done"), (8, "Sent to the bank", "96 payouts", "done"),
          (11, "Bank confirmation expected", "", "pending")]),
        ("B-1044", "held", 4, 58, 702_310,
         dict(cutoff_at=h(6), held_reason="holiday_cutoff", holiday_name="the receiving bank's public holiday",
              retry_at=h(24 + 6)),
         [(4, "Batch opened", "", "done"),
          (6, "Missed the bank's cut-off", "the receiving bank is closed for a public holiday", "error"),
          (30, "Released to the bank", "next banking day", "pending")]),
        ("B-1045", "scheduled", 8, 41, 512_000, dict(cutoff_at=h(18)),
         [(8, "Batch opened", "collecting payouts", "current"), (18, "Cut-off: sent to the bank", "", "pending")]),
    ]
    created = 0
    for bid, status, created_h, count, total, extra, events in batches:
        if DemoPayoutBatch.get_or_none(DemoPayoutBatch.id == bid) is not None:
            continue
        DemoPayoutBatch.create(id=bid, status=status, created_at=h(created_h), payment_count=count,
                               total_minor=total, currency="EUR", **extra)
        for hours, label, detail, st in events:
            add_event(f"batch:{bid}", h(hours), label, detail, st)
        created += 1
    return created


def _items_and_payments(h) -> int:
    items = [
        # item, title, seller, buyer, item status, amount, payment, payment status, pending reason, batch
        ("item_42", "Vintage film camera", "sel_2008", "acct_1001", "payment_pending", 18_900, "pay_3042",
         "pending", "three_ds", None),
        ("item_43", "Signed vinyl record", "sel_2007", "acct_1002", "payment_pending", 64_000, "pay_3043",
         "pending", "risk_review", None),
        ("item_44", "Hand-bound notebook", "sel_2001", "acct_1003", "payment_pending", 2_450, "pay_3044",
         "captured", "payout_batch", "B-1045"),
        ("item_45", "Art print A3", "sel_2008", "acct_1001", "paid", 3_500, "pay_3045", "paid_out", "", "B-1041"),
        ("item_51", "Ceramic mug set", "sel_2004", "acct_1001", "listed", 4_200, "pay_3101", "declined", "", None),
        ("item_52", "Leather wallet", "sel_2004", "acct_1002", "listed", 5_900, "pay_3102", "declined", "", None),
        ("item_53", "Poster bundle", "sel_2005", "acct_1001", "listed", 2_900, "pay_3103", "declined", "", None),
        ("item_54", "Limited sneakers", "sel_2006", "acct_1003", "listed", 31_000, "pay_3104", "declined", "",
         None),
    ]
    attempts = {
        "pay_3042": [(8.5, "declined", "65", "Visa", "4242")],
        "pay_3043": [(7.0, "approved", "00", "Mastercard", "5454")],
        "pay_3044": [(-3.0, "approved", "00", "Visa", "1881")],
        "pay_3045": [(-30.0, "approved", "00", "Visa", "4242")],
        "pay_3101": [(8.0, "declined", "51", "Visa", "4242"), (8.1, "declined", "51", "Visa", "4242")],
        "pay_3102": [(7.5, "declined", "05", "Mastercard", "5454")],
        "pay_3103": [(6.0, "declined", "54", "Amex", "0005")],
        "pay_3104": [(5.0, "declined", "59", "Visa", "9995")],
    }
    created = 0
    for iid, title, sid, buyer, istatus, amount, pid, pstatus, reason, batch in items:
        if DemoItem.get_or_none(DemoItem.id == iid) is not None:
            continue
        DemoItem.create(id=iid, title=title, seller=sid, buyer=buyer, status=istatus, amount_minor=amount)
        add_event(f"item:{iid}", h(-48), "Listed", "", "done")
        tries = attempts[pid]
        DemoPayment.create(id=pid, item=iid, payer=buyer, status=pstatus, pending_reason=reason,
                           amount_minor=amount, batch_id=batch, created_at=h(tries[0][0]),
                           review_due_at=h(13) if reason == "risk_review" else None)
        for hours, result, code, brand, last4 in tries:
            DemoCardAttempt.create(payment=pid, at=h(hours), result=result, response_code=code, card_brand=brand,
                                   card_last4=last4)
        first = h(tries[0][0])
        add_event(f"payment:{pid}", first, "Checkout started", f"buyer {buyer}", "done")
        if reason == "three_ds":
            add_event(f"payment:{pid}", first, "Bank asked for 3-D Secure", "issuer soft decline 65", "info")
            add_event(f"payment:{pid}", first + timedelta(minutes=1), "Waiting for the buyer to confirm",
                      "3-D Secure challenge sent to the buyer's banking app", "current")
        elif reason == "risk_review":
            add_event(f"payment:{pid}", first, "Card authorised", "", "done")
            add_event(f"payment:{pid}", first + timedelta(minutes=2), "Held for risk review",
                      "high value, new buyer device", "current")
        elif reason == "payout_batch":
            add_event(f"payment:{pid}", first, "Card authorised and captured", "", "done")
            add_event(f"payment:{pid}", first + timedelta(minutes=1), f"Queued for payout batch {batch}", "",
                      "current")
        elif pstatus == "paid_out":
            add_event(f"payment:{pid}", first, "Captured", "", "done")
            add_event(f"payment:{pid}", h(-20), f"Paid out in batch {batch}", "", "done")
        if istatus == "payment_pending":
            add_event(f"item:{iid}", first, "Sold: payment_pending", "", "current")
        created += 1
    return created


def _disbursements(h) -> int:
    rows = [
        # account, status, amount, balance, hold, batch, expected, events
        ("acct_1001", "scheduled", 12_650, 12_650, "", "B-1045", h(20),
         [(8, "Queued for payout", "batch B-1045", "current")]),
        ("acct_1004", "held", 38_400, 38_400, "missing_bank_details", None, None,
         [(-72, "Payout due", "", "done"), (-72, "Held: no bank details on file", "", "error")]),
        ("acct_1005", "held", 21_700, 21_700, "kyc_pending", None, None,
         [(-96, "Payout due", "", "done"), (-96, "Held: identity check (KYC) pending",
                                               "passport photo requested", "error")]),
        ("acct_1006", "held", 4_100, -4_250, "negative_balance", None, None,
         [(-30, "Chargeback on pay_2990", "−120.00 EUR", "error"),
          (-29, "Held: balance negative", "−83.50 EUR", "error"),
          (-5, "Sale of item_61 credited", "+41.00 EUR, balance −42.50 EUR", "info")]),
        ("acct_1007", "failed", 15_900, 15_900, "", "B-1042", h(15),
         [(1, "Sent in batch B-1042", "", "done"), (2, "Rejected by the bank", "R03 no account", "error")]),
        ("acct_1008", "paid", 48_200, 0, "", "B-1041", h(-19),
         [(-20, "Sent in batch B-1041", "", "done"), (-19, "Paid", "bank confirmed", "done")]),
    ]
    created = 0
    for aid, status, amount, balance, hold, batch, expected, events in rows:
        if DemoDisbursement.select().where(DemoDisbursement.account == aid).exists():
            continue
        DemoDisbursement.create(account=aid, status=status, amount_minor=amount, balance_minor=balance,
                                hold_reason=hold, batch_id=batch, expected_at=expected, created_at=h(-1))
        for hours, label, detail, st in events:
            add_event(f"disbursement:{aid}", h(hours), label, detail, st)
        created += 1
    return created
