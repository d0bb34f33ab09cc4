"""Calls to other systems: no database transaction spans one, and a change is journaled
intent → call → outcome, so a crash or an unclear answer is resolved, never guessed.

    # what a backend seam does for each method (chatops.ops.backend wraps every backend this way)
    account = effects.call("ops.account", backend.account, "acct_1", decode=as_account)        # a lookup
    updated = effects.call("ops.change_email", backend.change_email, "acct_1", "a@b.co",
                           change=change, mutating=True, idempotency_key=change.idempotency_key)

Inside a router run (the router opens one :class:`Unit` per request and one :class:`Run` per
handler run):

- the run's transaction is committed before the call and begun again after it, so a slow
  backend holds no lock (SQLite has one writer) and no transaction open on the database;
- a handler that wrote to the database before a call is a programming error
  (:class:`ExternalCallInTransaction`): make the calls first and write afterwards — those writes
  and the audit event then commit together, as always;
- at the run's first call its context (:class:`~chatops.models.CommandRun`, with a lease) commits
  together with what the router had claimed for it (the idempotency key, the button);
- before a *changing* call the call itself (:class:`~chatops.models.ExternalCall`, ``attempted``,
  with the idempotency key it carries) and the lookups made so far commit with an ``attempted``
  audit event; after it, its outcome: ``ok`` (commits with the run's final audit event),
  ``failed`` (the other system said no: nothing changed) or ``unknown`` (a timeout after sending,
  a 5xx, a malformed answer, a dropped connection: it may have changed), which raises
  :class:`OutcomeUnknown`;
- a resumed run (after a crash, or to settle an unknown outcome) replays: the handler runs again
  with the journal; lookups answer from it (so pre-checks see what the first attempt saw), a
  changing call whose outcome is recorded is not sent again, and one whose outcome is unknown is
  sent again with the same idempotency key, which the other system must honour (docs/ops.md).

Outside a router run ``call`` simply calls.

Which exceptions of a changing call mean "nothing changed"? A :class:`~chatops.errors.UserError`
(the backend seam's refusals: not found, rejected) or a :class:`~chatops.errors.ServiceUnavailable`
that says so (the seam's bad credentials, refused connection: ``outcome_unknown = False``). Anything
else — a timeout after the request went out, a 5xx, a ServiceUnavailable that does not know, an
exception the seam did not expect — is ``unknown``: the safe reading.
"""
from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import enum
import importlib
import json
import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterator

import peewee

from chatops import messages, metrics
from chatops.db import acquire_write, atomic, database, release_write, writes
from chatops.errors import ChatOpsError, ServiceUnavailable, UserError
from chatops.models import CommandRun, ExternalCall

log = logging.getLogger("chatops.effects")

DEFAULT_LEASE_SECONDS = 60.0
# After an unknown outcome: check again after these many seconds (then the last one, until the limit).
CHECK_BACKOFF = (30, 60, 120, 300, 600, 1800, 3600)
DEFAULT_MAX_CHECKS = 12


def parse_backoff(text: str) -> tuple[float, ...]:
    """``"30,60,120"`` → (30.0, 60.0, 120.0); ValueError naming the problem."""
    try:
        values = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise ValueError(f"CHATOPS_RECONCILE_BACKOFF_SECONDS must be seconds separated by commas, not {text!r}") from None
    if not values or any(v <= 0 for v in values):
        raise ValueError(f"CHATOPS_RECONCILE_BACKOFF_SECONDS must be positive seconds, not {text!r}")
    return values


def mark_unknown(row: CommandRun, now: datetime, detail: str, max_checks: int = DEFAULT_MAX_CHECKS,
                 backoff: tuple[float, ...] = CHECK_BACKOFF) -> bool:
    """The run's outcome is unknown (in the open transaction): schedule its next automatic check, or stop
    checking after ``max_checks`` (a person settles it: ``chatops work resolve``). True when it stopped."""
    checks = (CommandRun.get_by_id(row.id).checks if row.id else row.checks) + 1
    gave_up = checks >= max_checks
    wait = backoff[min(checks - 1, len(backoff) - 1)]
    (CommandRun.update(state="unknown", lease_until=None, updated_at=now, detail=detail[:2000], checks=checks,
                       next_check_at=None if gave_up else now + timedelta(seconds=wait))
     .where(CommandRun.id == row.id).execute())
    row.checks = checks
    return gave_up


class ExternalCallInTransaction(ChatOpsError, RuntimeError):
    """A handler called another system while its own database writes were still uncommitted.

    A programming mistake in the handler (the user sees the apology; nothing it wrote is kept).
    """


class ReplayDiverged(ChatOpsError):
    """A resumed handler made other calls than its first attempt (its code or data changed)."""


class OutcomeUnknown(ChatOpsError):
    """A changing call got no clear answer: it may or may not have been made. The run is
    ``unknown`` until a check (the same request again) settles it."""

    def __init__(self, operation: str, reason: str, *, system: str = "the other system", gave_up: bool = False) -> None:
        super().__init__(f"{operation}: {reason}")
        self.operation = operation
        self.reason = reason
        self.system = system
        self.gave_up = gave_up  # the automatic checks stopped: a person must look

    def user_message(self, ref: str) -> str:
        template = messages.OUTCOME_STILL_UNKNOWN if self.gave_up else messages.OUTCOME_UNKNOWN
        text = template.format(system=self.system, reason=self.reason.rstrip("."), ref=ref)
        return text[:1].upper() + text[1:]


class CallRefused(UserError):
    """Replaying a changing call whose first attempt the other system refused."""

    outcome = "failed"


def outcome_unknown(exc: BaseException) -> bool:
    """Does ``exc``, raised by a changing call, leave its outcome unknown? (module docstring)"""
    if isinstance(exc, UserError):
        return bool(getattr(exc, "outcome_unknown", False))
    if isinstance(exc, ServiceUnavailable):
        return bool(exc.outcome_unknown)
    return True


# ---- values in the journal ---------------------------------------------------------------

_JOURNAL_TYPES: dict[str, type] = {}


def journal_type(cls: type) -> type:
    """Register a dataclass that may appear in a call's arguments (it is stored and rebuilt by name)."""
    _JOURNAL_TYPES[f"{cls.__module__}:{cls.__qualname__}"] = cls
    return cls


def encode(value: Any) -> Any:
    """A call's argument or result as JSON data: dataclasses as objects, times as ISO 8601 UTC."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        data = {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        name = f"{type(value).__module__}:{type(value).__qualname__}"
        if name in _JOURNAL_TYPES:
            data["__type__"] = name
        return data
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def decode_argument(value: Any) -> Any:
    """Rebuild a journaled argument (registered dataclasses by name, everything else as stored)."""
    if isinstance(value, dict) and "__type__" in value:
        cls = _JOURNAL_TYPES.get(value["__type__"])
        if cls is None:
            module = value["__type__"].partition(":")[0]
            with contextlib.suppress(ImportError):
                importlib.import_module(module)  # registers its journal types
            cls = _JOURNAL_TYPES.get(value["__type__"])
        if cls is None:
            raise ReplayDiverged(f"unknown journaled type {value['__type__']!r}")
        hints = {f.name: f.type for f in dataclasses.fields(cls)}
        kwargs = {}
        for name in hints:
            if name in value:
                raw = value[name]
                if isinstance(raw, str) and _looks_like_time(name, cls):
                    raw = datetime.fromisoformat(raw)
                kwargs[name] = decode_argument(raw)
        return cls(**kwargs)
    if isinstance(value, list):
        return [decode_argument(v) for v in value]
    return value


def _looks_like_time(name: str, cls: type) -> bool:
    import typing

    hint = typing.get_type_hints(cls).get(name)
    return hint is datetime or (typing.get_origin(hint) is not None and datetime in typing.get_args(hint))


def encode_arguments(args: tuple, kwargs: dict) -> dict[str, Any]:
    return {"args": encode(list(args)), "kwargs": encode(dict(sorted(kwargs.items())))}


def _canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)


# ---- operations that can be sent again without their handler ----------------------------

# prefix → resolver(operation name, router) → the callable to call again (see resend()).
_RESOLVERS: dict[str, Callable[[str, Any], Callable[..., Any]]] = {}


def register_resolver(prefix: str, resolver: Callable[[str, Any], Callable[..., Any]]) -> None:
    """``operation`` names starting with ``prefix + "."`` are resolved to a callable by ``resolver``."""
    _RESOLVERS[prefix] = resolver


def resolve(operation: str, router: Any) -> Callable[..., Any]:
    prefix = operation.partition(".")[0]
    resolver = _RESOLVERS.get(prefix)
    if resolver is None:
        with contextlib.suppress(ImportError):  # the area that owns the prefix registers on import
            importlib.import_module(f"chatops.{prefix}")
        resolver = _RESOLVERS.get(prefix)
    if resolver is None:
        raise ReplayDiverged(f"no resolver for {operation!r}: it cannot be sent again on its own")
    return resolver(operation, router)


# ---- the unit: one transaction, suspended around calls ------------------------------------


class Unit:
    """The transaction of one request, committed before each external call and begun again after.

        with Unit() as unit:          # BEGIN (IMMEDIATE on SQLite)
            ...                       # the router's claims, the handler's lookups
            unit.suspend()            # COMMIT; nothing is open while another system answers
            ...call...
            unit.resume()             # BEGIN again
            ...                       # the handler's writes and the audit event: one COMMIT at the end
    """

    def __init__(self, db: peewee.Database | None = None) -> None:
        self.db = db or database.obj
        self.suspended = False
        self._atomic: Any = None
        self._txn: Any = None
        self.top = False
        self.baseline = 0

    def __enter__(self) -> "Unit":
        self._sqlite = isinstance(self.db, peewee.SqliteDatabase) and not self.db.in_transaction()
        self._atomic = atomic(self.db)
        self._txn = self._atomic.__enter__()
        self.top = self.db.transaction_depth() == 1
        self.baseline = writes(self.db)
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if self.suspended:  # the error happened while no transaction was open: nothing to undo
            return False
        return bool(self._atomic.__exit__(exc_type, exc, tb))

    def mark(self) -> None:
        """Writes after this point belong to the handler (see :meth:`check`)."""
        self.baseline = writes(self.db)

    def check(self, operation: str) -> None:
        """Refuse a call while the handler holds uncommitted writes or its own transaction."""
        if not self.top:
            raise ExternalCallInTransaction(
                f"{operation} was called inside an enclosing transaction: the router must run the command "
                "outside any `with atomic()` block")
        if self.db.transaction_depth() != 1:
            raise ExternalCallInTransaction(
                f"{operation} was called inside the handler's own `with atomic()` block: no transaction may stay "
                "open while another system answers; make the call outside it")
        if writes(self.db) != self.baseline:
            raise ExternalCallInTransaction(
                f"{operation} was called after the handler wrote to the database: make calls to other systems "
                "first and write afterwards (the writes then commit with the audit event)")

    def commit(self) -> None:
        """Commit what the unit holds so far and go on in a new transaction."""
        self.suspend()
        self.resume()

    def suspend(self) -> None:
        self._txn.commit(begin=False)
        self.db.pop_transaction()
        self.suspended = True
        if self._sqlite:
            release_write(self.db)  # other threads may write while the other system answers

    def resume(self) -> None:
        if self._sqlite:
            acquire_write(self.db)
        self.db.push_transaction(self._txn)
        try:
            self._txn._begin()
        except BaseException:
            self.db.pop_transaction()
            if self._sqlite:
                release_write(self.db)
            raise
        self.suspended = False
        self.mark()


# ---- runs -------------------------------------------------------------------------------

_current: contextvars.ContextVar["Run | None"] = contextvars.ContextVar("chatops_run", default=None)
_live: dict[str, "Run"] = {}
_live_lock = threading.Lock()


def current() -> "Run | None":
    return _current.get()


def live_runs() -> list["Run"]:
    """Runs of this process in progress (the worker heartbeat extends their leases)."""
    with _live_lock:
        return list(_live.values())


@dataclass
class _Made:
    operation: str
    arguments: dict[str, Any]
    mutating: bool
    state: str
    result: Any = None
    error: str = ""
    idempotency_key: str = ""
    row_id: int | None = None  # its ExternalCall row, once stored


@dataclass
class Run:
    """One handler run: the journal of its calls to other systems and how to resume it."""

    key: str
    correlation_id: str
    command: str
    unit: Unit
    context: Any  # dict, or a callable that makes it (only a run that is stored needs it)
    clock: Callable[[], datetime]
    audit: Callable[[str, str], None]
    lease_seconds: float = DEFAULT_LEASE_SECONDS
    work_key: str | None = None
    journal: list[ExternalCall] = field(default_factory=list)
    row: CommandRun | None = None
    resuming: bool = False
    system: str = "the other system"
    max_checks: int = DEFAULT_MAX_CHECKS
    backoff: tuple[float, ...] = CHECK_BACKOFF
    made: list[_Made] = field(default_factory=list)

    # ---- the row ----------------------------------------------------------------------
    def context_data(self) -> dict[str, Any]:
        if callable(self.context):
            self.context = self.context()
        return self.context

    def store(self) -> CommandRun:
        """Write (or refresh) the run's row inside the open transaction; it commits at the next suspend."""
        now = self.clock()
        lease = now + timedelta(seconds=self.lease_seconds)
        if self.row is None:
            with _live_lock:
                _live[self.key] = self  # the worker heartbeat renews the lease of a stored run
            self.row = CommandRun.create(
                key=self.key, correlation_id=self.correlation_id, command=self.command, state="running",
                context=self.context_data(), lease_until=lease, work_key=self.work_key, created_at=now, updated_at=now)
        else:
            (CommandRun.update(lease_until=lease, state="running", updated_at=now)
             .where(CommandRun.id == self.row.id).execute())
        return self.row

    def finish(self, reply_data: Any, *, state: str = "done", detail: str = "") -> None:
        """The run ended (in the open transaction); nothing to do for a run that never called out.
        ``reply_data``: the reply's ``to_dict()``, or the Reply itself."""
        if self.row is None:
            return
        if hasattr(reply_data, "to_dict"):
            reply_data = reply_data.to_dict()
        (CommandRun.update(state=state, lease_until=None, next_check_at=None, reply=reply_data,
                           detail=detail[:2000], updated_at=self.clock())
         .where(CommandRun.id == self.row.id).execute())

    def unreached(self) -> list[ExternalCall]:
        """Changing calls of the journal this (resumed) attempt did not make: the replay diverged."""
        return [c for c in self.journal[len(self.made):] if c.mutating]

    # ---- calls ------------------------------------------------------------------------
    def call(self, operation: str, fn: Callable[..., Any], args: tuple, kwargs: dict, *, mutating: bool,
             idempotency_key: str, decode: Callable[[Any], Any] | None) -> Any:
        seq = len(self.made)
        arguments = encode_arguments(args, kwargs)
        earlier = self.journal[seq] if seq < len(self.journal) else None
        if earlier is not None:
            if earlier.operation != operation or _canonical(earlier.arguments) != _canonical(arguments):
                raise ReplayDiverged(f"call {seq} is {operation}, the journal has {earlier.operation}")
            made = _Made(operation, arguments, mutating, earlier.state, earlier.result, earlier.error,
                         earlier.idempotency_key, earlier.id)
            if earlier.state == "ok":
                self.made.append(made)
                return decode(earlier.result) if decode is not None else earlier.result
            if earlier.state == "failed":
                self.made.append(made)
                raise CallRefused(earlier.error or f"{operation} was refused")
            # attempted or unknown: send it again below, with the same idempotency key
        made = _Made(operation, arguments, mutating, "attempted", idempotency_key=idempotency_key,
                     row_id=earlier.id if earlier is not None else None)
        self._before(made)
        self.made.append(made)
        try:
            with metrics.backend_call(operation):
                result = fn(*args, **kwargs)
        except BaseException as exc:
            self._after_error(made, exc)
            raise
        self._after(made, result)
        return result

    def _before(self, made: _Made) -> None:
        unit = self.unit
        unit.check(made.operation)
        now = self.clock()
        self.store()
        if made.mutating:
            for seq, earlier in enumerate(self.made):  # the lookups it rests on: a resume sees what this one saw
                if earlier.row_id is None:
                    earlier.row_id = ExternalCall.create(
                        run=self.row.id, seq=seq, operation=earlier.operation,
                        arguments=earlier.arguments, mutating=earlier.mutating, state=earlier.state,
                        result=earlier.result, error=earlier.error[:2000], idempotency_key=earlier.idempotency_key,
                        created_at=now, finished_at=now).id
            if made.row_id is None:
                made.row_id = ExternalCall.create(
                    run=self.row.id, seq=len(self.made), operation=made.operation, arguments=made.arguments,
                    mutating=True, idempotency_key=made.idempotency_key, state="attempted", created_at=now).id
                what = "calling"
            else:
                (ExternalCall.update(state="attempted", attempts=ExternalCall.attempts + 1)
                 .where(ExternalCall.id == made.row_id).execute())
                what = "calling again (same request)"
            self.audit("attempted", f"{what} {made.operation}"
                                    + (f" with idempotency key {made.idempotency_key}" if made.idempotency_key else ""))
        unit.suspend()

    def _after(self, made: _Made, result: Any) -> None:
        self.unit.resume()
        made.state, made.result = "ok", encode(result)
        if made.mutating:  # on record at once: whatever the handler does next, this change was made
            (ExternalCall.update(state="ok", result=made.result, error="", finished_at=self.clock())
             .where(ExternalCall.id == made.row_id).execute())
            self.unit.commit()

    def _after_error(self, made: _Made, exc: BaseException) -> None:
        if not isinstance(exc, Exception):
            # KeyboardInterrupt, SystemExit: the process is stopping mid-call. Touch nothing: the journal
            # says `attempted`, and once the run's lease runs out a resume settles it (like after kill -9).
            return
        try:
            self.unit.resume()
        except Exception:  # the database went away during the call: the journal still says attempted
            log.exception("could not record the outcome of %s [%s]", made.operation, self.correlation_id)
            return
        if not made.mutating:
            made.state, made.error = "failed", f"{type(exc).__name__}: {exc}"[:2000]
            self.unit.mark()
            return
        unknown = outcome_unknown(exc)
        made.state = "unknown" if unknown else "failed"
        made.error = (getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}")[:2000]
        now = self.clock()
        (ExternalCall.update(state=made.state, error=made.error, finished_at=now)
         .where(ExternalCall.id == made.row_id).execute())
        gave_up = False
        if unknown:
            gave_up = mark_unknown(self.row, now, made.error, self.max_checks, self.backoff)
        self.unit.commit()  # survives the rollback of the handler's transaction
        if unknown and not isinstance(exc, OutcomeUnknown):
            reason = getattr(exc, "reason", None) or getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
            raise OutcomeUnknown(made.operation, reason, system=self.system, gave_up=gave_up) from exc


@contextlib.contextmanager
def running(run: Run) -> Iterator[Run]:
    """Make ``run`` the current run of this thread (nested runs: the innermost is current)."""
    token = _current.set(run)
    if run.row is not None:
        with _live_lock:
            _live[run.key] = run
    run.unit.mark()
    try:
        yield run
    finally:
        _current.reset(token)
        if run.row is not None:
            with _live_lock:
                _live.pop(run.key, None)


def call(operation: str, fn: Callable[..., Any], *args: Any, mutating: bool = False, idempotency_key: str = "",
         decode: Callable[[Any], Any] | None = None, system: str = "", **kwargs: Any) -> Any:
    """Call another system through the current run's journal (module docstring); plain call outside one.

    ``decode`` turns a journaled result (JSON data) back into what ``fn`` returns, for replays;
    ``system`` names the other system in what the user is told ("the payments system").
    """
    run = _current.get()
    if run is None:
        with metrics.backend_call(operation):
            return fn(*args, **kwargs)
    if system:
        run.system = system
    return run.call(operation, fn, args, kwargs, mutating=mutating, idempotency_key=idempotency_key,
                    decode=decode)


def resend(entry: ExternalCall, router: Any) -> Any:
    """Send a journaled changing call again, on its own (no handler), with its stored arguments."""
    fn = resolve(entry.operation, router)
    data = entry.arguments or {}
    args = [decode_argument(a) for a in data.get("args", [])]
    kwargs = {k: decode_argument(v) for k, v in (data.get("kwargs") or {}).items()}
    return fn(*args, **kwargs)


def heartbeat(now: datetime, lease_seconds: float) -> int:
    """Extend the leases of this process's runs in progress; returns how many."""
    keys = [r.key for r in live_runs() if r.row is not None]
    if not keys:
        return 0
    with atomic():
        return (CommandRun.update(lease_until=now + timedelta(seconds=lease_seconds))
                .where(CommandRun.key.in_(keys) & (CommandRun.state == "running")).execute())
