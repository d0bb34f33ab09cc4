"""HTTP interactions: ``POST /discord/interactions`` in the Flask app — Discord commands without a gateway.

    init_app(flask_app, chatops_app)   # no-op unless DISCORD_PUBLIC_KEY (and DISCORD_TOKEN) are set

Discord POSTs each interaction to the application's Interactions Endpoint URL (Developer Portal →
General Information) instead of sending it over the gateway. In order:

1. ``X-Signature-Ed25519`` (128 hex digits) and ``X-Signature-Timestamp`` (unix seconds, at most 5
   minutes off) must be there and plausible, else 401 before the body is read; then the Ed25519
   signature of ``timestamp + raw body`` is checked with the application's public key
   (``DISCORD_PUBLIC_KEY``): a wrong one is 401 (Discord tests exactly this when the URL is saved).
   A body that is not an interaction is 400, never 500. Verification uses ``cryptography`` (its
   Ed25519 needs no libsodium; PyNaCl would be the other choice, and discord.py wants neither).
2. PING (type 1) → PONG (type 1).
3. Everything else is translated by the same code as the gateway bot (``translate.from_payload`` →
   ``translate.invocation``, ``appcommands.options_to_arguments``, ``modals``), accepted as the same
   durable work item (``intake.accept``: one INSERT, keyed ``discord:interaction:<id>``) and answered
   at once with a deferred response: a command type 5 (flag 64, ephemeral, when the core's
   ``private_first`` says so), a press type 6. The work starts when the response has been written
   (``call_on_close``), so the follow-up cannot overtake it; any worker process runs it
   (``DiscordWork``) and answers through the interaction's webhook (``POST /webhooks/{app}/{token}``,
   ``PATCH …/messages/@original`` for a press on an ephemeral preview), or a DM after 15 minutes.
   A command that needs a form answers type 9 (the modal) directly, after the policy peek.
   A repeated delivery of an interaction id is acked again and audited ``duplicate``, never run twice.
   A database that cannot take the request, or a full queue, is answered at once (type 4, ephemeral).

Answers need Discord's REST API, so this process runs the bot's REST client (``runner.RestOnly``, no
gateway) with ``DISCORD_TOKEN``; it also delivers the outbox. DMs to the bot still arrive only over the
gateway: run ``chatops discord run`` (or ``chatops run`` with DISCORD_GATEWAY on) somewhere for those.
The endpoint object is kept in ``flask_app.extensions["chatops.discord"]``.
"""
from __future__ import annotations

import atexit
import json
import logging
import re
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, Callable, Mapping

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from flask import Flask, Response, request

from adapters.discord import intake, messages
from adapters.discord.appcommands import options_to_arguments
from adapters.discord.modals import (MAX_INPUTS, FormMemory, build_modal, form_state, parse_form_id, parse_refill_id,
                                     refill_form)
from adapters.discord.render import NO_PINGS, render
from adapters.discord.translate import MalformedInteraction, from_payload
from adapters.discord.views import CUSTOM_ID_PREFIX, is_ours
from chatops import messages as core_messages
from chatops import metrics, work
from chatops.commands import Command
from chatops.db import DatabaseErrors
from chatops.reply import Reply

log = logging.getLogger("adapters.discord.http")

PATH = "/discord/interactions"
EXTENSION = "chatops.discord"
MAX_SKEW = 300  # seconds: a timestamp further off is a replay (or a clock that is wrong)
PERMISSION_PEEK_SECONDS = 1.5
# Interaction types (Discord → us) and callback types (our answer)
PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5
PONG, CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE_MESSAGE, AUTOCOMPLETE_RESULT, MODAL = 1, 4, 5, 6, 8, 9
EPHEMERAL = 64

_SIGNATURE = re.compile(r"[0-9a-fA-F]{128}")


class Verifier:
    """Discord's request signature: Ed25519 over ``timestamp + body`` with the application's public key.

        verifier = Verifier("a1b2…")                 # 64 hex digits, DISCORD_PUBLIC_KEY
        verifier.plausible(signature, timestamp)     # the headers' shape and the timestamp's age only
        verifier.verify(signature, timestamp, raw)   # both, and the signature itself
    """

    def __init__(self, public_key_hex: str, *, max_skew: float = MAX_SKEW, clock: Callable[[], float] = time.time):
        self.key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex))
        self.max_skew = max_skew
        self.clock = clock

    def plausible(self, signature: str, timestamp: str) -> bool:
        return (bool(_SIGNATURE.fullmatch(signature or "")) and timestamp.isdigit() and len(timestamp) <= 12
                and abs(self.clock() - int(timestamp)) <= self.max_skew)

    def verify(self, signature: str, timestamp: str, body: bytes) -> bool:
        if not self.plausible(signature, timestamp):
            return False
        try:
            self.key.verify(bytes.fromhex(signature), timestamp.encode() + body)
        except InvalidSignature:
            return False
        return True


class Answer:
    """What the endpoint answers: a status, a JSON body, and what to do once it is sent (start the work)."""

    def __init__(self, status: int, body: Any, after: Callable[[], None] | None = None) -> None:
        self.status, self.body, self.after = status, body, after

    @classmethod
    def message(cls, text: str, *, style: str = "error") -> "Answer":
        """An ephemeral message as the first response (type 4): an error, a refusal."""
        content = render(Reply.text(text, style=style, ephemeral=True)).content
        return cls(200, {"type": CHANNEL_MESSAGE,
                         "data": {"content": content, "flags": EPHEMERAL, "allowed_mentions": NO_PINGS.to_dict()}})


class Endpoint:
    """The interactions endpoint without Flask: ``handle(headers, raw) -> Answer`` (the view is three lines)."""

    def __init__(self, app, pool, verifier: Verifier, *, forms: FormMemory | None = None) -> None:
        self.app = app
        self.pool = pool
        self.verifier = verifier
        self.forms = forms or FormMemory()
        self.peek = ThreadPoolExecutor(2, thread_name_prefix="chatops-discord-http-peek")

    def close(self) -> None:
        self.peek.shutdown(wait=False, cancel_futures=True)

    # ---- the request ---------------------------------------------------------------------------
    def plausible(self, headers: Mapping[str, str]) -> bool:
        """Checked before the body is read: a request without Discord's headers gets 401 at once."""
        return self.verifier.plausible(headers.get("X-Signature-Ed25519", ""), headers.get("X-Signature-Timestamp", ""))

    def handle(self, headers: Mapping[str, str], raw: bytes) -> Answer:
        signature = headers.get("X-Signature-Ed25519", "")
        timestamp = headers.get("X-Signature-Timestamp", "")
        if not self.verifier.verify(signature, timestamp, raw):
            return Answer(401, {"error": "invalid request signature"})
        try:
            payload = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return Answer(400, {"error": "malformed request"})
        if not isinstance(payload, dict) or not isinstance(payload.get("type"), int):
            return Answer(400, {"error": "malformed request"})
        kind = payload["type"]
        if kind == PING:
            return Answer(200, {"type": PONG})
        try:
            if kind == APPLICATION_COMMAND:
                return self.command(payload)
            if kind == MESSAGE_COMPONENT:
                return self.component(payload)
            if kind == MODAL_SUBMIT:
                return self.form(payload)
            if kind == AUTOCOMPLETE:  # the schema declares no autocomplete: nothing to offer
                return Answer(200, {"type": AUTOCOMPLETE_RESULT, "data": {"choices": []}})
        except MalformedInteraction as exc:
            log.warning("discord http: malformed interaction %s: %s", str(payload.get("id"))[:30], exc)
            return Answer(400, {"error": "malformed interaction"})
        except Exception:  # noqa: BLE001 - one bad interaction gets an answer, never a 500
            log.exception("discord http: interaction %s failed", str(payload.get("id"))[:30])
            return Answer.message(messages.UNREADABLE)
        return Answer(400, {"error": f"unknown interaction type {kind}"})

    # ---- app commands -----------------------------------------------------------------------------
    def command(self, payload: dict[str, Any]) -> Answer:
        data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
        name = data.get("name")
        try:
            if not isinstance(name, str) or not name:
                raise ValueError("no command name")
            raw = options_to_arguments(data.get("options"))
        except ValueError as exc:
            log.warning("discord http: malformed command interaction %s: %s", payload.get("id"), exc)
            return Answer.message(messages.UNREADABLE)
        command = self.app.registry.get(name)
        if command is not None:
            params = command.form_fields(raw, limit=MAX_INPUTS)
            modal = build_modal(command, params, payload.get("id")) if params else None
            if modal is not None and self._may_run(command, payload):
                return self._open(str(payload["id"]), command.name, raw, modal)
        return self._route(payload, command, name, raw)

    def _may_run(self, command: Command, payload: dict[str, Any]) -> bool:
        """The core's policy before a form opens (the router answers a denial); undecided in 1.5 s: the form."""
        inv = from_payload(payload)
        db = self.app.db

        def allowed() -> bool:
            opened = db.connect(reuse_if_open=True)
            try:
                return self.app.router.may_run(command, inv)
            finally:
                if opened and not db.is_closed():
                    db.close()

        try:
            return self.peek.submit(allowed).result(PERMISSION_PEEK_SECONDS)
        except FutureTimeout:
            log.warning("discord http: policy check for /%s took over %.1fs; showing the form", command.name,
                        PERMISSION_PEEK_SECONDS)
            return True
        except DatabaseErrors:
            return True  # the form opens; its submission is refused at the ack if the database is still down

    def _route(self, payload: dict[str, Any], command: Command | None, name: str, raw: dict[str, str], *,
               form: dict[str, Any] | None = None) -> Answer:
        ephemeral = intake.defer_ephemeral(command)
        inv = from_payload(payload, command=name, arguments=raw)
        extra: dict[str, Any] = {"form": form} if form else {}
        body = self._request("command", inv, payload, ephemeral=ephemeral, **extra)
        deferred = {"type": DEFERRED_CHANNEL_MESSAGE, "data": {"flags": EPHEMERAL} if ephemeral else {}}
        return self._accept(inv.idempotency_key, body, inv, deferred)

    # ---- buttons ----------------------------------------------------------------------------------
    def component(self, payload: dict[str, Any]) -> Answer:
        data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
        custom_id = str(data.get("custom_id") or "")
        refill = parse_refill_id(custom_id)
        if refill is not None:
            return self._refill(payload, refill)
        if not is_ours(custom_id):
            log.warning("discord http: press with an unknown custom_id %r", custom_id[:100])
            return Answer.message(core_messages.ACTION_UNKNOWN)
        inv = from_payload(payload)
        message = payload.get("message") if isinstance(payload.get("message"), dict) else {}
        on_ephemeral = bool(int(message.get("flags") or 0) & EPHEMERAL)
        body = self._request("press", inv, payload, ref=custom_id[len(CUSTOM_ID_PREFIX):], on_ephemeral=on_ephemeral)
        return self._accept(f"discord:interaction:{payload['id']}", body, inv, {"type": DEFERRED_UPDATE_MESSAGE})

    def _refill(self, payload: dict[str, Any], interaction_id: str) -> Answer:
        try:
            stored = work.payload_of(f"discord:interaction:{interaction_id}")
        except DatabaseErrors:
            stored = None
        user_id = from_payload(payload).user_id
        modal, refusal, name, given = refill_form(self.app.registry, stored, user_id, payload["id"])
        if modal is None:
            return Answer.message(refusal)
        return self._open(str(payload["id"]), name, given, modal)

    # ---- forms ------------------------------------------------------------------------------------
    def _open(self, form_id: str, name: str, given: dict[str, str], modal) -> Answer:
        """The modal at once; the options given with the command kept here now and in the database once the
        modal is sent (a slow database never holds it past Discord's 3 s)."""
        self.forms.keep_local(form_id, name, given)
        return Answer(200, {"type": MODAL, "data": modal.to_dict()},
                      after=lambda: self._with_db(self.forms.store, form_id, name, given))

    def _with_db(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn`` with this thread's connection, closed afterwards if opened here (after the response, the
        request's own connection is gone). Never raises: a failure is logged."""
        db = self.app.db
        try:
            opened = db.connect(reuse_if_open=True)
        except DatabaseErrors as exc:
            log.warning("discord http: no database for a form draft (%s)", exc)
            return None
        try:
            return fn(*args)
        finally:
            if opened and not db.is_closed():
                db.close()

    def form(self, payload: dict[str, Any]) -> Answer:
        data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
        parsed = parse_form_id(str(data.get("custom_id") or ""))
        if parsed is None:
            log.warning("discord http: modal submit with an unknown custom_id %r", str(data.get("custom_id"))[:100])
            return Answer.message(messages.FORM_EXPIRED)
        name, form_id = parsed
        local = self.forms.take_local(form_id, name)
        # Opened in another process (or before a restart): the draft in the database. Opened here: the draft is
        # dropped once the answer is out (a form is submitted once).
        given = local if local is not None else (self.forms.take_stored(form_id, name) or {})
        raw, form = form_state(data, given)
        answer = self._route(payload, self.app.registry.get(name), name, raw, form=form)
        if local is not None:
            answer.after = _then(answer.after, lambda: self._with_db(self.forms.take_stored, form_id, name))
        return answer

    # ---- accepting ---------------------------------------------------------------------------------
    @staticmethod
    def _request(op: str, inv, payload: dict[str, Any], **extra: Any) -> dict[str, Any]:
        token = payload.get("token")
        if not isinstance(token, str) or not token or not str(payload.get("application_id") or "").isdigit():
            raise MalformedInteraction("no token or application id")
        return intake.request_payload(op, inv, token=token, application_id=payload["application_id"],
                                      interaction_id=payload["id"], transport="http", **extra)

    def _accept(self, key: str, body: dict[str, Any], inv, deferred: dict[str, Any]) -> Answer:
        taken = intake.accept(self.app, self.pool, key, body, inv)
        if taken.refusal is not None:
            return Answer.message(taken.refusal, style="warning")
        if taken.accepted is None:  # a repeated delivery: acked again, answered once (by the first)
            return Answer(200, deferred)
        item = taken.accepted.item
        return Answer(200, deferred, after=lambda: self.pool.hand_off(item))


def _then(first: Callable[[], None] | None, second: Callable[[], None]) -> Callable[[], None]:
    def both() -> None:
        try:
            if first is not None:
                first()
        finally:
            second()
    return both


def init_app(flask_app: Flask, chatops_app) -> Endpoint | None:
    """Mount ``POST /discord/interactions`` when DISCORD_PUBLIC_KEY is set (and start the REST client)."""
    settings = chatops_app.settings.discord
    if not settings.public_key:
        log.info("Discord HTTP interactions are off (set DISCORD_PUBLIC_KEY to mount %s)", PATH)
        return None
    if not settings.token:
        log.error("DISCORD_PUBLIC_KEY is set but DISCORD_TOKEN is not: %s is not mounted (answers are sent "
                  "through Discord's REST API with the bot token)", PATH)
        return None
    from adapters.discord.bot import DiscordBot
    from adapters.discord.runner import RestOnly

    pool = chatops_app.work_pool()
    rest = RestOnly(DiscordBot(chatops_app, run_sender=True)).start()  # a refused token stops start-up here
    pool.start()
    endpoint = Endpoint(chatops_app, pool, Verifier(settings.public_key), forms=rest.bot.forms)
    endpoint.rest = rest  # type: ignore[attr-defined]
    flask_app.extensions[EXTENSION] = endpoint
    atexit.register(endpoint.close)
    atexit.register(rest.stop)
    atexit.register(pool.stop)  # a server that exits without `chatops run`'s stop (gunicorn): drain first

    def discord_interactions() -> Response:
        with metrics.ack_timer("discord"):  # chatops_ack_seconds{platform="discord"}; refusals by reason
            if not endpoint.plausible(request.headers):  # nothing of the body is read for it
                answer = Answer(401, {"error": "invalid request signature"})
            else:
                answer = endpoint.handle(request.headers, request.get_data(cache=False))
            metrics.http_refusal("discord", answer.status)
            return _json(answer)

    flask_app.add_url_rule(PATH, "discord_interactions", discord_interactions, methods=["POST"])
    log.info("Discord HTTP interactions at %s", PATH)
    return endpoint


def _json(answer: Answer) -> Response:
    response = Response(json.dumps(answer.body), status=answer.status, mimetype="application/json")
    if answer.after is not None:
        response.call_on_close(answer.after)  # once the answer is written: the follow-up cannot overtake it
    return response
