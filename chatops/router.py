"""The router: Invocation in, Reply out, with exactly one error boundary.

    router = Router(registry, settings)
    reply = router.handle(Invocation(platform="slack", user_id="U1", text="whoami"))
    reply = router.handle_action("<token>.confirm", Invocation(platform="slack", user_id="U1"))

Per request: idempotency → command lookup → who is asking → policy → arguments
→ handler, its writes and the audit event in one transaction — committed before and
begun again after each call the handler makes to another system, so no transaction
is open while a backend answers (chatops.effects: intent → call → outcome, resumable
runs). A user mistake
(:class:`~chatops.errors.UserError`) becomes an ephemeral reply and an audit
event; anything else is logged with a correlation id and the user gets an
apology quoting it — never a traceback.
"""
from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable

import peewee

from chatops import audit, effects, identity, logs, messages, metrics, outbox, parser, spool
from chatops.commands import Command, Registry
from chatops.context import ActionPress, Context, NeedsConfirmation
from chatops.db import DatabaseErrors, RawQuery, atomic, for_update
from chatops.effects import OutcomeUnknown, ReplayDiverged, Run, Unit
from chatops.errors import (ActionUnavailable, Conflict, DatabaseUnavailable, PermissionDenied, ServiceUnavailable,
                            UnknownCommand,
                            UsageError, UserError)
from chatops.identity import Actor
from chatops.invocation import Invocation, utcnow
from chatops.models import CommandPolicy, CommandRun, ExternalCall, IdempotencyRecord, PendingAction
from chatops.policy import Predicate, policy_from_row
from chatops.reply import Button, Buttons, Destination, Fields, Reply, Text
from chatops.text import clip
from chatops.settings import Settings

log = logging.getLogger("chatops.router")
request_log = logging.getLogger("chatops.requests")  # one line per request the router finished
_POLICY = RawQuery("SELECT {cols} FROM {table} WHERE m0.command = ?", CommandPolicy)

Clock = Callable[[], datetime]


def new_correlation_id() -> str:
    return secrets.token_hex(6)


@dataclass
class _Trace:
    """What the error boundary knows about a request when something goes wrong."""

    correlation_id: str
    invocation: Invocation
    command: str = "?"
    actor: Actor | None = None
    arguments: dict[str, Any] = field(default_factory=dict)
    runs: list[Run] = field(default_factory=list)
    outcome: str = ""  # the last audited outcome (metrics and logs)

    @property
    def changes_done(self) -> list[str]:
        """Changes another system confirmed in this request (whatever went wrong afterwards)."""
        return [m.operation for run in self.runs for m in run.made if m.mutating and m.state == "ok"]

    @property
    def sent_change(self) -> str:
        """The other system a change was (maybe) sent to in this request; "" when none was."""
        for run in self.runs:
            if any(m.mutating and m.state in ("attempted", "ok", "unknown") for m in run.made):
                return run.system
        return ""


class _Replay(Exception):
    """Another delivery with the same idempotency key won the race."""


class _Resume(Exception):
    """The request belongs to a run that stopped half-way: resume it (outside the current transaction)."""

    def __init__(self, run: CommandRun) -> None:
        super().__init__(run.key)
        self.run = run


class Router:
    def __init__(self, registry: Registry, settings: Settings | None = None, *, clock: Clock = utcnow,
                 backend: Any = None) -> None:
        registry.freeze()
        self.registry = registry
        self.settings = settings or Settings()
        self.clock = clock
        self.backend = backend  # the App's ops backend (ctx.backend), built once at start-up
        self.lease_seconds = self.settings.work.lease_seconds
        self.max_checks = self.settings.work.reconcile_max_checks
        self.backoff = self.settings.work.reconcile_backoff
        # Told of every exception the boundary turns into an apology or an "unavailable" answer
        # (correlation id, exception): the test harness keeps it as ``Result.exception``.
        self.on_error: Callable[[str, BaseException], None] | None = None

    # ---- public entry points ----------------------------------------------------
    def handle(self, invocation: Invocation, *, raise_unavailable: bool = False, work_key: str | None = None,
               correlation_id: str | None = None) -> Reply:
        """Run one command invocation; always returns a Reply.

        ``raise_unavailable``: when the database is down, raise :class:`DatabaseUnavailable` instead of
        answering (the durable work queue retries the request later). ``work_key``: the work item
        carrying the request (a resumable run remembers it). ``correlation_id``: the one the request was
        given when it was accepted (else a new one).
        """
        trace = _Trace(correlation_id or new_correlation_id(), invocation)
        return self._boundary(trace, lambda: self._handle(invocation, trace, work_key), raise_unavailable)

    def handle_action(self, action_ref: str, invocation: Invocation, *, raise_unavailable: bool = False,
                      work_key: str | None = None, correlation_id: str | None = None) -> Reply:
        """A button press: ``action_ref`` is the ``<token>.<verb>`` the button carried."""
        trace = _Trace(correlation_id or new_correlation_id(), invocation, command="button")
        return self._boundary(trace, lambda: self._handle_action(action_ref, invocation, trace, work_key),
                              raise_unavailable)

    def resume(self, run: CommandRun, invocation: Invocation | None = None) -> Reply | None:
        """Resume a run that stopped half-way or whose outcome is unknown (the reconcile sweep);
        None when another process holds it."""
        if not self._take(run):
            return None
        inv = invocation or Invocation(platform="console", user_id="system:reconcile")
        trace = _Trace(run.correlation_id, inv, command=run.command)
        return self._boundary(trace, lambda: self._resume(run, trace, inv, taken=True), False)

    def policy_for(self, command: Command) -> Predicate:
        """The stored CommandPolicy override if there is one, else the command's code default."""
        found = _POLICY.one(command.name)
        return policy_from_row(found[0]) if found is not None else command.policy

    def allows(self, command: Command | None, actor: Actor) -> bool:
        """May ``actor`` run ``command``? The one question every surface asks (help, deflection, forms)."""
        return command is not None and self.policy_for(command).allows(actor)

    def may_run(self, command: Command, invocation: Invocation) -> bool:
        """``allows`` for the person behind an invocation: adapters ask it before showing a form, so nobody
        fills in a form only to be told they may not run it."""
        return self.allows(command, identity.resolve(invocation, self.settings))

    def visible_commands(self, actor: Actor) -> list[Command]:
        overrides = {row.command: row for row in CommandPolicy.select()}
        return [
            c for c in self.registry
            if not c.hidden and (policy_from_row(overrides[c.name]) if c.name in overrides else c.policy).allows(actor)
        ]

    # ---- the one error boundary ---------------------------------------------------
    def _boundary(self, trace: _Trace, run: Callable[[], Reply], raise_unavailable: bool = False) -> Reply:
        logs.update(correlation_id=trace.correlation_id, platform=trace.invocation.platform)
        try:
            return self._guarded(trace, run, raise_unavailable)
        finally:  # counted and logged once per request, whatever happened (chatops.metrics, chatops.logs)
            command = trace.command if trace.command in self.registry or trace.command == "button" else "other"
            metrics.command_finished(trace.invocation.platform, command, trace.outcome or "none")
            logs.update(correlation_id=trace.correlation_id, command=command, outcome=trace.outcome)
            request_log.info("%s %s by %s [%s]: %s", trace.invocation.platform, command, trace.invocation.actor_key,
                             trace.correlation_id, trace.outcome or "no outcome")

    def _guarded(self, trace: _Trace, run: Callable[[], Reply], raise_unavailable: bool = False) -> Reply:
        try:
            reply = run()
        except UserError as exc:
            self._audit_failure(trace, exc.outcome, exc.message)
            return Reply((Text(exc.user_message(), "error"),), ephemeral=True, correlation_id=trace.correlation_id)
        except OutcomeUnknown as exc:
            log.warning("outcome unknown [%s] in %s: %s", trace.correlation_id, trace.command, exc)
            then = "a person must check it (chatops work resolve)" if exc.gave_up else "checked again automatically"
            self._audit_failure(trace, "unknown", f"{exc.operation}: {exc.reason}; {then}")
            if exc.gave_up:
                log.error("run [%s] %s: outcome still unknown after the automatic checks; settle it with "
                          "`chatops work resolve`", trace.correlation_id, trace.command)
            return Reply((Text(exc.user_message(trace.correlation_id), "warning"),), ephemeral=True,
                         correlation_id=trace.correlation_id, checking=not exc.gave_up)
        except (DatabaseUnavailable, *DatabaseErrors) as exc:
            log.error("database unavailable [%s] in %s: %s", trace.correlation_id, trace.command, exc)
            self._tell_error(trace, exc)
            if raise_unavailable:
                raise DatabaseUnavailable(str(exc)) from exc
            system = trace.sent_change
            if system:
                self._audit_failure(trace, "unknown", f"service unavailable after a change was sent: {exc}")
                text = messages.UNAVAILABLE_AFTER_CALL.format(system=system, ref=trace.correlation_id)
            else:
                self._audit_failure(trace, "failed", f"service unavailable: {exc}")
                text = messages.UNAVAILABLE.format(ref=trace.correlation_id)
            return Reply((Text(text, "error"),), ephemeral=True, correlation_id=trace.correlation_id)
        except ServiceUnavailable as exc:  # a backend, an approvals channel: its own sentence, never an apology
            log.error("service unavailable [%s] in %s: %s", trace.correlation_id, trace.command, exc.message)
            self._tell_error(trace, exc)
            done = trace.changes_done
            if done:  # an earlier change of this request went through: the audit and the answer say so
                self._audit_failure(trace, "executed", f"{', '.join(done)} done; then {exc.message}")
                text = messages.SERVICE_UNAVAILABLE_AFTER_CHANGE.format(
                    done=", ".join(done), system=trace.sent_change, message=exc.user_message(), ref=trace.correlation_id)
            else:
                self._audit_failure(trace, exc.outcome, exc.message)
                text = messages.SERVICE_UNAVAILABLE.format(message=exc.user_message(), ref=trace.correlation_id)
            return Reply((Text(text, "error"),), ephemeral=True, correlation_id=trace.correlation_id)
        except Exception as exc:  # noqa: BLE001 - this is the boundary
            log.exception("unexpected error [%s] in %s for %s", trace.correlation_id, trace.command,
                          trace.invocation.actor_key)
            self._tell_error(trace, exc)
            done = trace.changes_done
            if done:  # the change was made; only the answer went wrong: say so, and audit the change
                self._audit_failure(trace, "executed", f"{', '.join(done)} done; then {type(exc).__name__}: {exc}")
                text = messages.APOLOGY_AFTER_CHANGE.format(system=trace.sent_change, ref=trace.correlation_id)
            else:
                self._audit_failure(trace, "failed", f"{type(exc).__name__}: {exc}")
                text = messages.APOLOGY.format(ref=trace.correlation_id)
            return Reply((Text(text, "error"),), ephemeral=True, correlation_id=trace.correlation_id)
        if reply.correlation_id is None:
            reply = reply.with_(correlation_id=trace.correlation_id)
        return reply

    def _tell_error(self, trace: _Trace, exc: BaseException) -> None:
        if self.on_error is not None:
            try:
                self.on_error(trace.correlation_id, exc)
            except Exception:  # noqa: BLE001 - an observer must never change the answer
                log.exception("on_error observer failed")

    def _audit_failure(self, trace: _Trace, outcome: str, detail: str) -> None:
        event = self._event(trace, outcome, detail)
        try:
            audit.record(**event)
        except Exception as exc:  # the database may be the thing that is down: keep it for later
            log.error("could not audit [%s] %s %s (%s): spooled", trace.correlation_id, trace.command, outcome, exc)
            try:
                spool.append(self.settings, event)
            except OSError:
                log.exception("could not spool the audit event [%s] either", trace.correlation_id)

    def _event(self, trace: _Trace, outcome: str, detail: str = "") -> dict[str, Any]:
        trace.outcome = outcome
        inv = trace.invocation
        actor = trace.actor
        return dict(
            correlation_id=trace.correlation_id,
            actor=actor.label if actor else inv.actor_key,
            actor_person_id=actor.person.id if actor else None,
            platform=inv.platform,
            community=actor.community.slug if actor and actor.community else (inv.community_id or ""),
            command=trace.command,
            arguments=trace.arguments,
            outcome=outcome,
            detail=detail,
            at=self.clock(),
        )

    def _audit(self, trace: _Trace, outcome: str, detail: str = "") -> None:
        audit.record(**self._event(trace, outcome, detail))

    # ---- commands -----------------------------------------------------------------
    def _handle(self, inv: Invocation, trace: _Trace, work_key: str | None = None) -> Reply:
        digest = _digest(inv)
        if inv.idempotency_key:
            earlier = self._earlier(inv, trace, digest, work_key)
            if earlier is not None:
                return earlier
        _check_sizes(inv)
        if inv.command:
            name, rest = inv.command.lower().lstrip("/"), ""
        else:
            name, rest = parser.split_command(inv.text)
        command = self.registry.get(name)
        # Chat DMs only: in the console a typo should say so, not open a ticket.
        in_chat_dm = inv.is_direct and not inv.command and inv.platform != "console"
        fallback = self.settings.dm_fallback_command if in_chat_dm else ""
        if (command is None and fallback and self.registry.get(fallback) is not None
                and not self.registry.close_match(name)):  # "hlep" is a typo, not a request for help
            # "my payout is late" in a DM to the bot means `support my payout is late`.
            inv = dataclasses.replace(inv, text=f"{fallback} {parser.normalise(inv.text)}")
            trace.invocation = inv
            name, rest = parser.split_command(inv.text)
            command = self.registry.get(name)
        if command is None:
            trace.command = clip(name, 64, quoted=True)
            trace.actor = identity.resolve(inv, self.settings)
            allowed = [s for s in self.registry.suggest(name, n=6) if self.allows(self.registry.get(s), trace.actor)]
            raise UnknownCommand(clip(name, 40, quoted=True), allowed[:3])
        trace.command = command.name
        trace.actor = identity.resolve(inv, self.settings)
        self._check_policy(command, trace.actor)
        raw = dict(inv.arguments) if inv.arguments is not None else parser.parse_raw(command, rest)
        values = parser.convert_all(command, raw, inv)
        trace.arguments = _masked(command, values)
        return self._execute(command, trace.actor, inv, raw, values, trace, digest=digest, work_key=work_key)

    def _check_policy(self, command: Command, actor: Actor) -> None:
        denial = self.policy_for(command).check(actor)
        if denial is not None:
            raise PermissionDenied(denial.reason, denial.remedy)

    def _earlier(self, inv: Invocation, trace: _Trace, digest: str, work_key: str | None = None) -> Reply | None:
        """What an earlier delivery with the same idempotency key left: its reply, a run to resume, or None."""
        key = inv.idempotency_key
        record = IdempotencyRecord.get_or_none(IdempotencyRecord.key == key)
        if record is None:
            return None
        trace.correlation_id = record.correlation_id
        if record.digest != digest:
            raise Conflict(messages.KEY_REUSED)
        if record.outcome == "pending":  # committed at a call to another system; the run never finished
            run = CommandRun.get_or_none(CommandRun.key == key)
            if run is not None and run.state in ("running", "unknown"):
                return self._resume(run, trace, inv, same_request=True, work_key=work_key)
            if run is not None and run.state == "done" and run.reply:
                record.outcome, record.reply = "done", run.reply
            else:  # it failed (or left nothing to resume): this delivery runs it again
                (IdempotencyRecord.delete()
                 .where((IdempotencyRecord.key == key) & (IdempotencyRecord.outcome == "pending")).execute())
                trace.correlation_id = new_correlation_id()
                return None
        self._audit(trace, "duplicate", f"repeated delivery of {key}")
        return Reply.from_dict(record.reply or {}).with_(replayed=True, correlation_id=record.correlation_id)

    def _context(self, command: Command, actor: Actor, inv: Invocation, raw: dict[str, str], trace: _Trace,
                 confirmed: bool, now: datetime | None = None) -> Context:
        return Context(invocation=inv, actor=actor, command=command, correlation_id=trace.correlation_id,
                       now=now or self.clock(), settings=self.settings, router=self, confirmed=confirmed,
                       raw_arguments=raw, backend=self.backend)

    def _run(self, unit: Unit, trace: _Trace, key: str, command: Command, inv: Invocation, raw: dict[str, str],
             ctx: Context, *, finish: dict[str, Any], work_key: str | None, **extra: Any) -> Run:
        """The journal of one handler run, and what a resume needs to run it again."""
        def context() -> dict[str, Any]:  # made only if the run is stored (it calls another system)
            return {
                "arguments": dict(raw), "invocation": inv.origin(), "confirmed": ctx.confirmed,
                "now": ctx.now.isoformat(), "requester": ctx.actor.person.id, "finish": finish,
                "approved_by": _who(ctx.approved_by), **extra,
            }

        def record(outcome: str, detail: str) -> None:
            self._audit(trace, outcome, detail)

        run = Run(key=key, correlation_id=trace.correlation_id, command=command.name, unit=unit, context=context,
                  clock=self.clock, audit=record, lease_seconds=self.lease_seconds, work_key=work_key,
                  max_checks=self.max_checks, backoff=self.backoff)
        trace.runs.append(run)
        return run

    def _deliver_posts(self, reply: Reply) -> None:
        """Posts go through the outbox, in the handler's transaction: they exist exactly when the change
        that caused them committed (delivery is at least once: docs/execution.md)."""
        for post in reply.posts:
            outbox.enqueue(post.destination, post.reply.with_(correlation_id=reply.correlation_id),
                           now=self.clock(), correlation_id=reply.correlation_id or "", thread_id=post.thread_id,
                           dedupe_key=post.key, edits=post.edits)

    def _call(self, command: Command, ctx: Context, values: dict[str, Any]) -> Reply:
        kwargs = dict(values)
        if command.context_param:
            kwargs[command.context_param] = ctx
        result = command.func(**kwargs)
        if result is None:
            result = Reply.text(messages.DONE)
        elif isinstance(result, str):
            result = Reply.text(result)
        elif not isinstance(result, Reply):
            raise TypeError(f"command {command.name!r} returned {type(result).__name__}, not a Reply or str")
        result = result.with_(correlation_id=ctx.correlation_id)
        self._deliver_posts(result)
        return result

    def _execute(self, command: Command, actor: Actor, inv: Invocation, raw: dict[str, str],
                 values: dict[str, Any], trace: _Trace, *, digest: str, work_key: str | None = None) -> Reply:
        ctx = self._context(command, actor, inv, raw, trace, confirmed=False)
        key = inv.idempotency_key
        run: Run | None = None
        try:
            with Unit() as unit:
                if key:
                    self._claim_key(key, digest, trace)
                run = self._run(unit, trace, key or f"run:{trace.correlation_id}", command, inv, raw, ctx,
                                finish={"key": key, "digest": digest} if key else {}, work_key=work_key)
                with effects.running(run):
                    reply = self._call(command, ctx, values)
                reply = _first_answer(command, reply)
                self._audit(trace, ctx.audit_outcome or ("executed" if command.mutates else "allowed"),
                            ctx.audit_detail)
                if key:
                    _store_key(key, "done", reply)
                run.finish(reply)
                return reply
        except _Replay:
            return self._earlier(inv, trace, digest, work_key) or Reply.text(messages.CONFIRMED_ALREADY.format(state="handled"))
        except NeedsConfirmation as preview:
            return self._preview(command, actor, inv, raw, trace, preview, key, digest, run)
        except BaseException as exc:
            self._settle(run, exc, trace)
            raise

    def _claim_key(self, key: str, digest: str, trace: _Trace) -> None:
        try:
            with atomic():
                IdempotencyRecord.create(key=key, digest=digest, correlation_id=trace.correlation_id,
                                         created_at=self.clock())
        except peewee.IntegrityError:
            mine = IdempotencyRecord.get_or_none((IdempotencyRecord.key == key)
                                                 & (IdempotencyRecord.correlation_id == trace.correlation_id))
            if mine is None:  # another delivery of the same request won
                raise _Replay() from None

    def _settle(self, run: Run | None, exc: BaseException, trace: _Trace) -> None:
        """A run that committed something (it called another system) ended in an error: say so in its row.

        Unknown outcomes stay resumable (effects set them); a database that went away leaves the run
        ``running`` until its lease ends (then a redelivery, a press or the sweep resumes it). Any other
        error is final: the run is ``failed``, its idempotency key is released (a redelivery runs it
        again, as before it started), its Confirm button usable again, and an approval's requester told.
        """
        if run is None or run.row is None or isinstance(exc, (OutcomeUnknown, DatabaseUnavailable, *DatabaseErrors)):
            return
        if not isinstance(exc, Exception):  # KeyboardInterrupt, SystemExit: the process is stopping
            return
        detail = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        try:
            with atomic():
                # The key is freed (the row is kept, renamed): pressing Confirm again, or a redelivery, is a new run.
                (CommandRun.update(state="failed", lease_until=None, next_check_at=None, detail=detail[:2000],
                                   updated_at=self.clock(), key=f"{run.key[:170]}~failed~{run.row.id}")
                 .where((CommandRun.id == run.row.id) & (CommandRun.state == "running")).execute())
                finish = run.context_data().get("finish") or {}
                if finish.get("key"):
                    (IdempotencyRecord.delete().where((IdempotencyRecord.key == finish["key"])
                                                      & (IdempotencyRecord.outcome == "pending")).execute())
                if finish.get("action"):  # the press that started it works again
                    (PendingAction.update(state="pending")
                     .where((PendingAction.token == finish["action"]) & (PendingAction.state == "running")).execute())
                self._notify(run.context_data(), f"could not be done: {detail.rstrip('.')}.", trace)
        except DatabaseErrors:
            log.exception("could not record the end of run %s", run.key)

    def _notify(self, context: dict[str, Any], what: str, trace: _Trace) -> None:
        """Tell an approval's requester how their request ended (in the current transaction)."""
        notify = context.get("notify") or {}
        if not notify.get("platform") or not notify.get("channel_id"):
            return
        text = messages.APPROVED_REQUEST_ENDED.format(summary=notify.get("summary", context.get("command", "")),
                                                      approver=notify.get("approver", "an approver"), what=what)
        outbox.enqueue(Destination(notify["platform"], notify["channel_id"]), Reply.text(text), now=self.clock(),
                       correlation_id=trace.correlation_id)

    def _preview(self, command: Command, actor: Actor, inv: Invocation, raw: dict[str, str], trace: _Trace,
                 preview: NeedsConfirmation, key: str | None, digest: str, run: Run | None = None) -> Reply:
        token = secrets.token_urlsafe(18)
        blocks: list[Any] = [Text(f"{preview.summary}\n{messages.CONFIRM_PROMPT}")]
        if preview.changes:
            blocks.append(Fields(tuple((f, f"{old or '—'} → {new or '—'}") for f, old, new in preview.changes),
                                 title="What will change"))
        if preview.details:
            blocks.append(Fields(preview.details))
        blocks.append(Buttons((Button("Confirm", f"{token}.confirm", "primary"),
                               Button("Cancel", f"{token}.cancel", "danger"))))
        reply = Reply(tuple(blocks), ephemeral=True, correlation_id=trace.correlation_id)
        with atomic():
            if key:
                self._claim_key(key, digest, trace)
            PendingAction.create(
                token=token, kind="confirm", command=command.name, arguments=raw,
                invocation=inv.origin(), requester=actor.person.id,
                correlation_id=trace.correlation_id,
                expires_at=self.clock() + timedelta(minutes=self.settings.confirm_ttl_minutes),
                created_at=self.clock(),
            )
            self._audit(trace, "previewed", preview.summary)
            if key:
                _store_key(key, "previewed", reply)
            if run is not None:
                run.finish(reply, detail="previewed")
        return reply

    # ---- resuming ---------------------------------------------------------------------
    def _live(self, row: CommandRun, work_key: str | None = None) -> bool:
        """Is a process working on this run right now (its lease not yet run out)? Not when the asking work
        item is the run's own (see ``_take``)."""
        if work_key and row.work_key == work_key:
            return False
        return row.state == "running" and row.lease_until is not None and row.lease_until >= self.clock()

    def _take(self, row: CommandRun, *, work_key: str | None = None) -> bool:
        """Lease a stopped (or unknown) run for resuming; False when a live process still holds it.

        The work item that carried the run may always take it back: whoever holds that item's lease now
        took it over from a worker that stopped, so the run's own lease is that worker's, not a live one."""
        now = self.clock()
        stopped = (CommandRun.state == "unknown") | (
            (CommandRun.state == "running") & (CommandRun.lease_until.is_null() | (CommandRun.lease_until < now)))
        if work_key and row.work_key == work_key:
            stopped = CommandRun.state.in_(("running", "unknown"))
        with atomic():
            return (CommandRun.update(state="running", lease_until=now + timedelta(seconds=self.lease_seconds),
                                      updated_at=now)
                    .where((CommandRun.id == row.id) & stopped).execute()) == 1

    def _resume(self, row: CommandRun, trace: _Trace, inv: Invocation, *, same_request: bool = False,
                taken: bool = False, work_key: str | None = None) -> Reply:
        """Run a stopped run's handler again from its journal (chatops.effects), or settle its calls alone."""
        was = row.state
        if not taken and not self._take(row, work_key=work_key):
            fresh = CommandRun.get_or_none(CommandRun.id == row.id)
            if fresh is not None and fresh.state == "done" and fresh.reply and same_request:
                return Reply.from_dict(fresh.reply).with_(replayed=True, correlation_id=fresh.correlation_id)
            if fresh is not None and fresh.state == "done":
                raise ActionUnavailable(messages.CONFIRMED_ALREADY.format(state="done"))
            if fresh is not None and fresh.state == "failed":
                raise ActionUnavailable(messages.CONFIRMED_ALREADY.format(state="tried and it failed"))
            raise ActionUnavailable(messages.IN_PROGRESS)
        c = dict(row.context or {})
        trace.correlation_id = row.correlation_id
        trace.command = row.command
        command = self.registry.get(row.command)
        if command is None:
            return self._settle_calls(row, trace, why="its command is not installed any more")
        original = Invocation.from_origin(c.get("invocation") or {}, inv.received_at)
        requester = identity.resolve(original, self.settings)
        trace.actor = requester
        raw = dict(c.get("arguments") or {})
        try:
            values = parser.convert_all(command, raw, original)
        except UserError as exc:  # the command's parameters changed since: its handler cannot run again
            return self._settle_calls(row, trace, why=f"its arguments no longer fit `{command.name}` ({exc.message})")
        trace.arguments = _masked(command, values)
        now = datetime.fromisoformat(c["now"]) if c.get("now") else self.clock()
        trace_ctx = _Trace(row.correlation_id, original, command=command.name, actor=requester,
                           arguments=trace.arguments)
        ctx = self._context(command, requester, original, raw, trace_ctx, confirmed=bool(c.get("confirmed")), now=now)
        if c.get("approved_by"):
            who = c["approved_by"]
            ctx.approved_by = identity.resolve(Invocation(platform=who["platform"], user_id=who["user_id"],
                                                          received_at=original.received_at), self.settings)
        journal = list(ExternalCall.select().where(ExternalCall.run == row.id).order_by(ExternalCall.seq))
        why = "after an unclear answer" if was == "unknown" else "after the process handling it stopped"
        finish = c.get("finish") or {}
        run: Run | None = None
        try:
            with Unit() as unit:
                run = Run(key=row.key, correlation_id=row.correlation_id, command=command.name, unit=unit,
                          context=c, clock=self.clock, audit=lambda o, d: self._audit(trace_ctx, o, d),
                          lease_seconds=self.lease_seconds, work_key=row.work_key, journal=journal, row=row,
                          resuming=True, max_checks=self.max_checks, backoff=self.backoff)
                trace.runs.append(run)
                with effects.running(run):
                    reply = self._call(command, ctx, values)
                reply = _first_answer(command, reply)  # a resumed first answer is as private as the first run's
                if run.unreached():
                    raise ReplayDiverged(f"{len(run.unreached())} change(s) of the journal were not reached")
                outcome = ctx.audit_outcome or ("executed" if command.mutates else "allowed")
                detail = ctx.audit_detail or (f"approved by {ctx.approved_by.label}" if ctx.approved_by else
                                              "confirmed" if ctx.confirmed else "")
                self._audit(trace_ctx, outcome, f"{detail + '; ' if detail else ''}resumed {why}")
                head = Text(messages.CHECKED_AGAIN.format(system=run.system) + "this is the result of your "
                            "earlier request.")
                reply = reply.with_(blocks=(head, *reply.blocks))
                self._complete(finish, reply)
                if command.mutates and outcome == "executed":
                    self._notify(c, "is done (confirmed after a check).", trace_ctx)
                run.finish(reply, detail=f"resumed {why}")
                return reply
        except ReplayDiverged as exc:
            log.warning("run %s diverged on resume (%s): settling its calls on their own", row.key, exc)
            return self._settle_calls(row, trace_ctx, why=str(exc))
        except NeedsConfirmation as preview:
            return self._preview(command, requester, original, raw, trace_ctx, preview, finish.get("key"),
                                 finish.get("digest", ""), run)
        except BaseException as exc:
            self._settle(run, exc, trace_ctx)
            raise

    def _complete(self, finish: dict[str, Any], reply: Reply) -> None:
        """What the run's original attempt would have marked done (in the current transaction)."""
        if finish.get("key"):
            _store_key(finish["key"], "done", reply)
        if finish.get("action") and finish.get("state"):
            (PendingAction.update(state=finish["state"], finished_at=self.clock(), result=reply.to_dict())
             .where(PendingAction.token == finish["action"]).execute())

    def _settle_calls(self, row: CommandRun, trace: _Trace, *, why: str) -> Reply:
        """Send the run's unsettled changes again on their own (same idempotency keys) and say what came back."""
        calls = [c for c in ExternalCall.select().where((ExternalCall.run == row.id) & ExternalCall.mutating)
                 .order_by(ExternalCall.seq)]
        pending = [c for c in calls if c.state in ("attempted", "unknown")]
        trace.command = row.command
        system = "the other system"
        refused: list[str] = []
        for entry in pending:
            try:
                effects.resend(entry, self)
            except Exception as exc:  # noqa: BLE001 - classified below, like any changing call
                message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
                state = "unknown" if effects.outcome_unknown(exc) else "failed"
                with atomic():
                    (ExternalCall.update(state=state, error=message[:2000], attempts=ExternalCall.attempts + 1,
                                         finished_at=self.clock()).where(ExternalCall.id == entry.id).execute())
                    gave_up = state == "unknown" and effects.mark_unknown(row, self.clock(), message,
                                                                                     self.max_checks, self.backoff)
                if state == "unknown":
                    raise OutcomeUnknown(entry.operation, getattr(exc, "reason", None) or message, system=system,
                                         gave_up=gave_up) from exc
                refused.append(message)
                continue
            with atomic():
                (ExternalCall.update(state="ok", error="", attempts=ExternalCall.attempts + 1,
                                     finished_at=self.clock()).where(ExternalCall.id == entry.id).execute())
        done = [c.operation for c in calls if c.state == "ok"] + [c.operation for c in pending]
        with atomic():
            finish = (row.context or {}).get("finish") or {}
            if not calls:  # it stopped before changing anything: nothing to settle, and it cannot be finished
                text = messages.NOT_FINISHED_NOTHING_SENT.format(command=row.command, why=why)
                reply = Reply((Text(text, "warning"),), ephemeral=True, correlation_id=row.correlation_id)
                self._audit(trace, "failed", f"not finished ({why}); no change had been sent")
                state = "failed"
            elif refused:
                text = messages.CHECKED_REFUSED.format(command=row.command, refused="; ".join(refused))
                reply = Reply((Text(text, "error"),), ephemeral=True, correlation_id=row.correlation_id)
                self._audit(trace, "failed", f"checked again ({why}): refused: {'; '.join(refused)}"[:4000])
                state = "failed"
            else:
                text = messages.CHECKED_DONE.format(command=row.command, operations=", ".join(sorted(set(done))))
                reply = Reply((Text(text, "success"),), ephemeral=True, correlation_id=row.correlation_id)
                self._audit(trace, "executed", f"checked again ({why}): {', '.join(sorted(set(done)))} confirmed")
                self._notify(row.context or {}, "is done (confirmed after a check).", trace)
                state = "done"
            if state == "done":
                self._complete(finish, reply)
            else:  # as after any failed run: a redelivery, or Confirm pressed again, is a new run
                if finish.get("key"):
                    (IdempotencyRecord.delete().where((IdempotencyRecord.key == finish["key"])
                                                      & (IdempotencyRecord.outcome == "pending")).execute())
                if finish.get("action"):
                    (PendingAction.update(state="pending")
                     .where((PendingAction.token == finish["action"]) & (PendingAction.state == "running")).execute())
                if calls and refused:
                    self._notify(row.context or {}, f"could not be done: {'; '.join(refused)}", trace)
            (CommandRun.update(state=state, lease_until=None, next_check_at=None, reply=reply.to_dict(),
                               detail=f"settled on its own: {why}"[:2000], updated_at=self.clock(),
                               key=row.key if state == "done" else f"{row.key[:170]}~failed~{row.id}")
             .where(CommandRun.id == row.id).execute())
        return reply

    def settle_by_hand(self, row: CommandRun, *, made: bool, by: str, note: str = "") -> None:
        """A person checked the other system: record whether the run's change was made (``chatops work
        resolve``). The audit event names them; the run, its button or key, and the requester follow."""
        now = self.clock()
        verdict = "was made" if made else "was not made"
        why = f"settled by hand by {by}: the change {verdict}" + (f" ({note})" if note else "")
        trace = _Trace(row.correlation_id, Invocation(platform="console", user_id=f"admin:{by}"[:64]),
                       command=row.command)
        with atomic():
            (ExternalCall.update(state="ok" if made else "failed", error=why[:2000], finished_at=now)
             .where((ExternalCall.run == row.id) & ExternalCall.mutating
                    & ExternalCall.state.in_(("attempted", "unknown"))).execute())
            reply = Reply.text(messages.SETTLED_BY_HAND.format(command=row.command, why=why),
                               style="success" if made else "warning")
            self._audit(trace, "executed" if made else "failed", why)
            finish = (row.context or {}).get("finish") or {}
            if made:
                self._complete(finish, reply)
            elif finish.get("key"):
                (IdempotencyRecord.delete().where((IdempotencyRecord.key == finish["key"])
                                                  & (IdempotencyRecord.outcome == "pending")).execute())
            self._notify(row.context or {}, f"{'is done' if made else 'was not done'} (checked by {by}).", trace)
            (CommandRun.update(state="done" if made else "failed", lease_until=None, next_check_at=None,
                               detail=why[:2000], reply=reply.to_dict(), updated_at=now,
                               key=row.key if made else f"{row.key[:170]}~failed~{row.id}")
             .where(CommandRun.id == row.id).execute())

    # ---- buttons ----------------------------------------------------------------------
    def _handle_action(self, action_ref: str, inv: Invocation, trace: _Trace, work_key: str | None = None) -> Reply:
        token, _, verb = (action_ref or "").strip().rpartition(".")
        # Tokens are secrets.token_urlsafe and verbs lower-case words: anything else (a NUL byte, which
        # PostgreSQL refuses in a query) is not one of ours and never reaches the database.
        if not _TOKEN.fullmatch(token) or not _VERB.fullmatch(verb):
            raise ActionUnavailable(messages.ACTION_UNKNOWN)
        trace.actor = identity.resolve(inv, self.settings)
        try:
            with Unit() as unit:
                action = for_update(PendingAction.select().where(PendingAction.token == token)).first()
                if action is None:
                    raise ActionUnavailable(messages.ACTION_UNKNOWN)
                trace.correlation_id = action.correlation_id
                trace.command = action.command or action.kind
                trace.arguments = dict(action.arguments)
                return self._press(unit, action, verb, inv, trace, work_key)
        except _Resume as stopped:
            return self._resume(stopped.run, trace, inv, work_key=work_key)
        except BaseException as exc:
            for run in trace.runs:  # after the press's transaction rolled back: what is known of each run
                self._settle(run, exc, trace)
            raise

    def run_confirmed(self, press: ActionPress) -> Reply:
        """A preview's Confirm or Cancel (the core's ``confirm`` action kind, see Context.confirm).

        Confirm runs the command again as its requester with ``ctx.confirmed``; the action is
        ``running`` meanwhile and ``done`` after. If the run fails it is ``pending`` again (Confirm
        works again, as before it was pressed); if it stopped half-way, pressing Confirm again, or
        the reconcile sweep, finishes it.
        """
        action, trace = press.action, press.trace
        trace.command = action.command or action.kind
        if not press.claim("running" if press.verb == "confirm" else "cancelled"):
            raise ActionUnavailable(messages.CONFIRMED_ALREADY.format(state="handled"))
        if press.verb == "cancel":
            reply = Reply((Text(messages.CANCELLED),), ephemeral=True, correlation_id=action.correlation_id)
            press.finish("cancelled", reply)
            press.outcome, press.detail = "cancelled", "cancelled by the requester"
            return reply
        command = self.registry.get(action.command)
        if command is None:
            raise ActionUnavailable(messages.ACTION_UNKNOWN)
        self._check_policy(command, trace.actor)  # roles may have changed since the preview
        original = Invocation.from_origin(action.invocation, press.invocation.received_at)
        values = parser.convert_all(command, dict(action.arguments), original)
        trace.arguments = _masked(command, values)
        ctx = self._context(command, trace.actor, original, dict(action.arguments), trace, confirmed=True)
        run = self._run(press.unit, trace, _press_key(action.token), command, original, dict(action.arguments),
                        ctx, finish={"action": action.token, "state": "done"}, work_key=press.work_key,
                        kind="confirm", verb=press.verb)
        with effects.running(run):
            reply = self._call(command, ctx, values)
        press.delivered += reply.posts
        press.finish("done", reply)
        press.record(ctx.audit_outcome or "executed", ctx.audit_detail or "confirmed")
        run.finish(reply)
        return reply

    def run_approved(self, press: ActionPress, command_name: str, raw_arguments: dict[str, str],
                     invocation_fields: dict[str, Any], *, summary: str = "") -> Reply:
        """Run a stored command as its original requester, approved by ``press.actor``.

        For an approval button's handler: call it inside the press, after ``press.finish()`` retired
        the request and ``press.record("approved", …)`` audited the decision. The decision commits
        before the command runs (its calls to other systems must not run inside a transaction), so a
        crash or an unclear answer leaves a run that a later press of the same button, or the
        reconcile sweep, completes. The handler sees ``ctx.confirmed`` and ``ctx.approved_by``; the
        run is audited ``executed`` under the request's correlation id.
        """
        command = self.registry.get(command_name)
        if command is None:
            raise ActionUnavailable(messages.ACTION_UNKNOWN)
        original = Invocation.from_origin(invocation_fields, press.invocation.received_at)
        requester = identity.resolve(original, self.settings)
        trace = _Trace(press.correlation_id, original, command=command.name, actor=requester)
        self._check_policy(command, requester)  # the requester must still be allowed
        values = parser.convert_all(command, dict(raw_arguments), original)
        trace.arguments = _masked(command, values)
        ctx = self._context(command, requester, original, dict(raw_arguments), trace, confirmed=True)
        ctx.approved_by = press.actor
        notify = {}
        if invocation_fields.get("platform") and invocation_fields.get("channel_id"):
            notify = {"platform": invocation_fields["platform"], "channel_id": invocation_fields["channel_id"],
                      "summary": summary or command.name, "approver": press.actor.label}
        unit = press.unit
        run = self._run(unit, trace, _press_key(press.action.token), command, original, dict(raw_arguments), ctx,
                        finish={}, work_key=press.work_key, kind="approved", verb=press.verb, notify=notify)
        if press.trace is not None:
            press.trace.runs.append(run)
        if unit is not None:
            run.store()
            unit.commit()  # the decision is final before anything is sent to another system
        with effects.running(run):  # if it fails, the press settles the run (Router._handle_action)
            reply = self._call(command, ctx, values)
        press.delivered += reply.posts
        self._audit(trace, ctx.audit_outcome or "executed", ctx.audit_detail or f"approved by {press.actor.label}")
        run.finish(reply)
        return reply

    def _press(self, unit: Unit, action: PendingAction, verb: str, inv: Invocation, trace: _Trace,
               work_key: str | None = None) -> Reply:
        """One button press, answered by the ``@group.action(kind, verb)`` handler of the action's kind."""
        handler = self.registry.action_handlers.get((action.kind, verb))
        if handler is None:
            raise ActionUnavailable(messages.ACTION_UNKNOWN)
        if (action.kind, verb) in self.registry.requester_only and action.requester_id != trace.actor.person.id:
            raise PermissionDenied(messages.ACTION_NOT_YOURS.format(owner=action.requester.name, verb=verb),
                                   messages.RUN_IT_YOURSELF)
        if action.state != "pending":
            stopped = _stopped_run(_press_key(action.token)) or _stopped_run(f"confirm:{action.token}")
            if stopped is not None:
                if self._live(stopped, work_key):
                    raise ActionUnavailable(messages.CONFIRMED_ALREADY.format(state=action.state)
                                            + " " + messages.BEING_MADE)
                if (stopped.context or {}).get("verb") == verb:
                    raise _Resume(stopped)
                raise ActionUnavailable(messages.CONFIRMED_ALREADY.format(state=action.state)
                                        + " Its change is being checked with the other system.")
            raise ActionUnavailable(messages.CONFIRMED_ALREADY.format(state=action.state))
        if self.clock() > action.expires_at:
            raise ActionUnavailable(messages.ACTION_EXPIRED)
        trace.command = f"{action.command or action.kind}:{verb}"
        press = ActionPress(action=action, verb=verb, actor=trace.actor, invocation=inv,
                            correlation_id=action.correlation_id, now=self.clock(), router=self,
                            unit=unit, trace=trace, work_key=work_key)
        result = handler(press)
        reply = Reply.text(result) if isinstance(result, str) else (result or Reply.text(messages.DONE))
        reply = reply.with_(correlation_id=action.correlation_id)
        self._deliver_posts(reply.with_(posts=tuple(p for p in reply.posts
                                                    if not any(p is d for d in press.delivered))))
        if not press.recorded:
            self._audit(trace, press.outcome, press.detail or verb)
        return reply

    def record_press(self, press: ActionPress, outcome: str, detail: str) -> None:
        """``press.record``: the press's audit event, now (before anything else the handler does)."""
        trace = press.trace if press.trace is not None else _Trace(press.correlation_id, press.invocation,
                                                                    actor=press.actor)
        self._audit(trace, outcome, detail)

    def _finish(self, action: PendingAction, state: str, reply: Reply) -> None:
        (PendingAction.update(state=state, finished_at=self.clock(), result=reply.to_dict())
         .where(PendingAction.token == action.token).execute())


_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")
_VERB = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")


def _press_key(token: str) -> str:
    """The key of the run a button press starts. (Confirm runs begun before 2026-12 are ``confirm:<token>``;
    a press looks for those too, so a run stopped across that deploy still resumes.)"""
    return f"action:{token}"


def _stopped_run(key: str) -> CommandRun | None:
    """The run under ``key`` if it stopped half-way or its outcome is unknown (a live one counts too:
    resuming it then answers "in progress")."""
    run = CommandRun.get_or_none(CommandRun.key == key)
    return run if run is not None and run.state in ("running", "unknown") else None


def _who(actor: Actor | None) -> dict[str, str] | None:
    if actor is None or actor.identity is None:
        return None
    return {"platform": actor.identity.platform, "user_id": actor.identity.user_id}


# Column sizes of what adapters put in an Invocation: a longer value is a malformed request.
_LIMITS = {"platform": 16, "user_id": 64, "community_id": 64, "channel_id": 64, "thread_id": 64,
           "idempotency_key": 200, "command": 64}


def _check_sizes(inv: Invocation) -> None:
    for name, limit in _LIMITS.items():
        value = getattr(inv, name)
        if value is not None and len(value) > limit:
            raise UsageError(messages.FIELD_TOO_LONG.format(field=name.replace("_", " "), limit=limit))


def _store_key(key: str, outcome: str, reply: Reply) -> None:
    IdempotencyRecord.update(outcome=outcome, reply=reply.to_dict()).where(IdempotencyRecord.key == key).execute()


def _digest(inv: Invocation) -> str:
    if inv.command is not None:
        body = inv.command + "\0" + "\0".join(f"{k}={v}" for k, v in sorted(inv.arguments or ()))
    else:
        body = " ".join(inv.text.split())
    return hashlib.sha256(f"{inv.actor_key}\0{body}".encode("utf-8", "surrogatepass")).hexdigest()


def _masked(command: Command, values: dict[str, Any]) -> dict[str, Any]:
    secret = {p.name for p in command.params if p.secret}
    pii = {p.name for p in command.params if p.type.arg_type.pii}
    return audit.mask_arguments(values, secret=secret, pii=pii)


_UNDECLARED_PRIVATE: set[str] = set()


def _first_answer(command: Command, reply: Reply) -> Reply:
    """The first answer of a command, private when ``Command.private_first`` says so (on every platform)."""
    if reply.ephemeral and not command.private_first and command.name not in _UNDECLARED_PRIVATE:
        _UNDECLARED_PRIVATE.add(command.name)  # said once per command and process
        log.warning("command %s answered privately but is not declared private=True: on Discord its answer is "
                    "preceded by a public \"thinking…\" that is then deleted", command.name)
    return reply.with_(ephemeral=True) if command.private_first and not reply.ephemeral else reply
