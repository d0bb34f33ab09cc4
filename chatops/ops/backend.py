"""The backend seam: the only way ops commands reach the company's systems.

    backend = ctx.backend                               # CHATOPS_BACKEND, built once by the App
    batch = backend.batch("B-1042")                     # -> PayoutBatch, or raises BackendNotFound
    account = backend.change_email("acct_1001", "new@example.com", change=ChangeRequest.of(ctx))

Records are frozen dataclasses (they cross from the backend to the commands);
:func:`parse` builds one from JSON (the http backend's wire format) and
:func:`to_json` writes one, so the contract in docs/ops.md is exactly these
fields. Errors say whose they are: a record that does not exist
(:class:`BackendNotFound`) or a change the backend refused (:class:`BackendRejected`) is a
:class:`~chatops.errors.UserError`; a backend that is down, misconfigured or answers garbage
(:class:`BackendUnavailable`, :class:`BackendMalformed`) is a
:class:`~chatops.errors.ServiceUnavailable`. The router shows either message and audits it
``failed``, so a failed backend call is never a pretended success.
"""
from __future__ import annotations

import dataclasses
import functools
import importlib
import re
import types
import typing
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Protocol, runtime_checkable

from chatops import effects
from chatops.errors import ChatOpsError, NotFound, ServiceUnavailable, UserError
from chatops.settings import Settings

# ---- errors ------------------------------------------------------------------------


class BackendError(ChatOpsError):
    """A backend call failed; nothing is reported as done. Audited ``failed``. Raise one of its kinds:
    :class:`BackendRejected` (a UserError), :class:`BackendUnavailable` or :class:`BackendMalformed`
    (ServiceUnavailable).

    ``outcome_unknown``: for a change, True when the backend may have applied it all the same (the
    request went out, the answer did not come back clearly); the run is then ``unknown`` and checked
    again with the same idempotency key (chatops.effects). False: the backend did not apply it.
    """

    outcome = "failed"
    outcome_unknown = False

    def __init__(self, message: str, *, hint: str | None = None, outcome_unknown: bool | None = None) -> None:
        super().__init__(message, hint=hint)
        if outcome_unknown is not None:
            self.outcome_unknown = outcome_unknown


class BackendNotFound(NotFound):
    """The backend has no such record (audited ``rejected``)."""

    def __init__(self, kind: str, record_id: str) -> None:
        super().__init__(f"There is no {kind} `{record_id}`.", hint="Check the id and try again.")
        self.kind = kind
        self.record_id = record_id


class BackendUnavailable(BackendError, ServiceUnavailable):
    """Not configured, timeout, connection refused, 5xx, bad credentials: the company's system did not
    answer properly. Not the user's mistake (a :class:`~chatops.errors.ServiceUnavailable`)."""

    outcome_unknown = False  # as raised by the seam: it knows when the request never went out


class BackendOutcomeUnknown(BackendUnavailable):
    """A change went out and no clear answer came back (timeout after sending, 5xx, dropped
    connection, malformed answer): it may have been applied."""

    outcome_unknown = True


class BackendRejected(BackendError, UserError):
    """The backend answered ``{"ok": false, "error": ...}``: it refused or failed the change."""

    def __init__(self, message: str, *, code: str = "", hint: str | None = None) -> None:
        super().__init__(message, hint=hint, outcome_unknown=False)
        self.code = code


class BackendMalformed(BackendUnavailable):
    """The backend's answer was not the JSON the contract describes."""


# ---- records -----------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    """One step of a record's history (rendered as a timeline step)."""

    at: datetime
    label: str
    detail: str = ""
    status: str = "done"  # done | current | pending | error | info


@dataclass(frozen=True)
class Account:
    id: str
    name: str
    email: str
    status: str  # active | locked | closed
    email_verified: bool
    locked_reason: str = ""  # failed_logins | suspicious_activity | ...
    locked_at: datetime | None = None
    verification_sent_at: datetime | None = None
    events: tuple[Event, ...] = ()

    @property
    def owners(self) -> frozenset[str]:
        return frozenset({self.id})


@dataclass(frozen=True)
class Seller:
    id: str
    account_id: str
    name: str
    fee_bps: int  # the seller fee in basis points (300 = 3%)
    standard_fee_bps: int
    fee_waived_reason: str = ""
    events: tuple[Event, ...] = ()

    @property
    def owners(self) -> frozenset[str]:
        return frozenset({self.account_id})


@dataclass(frozen=True)
class Item:
    id: str
    title: str
    seller_id: str
    seller_account_id: str
    buyer_account_id: str | None
    status: str  # listed | payment_pending | paid | shipped
    amount_minor: int
    currency: str
    payment_id: str | None = None
    events: tuple[Event, ...] = ()

    @property
    def owners(self) -> frozenset[str]:
        return frozenset(a for a in (self.seller_account_id, self.buyer_account_id) if a)


@dataclass(frozen=True)
class CardAttempt:
    """One card authorisation attempt; ``response_code`` is the issuer's (ISO 8583) code."""

    at: datetime
    result: str  # approved | declined
    response_code: str
    card_brand: str
    card_last4: str


@dataclass(frozen=True)
class Payment:
    id: str
    item_id: str
    payer_account_id: str
    seller_account_id: str
    status: str  # pending | declined | captured | paid_out | refunded
    pending_reason: str  # three_ds | risk_review | payout_batch | "" (see explain.PENDING)
    amount_minor: int
    currency: str
    batch_id: str | None = None
    review_due_at: datetime | None = None
    attempts: tuple[CardAttempt, ...] = ()
    events: tuple[Event, ...] = ()

    @property
    def owners(self) -> frozenset[str]:
        return frozenset({self.payer_account_id, self.seller_account_id})


@dataclass(frozen=True)
class AccountPayments:
    """An account's latest payments, as payer or as seller, newest first (``payments_of``)."""

    account_id: str
    payments: tuple[Payment, ...] = ()

    @property
    def owners(self) -> frozenset[str]:
        return frozenset({self.account_id})


@dataclass(frozen=True)
class PayoutBatch:
    id: str
    status: str  # scheduled | processing | done | failed | held
    created_at: datetime
    payment_count: int
    total_minor: int
    currency: str
    cutoff_at: datetime | None = None
    processed_at: datetime | None = None
    failure_code: str = ""  # the bank's return code, like R03
    failure_account_id: str | None = None
    retry_at: datetime | None = None
    held_reason: str = ""  # holiday_cutoff | ...
    holiday_name: str = ""
    expected_at: datetime | None = None  # when the bank should confirm a processing batch
    events: tuple[Event, ...] = ()


@dataclass(frozen=True)
class Disbursement:
    """The latest payout of an account's funds."""

    account_id: str
    status: str  # scheduled | paid | held | failed
    amount_minor: int
    currency: str
    balance_minor: int
    hold_reason: str = ""  # missing_bank_details | kyc_pending | negative_balance
    batch_id: str | None = None
    expected_at: datetime | None = None
    events: tuple[Event, ...] = ()

    @property
    def owners(self) -> frozenset[str]:
        return frozenset({self.account_id})


@dataclass(frozen=True)
class ChangeRequest:
    """Who asks a backend for a change, the correlation id to quote, and the idempotency key.

    ``idempotency_key`` is the same for every attempt of one change (a retry after a timeout, a
    resume after a crash): a backend applies a key once and answers any repeat with the first
    result. :func:`load_backend`'s journal fills it in (``<correlation id>:<operation>:<record>``)
    when it is empty.
    """

    correlation_id: str
    actor: str
    at: datetime
    approved_by: str | None = None
    idempotency_key: str = ""

    @classmethod
    def of(cls, ctx: Any) -> "ChangeRequest":
        return cls(ctx.correlation_id, ctx.actor.label, ctx.now,
                   ctx.approved_by.label if ctx.approved_by is not None else None)


# ---- the interface ------------------------------------------------------------------


@runtime_checkable
class Backend(Protocol):
    """What ops commands need from the company's systems. Lookups raise BackendNotFound."""

    name: str
    id_formats: dict[str, tuple[str, str]]  # kind -> (regex, example)

    def account(self, account_id: str) -> Account: ...
    def seller(self, seller_id: str) -> Seller: ...
    def item(self, item_id: str) -> Item: ...
    def payment(self, payment_id: str) -> Payment: ...
    def batch(self, batch_id: str) -> PayoutBatch: ...
    def disbursement(self, account_id: str) -> Disbursement: ...

    def change_email(self, account_id: str, new_email: str, *, change: ChangeRequest) -> Account: ...
    def remove_seller_fee(self, seller_id: str, reason: str, *, change: ChangeRequest) -> Seller: ...
    def unlock_account(self, account_id: str, reason: str, *, change: ChangeRequest) -> Account: ...
    def resend_verification(self, account_id: str, *, change: ChangeRequest) -> Account: ...

    # Optional (a backend without it: `my-payments` says it cannot list payments):
    # def payments_of(self, account_id: str, limit: int = 10) -> AccountPayments: ...


GENERIC_ID = (r"[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}", "acct_1001")

@functools.cache
def _backend_class(name: str) -> type:
    """The class ``CHATOPS_BACKEND`` names: a ``chatops.backends`` entry point (``demo``, ``http``, a plugin's),
    or a dotted ``package.module:Class`` for a class not packaged with an entry point."""
    from chatops.plugins import load_one

    found = load_one("chatops.backends", name)
    if found is not None:
        return found  # type: ignore[return-value]
    module_name, sep, attr = name.partition(":")
    if not sep:
        module_name, _, attr = name.rpartition(".")
    try:
        return getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError, ValueError) as exc:
        from chatops.plugins import entry_points_of

        known = ", ".join(ep.name for ep in entry_points_of("chatops.backends"))
        raise ValueError(f"CHATOPS_BACKEND={name!r} is not a backend: use one of {known} or a dotted "
                         f"package.module:Class ({exc})") from None


def _raw_backend(settings: Settings) -> Backend:
    cls = _backend_class(settings.ops.backend)
    factory = getattr(cls, "from_settings", None)
    try:
        return factory(settings) if factory is not None else cls()
    except BackendError as exc:  # a configuration the backend cannot work with: a start-up error
        raise ValueError(f"CHATOPS_BACKEND={settings.ops.backend}: {exc.message}") from None


def build_backend(settings: Settings) -> "Journaled":
    """The App's backend, built once at start-up: a bad ``CHATOPS_BACKEND`` (or its settings) is a
    ValueError then, not an apology at the first command. Handlers use ``ctx.backend``."""
    return Journaled(_raw_backend(settings))


def load_backend(settings: Settings) -> "Journaled":
    """A new journaled backend for these settings (tools, tests); commands use ``ctx.backend``.

    The class is built with ``Class.from_settings(settings)`` when it has that, else ``Class()``.
    Every method call goes through :func:`chatops.effects.call` (see :class:`Journaled`): no
    database transaction is open while the backend answers, and changes are intent → call → outcome.
    """
    return build_backend(settings)


def _record_type(backend: Any, method: str) -> Any:
    """The record class a backend method returns (for rebuilding journaled results)."""
    for owner in (Backend, type(backend)):
        fn = getattr(owner, method, None)
        if fn is None:
            continue
        try:
            hint = typing.get_type_hints(fn).get("return")
        except Exception:  # noqa: BLE001 - an unresolvable annotation: no rebuilding
            continue
        if hint is not None and dataclasses.is_dataclass(hint):
            return hint
    return None


class Journaled:
    """A backend whose every call goes through the run's journal (chatops.effects).

    A method is a *change* when it takes a ``change=`` keyword (a :class:`ChangeRequest`), a
    lookup otherwise; a change without ``idempotency_key`` gets one. Attributes that are not
    methods (``name``, ``id_formats``) are the backend's own.
    """

    def __init__(self, backend: Any) -> None:
        self._backend = backend
        self.system = getattr(backend, "system_name", "the payments system")

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._backend, name)
        if name.startswith("_") or not callable(target):
            return target
        record = _record_type(self._backend, name)
        decode = (lambda data, cls=record: parse(cls, data)) if record is not None else None

        def call(*args: Any, **kwargs: Any) -> Any:
            change = kwargs.get("change")
            mutating = isinstance(change, ChangeRequest)
            key = ""
            if mutating:
                if not change.idempotency_key:
                    subject = str(args[0]) if args else ""
                    change = dataclasses.replace(change, idempotency_key=f"{change.correlation_id}:{name}:{subject}")
                    kwargs["change"] = change
                key = change.idempotency_key
            return effects.call(f"ops.{name}", target, *args, mutating=mutating, idempotency_key=key,
                                decode=decode, system=self.system, **kwargs)

        call.__name__ = name
        return call

    @property
    def raw(self) -> Any:
        """The backend itself (calls bypass the journal: tests, tools)."""
        return self._backend

    @property  # type: ignore[misc]
    def __class__(self):  # noqa: D105 - ``isinstance(backend, HttpBackend)`` keeps working in plugins
        return type(self._backend)


def _resolve(operation: str, router: Any):
    """A journaled ``ops.<method>`` call, sent again on its own: the App's backend, bypassing the journal."""
    return getattr(router.backend.raw, operation.partition(".")[2])


effects.register_resolver("ops", _resolve)
effects.journal_type(ChangeRequest)


def check_id(backend: Backend, kind: str, value: str) -> str:
    """``value`` if it looks like a ``kind`` id of this backend, else ValueError with an example."""
    pattern, example = backend.id_formats.get(kind, GENERIC_ID)
    value = value.strip()
    if not re.fullmatch(pattern, value):
        raise ValueError(f"is not a valid {kind} id; {kind} ids look like `{example}`.")
    return value


# ---- JSON <-> records -------------------------------------------------------------


def _parse_datetime(value: Any, where: str) -> datetime:
    if not isinstance(value, str):
        raise BackendMalformed(f"The backend sent an invalid time for {where}.")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BackendMalformed(f"The backend sent an invalid time for {where}: {value[:40]!r}.") from None
    return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed.astimezone(timezone.utc)


def _convert(tp: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(tp) if a is not type(None)][0]
        return None if value is None else _convert(inner, value, where)
    if origin is tuple:
        inner = typing.get_args(tp)[0]
        if not isinstance(value, list):
            raise BackendMalformed(f"The backend sent {where} that is not a list.")
        return tuple(_convert(inner, v, f"{where}[{i}]") for i, v in enumerate(value))
    if dataclasses.is_dataclass(tp):
        return parse(tp, value, where)
    if tp is datetime:
        return _parse_datetime(value, where)
    if tp is bool:
        if not isinstance(value, bool):
            raise BackendMalformed(f"The backend sent {where} that is not true or false.")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise BackendMalformed(f"The backend sent {where} that is not a whole number.")
        return value
    if tp is str:
        if not isinstance(value, str):
            raise BackendMalformed(f"The backend sent {where} that is not text.")
        return value
    raise TypeError(f"no JSON conversion for {tp!r}")  # a programming mistake in a record


def parse(cls: type, data: Any, where: str | None = None) -> Any:
    """Build the record ``cls`` from decoded JSON, or raise BackendMalformed naming the field."""
    where = where or cls.__name__.lower()
    if not isinstance(data, dict):
        raise BackendMalformed(f"The backend sent {where} that is not a JSON object.")
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise BackendMalformed(f"The backend's answer has no `{f.name}` in {where}.")
            continue
        if data[f.name] is None and f.default is not dataclasses.MISSING:
            values[f.name] = f.default
            continue
        values[f.name] = _convert(hints[f.name], data[f.name], f"{where}.{f.name}")
    return cls(**values)


def to_json(record: Any) -> Any:
    """A record as JSON-ready data (times as ISO 8601 UTC), the shape :func:`parse` reads."""
    if dataclasses.is_dataclass(record):
        return {f.name: to_json(getattr(record, f.name)) for f in dataclasses.fields(record)}
    if isinstance(record, (tuple, list)):
        return [to_json(v) for v in record]
    if isinstance(record, datetime):
        return record.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    return record
