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


def start_in_process(app, **bot_options) -> BotThread | None:
    """``chatops run``'s hook: the bot in a thread when DISCORD_TOKEN is set, else None."""
    if not app.settings.discord.token:
        return None
    return BotThread(DiscordBot(app, **bot_options)).start()


class RestOnly:
    """The bot's REST client without a gateway (``chatops worker``): answers work items (follow-ups,
    direct messages) accepted by the process that runs the gateway. ``stop()`` closes it."""

    def __init__(self, bot: DiscordBot) -> None:
        self.bot = bot
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
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
        await bot.client.login(bot.token)
        bot.loop = self._loop
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            await bot.client.close()

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
