"""Running the bot: in its own thread beside the web app (``chatops run``), or in the foreground.

    handle = start_in_process(app)     # None when DISCORD_TOKEN is empty
    ...
    handle.stop()                      # closes the gateway, the sender and the worker pool

The bot gets its own event loop in a daemon thread; the web app's threads are
untouched. ``stop`` is thread-safe and waits for the bot to close.
"""
from __future__ import annotations

import asyncio
import logging
import threading

from adapters.discord.bot import DiscordBot

log = logging.getLogger("adapters.discord")


async def run_bot(bot: DiscordBot, stop: asyncio.Event | None = None) -> None:
    """Run until the client stops or ``stop`` is set; always closes the bot."""
    runner = asyncio.create_task(bot.start(), name="chatops-discord-client")
    waiters = [runner]
    if stop is not None:
        waiters.append(asyncio.create_task(stop.wait(), name="chatops-discord-stop"))
    try:
        done, _ = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        if runner in done:
            runner.result()  # a login failure or a fatal gateway error surfaces here
    finally:
        await bot.close()
        for task in waiters:
            task.cancel()
        await asyncio.gather(*waiters, return_exceptions=True)


class BotThread:
    """A running bot: ``stop()`` ends it."""

    def __init__(self, bot: DiscordBot) -> None:
        self.bot = bot
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._started = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._main, name="chatops-discord", daemon=True)

    def start(self) -> "BotThread":
        self.thread.start()
        self._started.wait(5)
        return self

    def _main(self) -> None:
        try:
            asyncio.run(self._run())  # its own loop; leftover tasks are cancelled when it ends
        except BaseException as exc:  # noqa: BLE001 - reported, the web app keeps serving
            self.error = exc
            log.exception("discord: the bot stopped")
        finally:
            self._started.set()

    async def _run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self._started.set()
        await run_bot(self.bot, self._stop)

    def stop(self, timeout: float = 10.0) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(stop.set)
            except RuntimeError:  # the loop closed meanwhile
                pass
        self.thread.join(timeout)


def start_in_process(app, **bot_options) -> "BotThread | RestOnly | None":
    """``chatops run``'s hook: the gateway bot in a thread when DISCORD_TOKEN is set (and DISCORD_GATEWAY is
    not ``off``), else None. When the HTTP endpoint (adapters.discord.http) already runs a REST client in this
    process, that client opens the gateway: one bot, one outbox sender per process."""
    discord_settings = app.settings.discord
    if not discord_settings.token:
        return None
    if not discord_settings.gateway:
        log.info("discord: DISCORD_GATEWAY=off: no gateway connection (HTTP interactions only; DMs go unread)")
        return None
    rest = rest_client_of(app)
    if rest is not None:
        return rest.open_gateway()
    return BotThread(DiscordBot(app, **bot_options)).start()


def rest_client_of(app) -> "RestOnly | None":
    """The REST-only client this process runs for the app (HTTP mode), if any: the bot behind the work pool's
    Discord handler."""
    from adapters.discord.bot import DiscordWork
    from adapters.discord.intake import KIND

    if not app.has_work_pool:
        return None
    handler = app.work_pool().handlers.get(KIND)
    bot = handler.bot if isinstance(handler, DiscordWork) else None
    return getattr(bot, "rest_handle", None)


class RestOnly:
    """The bot's REST client without a gateway: answers work items (follow-ups, direct messages) and, with
    ``run_sender``, delivers the outbox. ``chatops worker`` runs one for work the gateway or HTTP process
    accepted; the HTTP endpoint runs one in each web process. ``open_gateway()`` connects the gateway too
    (``chatops run`` with the endpoint mounted). ``stop()`` closes it; it never stops the work pool, whose
    owner drains it."""

    def __init__(self, bot: DiscordBot) -> None:
        self.bot = bot
        bot.gateway = False
        bot.rest_handle = self  # type: ignore[attr-defined]  # rest_client_of finds it here
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._gateway: asyncio.Task | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._main, name="chatops-discord-rest", daemon=True)

    def start(self) -> "RestOnly":
        self.thread.start()
        self._ready.wait(15)
        if self.error is not None:
            raise RuntimeError(f"Discord login failed: {self.error}") from self.error
        return self

    def _main(self) -> None:
        try:
            asyncio.run(self._run())
        except BaseException as exc:  # noqa: BLE001 - reported by start()
            self.error = exc
            log.exception("discord: the REST client stopped")
        finally:
            self._ready.set()

    async def _run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        bot = self.bot
        bot.loop = self._loop
        await bot.client.login(bot.token)  # setup_hook starts the outbox sender when the bot has run_sender
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            await bot.close(drain=False)
            if self._gateway is not None:
                self._gateway.cancel()
                await asyncio.gather(self._gateway, return_exceptions=True)

    def open_gateway(self) -> "RestOnly":
        """Connect the gateway as well (DMs to the bot; interactions too unless the portal sends them to the
        endpoint). Thread-safe."""
        loop = self._loop
        if loop is None or loop.is_closed():
            raise RuntimeError("the Discord REST client is not running")

        def connect() -> None:
            self.bot.gateway = True
            self._gateway = asyncio.ensure_future(self.bot.client.connect(), loop=loop)

        loop.call_soon_threadsafe(connect)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(stop.set)
            except RuntimeError:
                pass
        self.thread.join(timeout)


def start_for_worker(app) -> RestOnly | None:
    """``chatops worker``'s hook: run Discord work items here (REST only) when DISCORD_TOKEN is set."""
    if not app.settings.discord.token:
        return None
    return RestOnly(DiscordBot(app, run_sender=False)).start()
