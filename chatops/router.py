"""The router: Invocation in, Reply out, with exactly one error boundary.

    router = Router(registry, settings)
    reply = router.handle(Invocation(platform="slack", user_id="U1", text="whoami"))
    reply = router.handle_action("<token>.confirm", Invocation(platform="slack", user_id="U1"))

Per request: idempotency → command lookup → who is asking → policy → arguments
→ handler, its writes and the audit event in one transaction. A user mistake
(:class:`~chatops.errors.UserError`) becomes an ephemeral reply and an audit
event; anything else is logged with a correlation id and the user gets an
apology quoting it — never a traceback.
"""
from __future__ import annotations

import dataclasses
import hashlib
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable

import peewee

from chatops import audit, identity, messages, outbox, parser
from chatops.commands import Command, Registry
from chatops.context import ActionPress, Context, NeedsConfirmation
from chatops.db import DatabaseErrors, RawQuery, atomic, for_update
from chatops.errors import (ActionUnavailable, Conflict, PermissionDenied, ServiceUnavailable, UnknownCommand,
                            UsageError, UserError)
from chatops.identity import Actor
from chatops.invocation import Invocation, utcnow
from chatops.models import CommandPolicy, IdempotencyRecord, PendingAction
from chatops.policy import Predicate, policy_from_row
from chatops.reply import Button, Buttons, Fields, Reply, Text
from chatops.settings import Settings

log = logging.getLogger("chatops.router")
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


class _Replay(Exception):
    """Another delivery with the same idempotency key won the race."""


class Router:
    def __init__(self, registry: Registry, settings: Settings | None = None, *, clock: Clock = utcnow) -> None:
        registry.freeze()
        self.registry = registry
        self.settings = settings or Settings()
        self.clock = clock

    # ---- public entry points ----------------------------------------------------
    def handle(self, invocation: Invocation) -> Reply:
        """Run one command invocation; always returns a Reply."""
        trace = _Trace(new_correlation_id(), invocation)
        return self._boundary(trace, lambda: self._handle(invocation, trace))

    def handle_action(self, action_ref: str, invocation: Invocation) -> Reply:
        """A button press: ``action_ref`` is the ``<token>.<verb>`` the button carried."""
        trace = _Trace(new_correlation_id(), invocation, command="button")
        return self._boundary(trace, lambda: self._handle_action(action_ref, invocation, trace))

    def policy_for(self, command: Command) -> Predicate:
        """The stored CommandPolicy override if there is one, else the command's code default."""
        found = _POLICY.one(command.name)
        return policy_from_row(found[0]) if found is not None else command.policy

    def visible_commands(self, actor: Actor) -> list[Command]:
        overrides = {row.command: row for row in CommandPolicy.select()}
        return [
            c for c in self.registry
            if not c.hidden and (policy_from_row(overrides[c.name]) if c.name in overrides else c.policy).allows(actor)
        ]

    # ---- the one error boundary ---------------------------------------------------
    def _boundary(self, trace: _Trace, run: Callable[[], Reply]) -> Reply:
        try:
            reply = run()
        except UserError as exc:
            self._audit_failure(trace, exc.outcome, exc.message)
            return Reply((Text(exc.user_message(), "error"),), ephemeral=True, correlation_id=trace.correlation_id)
        except (ServiceUnavailable, *DatabaseErrors) as exc:
            log.error("service unavailable [%s] in %s: %s", trace.correlation_id, trace.command, exc)
            self._audit_failure(trace, "failed", f"service unavailable: {exc}")
            return Reply((Text(messages.UNAVAILABLE.format(ref=trace.correlation_id), "error"),),
                         ephemeral=True, correlation_id=trace.correlation_id)
        except Exception as exc:  # noqa: BLE001 - this is the boundary
            log.exception("unexpected error [%s] in %s for %s", trace.correlation_id, trace.command,
                          trace.invocation.actor_key)
            self._audit_failure(trace, "failed", f"{type(exc).__name__}: {exc}")
            return Reply((Text(messages.APOLOGY.format(ref=trace.correlation_id), "error"),),
                         ephemeral=True, correlation_id=trace.correlation_id)
        if reply.correlation_id is None:
            reply = reply.with_(correlation_id=trace.correlation_id)
        return reply

    def _audit_failure(self, trace: _Trace, outcome: str, detail: str) -> None:
        try:
            self._audit(trace, outcome, detail)
        except Exception:  # the database may be the thing that is down
            log.exception("could not audit [%s] %s %s", trace.correlation_id, trace.command, outcome)

    def _audit(self, trace: _Trace, outcome: str, detail: str = "") -> None:
        inv = trace.invocation
        actor = trace.actor
        audit.record(
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

    # ---- commands -----------------------------------------------------------------
    def _handle(self, inv: Invocation, trace: _Trace) -> Reply:
        digest = _digest(inv)
        if inv.idempotency_key:
            replay = self._replay(inv, trace, digest)
            if replay is not None:
                return replay
        _check_sizes(inv)
        if inv.command:
            name, rest = inv.command.lower().lstrip("/"), ""
        else:
            name, rest = parser.split_command(inv.text)
        command = self.registry.get(name)
        # Chat DMs only: in the console a typo should say so, not open a ticket.
        in_chat_dm = inv.is_direct and not inv.command and inv.platform != "console"
        fallback = self.settings.get("CHATOPS_DM_FALLBACK_COMMAND") if in_chat_dm else ""
        if (command is None and fallback and self.registry.get(fallback) is not None
                and not self.registry.close_match(name)):  # "hlep" is a typo, not a request for help
            # "my payout is late" in a DM to the bot means `support my payout is late`.
            inv = dataclasses.replace(inv, text=f"{fallback} {parser.normalise(inv.text)}")
            trace.invocation = inv
            name, rest = parser.split_command(inv.text)
            command = self.registry.get(name)
        if command is None:
            trace.command = parser._clip(name, 64)
            trace.actor = identity.resolve(inv, self.settings)
            allowed = [s for s in self.registry.suggest(name, n=6)
                       if self.policy_for(self.registry.get(s)).allows(trace.actor)]
            raise UnknownCommand(parser._clip(name, 40), allowed[:3])
        trace.command = command.name
        trace.actor = identity.resolve(inv, self.settings)
        self._check_policy(command, trace.actor)
        raw = dict(inv.arguments) if inv.arguments is not None else parser.parse_raw(command, rest)
        values = parser.convert_all(command, raw, inv)
        trace.arguments = _masked(command, values)
        return self._execute(command, trace.actor, inv, raw, values, trace, digest=digest)

    def _check_policy(self, command: Command, actor: Actor) -> None:
        denial = self.policy_for(command).check(actor)
        if denial is not None:
            raise PermissionDenied(denial.reason, denial.remedy)

    def _replay(self, inv: Invocation, trace: _Trace, digest: str) -> Reply | None:
        record = IdempotencyRecord.get_or_none(IdempotencyRecord.key == inv.idempotency_key)
        if record is None:
            return None
        trace.correlation_id = record.correlation_id
        if record.digest != digest:
            raise Conflict(messages.KEY_REUSED)
        self._audit(trace, "duplicate", f"repeated delivery of {inv.idempotency_key}")
        return Reply.from_dict(record.reply or {}).with_(replayed=True, correlation_id=record.correlation_id)

    def _context(self, command: Command, actor: Actor, inv: Invocation, raw: dict[str, str], trace: _Trace,
                 confirmed: bool) -> Context:
        return Context(invocation=inv, actor=actor, command=command, correlation_id=trace.correlation_id,
                       now=self.clock(), settings=self.settings, router=self, confirmed=confirmed,
                       raw_arguments=raw)

    def _deliver_posts(self, reply: Reply) -> None:
        """Posts go through the outbox, in the handler's transaction: delivered once, even after a crash."""
        for post in reply.posts:
            outbox.enqueue(post.destination, post.reply.with_(correlation_id=reply.correlation_id),
                           now=self.clock(), correlation_id=reply.correlation_id or "", thread_id=post.thread_id)

    def _call(self, command: Command, ctx: Context, values: dict[str, Any]) -> Reply:
        kwargs = dict(values)
        if command.context_param:
            kwargs[command.context_param] = ctx
        result = command.func(**kwargs)
        if result is None:
            result = Reply.text("Done.")
        elif isinstance(result, str):
            result = Reply.text(result)
        elif not isinstance(result, Reply):
            raise TypeError(f"command {command.name!r} returned {type(result).__name__}, not a Reply or str")
        result = result.with_(correlation_id=ctx.correlation_id)
        self._deliver_posts(result)
        return result

    def _execute(self, command: Command, actor: Actor, inv: Invocation, raw: dict[str, str],
                 values: dict[str, Any], trace: _Trace, *, digest: str) -> Reply:
        ctx = self._context(command, actor, inv, raw, trace, confirmed=False)
        key = inv.idempotency_key
        try:
            with atomic():
                if key:
                    self._claim_key(key, digest, trace)
                reply = self._call(command, ctx, values)
                self._audit(trace, ctx.audit_outcome or ("executed" if command.mutates else "allowed"),
                            ctx.audit_detail)
                if key:
                    _store_key(key, "done", reply)
                return reply
        except _Replay:
            return self._replay(inv, trace, digest) or Reply.text(messages.CONFIRMED_ALREADY.format(state="handled"))
        except NeedsConfirmation as preview:
            return self._preview(command, actor, inv, raw, trace, preview, key, digest)

    def _claim_key(self, key: str, digest: str, trace: _Trace) -> None:
        try:
            with atomic():
                IdempotencyRecord.create(key=key, digest=digest, correlation_id=trace.correlation_id,
                                         created_at=self.clock())
        except peewee.IntegrityError:
            raise _Replay() from None

    def _preview(self, command: Command, actor: Actor, inv: Invocation, raw: dict[str, str], trace: _Trace,
                 preview: NeedsConfirmation, key: str | None, digest: str) -> Reply:
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
                invocation=_invocation_fields(inv), requester=actor.person.id,
                correlation_id=trace.correlation_id,
                expires_at=self.clock() + timedelta(minutes=self.settings.confirm_ttl_minutes),
                created_at=self.clock(),
            )
            self._audit(trace, "previewed", preview.summary)
            if key:
                _store_key(key, "previewed", reply)
        return reply

    # ---- buttons ----------------------------------------------------------------------
    def _handle_action(self, action_ref: str, inv: Invocation, trace: _Trace) -> Reply:
        token, _, verb = (action_ref or "").strip().rpartition(".")
        if not token or not verb or len(token) > 64 or len(verb) > 32:
            raise ActionUnavailable(messages.ACTION_UNKNOWN)
        trace.actor = identity.resolve(inv, self.settings)
        with atomic():
            action = for_update(PendingAction.select().where(PendingAction.token == token)).first()
            if action is None:
                raise ActionUnavailable(messages.ACTION_UNKNOWN)
            trace.correlation_id = action.correlation_id
            trace.command = action.command or action.kind
            trace.arguments = dict(action.arguments)
            if action.kind != "confirm":
                return self._custom_action(action, verb, inv, trace)
            if verb not in ("confirm", "cancel"):
                raise ActionUnavailable(messages.ACTION_UNKNOWN)
            if action.state != "pending":
                raise ActionUnavailable(messages.CONFIRMED_ALREADY.format(state=action.state))
            if action.requester_id != trace.actor.person.id:
                raise PermissionDenied(f"only the person who asked ({action.requester.name}) can {verb} this",
                                       "Run the command yourself if you need the change.")
            if self.clock() > action.expires_at:
                raise ActionUnavailable(messages.ACTION_EXPIRED)
            claimed = (PendingAction.update(state="running")
                       .where((PendingAction.token == token) & (PendingAction.state == "pending")).execute())
            if claimed != 1:
                raise ActionUnavailable(messages.CONFIRMED_ALREADY.format(state="handled"))
            if verb == "cancel":
                reply = Reply((Text(messages.CANCELLED),), ephemeral=True, correlation_id=action.correlation_id)
                self._finish(action, "cancelled", reply)
                self._audit(trace, "cancelled")
                return reply
            command = self.registry.get(action.command)
            if command is None:
                raise ActionUnavailable(messages.ACTION_UNKNOWN)
            self._check_policy(command, trace.actor)  # roles may have changed since the preview
            original = _invocation_from_fields(action.invocation, inv)
            values = parser.convert_all(command, dict(action.arguments), original)
            trace.arguments = _masked(command, values)
            ctx = self._context(command, trace.actor, original, dict(action.arguments), trace, confirmed=True)
            reply = self._call(command, ctx, values)
            self._finish(action, "done", reply)
            self._audit(trace, ctx.audit_outcome or "executed", ctx.audit_detail or "confirmed")
            return reply

    def run_approved(self, press: ActionPress, command_name: str, raw_arguments: dict[str, str],
                     invocation_fields: dict[str, Any]) -> Reply:
        """Run a stored command as its original requester, approved by ``press.actor``.

        For an approval button's handler: call it inside the press (same transaction), after
        ``press.finish()`` retired the request. The handler sees ``ctx.confirmed`` and
        ``ctx.approved_by``; the run is audited ``executed`` under the request's correlation id.
        """
        command = self.registry.get(command_name)
        if command is None:
            raise ActionUnavailable(messages.ACTION_UNKNOWN)
        original = _invocation_from_fields(invocation_fields, press.invocation)
        requester = identity.resolve(original, self.settings)
        trace = _Trace(press.correlation_id, original, command=command.name, actor=requester)
        self._check_policy(command, requester)  # the requester must still be allowed
        values = parser.convert_all(command, dict(raw_arguments), original)
        trace.arguments = _masked(command, values)
        ctx = self._context(command, requester, original, dict(raw_arguments), trace, confirmed=True)
        ctx.approved_by = press.actor
        reply = self._call(command, ctx, values)
        self._audit(trace, ctx.audit_outcome or "executed", ctx.audit_detail or f"approved by {press.actor.label}")
        return reply

    def _custom_action(self, action: PendingAction, verb: str, inv: Invocation, trace: _Trace) -> Reply:
        handler = self.registry.action_handlers.get((action.kind, verb))
        if handler is None:
            raise ActionUnavailable(messages.ACTION_UNKNOWN)
        if action.state != "pending":
            raise ActionUnavailable(messages.CONFIRMED_ALREADY.format(state=action.state))
        if self.clock() > action.expires_at:
            raise ActionUnavailable(messages.ACTION_EXPIRED)
        trace.command = f"{action.command or action.kind}:{verb}"
        press = ActionPress(action=action, verb=verb, actor=trace.actor, invocation=inv,
                            correlation_id=action.correlation_id, now=self.clock(), router=self)
        result = handler(press)
        reply = Reply.text(result) if isinstance(result, str) else (result or Reply.text("Done."))
        reply = reply.with_(correlation_id=action.correlation_id)
        self._deliver_posts(reply)
        self._audit(trace, press.outcome, press.detail or verb)
        return reply

    def _finish(self, action: PendingAction, state: str, reply: Reply) -> None:
        (PendingAction.update(state=state, finished_at=self.clock(), result=reply.to_dict())
         .where(PendingAction.token == action.token).execute())


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


_INV_FIELDS = ("platform", "user_id", "community_id", "channel_id", "is_direct", "thread_id", "display_name")


def _invocation_fields(inv: Invocation) -> dict[str, Any]:
    return {name: getattr(inv, name) for name in _INV_FIELDS}


def _invocation_from_fields(data: dict[str, Any], clicked: Invocation) -> Invocation:
    fields = {k: data.get(k) for k in _INV_FIELDS}
    fields["is_direct"] = bool(fields["is_direct"])
    return Invocation(**{**fields, "received_at": clicked.received_at, "text": ""})
