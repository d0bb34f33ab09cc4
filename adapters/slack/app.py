"""One Bolt app generated from the command registry, acking in milliseconds.

    adapter = SlackAdapter.from_app(chatops_app)       # SLACK_* settings
    adapter.start()                                     # the outbox sender
    response = adapter.bolt.dispatch(bolt_request)      # (http.py and Socket Mode do this)
    adapter.stop()

Every listener does the same three things on the request thread: build an
Invocation (``translate``), persist it as a durable work item keyed by Slack's
delivery id (``chatops.work``: one INSERT, committed before the ack), ack. A
redelivery finds the row and is acked without new work. If the database cannot
take it, the ack itself says so ("briefly unavailable, nothing was done"), and
a full queue answers "busy" — both audited (through the audit spool when the
database is down). The router never runs on the ack path: a worker of the
process's pool (``chatops.workers``) leases the item, runs the router, and
answers through the response_url while it is valid (30 minutes), else in a
direct message, with a line saying when an answer is late and why. A crash or a
deploy leaves the item in the database: the next start (or another worker)
runs it. Bolt runs with ``process_before_response=True`` (no 10 ms
ack-polling, no 5-thread listener pool), an ``authorize`` callable (no
auth.test) and without its own signature check (``http.py`` verifies the raw
bytes before Bolt sees the request; Socket Mode needs none).

Acks first (``chatops.workers.AckGate``): HTTP requests are counted by
``adapter.acks`` and a worker starts an item only when no ack is pending (at
most 0.5 s later); worker threads are started up front and keep their database
connection between items, so a burst of commands costs the acks as little CPU
as possible.

Listeners:
- every slash command (one regex listener: the registry decides what exists);
  a command missing required arguments (or free-text command typed bare, like
  ``/support``) opens a modal built from its schema;
- ``block_actions`` of our buttons (``action_id`` ``chatops:<n>``, the
  ``<token>.<verb>`` reference in ``value``) → ``router.handle_action``; any
  other action id (a button of an older version of the app) is acked 200 and
  the presser told, ephemerally, that the button is not valid any more;
- ``view_submission`` of our modals → a structured Invocation;
- ``message`` (DMs, message.im, with files: ``file_share``) and ``app_mention``
  events → text invocations, answered in the thread they were typed in,
  deduplicated across Events API retries by the event id (the work item's key).
  An event the database cannot take is answered 503 so Slack delivers it again;
  on Slack's last retry the user is told instead.
"""
from __future__ import annotations

import dataclasses
import logging
import re
import secrets
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Mapping

from slack_bolt import App as BoltApp
from slack_bolt import BoltResponse
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from slack_sdk.errors import SlackApiError

from chatops import messages, work
from chatops.app import App
from chatops.commands import Command
from chatops.db import DatabaseErrors
from chatops.invocation import Invocation
from chatops.reply import Reply
from chatops.workers import AckGate, Busy as QueueFull

from adapters.slack import modals, translate
from adapters.slack.config import SlackConfig
from adapters.slack.executor import BoundedExecutor, Busy
from adapters.slack.render import ACTION_PREFIX, is_error, render
from adapters.slack.sender import UNREACHABLE, OutboxSender, slack_error
from adapters.slack.usergroups import UserGroups
from adapters.slack.users import UserNames

log = logging.getLogger("adapters.slack")

KIND = "slack"  # the work items this adapter runs
BUSY = messages.BUSY
NOT_ACCEPTED = messages.NOT_ACCEPTED
UI_WORKERS = 4  # views.open must happen within 3 s of the trigger: its own small pool, never behind slow work
PERMISSION_PEEK_SECONDS = 1.5  # the policy check before a form gets this long, then the form opens anyway
RESPONSE_URL_LIFETIME = timedelta(minutes=29)  # Slack: 30 minutes (and 5 uses); a margin for the clock
LAST_EVENT_RETRY = 3  # Slack delivers an event at most 4 times (retries 1-3)


class RetryLater(RuntimeError):
    """An event the database could not take: answered 503 so Slack delivers it again."""


class AnswerFailed(RuntimeError):
    """Slack could not take the answer for now (network, 5xx, 429): the work item is tried again."""


@dataclass(frozen=True)
class Target:
    """Where a reply goes: a response_url, or a channel (DM / the thread of a mention)."""

    response_url: str | None = None
    channel_id: str | None = None
    user_id: str | None = None
    thread_ts: str | None = None
    direct: bool = False
    from_ephemeral: bool = False  # a button on an ephemeral message (e.g. a Confirm preview)
    replace: bool = False         # a button press: update the message that carried the button


class SlackAdapter:
    def __init__(self, chatops_app: App, config: SlackConfig, *, socket_mode: bool = False,
                 client: WebClient | None = None) -> None:
        if not config.bot_token:
            raise ValueError("the Slack adapter needs SLACK_BOT_TOKEN")
        if not socket_mode and not config.signing_secret:
            raise ValueError("Slack HTTP mode needs SLACK_SIGNING_SECRET")
        self.chatops = chatops_app
        self.config = config
        self.client = client or WebClient(token=config.bot_token, base_url=config.api_url, timeout=10)
        self.acks = AckGate()
        self.pool = chatops_app.work_pool(gate=self.acks)
        self.pool.add_handler(KIND, SlackWork(self))
        self.ui = BoundedExecutor(UI_WORKERS, 200, name="slack-ui")
        # The policy check before a form (may need a first-contact write or a user-group lookup): bounded, so
        # the trigger (valid 3 s) is never used up waiting for it.
        self.peek = ThreadPoolExecutor(max_workers=2, thread_name_prefix="slack-peek")
        self.names = UserNames(self.client)  # a mention that must not ping is shown as @name
        self.sender = OutboxSender(chatops_app, self.client, name_of=self.names)
        self.usergroups = UserGroups(self.client, config.usergroups_cache_seconds)
        self.bolt = self._build(socket_mode)
        # Synthetic slash commands carrying this value (http.warm_up) are acked and dropped: no work, no audit.
        self.warm_up_marker = secrets.token_hex(16)
        self.warm_ups = 0

    @classmethod
    def from_app(cls, chatops_app: App, **kwargs: Any) -> "SlackAdapter":
        return cls(chatops_app, SlackConfig.from_settings(chatops_app.settings), **kwargs)

    def start(self) -> "SlackAdapter":
        self.sender.start()
        self.pool.start()
        return self

    def stop(self, deadline: float | None = None) -> None:
        """Finish running work (up to ``deadline`` seconds, CHATOPS_DRAIN_SECONDS), then stop sending."""
        self.pool.stop(deadline)
        self.ui.shutdown(wait=True)
        self.peek.shutdown(wait=False, cancel_futures=True)
        self.sender.stop()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until no Slack work is queued or running here (tests, tools)."""
        import time

        from chatops.models import WorkItem

        end = time.monotonic() + timeout
        while time.monotonic() < end:
            busy = (WorkItem.select().where((WorkItem.kind == KIND) & WorkItem.state.in_(("queued", "running")))
                    .exists())
            if not busy and not self.pool._running:
                return True
            time.sleep(0.01)
        return False

    # ---- Bolt ---------------------------------------------------------------------------
    def _build(self, socket_mode: bool) -> BoltApp:
        token = self.config.bot_token

        def authorize(enterprise_id: str | None = None, team_id: str | None = None) -> AuthorizeResult:
            # One workspace, one bot token: no auth.test, no lookups on the ack path.
            return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token=token)

        bolt = BoltApp(
            name="chatops",
            # Bolt's own client only backs context.client; ours (with the token) does the work.
            client=WebClient(base_url=self.config.api_url, timeout=10),
            signing_secret=self.config.signing_secret or "socket-mode",
            authorize=authorize,
            process_before_response=True,
            request_verification_enabled=False,  # http.py checks the signature over the raw bytes first
            token_verification_enabled=False,
            ignoring_self_events_enabled=False,  # we drop every bot message ourselves
            logger=logging.getLogger("adapters.slack.bolt"),
        )
        bolt.command(re.compile(r"^/.+"))(self._on_command)
        bolt.action(re.compile("^" + re.escape(ACTION_PREFIX)))(self._on_action)
        bolt.action(re.compile(".*"))(self._on_unknown_action)  # not ours (any more): 200 and say so, never 404
        bolt.view_submission(modals.CALLBACK_ID)(self._on_view_submission)
        bolt.event("message")(self._on_event)
        bolt.event("app_mention")(self._on_event)
        bolt.event("app_home_opened")(self._on_home)
        bolt.event(re.compile(".*"))(self._ignore_event)  # other subscribed events: 200, no retries
        bolt.error(self._on_error)
        return bolt

    def _now(self):
        return self.chatops.router.clock()

    # ---- listeners: ack path (one INSERT, no Slack API calls) -------------------------
    def _accept(self, key: str | None, payload: dict[str, Any], inv: Invocation) -> str | None:
        """Persist the request as work; None when accepted, else the text the ack must say."""
        key = key or f"slack:request:{secrets.token_hex(12)}"
        try:
            accepted = self.pool.accept(KIND, key, payload)
        except QueueFull as exc:
            self._refused(inv, "refused", f"busy: {exc}; the requester was told to try again")
            return BUSY
        except DatabaseErrors as exc:
            log.error("Slack request not accepted, the database is unavailable: %s", exc)
            self._refused(inv, "failed", f"not accepted, the database was unavailable ({exc}); nothing was done, "
                                         "the requester was told to try again")
            self.chatops.db.close()  # a broken connection: the next request opens a new one
            return NOT_ACCEPTED
        if accepted.duplicate:
            self._duplicate(inv, accepted.item)
        return None

    def _duplicate(self, inv: Invocation, item) -> None:
        """A redelivery of accepted work: acked, not run again, and on record (off the ack path)."""
        def record() -> None:
            try:
                work.audit_duplicate(inv, item, now=self._now())
            except DatabaseErrors:
                self._refused(inv, "duplicate", f"repeated delivery of {item.key}: already accepted")
            finally:
                if not self.chatops.db.is_closed():
                    self.chatops.db.close()

        try:
            self.ui.submit(record)
        except Busy:
            log.warning("Slack UI pool full: the duplicate delivery of %s is not audited", item.key)

    def _refused(self, inv: Invocation, outcome: str, detail: str) -> None:
        """Audit a request answered at the ack, without the database (the spool adds it later)."""
        work.audit_refused(self.chatops.settings, inv, outcome, detail, now=self._now())

    def on_slash_command(self, body: Mapping[str, Any]) -> str:
        """The ack of a slash command without Bolt's dispatch (http.py's fast path): "" or the text to show."""
        said: list[str] = []

        def ack(text: str = "", **_: Any) -> None:
            said.append(text or "")

        self._on_command(ack, body)
        return said[-1] if said else ""

    def _on_command(self, ack, body: Mapping[str, Any]) -> None:
        inv = translate.from_slash_command(body, now=self._now())
        response_url = body.get("response_url") if isinstance(body.get("response_url"), str) else None
        target = Target(response_url=response_url, channel_id=inv.channel_id, user_id=inv.user_id,
                        direct=inv.is_direct)
        command = self.chatops.registry.get(translate.command_name(body))
        trigger_id = body.get("trigger_id")
        if command is not None and isinstance(trigger_id, str) and trigger_id:
            typed = modals.needs_form(command, translate.slash_text(body))
            if typed is not None:
                origin = modals.Origin(channel_id=inv.channel_id, response_url=response_url)
                try:
                    self.ui.submit(self._open_modal, command, typed, trigger_id, origin, target, inv)
                except Busy:
                    ack(text=BUSY)
                    return
                ack()
                return
        if body.get("chatops_warm_up") == self.warm_up_marker:
            self.warm_ups += 1  # http.warm_up: the whole ack path ran; nothing is submitted
            ack()
            return
        refusal = self._accept(inv.idempotency_key, _payload("command", inv, target), inv)
        if refusal:
            ack(text=refusal)
            return
        ack()

    def _on_action(self, ack, body: Mapping[str, Any], action: Mapping[str, Any]) -> None:
        ref, inv = translate.from_block_action(body, action, now=self._now())
        container = body.get("container") if isinstance(body.get("container"), Mapping) else {}
        target = Target(response_url=body.get("response_url") if isinstance(body.get("response_url"), str) else None,
                        channel_id=inv.channel_id, user_id=inv.user_id, direct=inv.is_direct,
                        from_ephemeral=bool(container.get("is_ephemeral")), replace=True)
        refusal = self._accept(inv.idempotency_key, _payload("action", inv, target, ref=ref), inv)
        if refusal:
            self._submit_notice(target, Reply.text(refusal, style="warning", ephemeral=True))
        ack()

    def _on_unknown_action(self, ack, body: Mapping[str, Any]) -> None:
        """A press of a button this app does not know (an older version's, or one it never made): nothing
        runs; the presser is told, privately, instead of Slack's error mark on a 404."""
        ack()
        user = body.get("user") if isinstance(body.get("user"), Mapping) else {}
        channel = body.get("channel") if isinstance(body.get("channel"), Mapping) else {}
        actions = body.get("actions") if isinstance(body.get("actions"), list) else []
        action_id = actions[0].get("action_id") if actions and isinstance(actions[0], Mapping) else None
        log.info("Slack press of unknown action %r by %s: told it is not valid", action_id, user.get("id"))
        response_url = body.get("response_url") if isinstance(body.get("response_url"), str) else None
        target = Target(response_url=response_url, channel_id=channel.get("id") if response_url is None else None,
                        user_id=user.get("id") if isinstance(user.get("id"), str) else None, replace=True)
        if target.response_url or (target.channel_id and target.user_id):
            self._submit_notice(target, Reply.text(messages.ACTION_UNKNOWN, style="warning", ephemeral=True))

    def _on_view_submission(self, ack, body: Mapping[str, Any], view: Mapping[str, Any]) -> None:
        try:
            name, origin = modals.read_metadata(dict(view))
        except ValueError as exc:
            raise translate.MalformedPayload(str(exc)) from None
        command = self.chatops.registry.get(name)
        if command is None:
            raise translate.MalformedPayload(f"modal for an unknown command {name!r}")
        raw = modals.submission_arguments(command, dict(view))
        inv = translate.from_view_submission(body, command.name, raw, channel_id=origin.channel_id,
                                             thread_id=origin.thread_id, now=self._now())
        errors = modals.field_errors(command, raw, inv)
        if errors:
            ack(response_action="errors", errors=errors)
            return
        target = Target(response_url=origin.response_url, channel_id=inv.channel_id or inv.user_id,
                        user_id=inv.user_id, direct=inv.is_direct or not inv.channel_id)
        refusal = self._accept(inv.idempotency_key, _payload("command", inv, target), inv)
        if refusal:  # keep the form open, with what was typed, and say why
            ack(response_action="errors", errors={modals.BLOCK_PREFIX + command.params[0].name: refusal[:150]}
                if command.params else {})
            return
        ack()

    def _on_event(self, body: Mapping[str, Any], request=None) -> None:
        inv = translate.from_message_event(body, now=self._now())
        if inv is None:
            return
        target = Target(channel_id=inv.channel_id, user_id=inv.user_id, thread_ts=inv.thread_id,
                        direct=inv.is_direct)
        retry = _retry_num(request)
        try:
            accepted = self.pool.accept(KIND, inv.idempotency_key or f"slack:event:{secrets.token_hex(12)}",
                                        _payload("command", inv, target))
            if accepted.duplicate:
                self._duplicate(inv, accepted.item)
        except (QueueFull, *DatabaseErrors) as exc:
            if isinstance(exc, DatabaseErrors):
                self.chatops.db.close()
            if retry < LAST_EVENT_RETRY:
                raise RetryLater(str(exc)) from None  # 503: Slack delivers it again in a while
            # Slack's last delivery: say so rather than let the message vanish.
            busy = isinstance(exc, QueueFull)
            self._refused(inv, "refused" if busy else "failed",
                          f"not accepted on Slack's last retry ({exc}); the user was told to try again")
            self._submit_notice(target, Reply.text(BUSY if busy else NOT_ACCEPTED, style="warning"))

    def _on_home(self, body: Mapping[str, Any]) -> None:
        """The App Home tab opened: publish the person's ``my`` (tickets, approvals, what they may run), run
        as a durable work item like any request (audited as `my`)."""
        inv = translate.from_home_opened(body, now=self._now())
        if inv is None:
            return
        target = Target(user_id=inv.user_id, direct=True)
        try:
            accepted = self.pool.accept(KIND, inv.idempotency_key or f"slack:event:{secrets.token_hex(12)}",
                                        _payload("home", inv, target))
            if accepted.duplicate:
                self._duplicate(inv, accepted.item)
        except (QueueFull, *DatabaseErrors) as exc:  # the tab keeps its last view; the next opening tries again
            log.warning("Slack App Home for %s not refreshed: %s", inv.user_id, exc)

    def publish_home(self, user_id: str, reply: Reply) -> None:
        """views.publish of the App Home tab (what ``my`` answered)."""
        view = {"type": "home", "blocks": render(reply, self.names)["blocks"][:100]}
        try:
            self.client.views_publish(user_id=user_id, view=view)
        except SlackApiError as exc:
            status = getattr(exc.response, "status_code", None)
            if status == 429 or (status or 0) >= 500:
                raise AnswerFailed(f"views.publish answered {status}") from exc
            log.warning("Slack App Home for %s not published: %s", user_id, exc.response.get("error"))
        except (OSError, TimeoutError) as exc:
            raise AnswerFailed(f"views.publish: {exc}") from exc

    def _ignore_event(self, body: Mapping[str, Any]) -> None:
        return None

    def _on_error(self, error: Exception, body: Any = None) -> BoltResponse:
        if isinstance(error, (Busy, RetryLater, QueueFull)):
            log.warning("Slack event refused for now: %s", error)
            return BoltResponse(status=503, body="busy")
        if isinstance(error, (translate.MalformedPayload, KeyError, TypeError, AttributeError, ValueError)):
            log.warning("malformed Slack request: %s: %s", type(error).__name__, error)
            return BoltResponse(status=400, body="malformed request")
        log.error("Slack request failed", exc_info=error)
        return BoltResponse(status=500, body="")

    # ---- workers (chatops.workers runs SlackWork.run) ------------------------------------
    def _with_roles(self, inv: Invocation) -> Invocation:
        roles = self.usergroups.roles_for(inv.community_id, inv.user_id)
        return dataclasses.replace(inv, platform_roles=inv.platform_roles | roles) if roles else inv

    def _open_modal(self, command: Command, prefill: dict[str, str], trigger_id: str, origin: modals.Origin,
                    target: Target, inv: Invocation | None = None) -> None:
        if inv is not None and not self._may_open_form(command, inv):
            # No form for someone who may not run it: accepted as the command, the router answers its denial.
            try:
                refusal = self._accept(inv.idempotency_key, _payload("command", inv, target), inv)
            finally:
                if not self.chatops.db.is_closed():
                    self.chatops.db.close()
            if refusal:
                self.answer(Reply.text(refusal, style="warning", ephemeral=True), target)
            return
        view = modals.build_modal(command, prefill=prefill, origin=origin)
        try:
            self.client.views_open(trigger_id=trigger_id, view=view)
        except Exception as exc:  # noqa: BLE001 - tell the user rather than failing silently
            log.warning("views.open for %s failed: %s", command.name, exc)
            self.answer(Reply.text(f"Could not open the form for `{command.name}`. Type the arguments instead: "
                                   f"`/{command.usage}`", style="warning", ephemeral=True), target)

    def _may_open_form(self, command: Command, inv: Invocation) -> bool:
        """The core's policy, asked before a form opens; when it cannot tell within PERMISSION_PEEK_SECONDS
        (or fails: the database is away), the form opens and the run decides."""
        def check() -> bool:
            try:
                return self.chatops.router.may_run(command, self._with_roles(inv))
            finally:
                if not self.chatops.db.is_closed():
                    self.chatops.db.close()

        try:
            return self.peek.submit(check).result(timeout=PERMISSION_PEEK_SECONDS)
        except FutureTimeout:
            log.warning("policy check before the form of %s took over %.1f s; showing the form", command.name,
                        PERMISSION_PEEK_SECONDS)
        except Exception:  # noqa: BLE001 - the database is away, or a bug: the run answers it properly
            log.exception("policy check before the form of %s failed; showing the form", command.name)
        return True

    def _submit_notice(self, target: Target, reply: Reply) -> None:
        try:
            self.ui.submit(self.answer, reply, target)
        except Busy:
            log.error("Slack UI pool full; dropped a notice for %s", target.user_id)

    # ---- output -------------------------------------------------------------------------
    def answer(self, reply: Reply, target: Target, *, received_at=None) -> None:
        """Send ``reply`` where ``target`` says.

        The response_url while it is valid (Slack: 30 minutes), else a direct message to the user.
        A refusal that will not change (a channel the bot is not in, an expired response_url) falls
        back to the direct message; a passing failure (network, 5xx, 429) raises :class:`AnswerFailed`
        so the work is tried again (the core answers a repeat from its stored reply).
        """
        payload = render(reply, self.names)
        fresh = received_at is None or self._now() - received_at < RESPONSE_URL_LIFETIME
        try:
            if target.response_url and fresh:
                if self._respond(reply, payload, target):
                    return
            elif target.direct and target.channel_id:
                self.client.chat_postMessage(channel=target.channel_id, thread_ts=target.thread_ts,
                                             unfurl_links=False, **payload)
                return
            elif target.channel_id and reply.ephemeral and target.user_id and not target.response_url:
                self.client.chat_postEphemeral(channel=target.channel_id, user=target.user_id,
                                               thread_ts=target.thread_ts, **payload)
                return
            elif target.channel_id and not target.response_url:
                self.client.chat_postMessage(channel=target.channel_id, thread_ts=target.thread_ts,
                                             unfurl_links=False, **payload)
                return
            self._direct_message(target, payload, reply)
        except SlackApiError as exc:
            status, error = slack_error(exc)
            first = error
            if error in UNREACHABLE and target.user_id:
                # Not in that channel, or it is a DM between two other people (a /support typed there): the bot's
                # own DM with the asker still reaches them.
                log.warning("Slack refused reply %s in %s (%s): sending it as a direct message to %s",
                            reply.correlation_id, target.channel_id, error, target.user_id)
                try:
                    if self._direct_message(target, payload, reply, not_in=target.channel_id):
                        return
                    error = "no direct message channel"
                except SlackApiError as again:
                    exc = again
                    status, error = slack_error(again)
            if status == 429 or status >= 500 or error in ("ratelimited", "service_unavailable", "fatal_error",
                                                           "internal_error", "request_timeout"):
                raise AnswerFailed(f"Slack answered {status} {error}") from exc
            log.error("could not deliver Slack reply %s to %s: %s%s", reply.correlation_id,
                      target.channel_id or target.user_id, first,
                      f"; nor as a direct message: {error}" if error != first else "")
        except (OSError, TimeoutError) as exc:  # the network: try again
            raise AnswerFailed(f"{type(exc).__name__}: {exc}") from exc

    def _direct_message(self, target: Target, payload: dict[str, Any], reply: Reply, *,
                        not_in: str | None = None) -> bool:
        """Post in the bot's DM with the user; False when there is none (or it is ``not_in``, which failed)."""
        if not target.user_id:
            log.warning("no place to answer reply %s", reply.correlation_id)
            return False
        opened = self.client.conversations_open(users=target.user_id)
        channel = (opened.get("channel") or {}).get("id")
        if not channel or channel == not_in:
            log.error("no direct message channel for %s (conversations.open gave %r); reply %s undelivered",
                      target.user_id, channel, reply.correlation_id)
            return False
        self.client.chat_postMessage(channel=channel, unfurl_links=False, **payload)
        return True

    def _respond(self, reply: Reply, payload: dict[str, Any], target: Target) -> bool:
        """Through the response_url; False when Slack no longer takes it (expired, used up)."""
        body: dict[str, Any] = dict(payload)
        replace = target.replace and not is_error(reply) and (target.from_ephemeral or not reply.ephemeral
                                                              or reply.in_place)
        if replace:
            body["replace_original"] = True
        else:
            body["response_type"] = "ephemeral" if reply.ephemeral or is_error(reply) else "in_channel"
            if target.replace:
                body["replace_original"] = False
        response = WebhookClient(target.response_url, timeout=10).send_dict(body)
        if response.status_code == 200:
            return True
        if response.status_code == 429 or response.status_code >= 500:
            raise AnswerFailed(f"response_url answered {response.status_code}")
        log.warning("response_url answered %s for reply %s: %s; sending a direct message instead",
                    response.status_code, reply.correlation_id, response.body[:200])
        return False


def _payload(op: str, inv: Invocation, target: Target, **extra: Any) -> dict[str, Any]:
    fields = {f: getattr(target, f) for f in _TARGET_FIELDS}
    return {"op": op, "inv": inv.to_dict(), "target": fields, **extra}


_TARGET_FIELDS = tuple(f.name for f in dataclasses.fields(Target))


def _retry_num(request: Any) -> int:
    headers = getattr(request, "headers", None) or {}
    value = headers.get("x-slack-retry-num") or headers.get("X-Slack-Retry-Num") or ["0"]
    if isinstance(value, (list, tuple)):
        value = value[0] if value else "0"
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


class SlackWork:
    """The worker side: run an accepted Slack request through the core and answer it."""

    def __init__(self, adapter: SlackAdapter) -> None:
        self.adapter = adapter

    def run(self, item) -> None:
        adapter = self.adapter
        payload = item.payload or {}
        inv = adapter._with_roles(Invocation.from_dict(payload["inv"]))
        reply = work.run_request(adapter.chatops.router, item, inv)
        adapter.sender.kick()
        if reply is not None and payload.get("op") == "home":
            adapter.publish_home(inv.user_id, reply)
        elif reply is not None:
            adapter.answer(reply, Target(**payload["target"]), received_at=inv.received_at)

    def dead(self, item, reason: str) -> None:
        adapter = self.adapter
        payload = item.payload or {}
        inv = Invocation.from_dict(payload["inv"])
        reply = work.dead_letter_reply(adapter.chatops.settings, item, inv, reason, now=adapter._now())
        adapter.answer(reply, Target(**payload["target"]), received_at=inv.received_at)
