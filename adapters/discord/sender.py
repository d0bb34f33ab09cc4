"""Delivering the core's outbox to Discord channels: tickets, approval requests, alerts, digests.

    sender = OutboxSender(bot)          # the bot starts it: bot.sender.run_forever()
    await sender.drain_once()           # one pass (tests, tools)
    sender.wake()                       # deliver now instead of at the next poll

Each pass claims due ``discord`` messages (``chatops.outbox.claim``), posts each to
its channel id and marks it sent with the Discord message id; a message whose
``thread_id`` is a channel id goes into that thread instead.

Threads for tickets: a message enqueued with ``thread_id="new"`` is posted to
the channel and then a public thread is started on it (named after its first
line), where the conversation goes on; the new thread's id replaces ``"new"``
in the row so later messages can be enqueued into it.

Limits: at most one message per channel per ``channel_interval`` seconds (1 s,
as Discord asks); 429s and 5xx are retried by discord.py's HTTP client first,
then the message goes back to the outbox (``retry``, with back-off) and after
eight attempts is failed. A missing channel or missing permission (403/404) is
a permanent ``mark_failed``. Delivery is at least once; a bot that dies between
posting and marking sends again after the two-minute lease with the same ``nonce``
(``chatops-<row id>``, ``enforce_nonce``), so Discord returns the first message
instead of posting a second one while it remembers the nonce (a few minutes).
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any, Awaitable, Callable

import aiohttp
import discord

from adapters.discord.render import render
from chatops import logs, outbox
from chatops.invocation import utcnow
from chatops.models import OutboundMessage
from chatops.reply import Reply, Text
from chatops.text import clip

if TYPE_CHECKING:
    from adapters.discord.bot import DiscordBot

log = logging.getLogger("adapters.discord.sender")

NEW_THREAD = "new"
THREAD_ARCHIVE_MINUTES = 1440


def thread_name(reply: Reply, fallback: str = "Conversation") -> str:
    for block in reply.blocks:
        if isinstance(block, Text) and block.text.strip():
            first = block.text.strip().splitlines()[0].strip("*_` ")
            return clip(first, 100) or fallback
    return fallback


def backoff(attempts: int) -> float:
    return min(600.0, 5.0 * 2 ** max(0, attempts - 1))


class OutboxSender:
    def __init__(self, bot: "DiscordBot", *, interval: float = 1.0, channel_interval: float = 1.0,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
                 now: Callable = utcnow) -> None:
        self.bot = bot
        self.interval = interval
        self.channel_interval = channel_interval
        self.clock = clock
        self.sleep = sleep
        self.now = now
        self._last_post: dict[str, float] = {}
        self._wake: asyncio.Event | None = None
        self._stopped = False

    def stop(self) -> None:
        """End :meth:`run_forever` after the current pass. Cancelling its task alone is not enough on
        Python 3.11: ``asyncio.wait_for`` drops a cancellation that arrives as its wait ends, and the
        loop would go on (a bot that never finished closing)."""
        self._stopped = True
        self.wake()

    def wake(self) -> None:
        if self._wake is not None:
            self._wake.set()

    async def run_forever(self) -> None:
        self._wake = asyncio.Event()
        if getattr(self.bot, "gateway", True):  # REST only (HTTP mode): nothing to wait for
            await self.bot.client.wait_until_ready()
        while not self._stopped:
            try:
                await self.drain_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - e.g. the database is down: try again next pass
                log.exception("discord outbox: pass failed")
            try:
                await asyncio.wait_for(self._wake.wait(), self.interval)
            except asyncio.TimeoutError:
                pass
            if self._stopped:
                return
            self._wake.clear()

    async def drain_once(self) -> int:
        """Deliver every due message once; returns how many were handled."""
        rows = await self.bot.run(outbox.claim, "discord", now=self.now(), lease=outbox.lease_of(self.bot.app.settings))
        for row in rows:
            await self.deliver(row)
        return len(rows)

    async def _pace(self, channel_id: str) -> None:
        last = self._last_post.get(channel_id)
        if last is not None:
            wait = last + self.channel_interval - self.clock()
            if wait > 0:
                await self.sleep(wait)
        self._last_post[channel_id] = self.clock()

    async def deliver(self, row: OutboundMessage) -> None:
        """Send one message and record the outcome in the outbox. Its log lines carry the message's correlation
        id (the request that caused it: chatops.logs)."""
        with logs.request(correlation_id=row.correlation_id, platform="discord"):
            await self._deliver(row)

    async def _deliver(self, row: OutboundMessage) -> None:
        try:
            reply = Reply.from_dict(row.reply)
            target = row.thread_id if row.thread_id and row.thread_id.isdigit() else row.channel_id
            channel_id = int(target)
        except (ValueError, KeyError, TypeError) as exc:
            log.error("discord outbox: message %s to %s is unreadable, not sent: %s", row.id, row.channel_id, exc)
            await self.bot.run(outbox.mark_failed, row, error=f"unreadable message: {exc}")
            return
        if row.edits:
            what, edit_channel, message_id = await self.bot.run(outbox.edit_target, row)
            if what == "wait":
                await self.bot.run(outbox.retry, row, now=self.now(), after_seconds=outbox.EDIT_WAIT_SECONDS,
                                   error="waiting for the message it edits to be sent", rate_limited=True)
                return
            if what == "edit":
                await self._edit(row, reply, int(edit_channel), int(message_id))
                return
        await self._pace(str(channel_id))
        channel = self.bot.client.get_channel(channel_id) or self.bot.client.get_partial_messageable(channel_id)
        try:
            # The nonce (with enforce_nonce, which discord.py sets) makes Discord answer a second send of the
            # same outbox row with the first message: a sender that stopped mid-post does not post twice.
            message = await channel.send(**render(reply).send_kwargs(), nonce=f"chatops-{row.id}"[:25])
        except (discord.Forbidden, discord.NotFound) as exc:
            log.error("discord outbox: message %s to %s failed for good: %s", row.id, channel_id, exc)
            await self.bot.run(outbox.mark_failed, row, error=f"{exc.status} {exc.text}"[:2000])
            return
        except (discord.HTTPException, aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            log.warning("discord outbox: message %s to %s will be retried: %s", row.id, channel_id, exc)
            await self.bot.run(outbox.retry, row, now=self.now(), after_seconds=backoff(row.attempts),
                               error=str(exc)[:2000])
            return
        if row.thread_id == NEW_THREAD:
            await self._start_thread(row, message, reply)
        await self.bot.run(outbox.mark_sent, row, now=self.now(), external_id=str(message.id))

    async def _edit(self, row: OutboundMessage, reply: Reply, channel_id: int, message_id: int) -> None:
        """Change the message an earlier row became (a card's new state); a deleted one is not posted again."""
        await self._pace(str(channel_id))
        out = render(reply)
        message = self.bot.client.get_partial_messageable(channel_id).get_partial_message(message_id)
        try:
            await message.edit(content=out.content or None, embeds=out.embeds, view=out.view,
                               allowed_mentions=out.allowed_mentions)
        except (discord.Forbidden, discord.NotFound) as exc:
            log.warning("discord outbox: message %s could not edit %s in %s: %s", row.id, message_id, channel_id, exc)
            await self.bot.run(outbox.mark_failed, row, error=f"edit: {exc.status} {exc.text}"[:2000])
            return
        except (discord.HTTPException, aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            log.warning("discord outbox: edit %s of %s will be retried: %s", row.id, message_id, exc)
            await self.bot.run(outbox.retry, row, now=self.now(), after_seconds=backoff(row.attempts),
                               error=str(exc)[:2000])
            return
        await self.bot.run(outbox.mark_sent, row, now=self.now(), external_id=str(message_id))

    async def _start_thread(self, row: OutboundMessage, message: discord.Message, reply: Reply) -> None:
        try:
            data = await self.bot.client.http.start_thread_with_message(
                message.channel.id, message.id, name=thread_name(reply),
                auto_archive_duration=THREAD_ARCHIVE_MINUTES)
        except discord.HTTPException as exc:  # the message is out; a missing thread must not re-post it
            log.error("discord outbox: message %s posted but its thread failed: %s", row.id, exc)
            return

        def store() -> None:
            OutboundMessage.update(thread_id=str(data["id"])).where(OutboundMessage.id == row.id).execute()

        await self.bot.run(store)
