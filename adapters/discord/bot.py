"""The Discord bot: interactions and DMs in, the core router in a worker thread, replies out.

    bot = DiscordBot(app)                       # DISCORD_* settings from app.settings
    await bot.start()                           # connects the gateway; bot.close() stops it

Accepted means persisted: every app command, button press, form submission and
DM is first a durable work item (``chatops.work``, keyed by the interaction or
message id; one INSERT in a small pool of its own, off the event loop), then
deferred (``thinking=True``; a press as an update), then run by the process's
worker pool (``chatops.workers``) — never on the event loop. A database that
cannot take it is told to the user as the first response ("briefly
unavailable, nothing was done"), a full queue as "busy"; both are audited (the
audit spool keeps them while the database is down). The answer is a follow-up
through the interaction token while it lives (15 minutes), else a direct
message, with a line saying when an answer is late and why. A work item whose
defer failed (an expired interaction) is cancelled, never run. A crash or a
deploy leaves accepted work in the database: the next start (or any worker)
runs it. The one first response that must wait on the database is a form (a
modal cannot follow a defer): its policy peek runs in a pool of its own.

Ephemeral rule (the flag is fixed when deferring): META commands (help,
whoami, ping) and mutating commands (their first answer is a preview) defer
ephemerally; everything else publicly. A reply the core marks ephemeral after a
public defer (a denial, the redirect, a usage error) removes the public
"thinking…" message and is sent as an ephemeral follow-up, so it is never shown
to the channel.

Presses: an error reply goes ephemerally to the presser; a press on an
ephemeral message (a preview's Confirm) replaces that message with the result;
otherwise the result is a new follow-up, ephemeral when the core says so.

Direct messages are read as text (``support my payout is late``); guild
messages are never read, so the privileged message-content intent is not
needed. App commands are synced only by ``chatops discord sync``.
"""
from __future__ import annotations

import asyncio
import logging
import secrets
from datetime import timedelta
from typing import Any, Callable, TypeVar

import aiohttp
import discord
import yarl

from adapters.discord import intake, messages
from adapters.discord.appcommands import options_to_arguments
from adapters.discord.intake import KIND, defer_ephemeral  # noqa: F401 - KIND: the work items this adapter runs
from adapters.discord.modals import (MAX_INPUTS, FormMemory, build_modal, form_state, parse_form_id, parse_refill_id,
                                     refill_custom_id, refill_form)
from adapters.discord.render import NO_PINGS, is_error, render
from adapters.discord.sender import OutboxSender
from adapters.discord.translate import from_interaction, from_message
from adapters.discord.views import ActionButton, is_ours
from adapters.executor import BoundedExecutor
from adapters.executor import Busy as CallsBusy
from chatops import audit, work
from chatops import messages as core_messages
from chatops.commands import Command
from chatops.db import DatabaseErrors
from chatops.invocation import Invocation, utcnow
from chatops.reply import Reply
from chatops.workers import RetryLater

log = logging.getLogger("adapters.discord")

T = TypeVar("T")
PERMISSION_PEEK_SECONDS = 1.5
PEEK_WORKERS = 2
ACCEPT_WORKERS = 4
CALL_QUEUE_LIMIT = 2000  # calls waiting for those threads; beyond it a request is answered "busy"
TOKEN_LIFETIME = timedelta(minutes=14)  # Discord: an interaction token lives 15 minutes
ANSWER_SECONDS = 60.0  # a worker waits this long for the event loop to deliver an answer
CLOSE_SECONDS = 10.0  # at a stop, each part of the client gets this long to end


class AnswerFailed(RetryLater):
    """Discord could not take the answer for now: the work item is tried again (after Discord's
    Retry-After when it gave one — a 429 from Cloudflare, without the ``Via`` header, is not retried by
    discord.py itself)."""

    @classmethod
    def of(cls, exc: discord.HTTPException) -> "AnswerFailed":
        after = None
        try:
            after = float(exc.response.headers.get("Retry-After") or "")
        except (AttributeError, TypeError, ValueError):
            pass
        return cls(f"Discord answered {exc.status}", after)


def apply_endpoints(api_url: str = "", gateway_url: str = "") -> None:
    """Point discord.py at another REST base / gateway (a proxy, a test server). Process-wide."""
    if api_url:
        discord.http.Route.BASE = api_url.rstrip("/")
    if gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


def intents() -> discord.Intents:
    """Guilds (channels and roles for role names, threads) and DMs; no privileged intent."""
    found = discord.Intents.none()
    found.guilds = True
    found.dm_messages = True
    return found


def make_client(shard_count: int | str | None = None, *, application_id: str = "", guild_ready_timeout: float = 2.0,
                shard_ids: tuple[int, ...] | None = None) -> discord.Client:
    """A plain Client, or an AutoShardedClient when ``shard_count`` (``DISCORD_SHARD_COUNT``, parsed) is
    "auto" or a number; with ``shard_ids`` (``DISCORD_SHARD_IDS``) it runs only those of the
    ``shard_count`` shards, so N processes can each run their own (settings check ids < count)."""
    kwargs: dict[str, Any] = {"intents": intents(), "guild_ready_timeout": guild_ready_timeout,
                              "chunk_guilds_at_startup": False,
                              # Nothing pings unless a message names who (render.mentions): user text is quoted.
                              "allowed_mentions": NO_PINGS}
    if application_id:
        kwargs["application_id"] = int(application_id)
    if shard_count in (None, ""):
        return discord.Client(**kwargs)
    if shard_count != "auto":
        kwargs["shard_count"] = int(shard_count)
    if shard_ids:
        if shard_count in ("auto", None):
            raise ValueError("DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT set to a number")
        kwargs["shard_ids"] = list(shard_ids)
    return discord.AutoShardedClient(**kwargs)


class DiscordBot:
    def __init__(self, app, *, guild_ready_timeout: float = 2.0, sender: OutboxSender | None = None,
                 sender_interval: float = 1.0, run_sender: bool = True, **_: Any) -> None:
        self.app = app
        settings = app.settings
        self.token = settings.discord.token
        apply_endpoints(settings.discord.api_url, settings.discord.gateway_url)
        self.client = make_client(settings.discord.shard_count,
                                  application_id=settings.discord.application_id,
                                  guild_ready_timeout=guild_ready_timeout,
                                  shard_ids=settings.discord.shard_ids)
        self.gateway = True  # False when only its REST client runs (runner.RestOnly: HTTP mode, `chatops worker`)
        self.client.chatops = self  # type: ignore[attr-defined]  # how ActionButton finds the bot
        self.client.add_dynamic_items(ActionButton)
        for handler in (self.on_interaction, self.on_message, self.on_ready):
            self.client.event(handler)
        self.client.setup_hook = self._setup_hook  # type: ignore[method-assign]
        # Accepting (one INSERT per interaction) and core calls the event loop needs, off the loop.
        # Daemon threads (adapters.executor): a call stuck on a database that went away does not keep the
        # process from exiting after close().
        self.executor = BoundedExecutor(ACCEPT_WORKERS, CALL_QUEUE_LIMIT, name="chatops-discord", log_failures=False)
        # Policy peeks before a form: never queued behind anything else.
        self.peek_executor = BoundedExecutor(PEEK_WORKERS, CALL_QUEUE_LIMIT, name="chatops-discord-peek",
                                             log_failures=False)
        self.pool = app.work_pool()
        self.pool.add_handler(KIND, DiscordWork(self))
        self.sender = sender or OutboxSender(self, interval=sender_interval)
        self._running_sender = self.sender  # the one whose task runs (tests may swap ``sender``)
        self.run_sender = run_sender  # False: nothing drains the outbox unless you call sender.drain_once()
        self._sender_task: asyncio.Task | None = None
        self.forms = FormMemory()
        self._tasks: set[asyncio.Task] = set()
        self.loop: asyncio.AbstractEventLoop | None = None

    # ---- lifecycle -------------------------------------------------------------------------
    async def start(self, token: str | None = None) -> None:
        token = token or self.token
        if not token:
            raise RuntimeError("DISCORD_TOKEN is not set")
        self.loop = asyncio.get_running_loop()
        self.pool.start()
        await self.client.start(token)

    async def drain(self, deadline: float | None = None) -> None:
        """Finish the work already running (up to ``deadline`` s) while the gateway and REST still work."""
        await asyncio.get_running_loop().run_in_executor(None, self.pool.stop, deadline)

    async def close(self, deadline: float | None = None, *, drain: bool = True) -> None:
        """Drain the work pool (unless ``drain=False``: its owner stops it), then stop the outbox sender and
        the client."""
        if drain:
            await self.drain(deadline)  # answers need the client's session: drain before closing it
        # Every wait below is bounded: a task that swallowed its cancellation must not keep the process
        # (or a deploy) from stopping.
        if self._sender_task is not None:
            self._running_sender.stop()
            self._sender_task.cancel()
            await self._settle({self._sender_task}, "the outbox sender")
            self._sender_task = None
        if not self.client.is_closed():
            try:
                await asyncio.wait_for(self.client.close(), CLOSE_SECONDS)
            except (asyncio.TimeoutError, Exception):  # noqa: BLE001 - stopping: the gateway is gone either way
                log.warning("discord: the client did not close cleanly within %.0f s", CLOSE_SECONDS)
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await self._settle(set(self._tasks), "interaction tasks")
        # Threads of these pools only run short core calls (accept, a policy peek, an outbox claim): don't
        # block the event loop waiting for them.
        self.executor.shutdown(wait=False)
        self.peek_executor.shutdown(wait=False)

    async def _settle(self, tasks: set[asyncio.Task], what: str) -> None:
        done, pending = await asyncio.wait(tasks, timeout=CLOSE_SECONDS)
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                log.debug("discord: %s ended with %r", what, task.exception())
        if pending:
            log.warning("discord: %d of %s still running after %.0f s; stopping without them", len(pending),
                        what, CLOSE_SECONDS)

    async def _setup_hook(self) -> None:
        if self.run_sender and self._sender_task is None:
            self._running_sender = self.sender
            self._sender_task = asyncio.create_task(self.sender.run_forever(), name="chatops-discord-outbox")

    async def on_ready(self) -> None:
        # Never sync app commands here: on_ready runs again on every reconnect.
        user = self.client.user
        log.info("discord: connected as %s (%s) to %d guild(s)", user, getattr(user, "id", "?"),
                 len(self.client.guilds))

    # ---- the core, off the event loop ----------------------------------------------------------
    async def run(self, fn: Callable[..., T], *args: Any, executor: BoundedExecutor | None = None,
                  **kwargs: Any) -> T:
        """Run a synchronous core call in the small pool (or ``executor``) with its own database connection."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(executor or self.executor,
                                          lambda: self._with_connection(fn, *args, **kwargs))

    def _with_connection(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        db = self.app.db
        opened = db.connect(reuse_if_open=True)
        try:
            return fn(*args, **kwargs)
        finally:
            if opened and not db.is_closed():
                db.close()

    # ---- accepting ---------------------------------------------------------------------------
    def _payload(self, op: str, inv: Invocation, interaction: discord.Interaction | None = None,
                 **extra: Any) -> dict[str, Any]:
        if interaction is None:
            return intake.request_payload(op, inv, **extra)
        return intake.request_payload(op, inv, token=interaction.token, application_id=interaction.application_id,
                                      interaction_id=interaction.id, **extra)

    async def _accept(self, key: str, payload: dict[str, Any], inv: Invocation,
                      interaction: discord.Interaction | None = None) -> work.Accepted | None:
        """Persist the request (leased here, started at hand_off); None when refused or a repeat —
        the user has then been answered."""
        try:
            taken = await self.run(intake.accept, self.app, self.pool, key, payload, inv)
        except (CallsBusy, *DatabaseErrors) as exc:  # no thread free to even try
            taken = intake.refuse(self.app, inv, key, exc)
        if taken.refusal is not None:
            if interaction is not None:
                await self._error(interaction, taken.refusal)
            elif inv.channel_id:
                await self._send_dm_channel(inv.channel_id, Reply.text(taken.refusal, style="warning"))
            return None
        return taken.accepted

    async def _started(self, accepted: work.Accepted, first_response) -> None:
        """Send the first response (the defer); then hand the work to the pool, or cancel it if Discord
        refused the response (an interaction that expired: the user saw it fail, so it must not run)."""
        try:
            await first_response()
        except (discord.HTTPException, aiohttp.ClientError, asyncio.TimeoutError) as exc:
            log.warning("discord: could not acknowledge %s (%s): cancelled, not run", accepted.item.key, exc)
            reason = f"{exc}"

            def cancel() -> None:
                work.complete(accepted.item, now=utcnow(), state="cancelled")
                inv = Invocation.from_dict(accepted.item.payload["inv"])
                audit.record(correlation_id=secrets.token_hex(6), actor=inv.actor_key, command=work.command_name(inv),
                             outcome="failed", platform=inv.platform, community=inv.community_id or "",
                             detail=f"{accepted.item.key}: Discord refused the first response ({reason}); not run",
                             at=utcnow())

            await self.run(cancel)
            return
        self.pool.hand_off(accepted.item)

    # ---- events ------------------------------------------------------------------------------
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        try:
            if interaction.type is discord.InteractionType.application_command:
                await self.handle_command(interaction)
            elif interaction.type is discord.InteractionType.component:
                custom_id = (interaction.data or {}).get("custom_id", "")
                if parse_refill_id(custom_id) is not None:
                    await self.handle_refill(interaction, parse_refill_id(custom_id))
                elif not is_ours(custom_id):  # ours are answered by ActionButton
                    log.warning("discord: press with an unknown custom_id %r from %s", str(custom_id)[:100],
                                interaction.user.id)
                    await self._error(interaction, core_messages.ACTION_UNKNOWN)
            elif interaction.type is discord.InteractionType.modal_submit:
                await self.handle_form(interaction)
        except Exception:  # noqa: BLE001 - one bad interaction must never stop the bot
            log.exception("discord: interaction %s failed", interaction.id)
            await self._error(interaction, messages.UNREADABLE)

    async def on_message(self, message: discord.Message) -> None:
        """DMs only: a guild message is never read (no message-content intent needed)."""
        if message.guild is not None or message.author.bot:
            return
        if self.client.user is not None and message.author.id == self.client.user.id:
            return
        try:
            inv = from_message(message)
            accepted = await self._accept(inv.idempotency_key or f"discord:message:{message.id}",
                                          self._payload("dm", inv), inv)
            if accepted is not None:
                self.pool.hand_off(accepted.item)
        except Exception:  # noqa: BLE001
            log.exception("discord: DM %s from %s failed", message.id, message.author.id)

    # ---- app commands ----------------------------------------------------------------------------
    async def handle_command(self, interaction: discord.Interaction) -> None:
        data = interaction.data or {}
        name = data.get("name")
        try:
            if not isinstance(name, str) or not name:
                raise ValueError("no command name")
            raw = options_to_arguments(data.get("options"))
        except ValueError as exc:
            log.warning("discord: malformed command interaction %s: %s", interaction.id, exc)
            await self._error(interaction, messages.UNREADABLE)
            return
        command = self.app.registry.get(name)
        if command is not None:
            params = command.form_fields(raw, limit=MAX_INPUTS)
            if params and await self._open_form(interaction, command, params, raw):
                return
        await self._route(interaction, command, name, raw)

    async def _route(self, interaction: discord.Interaction, command: Command | None, name: str,
                     raw: dict[str, str], *, key_suffix: str = "", form: dict[str, Any] | None = None) -> None:
        ephemeral = defer_ephemeral(command)
        inv = from_interaction(interaction, command=name, arguments=raw, key_suffix=key_suffix)
        extra: dict[str, Any] = {"form": form} if form else {}
        accepted = await self._accept(inv.idempotency_key, self._payload("command", inv, interaction,
                                                                          ephemeral=ephemeral, **extra),
                                      inv, interaction)
        if accepted is not None:
            await self._started(accepted, lambda: interaction.response.defer(ephemeral=ephemeral, thinking=True))

    # ---- forms (modals) ---------------------------------------------------------------------------
    async def _open_form(self, interaction: discord.Interaction, command: Command, params: list,
                         raw: dict[str, str]) -> bool:
        """Open a modal asking for ``params``; False when the core should answer instead."""
        modal = build_modal(command, params, interaction.id)
        if modal is None:
            return False
        if not await self._may_run(interaction, command):
            return False  # the router answers with its denial (or redirect)
        await self._open_modal(interaction, modal, command.name, raw)
        return True

    async def _open_modal(self, interaction: discord.Interaction, modal, name: str, given: dict[str, str]) -> None:
        """The modal at once; the options given with the command kept in this process now and in the database
        once the modal is sent (off the event loop), so a slow database never holds the modal past 3 s."""
        form_id = str(interaction.id)
        self.forms.keep_local(form_id, name, given)
        await interaction.response.send_modal(modal)
        await self._in_background(lambda: self.forms.store(form_id, name, given), f"keeping form {form_id}")

    async def _in_background(self, fn: Callable[[], Any], what: str) -> Any:
        """A database call off the event loop for a form draft, bounded; None (logged) when it fails."""
        try:
            return await asyncio.wait_for(self.run(fn, executor=self.peek_executor), PERMISSION_PEEK_SECONDS)
        except (asyncio.TimeoutError, CallsBusy, *DatabaseErrors) as exc:
            log.warning("discord: %s: the database did not answer in %.1fs (%s)", what, PERMISSION_PEEK_SECONDS,
                        exc or type(exc).__name__)
            return None

    async def _may_run(self, interaction: discord.Interaction, command: Command) -> bool:
        """Ask the core's policy before showing a form; if it cannot tell within 1.5 s, show the form."""
        inv = from_interaction(interaction)

        def allowed() -> bool:
            return self.app.router.may_run(command, inv)

        try:
            return await asyncio.wait_for(self.run(allowed, executor=self.peek_executor), PERMISSION_PEEK_SECONDS)
        except asyncio.TimeoutError:
            log.warning("discord: policy check for /%s took over %.1fs; showing the form", command.name,
                        PERMISSION_PEEK_SECONDS)
            return True
        except (CallsBusy, *DatabaseErrors) as exc:  # the submission is refused at the ack if it is still down
            log.warning("discord: policy check for /%s failed (%s); showing the form", command.name, exc)
            return True

    async def handle_form(self, interaction: discord.Interaction) -> None:
        parsed = parse_form_id((interaction.data or {}).get("custom_id", ""))
        if parsed is None:
            log.warning("discord: modal submit with an unknown custom_id %r",
                        str((interaction.data or {}).get("custom_id"))[:100])
            await self._error(interaction, messages.FORM_EXPIRED)
            return
        name, form_id = parsed
        local = self.forms.take_local(form_id, name)
        if local is None:  # opened in another process, or before a restart: the draft in the database
            given = await self._in_background(lambda: self.forms.take_stored(form_id, name),
                                              f"reading form {form_id}") or {}
        else:
            given = local
        raw, form = form_state(interaction.data, given)
        await self._route(interaction, self.app.registry.get(name), name, raw, form=form)
        if local is not None:  # answered (deferred): drop the database's copy, a form is submitted once
            await self._in_background(lambda: self.forms.take_stored(form_id, name), f"dropping form {form_id}")

    async def handle_refill(self, interaction: discord.Interaction, interaction_id: str) -> None:
        """"Edit and send again" under an error: the same form, with what the user entered in it."""
        def stored() -> dict[str, Any] | None:
            return work.payload_of(f"discord:interaction:{interaction_id}")

        try:
            payload = await asyncio.wait_for(self.run(stored, executor=self.peek_executor), PERMISSION_PEEK_SECONDS)
        except (asyncio.TimeoutError, *DatabaseErrors):
            payload = None
        modal, refusal, name, given = refill_form(self.app.registry, payload, str(interaction.user.id), interaction.id)
        if modal is None:
            await self._error(interaction, refusal)
            return
        await self._open_modal(interaction, modal, name, given)

    # ---- buttons ---------------------------------------------------------------------------------
    async def handle_press(self, interaction: discord.Interaction, ref: str) -> None:
        try:
            on_ephemeral = interaction.message is not None and interaction.message.flags.ephemeral
            inv = from_interaction(interaction)
            key = f"discord:interaction:{interaction.id}"
            accepted = await self._accept(key, self._payload("press", inv, interaction, ref=ref,
                                                             on_ephemeral=bool(on_ephemeral)), inv, interaction)
            if accepted is not None:
                await self._started(accepted, interaction.response.defer)
        except Exception:  # noqa: BLE001
            log.exception("discord: press %s on interaction %s failed", ref, interaction.id)
            await self._error(interaction, messages.UNREADABLE)

    # ---- answers (from a worker thread, delivered on the event loop) ------------------------------
    def deliver(self, coroutine_factory: Callable[[], Any]) -> Any:
        """Run an answer coroutine on the bot's event loop from a worker thread; wait for it."""
        loop = self.loop
        if loop is None or loop.is_closed() or self.client.is_closed():
            raise AnswerFailed("the Discord client is not running")
        future = asyncio.run_coroutine_threadsafe(coroutine_factory(), loop)
        return future.result(ANSWER_SECONDS)

    async def answer_item(self, payload: dict[str, Any], reply: Reply, received_at, *, rerun: bool = False) -> None:
        """Answer a work item: the interaction's follow-up while its token lives, else a direct message.
        ``rerun``: an earlier attempt of this item may have answered (see :meth:`_follow_up`)."""
        inv = payload.get("inv") or {}
        if payload.get("op") == "dm":
            await self._send_dm_channel(inv.get("channel_id"), reply, user_id=inv.get("user_id"))
            return
        token, app_id = payload.get("token"), payload.get("application_id")
        if token and app_id and utcnow() - received_at < TOKEN_LIFETIME:
            try:
                await self._follow_up(payload, reply, rerun=rerun)
                return
            except discord.NotFound as exc:  # the token expired, or the interaction was never acknowledged
                log.warning("discord: follow-up for %s not possible (%s): a direct message instead",
                            payload.get("interaction_id"), exc)
            except discord.HTTPException as exc:
                if exc.status == 429 or exc.status >= 500:
                    raise AnswerFailed.of(exc) from exc
                log.warning("discord: follow-up refused (%s %s): a direct message instead", exc.status, exc.text)
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
                raise AnswerFailed(f"{type(exc).__name__}: {exc}") from exc
        await self._direct_message(inv.get("user_id"), reply)

    def _followup(self, payload: dict[str, Any]) -> discord.Webhook:
        data = {"id": int(payload["application_id"]), "type": 3, "token": payload["token"]}
        return discord.Webhook.from_state(data=data, state=self.client._connection)

    async def _answered_already(self, webhook: discord.Webhook) -> bool:
        """Whether the deferred response was already edited into an answer (not "thinking…" any more): by an
        attempt stopped before its work item was done, or since then by a press on that answer."""
        try:
            original = await webhook.fetch_message("@original")  # type: ignore[arg-type]
        except discord.NotFound:
            return False  # deleted, or never there: the edit below says which (a DM if the token is gone)
        # Discord flags the deferral LOADING until it is edited; an answer of ours always shows something
        # ("Done." at the least), so an empty message is not one either way.
        return not original.flags.loading and bool(original.content or original.embeds or original.components)

    async def _follow_up(self, payload: dict[str, Any], reply: Reply, *, rerun: bool = False) -> None:
        out = render(reply)
        if payload.get("form") and is_error(reply) and out.view is None:  # a refused form: offer to edit it
            out.view = discord.ui.View(timeout=None)
            out.view.add_item(discord.ui.Button(label=messages.REFILL, style=discord.ButtonStyle.primary,
                                                custom_id=refill_custom_id(payload["interaction_id"])))
        webhook = self._followup(payload)
        if payload.get("op") == "press":
            if is_error(reply):
                await webhook.send(**out.send_kwargs(), ephemeral=True)
            elif payload.get("on_ephemeral") or reply.in_place:  # the message the button was on shows the result
                await webhook.edit_message("@original", **out.edit_kwargs())
            else:
                await webhook.send(**out.send_kwargs(), ephemeral=reply.ephemeral)
            return
        deferred_ephemeral = bool(payload.get("ephemeral"))
        if reply.ephemeral and not deferred_ephemeral:
            try:
                await webhook.delete_message("@original")
            except discord.NotFound:
                pass
            await webhook.send(**out.send_kwargs(), ephemeral=True)
        else:
            # The deferred response ("thinking…") becomes the answer: an edit. An attempt run again after a crash
            # (its lease ran out) first looks at it: already answered, it is left as it is (its user may have
            # pressed its buttons since), so the answer shows once.
            if rerun and await self._answered_already(webhook):
                log.info("discord: interaction %s was answered before the restart; not answered again",
                         payload.get("interaction_id"))
                return
            await webhook.edit_message("@original", **out.edit_kwargs())

    async def _direct_message(self, user_id: str | None, reply: Reply) -> None:
        if not user_id:
            log.warning("discord: no one to answer reply %s", reply.correlation_id)
            return
        try:
            channel = await self.client.create_dm(discord.Object(int(user_id)))
            await channel.send(**render(reply).send_kwargs())
        except discord.Forbidden as exc:  # DMs closed: nothing more can be done
            log.error("discord: could not DM %s reply %s: %s", user_id, reply.correlation_id, exc)
        except discord.HTTPException as exc:
            if exc.status == 429 or exc.status >= 500:
                raise AnswerFailed.of(exc) from exc
            log.error("discord: could not DM %s reply %s: %s", user_id, reply.correlation_id, exc)

    async def _send_dm_channel(self, channel_id: str | None, reply: Reply, *, user_id: str | None = None) -> None:
        if not channel_id:
            await self._direct_message(user_id, reply)
            return
        try:
            await self.client.get_partial_messageable(int(channel_id)).send(**render(reply).send_kwargs())
        except discord.HTTPException as exc:
            if exc.status == 429 or exc.status >= 500:
                raise AnswerFailed.of(exc) from exc
            log.error("discord: could not answer in DM channel %s: %s", channel_id, exc)

    # ---- errors --------------------------------------------------------------------------------
    async def _error(self, interaction: discord.Interaction, text: str) -> None:
        """An ephemeral error, whether or not the interaction was answered yet; never raises."""
        out = render(Reply.text(text, style="error", ephemeral=True))
        try:
            if interaction.response.is_done():
                await interaction.followup.send(content=out.content, ephemeral=True, allowed_mentions=NO_PINGS)
            else:
                await interaction.response.send_message(content=out.content, ephemeral=True,
                                                        allowed_mentions=NO_PINGS)
        except Exception:  # noqa: BLE001 - the interaction may be gone
            log.warning("discord: could not tell interaction %s about an error", interaction.id)


class DiscordWork:
    """The worker side: run an accepted Discord request through the core and answer it."""

    def __init__(self, bot: DiscordBot) -> None:
        self.bot = bot

    def run(self, item) -> None:
        bot = self.bot
        payload = item.payload or {}
        inv = Invocation.from_dict(payload["inv"])
        reply = work.run_request(bot.app.router, item, inv)
        if bot.loop is not None and not bot.loop.is_closed():
            bot.loop.call_soon_threadsafe(bot.sender.wake)
        if reply is not None:
            bot.deliver(lambda: bot.answer_item(payload, reply, inv.received_at, rerun=item.attempts > 1))

    def dead(self, item, reason: str) -> None:
        bot = self.bot
        payload = item.payload or {}
        inv = Invocation.from_dict(payload["inv"])
        reply = work.dead_letter_reply(bot.app.settings, item, inv, reason, now=utcnow())
        bot.deliver(lambda: bot.answer_item(payload, reply, inv.received_at, rerun=item.attempts > 1))
