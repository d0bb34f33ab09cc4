"""Interaction → first callback latency over loopback: the chatops Discord adapter vs a bare discord.py bot.

    .venv/bin/python bench/discord_latency.py [-n 300]

Both bots are real discord.py clients connected to the fake Discord of the tests
(tests/discord/fakediscord.py) on 127.0.0.1, in one run, one after the other.
For each INTERACTION_CREATE the clock runs from the gateway send to the moment
the fake receives the bot's first callback (POST …/callback). The bare bot
answers `/ping` with `send_message("pong")`; chatops defers at once, then runs
the router (SQLite, built-in commands) in a worker thread and sends the
follow-up, whose latency is shown too. Prints medians, p95 and the ratio.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    import discord

from adapters.discord.bot import DiscordBot  # noqa: E402
from chatops.testing import ChatOpsRunner  # noqa: E402
from tests.discord.fakediscord import APP_ID, FakeDiscord  # noqa: E402


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


async def measure(fake: FakeDiscord, n: int, *, followup: bool) -> tuple[list[float], list[float]]:
    first, full = [], []
    for _ in range(n):
        payload = fake.command("ping")
        start = time.perf_counter()
        await fake.interaction(payload)
        await fake.wait_for("POST", f"/interactions/{payload['id']}/{payload['token']}/callback",
                            after=max(0, len(fake.calls) - 4))
        first.append((time.perf_counter() - start) * 1000)
        if followup:
            await fake.wait_for("POST", f"/webhooks/{APP_ID}/{payload['token']}", after=max(0, len(fake.calls) - 4))
            full.append((time.perf_counter() - start) * 1000)
        fake.calls.clear()
    return first, full


async def bare_bot(n: int) -> list[float]:
    fake = FakeDiscord()
    await fake.start()
    client = discord.Client(intents=discord.Intents.none(), guild_ready_timeout=0.05)

    @client.event
    async def on_interaction(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong")

    task = asyncio.create_task(client.start("bench-token"))
    try:
        await asyncio.wait_for(fake.ready.wait(), 5)
        await client.wait_until_ready()
        await measure(fake, 20, followup=False)  # warm-up
        first, _ = await measure(fake, n, followup=False)
        return first
    finally:
        await client.close()
        await asyncio.gather(task, return_exceptions=True)
        await fake.stop()


async def chatops_bot(n: int) -> tuple[list[float], list[float]]:
    runner = ChatOpsRunner()
    fake = FakeDiscord()
    await fake.start()
    bot = DiscordBot(runner.app, guild_ready_timeout=0.05, run_sender=False)
    task = asyncio.create_task(bot.start("bench-token"))
    try:
        await asyncio.wait_for(fake.ready.wait(), 5)
        await bot.client.wait_until_ready()
        await measure(fake, 20, followup=True)
        return await measure(fake, n, followup=True)
    finally:
        await bot.close()
        await asyncio.gather(task, return_exceptions=True)
        await fake.stop()
        runner.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=300, help="interactions per bot")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    async def both():
        return await bare_bot(args.n), await chatops_bot(args.n)

    bare, (ours, ours_full) = asyncio.run(both())
    b, o, f = statistics.median(bare), statistics.median(ours), statistics.median(ours_full)
    print(f"interactions per bot: {args.n} (loopback, fake Discord)")
    print(f"bare discord.py  first callback: median {b:.2f} ms  p95 {pct(bare, 95):.2f} ms")
    print(f"chatops adapter  first callback: median {o:.2f} ms  p95 {pct(ours, 95):.2f} ms  (defer)")
    print(f"chatops adapter  follow-up     : median {f:.2f} ms  p95 {pct(ours_full, 95):.2f} ms  (router + answer)")
    print(f"ratio chatops/bare (first callback, median): {o / b:.2f}x")


if __name__ == "__main__":
    main()
