"""The Discord bot: interactions and DMs in, the core router in a worker thread, replies out.

    bot = DiscordBot(app)                       # DISCORD_* settings from app.settings
    await bot.start()                           # connects the gateway; bot.close() stops it

Answering within Discord's 3 seconds: every app command is *deferred at once*
(``thinking=True``) before the synchronous router runs in a bounded thread pool;
the answer is a follow-up within the 15-minute token. Button presses are
deferred as an update (no visible change) and answered the same way. Before the
defer only in-memory work runs on the event loop (option parsing, a registry
dict lookup); no database, no thread pool, no logging. The router is submitted
only once Discord acknowledged the defer, so a command whose defer failed (an
expired interaction) never runs. The one first response that must wait on the
database is a form (a modal cannot follow a defer): its policy peek runs in a
pool of its own, so commands queued in the router pool never delay it.

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
import collections
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, TypeVar

import discord
import yarl

from adapters.discord import messages
from adapters.discord.appcommands import form_params, options_to_arguments
from adapters.discord.modals import build_modal, parse_form_id, submitted_values
from adapters.discord.render import is_error, render
from adapters.discord.sender import OutboxSender
from adapters.discord.translate import from_interaction, from_message
from adapters.discord.views import ActionButton, is_ours
from chatops import identity
from chatops import messages as core_messages
from chatops.commands import Category, Command
from chatops.reply import Reply

log = logging.getLogger("adapters.discord")

T = TypeVar("T")
FORM_TTL = 900.0
MAX_FORMS = 2000
PERMISSION_PEEK_SECONDS = 1.5
PEEK_WORKERS = 2


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


def make_client(shard_count: str = "", *, application_id: str = "", guild_ready_timeout: float = 2.0
                ) -> discord.Client:
    """A plain Client, or an AutoShardedClient when ``shard_count`` is "auto" or a number."""
    kwargs: dict[str, Any] = {"intents": intents(), "guild_ready_timeout": guild_ready_timeout,
                              "chunk_guilds_at_startup": False}
    if application_id:
        kwargs["application_id"] = int(application_id)
    shard_count = (shard_count or "").strip().lower()
    if not shard_count:
        return discord.Client(**kwargs)
    if shard_count != "auto":
        try:
            kwargs["shard_count"] = int(shard_count)
        except ValueError:
            raise ValueError("DISCORD_SHARD_COUNT must be empty, `auto` or a whole number") from None
        if kwargs["shard_count"] < 1:
            raise ValueError("DISCORD_SHARD_COUNT must be at least 1")
    return discord.AutoShardedClient(**kwargs)


def defer_ephemeral(command: Command | None) -> bool:
    """The per-command ephemeral rule (see the module doc)."""
    return command is None or command.category == Category.META or command.mutates


class DiscordBot:
    def __init__(self, app, *, guild_ready_timeout: float = 2.0, workers: int = 8,
                 sender: OutboxSender | None = None, sender_interval: float = 1.0, run_sender: bool = True) -> None:
        self.app = app
        settings = app.settings
        self.token = settings.get("DISCORD_TOKEN")
        apply_endpoints(settings.get("DISCORD_API_URL"), settings.get("DISCORD_GATEWAY_URL"))
        self.client = make_client(settings.get("DISCORD_SHARD_COUNT"),
                                  application_id=settings.get("DISCORD_APPLICATION_ID"),
                                  guild_ready_timeout=guild_ready_timeout)
        self.client.chatops = self  # type: ignore[attr-defined]  # how ActionButton finds the bot
        self.client.add_dynamic_items(ActionButton)
        for handler in (self.on_interaction, self.on_message, self.on_ready):
            self.client.event(handler)
        self.client.setup_hook = self._setup_hook  # type: ignore[method-assign]
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="chatops-discord")
        # Policy peeks before a form: never queued behind slow commands in ``executor``.
        self.peek_executor = ThreadPoolExecutor(max_workers=PEEK_WORKERS, thread_name_prefix="chatops-discord-peek")
        self.sender = sender or OutboxSender(self, interval=sender_interval)
        self.run_sender = run_sender  # False: nothing drains the outbox unless you call sender.drain_once()
        self._sender_task: asyncio.Task | None = None
        self._forms: collections.OrderedDict[str, tuple[float, str, dict[str, str]]] = collections.OrderedDict()
        self._tasks: set[asyncio.Task] = set()

    # ---- lifecycle -------------------------------------------------------------------------
    async def start(self, token: str | None = None) -> None:
        token = token or self.token
        if not token:
            raise RuntimeError("DISCORD_TOKEN is not set")
        await self.client.start(token)

    async def close(self) -> None:
        if self._sender_task is not None:
            self._sender_task.cancel()
            try:
                await self._sender_task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - stopping
                pass
            self._sender_task = None
        if not self.client.is_closed():
            await self.client.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self.executor.shutdown(wait=True)
        self.peek_executor.shutdown(wait=True)

    async def _setup_hook(self) -> None:
        if self.run_sender and self._sender_task is None:
            self._sender_task = asyncio.create_task(self.sender.run_forever(), name="chatops-discord-outbox")

    async def on_ready(self) -> None:
        # Never sync app commands here: on_ready runs again on every reconnect.
        user = self.client.user
        log.info("discord: connected as %s (%s) to %d guild(s)", user, getattr(user, "id", "?"),
                 len(self.client.guilds))

    # ---- the core, off the event loop ----------------------------------------------------------
    async def run(self, fn: Callable[..., T], *args: Any, executor: ThreadPoolExecutor | None = None,
                  **kwargs: Any) -> T:
        """Run a synchronous core call in the worker pool (or ``executor``) with its own database connection."""
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

    # ---- events ------------------------------------------------------------------------------
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        try:
            if interaction.type is discord.InteractionType.application_command:
                await self.handle_command(interaction)
            elif interaction.type is discord.InteractionType.component:
                custom_id = (interaction.data or {}).get("custom_id", "")
                if not is_ours(custom_id):  # ours are answered by ActionButton
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
            reply = await self.run(self.app.router.handle, from_message(message))
            if reply.replayed:  # a repeated delivery of a DM already answered
                return
            await message.channel.send(**render(reply).send_kwargs())
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
            params = form_params(command, raw)
            if params and await self._open_form(interaction, command, params, raw):
                return
        await self._route(interaction, command, name, raw)

    async def _route(self, interaction: discord.Interaction, command: Command | None, name: str,
                     raw: dict[str, str], *, key_suffix: str = "") -> None:
        ephemeral = defer_ephemeral(command)
        await interaction.response.defer(ephemeral=ephemeral, thinking=True)
        inv = from_interaction(interaction, command=name, arguments=raw, key_suffix=key_suffix)
        reply = await self.run(self.app.router.handle, inv)
        await self.answer(interaction, reply, deferred_ephemeral=ephemeral)

    async def answer(self, interaction: discord.Interaction, reply: Reply, *, deferred_ephemeral: bool) -> None:
        """The follow-up to a deferred command: ephemeral when the core says so, even after a public defer."""
        out = render(reply)
        try:
            if reply.ephemeral and not deferred_ephemeral:
                await interaction.delete_original_response()
                await interaction.followup.send(**out.send_kwargs(), ephemeral=True)
            else:
                await interaction.followup.send(**out.send_kwargs(), ephemeral=deferred_ephemeral)
        except discord.HTTPException as exc:  # the token expired (15 min) or the channel went away
            log.error("discord: could not answer interaction %s [%s]: %s", interaction.id, reply.correlation_id, exc)

    # ---- forms (modals) ---------------------------------------------------------------------------
    async def _open_form(self, interaction: discord.Interaction, command: Command, params: list,
                         raw: dict[str, str]) -> bool:
        """Open a modal asking for ``params``; False when the core should answer instead."""
        modal = build_modal(command, params, interaction.id)
        if modal is None:
            return False
        if not await self._may_run(interaction, command):
            return False  # the router answers with its denial (or redirect)
        self._remember_form(str(interaction.id), command.name, raw)
        await interaction.response.send_modal(modal)
        return True

    async def _may_run(self, interaction: discord.Interaction, command: Command) -> bool:
        """Ask the core's policy before showing a form; if it cannot tell within 1.5 s, show the form."""
        inv = from_interaction(interaction)

        def allowed() -> bool:
            actor = identity.resolve(inv, self.app.settings)
            return self.app.router.policy_for(command).allows(actor)

        try:
            return await asyncio.wait_for(self.run(allowed, executor=self.peek_executor), PERMISSION_PEEK_SECONDS)
        except asyncio.TimeoutError:
            log.warning("discord: policy check for /%s took over %.1fs; showing the form", command.name,
                        PERMISSION_PEEK_SECONDS)
            return True

    def _remember_form(self, form_id: str, command: str, raw: dict[str, str]) -> None:
        now = time.monotonic()
        while self._forms and (len(self._forms) >= MAX_FORMS or next(iter(self._forms.values()))[0] < now):
            self._forms.popitem(last=False)
        self._forms[form_id] = (now + FORM_TTL, command, dict(raw))

    async def handle_form(self, interaction: discord.Interaction) -> None:
        parsed = parse_form_id((interaction.data or {}).get("custom_id", ""))
        if parsed is None:
            log.warning("discord: modal submit with an unknown custom_id %r",
                        str((interaction.data or {}).get("custom_id"))[:100])
            await self._error(interaction, messages.FORM_EXPIRED)
            return
        name, form_id = parsed
        given: dict[str, str] = {}
        entry = self._forms.pop(form_id, None)
        if entry is not None and entry[1] == name and entry[0] >= time.monotonic():
            given = entry[2]
        raw = {**given, **submitted_values(interaction.data)}
        await self._route(interaction, self.app.registry.get(name), name, raw)

    # ---- buttons ---------------------------------------------------------------------------------
    async def handle_press(self, interaction: discord.Interaction, ref: str) -> None:
        try:
            on_ephemeral = interaction.message is not None and interaction.message.flags.ephemeral
            await interaction.response.defer()
            reply = await self.run(self.app.router.handle_action, ref, from_interaction(interaction))
            out = render(reply)
            if is_error(reply):
                await interaction.followup.send(**out.send_kwargs(), ephemeral=True)
            elif on_ephemeral:  # a preview: it turns into the result, its buttons gone
                await interaction.edit_original_response(content=out.content or None, embeds=out.embeds,
                                                         view=out.view)
            else:
                await interaction.followup.send(**out.send_kwargs(), ephemeral=reply.ephemeral)
        except Exception:  # noqa: BLE001
            log.exception("discord: press %s on interaction %s failed", ref, interaction.id)
            await self._error(interaction, messages.UNREADABLE)

    # ---- errors --------------------------------------------------------------------------------
    async def _error(self, interaction: discord.Interaction, text: str) -> None:
        """An ephemeral error, whether or not the interaction was answered yet; never raises."""
        out = render(Reply.text(text, style="error", ephemeral=True))
        try:
            if interaction.response.is_done():
                await interaction.followup.send(content=out.content, ephemeral=True)
            else:
                await interaction.response.send_message(content=out.content, ephemeral=True)
        except Exception:  # noqa: BLE001 - the interaction may be gone
            log.warning("discord: could not tell interaction %s about an error", interaction.id)
