"""The demo backend: a small payments marketplace in peewee tables (``demo_*``), seeded by
:func:`chatops.ops.demo.seed`. The default ``CHATOPS_BACKEND``.

    backend = DemoBackend()
    backend.batch("B-1042").failure_code          # "R03"

It keeps its tables in the app's database but behaves like the company's own
system would: each change commits on its own (the router's transaction is not
open while a backend answers, see chatops.effects), and a change is applied
once per idempotency key — a repeat with the same key gets the first answer
(``demo_applied_change``), as docs/ops.md asks of every backend.
Migrations: 101_ops_demo.py, 103_ops_demo_idempotency.py.
"""
from __future__ import annotations

from datetime import datetime

import peewee

import functools
from typing import Any, Callable, TypeVar

from chatops.db import atomic
from chatops.models import BaseModel, JSONField, UTCDateTimeField
from chatops.ops.backend import (AccountPayments, Account, BackendNotFound, BackendRejected, CardAttempt, ChangeRequest,
                                 Disbursement, Event, Item, Payment, PayoutBatch, Seller, parse, to_json)
from chatops.settings import Settings


class DemoAccount(BaseModel):
    id = peewee.CharField(max_length=64, primary_key=True)
    name = peewee.CharField(max_length=128)
    email = peewee.CharField(max_length=254)
    status = peewee.CharField(max_length=16, default="active")
    email_verified = peewee.BooleanField(default=True)
    locked_reason = peewee.CharField(max_length=64, default="")
    locked_at = UTCDateTimeField(null=True)
    verification_sent_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "demo_account"


class DemoSeller(BaseModel):
    id = peewee.CharField(max_length=64, primary_key=True)
    account = peewee.ForeignKeyField(DemoAccount, backref="sellers", on_delete="CASCADE")
    name = peewee.CharField(max_length=128)
    fee_bps = peewee.IntegerField()
    standard_fee_bps = peewee.IntegerField()
    fee_waived_reason = peewee.TextField(default="")

    class Meta:
        table_name = "demo_seller"


class DemoPayoutBatch(BaseModel):
    id = peewee.CharField(max_length=64, primary_key=True)
    status = peewee.CharField(max_length=16)
    created_at = UTCDateTimeField()
    payment_count = peewee.IntegerField(default=0)
    total_minor = peewee.BigIntegerField(default=0)
    currency = peewee.CharField(max_length=3, default="EUR")
    cutoff_at = UTCDateTimeField(null=True)
    processed_at = UTCDateTimeField(null=True)
    failure_code = peewee.CharField(max_length=16, default="")
    failure_account_id = peewee.CharField(max_length=64, null=True)
    retry_at = UTCDateTimeField(null=True)
    held_reason = peewee.CharField(max_length=32, default="")
    holiday_name = peewee.CharField(max_length=128, default="")
    expected_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "demo_payout_batch"


class DemoItem(BaseModel):
    id = peewee.CharField(max_length=64, primary_key=True)
    title = peewee.CharField(max_length=200)
    seller = peewee.ForeignKeyField(DemoSeller, backref="items", on_delete="CASCADE")
    buyer = peewee.ForeignKeyField(DemoAccount, null=True, backref="purchases", on_delete="SET NULL")
    status = peewee.CharField(max_length=32)
    amount_minor = peewee.BigIntegerField()
    currency = peewee.CharField(max_length=3, default="EUR")

    class Meta:
        table_name = "demo_item"


class DemoPayment(BaseModel):
    id = peewee.CharField(max_length=64, primary_key=True)
    item = peewee.ForeignKeyField(DemoItem, backref="payments", on_delete="CASCADE")
    payer = peewee.ForeignKeyField(DemoAccount, backref="payments", on_delete="CASCADE")
    status = peewee.CharField(max_length=16)
    pending_reason = peewee.CharField(max_length=32, default="")
    amount_minor = peewee.BigIntegerField()
    currency = peewee.CharField(max_length=3, default="EUR")
    batch_id = peewee.CharField(max_length=64, null=True)
    review_due_at = UTCDateTimeField(null=True)
    created_at = UTCDateTimeField()

    class Meta:
        table_name = "demo_payment"


class DemoCardAttempt(BaseModel):
    payment = peewee.ForeignKeyField(DemoPayment, backref="attempts", on_delete="CASCADE")
    at = UTCDateTimeField()
    result = peewee.CharField(max_length=16)
    response_code = peewee.CharField(max_length=8)
    card_brand = peewee.CharField(max_length=32)
    card_last4 = peewee.CharField(max_length=4)

    class Meta:
        table_name = "demo_card_attempt"


class DemoDisbursement(BaseModel):
    account = peewee.ForeignKeyField(DemoAccount, backref="disbursements", on_delete="CASCADE")
    status = peewee.CharField(max_length=16)
    amount_minor = peewee.BigIntegerField()
    currency = peewee.CharField(max_length=3, default="EUR")
    balance_minor = peewee.BigIntegerField(default=0)
    hold_reason = peewee.CharField(max_length=32, default="")
    batch_id = peewee.CharField(max_length=64, null=True)
    expected_at = UTCDateTimeField(null=True)
    created_at = UTCDateTimeField()

    class Meta:
        table_name = "demo_disbursement"


class DemoEvent(BaseModel):
    """A step in a record's history; ``subject`` is ``kind:id`` (``batch:B-1042``)."""

    subject = peewee.CharField(max_length=100, index=True)
    at = UTCDateTimeField()
    label = peewee.CharField(max_length=200)
    detail = peewee.TextField(default="")
    status = peewee.CharField(max_length=16, default="done")

    class Meta:
        table_name = "demo_event"


class DemoAppliedChange(BaseModel):
    """A change the demo backend applied, by idempotency key, with the answer it gave."""

    key = peewee.CharField(max_length=200, unique=True)
    operation = peewee.CharField(max_length=64)
    result = JSONField()
    applied_at = UTCDateTimeField()

    class Meta:
        table_name = "demo_applied_change"


DEMO_MODELS = [DemoAccount, DemoSeller, DemoPayoutBatch, DemoItem, DemoPayment, DemoCardAttempt,
               DemoDisbursement, DemoEvent, DemoAppliedChange]

R = TypeVar("R")


def once_per_key(record: type) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """A change method applied at most once per ``change.idempotency_key``, in its own transaction."""

    def wrap(method: Callable[..., R]) -> Callable[..., R]:
        @functools.wraps(method)
        def apply(self, *args: Any, change: ChangeRequest, **kwargs: Any) -> R:
            key = change.idempotency_key
            with atomic():
                if key:
                    done = DemoAppliedChange.get_or_none(DemoAppliedChange.key == key)
                    if done is not None:
                        return parse(record, done.result)
                result = method(self, *args, change=change, **kwargs)
                if key:
                    DemoAppliedChange.create(key=key[:200], operation=method.__name__, result=to_json(result),
                                             applied_at=change.at)
                return result

        return apply

    return wrap


def _events(subject: str) -> tuple[Event, ...]:
    rows = DemoEvent.select().where(DemoEvent.subject == subject).order_by(DemoEvent.at, DemoEvent.id)
    return tuple(Event(r.at, r.label, r.detail, r.status) for r in rows)


def add_event(subject: str, at: datetime, label: str, detail: str = "", status: str = "done") -> None:
    DemoEvent.create(subject=subject, at=at, label=label, detail=detail, status=status)


def _who(change: ChangeRequest) -> str:
    return change.actor + (f", approved by {change.approved_by}" if change.approved_by else "") + \
        f" (ref {change.correlation_id})"


class DemoBackend:
    """The :class:`~chatops.ops.backend.Backend` over the ``demo_*`` tables."""

    name = "demo"
    id_formats = {
        "account": (r"acct_\d{1,12}", "acct_1001"),
        "seller": (r"sel_\d{1,12}", "sel_2001"),
        "item": (r"item_\d{1,12}", "item_42"),
        "payment": (r"pay_\d{1,12}", "pay_3042"),
        "batch": (r"B-\d{1,12}", "B-1042"),
    }

    @classmethod
    def from_settings(cls, settings: Settings) -> "DemoBackend":
        return cls()

    # ---- lookups ------------------------------------------------------------------
    def _account_row(self, account_id: str) -> DemoAccount:
        row = DemoAccount.get_or_none(DemoAccount.id == account_id)
        if row is None:
            raise BackendNotFound("account", account_id)
        return row

    def account(self, account_id: str) -> Account:
        r = self._account_row(account_id)
        return Account(r.id, r.name, r.email, r.status, r.email_verified, r.locked_reason, r.locked_at,
                       r.verification_sent_at, _events(f"account:{r.id}"))

    def seller(self, seller_id: str) -> Seller:
        r = DemoSeller.get_or_none(DemoSeller.id == seller_id)
        if r is None:
            raise BackendNotFound("seller", seller_id)
        return Seller(r.id, r.account_id, r.name, r.fee_bps, r.standard_fee_bps, r.fee_waived_reason,
                      _events(f"seller:{r.id}"))

    def item(self, item_id: str) -> Item:
        r = DemoItem.get_or_none(DemoItem.id == item_id)
        if r is None:
            raise BackendNotFound("item", item_id)
        payment = (DemoPayment.select(DemoPayment.id).where(DemoPayment.item == r.id)
                   .order_by(DemoPayment.created_at.desc()).first())
        return Item(r.id, r.title, r.seller_id, r.seller.account_id, r.buyer_id, r.status, r.amount_minor,
                    r.currency, payment.id if payment else None, _events(f"item:{r.id}"))

    def payment(self, payment_id: str) -> Payment:
        r = DemoPayment.get_or_none(DemoPayment.id == payment_id)
        if r is None:
            raise BackendNotFound("payment", payment_id)
        attempts = tuple(CardAttempt(a.at, a.result, a.response_code, a.card_brand, a.card_last4)
                         for a in r.attempts.order_by(DemoCardAttempt.at))
        return Payment(r.id, r.item_id, r.payer_id, r.item.seller.account_id, r.status, r.pending_reason,
                       r.amount_minor, r.currency, r.batch_id, r.review_due_at, attempts,
                       _events(f"payment:{r.id}"))

    def batch(self, batch_id: str) -> PayoutBatch:
        r = DemoPayoutBatch.get_or_none(DemoPayoutBatch.id == batch_id)
        if r is None:
            raise BackendNotFound("batch", batch_id)
        return PayoutBatch(r.id, r.status, r.created_at, r.payment_count, r.total_minor, r.currency, r.cutoff_at,
                           r.processed_at, r.failure_code, r.failure_account_id, r.retry_at, r.held_reason,
                           r.holiday_name, r.expected_at, _events(f"batch:{r.id}"))

    def disbursement(self, account_id: str) -> Disbursement:
        self._account_row(account_id)
        r = (DemoDisbursement.select().where(DemoDisbursement.account == account_id)
             .order_by(DemoDisbursement.created_at.desc(), DemoDisbursement.id.desc()).first())
        if r is None:
            raise BackendNotFound("disbursement for account", account_id)
        return Disbursement(r.account_id, r.status, r.amount_minor, r.currency, r.balance_minor, r.hold_reason,
                            r.batch_id, r.expected_at, _events(f"disbursement:{r.account_id}"))

    def payments_of(self, account_id: str, limit: int = 10) -> AccountPayments:
        self._account_row(account_id)
        limit = max(1, min(int(limit), 50))
        rows = (DemoPayment.select(DemoPayment.id).join(DemoItem).join(DemoSeller)
                .where((DemoPayment.payer == account_id) | (DemoSeller.account == account_id))
                .order_by(DemoPayment.created_at.desc(), DemoPayment.id.desc()).limit(limit))
        return AccountPayments(account_id, tuple(self.payment(r.id) for r in rows))

    # ---- changes (each in its own transaction, once per idempotency key) --------------------
    @once_per_key(Account)
    def change_email(self, account_id: str, new_email: str, *, change: ChangeRequest) -> Account:
        row = self._account_row(account_id)
        if row.status == "closed":
            raise BackendRejected(f"Account `{account_id}` is closed; its e-mail address can't change.",
                                  code="account_closed")
        taken = DemoAccount.get_or_none((DemoAccount.email == new_email) & (DemoAccount.id != account_id))
        if taken is not None:
            raise BackendRejected("Another account already uses that e-mail address.", code="email_taken",
                                  hint="Ask the customer for a different address.")
        old = row.email
        DemoAccount.update(email=new_email, email_verified=False, verification_sent_at=change.at).where(
            DemoAccount.id == account_id).execute()
        add_event(f"account:{account_id}", change.at, "E-mail address changed",
                  f"{old} → {new_email} by {_who(change)}; verification e-mail sent")
        return self.account(account_id)

    @once_per_key(Seller)
    def remove_seller_fee(self, seller_id: str, reason: str, *, change: ChangeRequest) -> Seller:
        row = DemoSeller.get_or_none(DemoSeller.id == seller_id)
        if row is None:
            raise BackendNotFound("seller", seller_id)
        DemoSeller.update(fee_bps=0, fee_waived_reason=reason).where(DemoSeller.id == seller_id).execute()
        add_event(f"seller:{seller_id}", change.at, "Seller fee removed",
                  f"{row.fee_bps / 100:g}% → 0% by {_who(change)}: {reason}")
        return self.seller(seller_id)

    @once_per_key(Account)
    def unlock_account(self, account_id: str, reason: str, *, change: ChangeRequest) -> Account:
        row = self._account_row(account_id)
        if row.status != "locked":
            raise BackendRejected(f"Account `{account_id}` is not locked (it is {row.status}).", code="not_locked")
        DemoAccount.update(status="active", locked_reason="", locked_at=None).where(
            DemoAccount.id == account_id).execute()
        add_event(f"account:{account_id}", change.at, "Account unlocked", f"by {_who(change)}: {reason}")
        return self.account(account_id)

    @once_per_key(Account)
    def resend_verification(self, account_id: str, *, change: ChangeRequest) -> Account:
        row = self._account_row(account_id)
        if row.email_verified:
            raise BackendRejected(f"The e-mail address of `{account_id}` is already verified.",
                                  code="already_verified")
        DemoAccount.update(verification_sent_at=change.at).where(DemoAccount.id == account_id).execute()
        add_event(f"account:{account_id}", change.at, "Verification e-mail sent again",
                  f"to {row.email} by {_who(change)}; earlier links no longer work")
        return self.account(account_id)
