"""Closing the bot always ends, even when a task swallowed its cancellation.

On Python 3.11 ``asyncio.wait_for`` drops a cancellation that arrives in the same loop turn as the
event it waits for: the outbox sender, woken by a new message just as the bot stops, would then go on
forever and ``close()`` — a SIGTERM, a deploy, a test — would never return (seen as a CI run that hung).
"""
from __future__ import annotations

import asyncio
import time

from tests.discord import sample
from tests.discord.harness import run


def test_close_ends_even_when_the_sender_swallowed_its_cancellation(make_runner):
    runner = make_runner(sample.group)

    async def scenario(h):
        bot = h.bot
        sender_task = bot._sender_task
        assert sender_task is not None
        drain = bot.drain

        async def drain_then_a_message(deadline=None):
            await drain(deadline)
            bot.sender.wake()  # work that just finished queued a message: woken in the turn of the cancel

        bot.drain = drain_then_a_message
        await asyncio.sleep(0.2)                   # the sender waits for work
        started = time.monotonic()
        await asyncio.wait_for(bot.close(), 30)  # before the fix: waited for the sender until cancelled again
        assert time.monotonic() - started < 8 and sender_task.done()
        h.bot = None                               # closed here; the harness has nothing left to close

    run(runner.app, scenario)
