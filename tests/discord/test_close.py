"""Closing the bot always ends, even when a task swallowed its cancellation.

On Python 3.11 ``asyncio.wait_for`` drops a cancellation that arrives in the same loop turn as the
event it waits for: the outbox sender, woken by a new message just as the bot stops, would then go on
forever and ``close()`` — a SIGTERM, a deploy, a test — would never return (seen as a CI run that hung).
"""
from __future__ import annotations

import asyncio
import time

import pytest

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


STUCK_CALL = """
import asyncio, sys, time
from concurrent.futures import ThreadPoolExecutor
from adapters.executor import BoundedExecutor

async def main():
    pool = BoundedExecutor(2, 10, name="t") if sys.argv[1] == "bounded" else ThreadPoolExecutor(2)
    call = asyncio.get_running_loop().run_in_executor(pool, time.sleep, 60)  # a call stuck on a dead database
    try:
        await asyncio.wait_for(call, 0.2)
    except asyncio.TimeoutError:
        pass
    pool.shutdown(wait=False)  # what the bot's close() does
    print("closed", flush=True)

asyncio.run(main())
"""


def test_a_call_stuck_in_the_bots_threads_does_not_keep_the_process_from_exiting(make_runner, tmp_path):
    """The bot's pools are daemon threads: after close() the interpreter exits, whatever they wait for
    (ThreadPoolExecutor's threads are joined at exit: the control below is still there after 3 s)."""
    import subprocess
    import sys
    from pathlib import Path

    root = str(Path(__file__).resolve().parents[2])
    control = subprocess.Popen([sys.executable, "-c", STUCK_CALL, "stdlib"], cwd=tmp_path, env={"PYTHONPATH": root},
                               stdout=subprocess.PIPE, text=True)
    try:
        ours = subprocess.run([sys.executable, "-c", STUCK_CALL, "bounded"], cwd=tmp_path, env={"PYTHONPATH": root},
                              capture_output=True, text=True, timeout=20)
        assert ours.returncode == 0 and "closed" in ours.stdout, ours.stderr
        assert control.stdout.readline().strip() == "closed"  # the control too reached the end of its program…
        with pytest.raises(subprocess.TimeoutExpired):
            control.wait(2)  # …but cannot exit: the interpreter joins its stuck thread (a whole minute)
    finally:
        control.kill()
        control.wait()
        control.stdout.close()

    runner = make_runner(sample.group)

    async def scenario(h):
        threads = h.bot.executor._threads + h.bot.peek_executor._threads
        assert threads and all(t.daemon for t in threads)

    run(runner.app, scenario)
