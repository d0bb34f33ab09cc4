"""One Bolt app generated from the command registry, acking in milliseconds.

    adapter = SlackAdapter.from_app(chatops_app)       # SLACK_* settings
    adapter.start()                                     # the outbox sender
    response = adapter.bolt.dispatch(bolt_request)      # (http.py and Socket Mode do this)
    adapter.stop()

Every listener does the same three things on the request thread: build an
Invocation (``translate``), hand the work to the bounded executor, ack. The
router never runs on the ack path; its Reply is rendered (``render``) and sent
through the response_url, chat.postMessage or chat.postEphemeral from the
worker. Bolt runs with ``process_before_response=True`` (no 10 ms ack-polling,
no 5-thread listener pool), an ``authorize`` callable (no auth.test) and without
its own signature check (``http.py`` verifies the raw bytes before Bolt sees
the request; Socket Mode needs none).

Acks first (see ``executor``): HTTP requests are counted by ``adapter.acks``
and a worker starts a command only when no ack is pending (at most 0.5 s
later); worker threads are started up front and keep their database
connection between commands (``dbconn``), so a burst of commands costs the
acks as little CPU as possible.

Listeners:
- every slash command (one regex listener: the registry decides what exists);
  a command missing required arguments (or free-text command typed bare, like
  ``/support``) opens a modal built from its schema;
- ``block_actions`` of our buttons (``action_id`` ``chatops:<n>``, the
  ``<token>.<verb>`` reference in ``value``) → ``router.handle_action``;
- ``view_submission`` of our modals → a structured Invocation;
- ``message`` (DMs, message.im) and ``app_mention`` events → text invocations,
  deduplicated across Events API retries by the core's idempotency key.
"""
from __future__ import annotations

import dataclasses
import logging
import re
import secrets
from dataclasses import dataclass
from typing import Any, Mapping

from slack_bolt import App as BoltApp
from slack_bolt import BoltResponse
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from chatops.app import App
from chatops.commands import Command
from chatops.invocation import Invocation
from chatops.reply import Reply

from adapters.slack import modals, translate
from adapters.slack.config import SlackConfig
from chatops.connections import ThreadConnections
from adapters.slack.executor import AckGate, BoundedExecutor, Busy
from adapters.slack.render import ACTION_PREFIX, is_error, render
from adapters.slack.sender import OutboxSender
from adapters.slack.usergroups import UserGroups

log = logging.getLogger("adapters.slack")

BUSY = "The bot is very busy right now and could not take this. Nothing was done; please try again in a minute."
UI_WORKERS = 4  # views.open must happen within 3 s of the trigger: its own small pool, never behind slow work


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
        self._conns = ThreadConnections(chatops_app.db)
        self.executor = BoundedExecutor(config.workers, config.queue_limit, name="slack-work", gate=self.acks,
                                        on_thread_exit=self._conns.release)
        self.ui = BoundedExecutor(UI_WORKERS, 200, name="slack-ui")
        self.sender = OutboxSender(chatops_app, self.client)
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
        return self

    def stop(self) -> None:
        self.sender.stop()
        self.ui.shutdown(wait=True)
        self.executor.shutdown(wait=True)

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
        bolt.view_submission(modals.CALLBACK_ID)(self._on_view_submission)
        bolt.event("message")(self._on_event)
        bolt.event("app_mention")(self._on_event)
        bolt.event(re.compile(".*"))(self._ignore_event)  # other subscribed events: 200, no retries
        bolt.error(self._on_error)
        return bolt

    def _now(self):
        return self.chatops.router.clock()

    # ---- listeners: ack path (no database, no Slack API calls) -------------------------
    def _on_command(self, ack, body: Mapping[str, Any]) -> None:
        inv = translate.from_slash_command(body, now=self._now())
        response_url = body.get("response_url") if isinstance(body.get("response_url"), str) else None
        target = Target(response_url=response_url, channel_id=inv.channel_id, user_id=inv.user_id,
                        direct=inv.is_direct)
        command = self.chatops.registry.get(translate.command_name(body))
        trigger_id = body.get("trigger_id")
        if command is not None and isinstance(trigger_id, str) and trigger_id:
            typed = modals.needs_form(command, body.get("text") or "")
            if typed is not None:
                origin = modals.Origin(channel_id=inv.channel_id, response_url=response_url)
                try:
                    self.ui.submit(self._open_modal, command, typed, trigger_id, origin, target)
                except Busy:
                    ack(text=BUSY)
                    return
                ack()
                return
        if body.get("chatops_warm_up") == self.warm_up_marker:
            self.warm_ups += 1  # http.warm_up: the whole ack path ran; nothing is submitted
            ack()
            return
        try:
            self.executor.submit(self._run_command, inv, target)
        except Busy:
            ack(text=BUSY)
            return
        ack()

    def _on_action(self, ack, body: Mapping[str, Any], action: Mapping[str, Any]) -> None:
        ref, inv = translate.from_block_action(body, action, now=self._now())
        container = body.get("container") if isinstance(body.get("container"), Mapping) else {}
        target = Target(response_url=body.get("response_url") if isinstance(body.get("response_url"), str) else None,
                        channel_id=inv.channel_id, user_id=inv.user_id, direct=inv.is_direct,
                        from_ephemeral=bool(container.get("is_ephemeral")), replace=True)
        try:
            self.executor.submit(self._run_action, ref, inv, target)
        except Busy:
            self._submit_notice(target, Reply.text(BUSY, style="warning", ephemeral=True))
        ack()

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
        try:
            self.executor.submit(self._run_command, inv, target)
        except Busy:
            ack(response_action="errors", errors={modals.BLOCK_PREFIX + command.params[0].name: BUSY[:150]}
                if command.params else {})
            return
        ack()

    def _on_event(self, body: Mapping[str, Any]) -> None:
        inv = translate.from_message_event(body, now=self._now())
        if inv is None:
            return
        target = Target(channel_id=inv.channel_id, user_id=inv.user_id, thread_ts=inv.thread_id,
                        direct=inv.is_direct)
        # Busy propagates: the error handler answers 503 and Slack delivers the event again later.
        self.executor.submit(self._run_command, inv, target)

    def _ignore_event(self, body: Mapping[str, Any]) -> None:
        return None

    def _on_error(self, error: Exception, body: Any = None) -> BoltResponse:
        if isinstance(error, Busy):
            log.warning("Slack event refused: %s", error)
            return BoltResponse(status=503, body="busy")
        if isinstance(error, (translate.MalformedPayload, KeyError, TypeError, AttributeError, ValueError)):
            log.warning("malformed Slack request: %s: %s", type(error).__name__, error)
            return BoltResponse(status=400, body="malformed request")
        log.error("Slack request failed", exc_info=error)
        return BoltResponse(status=500, body="")

    # ---- workers ------------------------------------------------------------------------
    def _with_roles(self, inv: Invocation) -> Invocation:
        roles = self.usergroups.roles_for(inv.community_id, inv.user_id)
        return dataclasses.replace(inv, platform_roles=inv.platform_roles | roles) if roles else inv

    def _run_command(self, inv: Invocation, target: Target) -> Reply:
        self._conns.ready()
        reply = self.chatops.router.handle(self._with_roles(inv))
        self.sender.kick()
        if reply.replayed:
            log.info("repeated Slack delivery %s: already answered", inv.idempotency_key)
            return reply
        self.answer(reply, target)
        return reply

    def _run_action(self, ref: str, inv: Invocation, target: Target) -> Reply:
        self._conns.ready()
        reply = self.chatops.router.handle_action(ref, self._with_roles(inv))
        self.sender.kick()
        self.answer(reply, target)
        return reply

    def _open_modal(self, command: Command, prefill: dict[str, str], trigger_id: str, origin: modals.Origin,
                    target: Target) -> None:
        view = modals.build_modal(command, prefill=prefill, origin=origin)
        try:
            self.client.views_open(trigger_id=trigger_id, view=view)
        except Exception as exc:  # noqa: BLE001 - tell the user rather than failing silently
            log.warning("views.open for %s failed: %s", command.name, exc)
            self.answer(Reply.text(f"Could not open the form for `{command.name}`. Type the arguments instead: "
                                   f"`/{command.usage}`", style="warning", ephemeral=True), target)

    def _submit_notice(self, target: Target, reply: Reply) -> None:
        try:
            self.ui.submit(self.answer, reply, target)
        except Busy:
            log.error("Slack UI pool full; dropped a notice for %s", target.user_id)

    # ---- output -------------------------------------------------------------------------
    def answer(self, reply: Reply, target: Target) -> None:
        """Send ``reply`` where ``target`` says; failures are logged (the work itself is done and audited)."""
        payload = render(reply)
        try:
            if target.response_url:
                self._respond(reply, payload, target)
            elif target.direct and target.channel_id:
                self.client.chat_postMessage(channel=target.channel_id, unfurl_links=False, **payload)
            elif target.channel_id and reply.ephemeral and target.user_id:
                self.client.chat_postEphemeral(channel=target.channel_id, user=target.user_id,
                                               thread_ts=target.thread_ts, **payload)
            elif target.channel_id:
                self.client.chat_postMessage(channel=target.channel_id, thread_ts=target.thread_ts,
                                             unfurl_links=False, **payload)
            else:
                log.warning("no place to answer reply %s", reply.correlation_id)
        except Exception as exc:  # noqa: BLE001
            log.error("could not deliver Slack reply %s: %s", reply.correlation_id, exc)

    def _respond(self, reply: Reply, payload: dict[str, Any], target: Target) -> None:
        body: dict[str, Any] = dict(payload)
        replace = target.replace and not is_error(reply) and (target.from_ephemeral or not reply.ephemeral)
        if replace:
            body["replace_original"] = True
        else:
            body["response_type"] = "ephemeral" if reply.ephemeral or is_error(reply) else "in_channel"
            if target.replace:
                body["replace_original"] = False
        response = WebhookClient(target.response_url, timeout=10).send_dict(body)
        if response.status_code != 200:
            log.warning("response_url answered %s for reply %s: %s", response.status_code, reply.correlation_id,
                        response.body[:200])
