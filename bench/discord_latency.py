"""Interaction → first callback latency over loopback: the chatops Discord adapter vs a bare discord.py bot.

    .venv/bin/python bench/discord_latency.py [-n 300]

Both bots are real discord.py clients connected to the fake Discord of the tests
(tests/discord/fakediscord.py) on 127.0.0.1, up at the same time in one process
and one event loop; their interactions alternate (bare, chatops, bare, ...), so
load on the machine hits both alike. The bare bot answers `/ping` with
`send_message("pong")`; chatops defers, runs the router (SQLite, built-in
commands) in a worker thread and sends the follow-up.

What is timed: from the gateway's INTERACTION_CREATE send to the moment the fake
*receives* the bot's first callback (``Call.at``, stamped when the request
reaches the fake's handler) — what Discord would see. The old figure ("woke")
stopped the clock when the benchmark's own coroutine resumed after the fake
recorded the call; for chatops that resume waits for the interaction's router
thread (submitted right after the defer) to give up the GIL and the CPU, so it
measured the router, not the defer. Both are printed.

Modes (per interaction):
  settled   the previous interaction is completely done (its handler task ended;
            for chatops the follow-up was sent and its response read); the
            loop stays busy (no sleep in between)
  idle      20 ms of idle event loop before each interaction (a quiet bot: the
            process wakes up from epoll; slower for both)
  overlap   each measured interaction (to either bot) is sent the moment a
            preceding chatops /ping's defer arrived, so that one's router is
            running in a worker thread meanwhile: GIL and CPU contention from the
            previous interaction
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
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

IDLE_GAP = 0.02


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


async def settle() -> None:
    """Until no discord.py event task (an interaction handler) is left, without letting the loop idle."""
    while any(t.get_name().startswith("discord.py: ") and not t.done() for t in asyncio.all_tasks()):
        await asyncio.sleep(0)


class Sample:
    def __init__(self) -> None:
        self.received: list[float] = []   # first callback, at the fake
        self.woke: list[float] = []       # first callback, when the benchmark coroutine resumed (old metric)
        self.followup: list[float] = []   # chatops: the follow-up, at the fake


async def one(gateway: FakeDiscord, rest: FakeDiscord, sample: Sample, *, followup: bool) -> None:
    payload = gateway.command("ping")
    after = len(rest.calls)
    start = time.perf_counter()
    await gateway.interaction(payload)
    token = payload["token"]
    callback = await rest.wait_for("POST", f"/interactions/{payload['id']}/{token}/callback", after=after)
    sample.woke.append((time.perf_counter() - start) * 1000)
    sample.received.append((callback.at - start) * 1000)
    if followup:
        call = await rest.wait_for("POST", f"/webhooks/{APP_ID}/{token}", after=after)
        sample.followup.append((call.at - start) * 1000)


async def busy_router(ours_gw: FakeDiscord, rest: FakeDiscord):
    """Send chatops a /ping and return once its defer arrived: its router is now running in a worker."""
    payload = ours_gw.command("ping")
    after = len(rest.calls)
    await ours_gw.interaction(payload)
    await rest.wait_for("POST", f"/interactions/{payload['id']}/{payload['token']}/callback", after=after)
    return rest.wait_for("POST", f"/webhooks/{APP_ID}/{payload['token']}", after=after)


async def run_mode(mode: str, n: int, warmup: int, bare_gw: FakeDiscord, ours_gw: FakeDiscord,
                   rest: FakeDiscord) -> tuple[Sample, Sample]:
    bare, ours, warm = Sample(), Sample(), Sample()
    for i in range(warmup + n):
        b, o = (bare, ours) if i >= warmup else (warm, warm)
        for gateway, sample, is_ours in ((bare_gw, b, False), (ours_gw, o, True)):
            await settle()
            if mode == "idle":
                await asyncio.sleep(IDLE_GAP)
            previous = await busy_router(ours_gw, rest) if mode == "overlap" else None
            await one(gateway, rest, sample, followup=is_ours)
            if previous is not None:
                await previous
        if len(rest.calls) > 1000:  # keep wait_for's scans short
            await settle()
            rest.calls.clear()
    await settle()
    rest.calls.clear()
    return bare, ours


async def bench(n: int, modes: list[str]) -> dict[str, tuple[Sample, Sample]]:
    # Route.BASE is process-wide: both bots' REST calls go to the fake started last ("rest");
    # each bot has its own gateway (a fake serves one websocket).
    bare_gw = FakeDiscord()
    bare_gw._ids = itertools.count(980000000000000001)  # interaction ids (and paths) distinct from ours_gw's
    await bare_gw.start()
    client = discord.Client(intents=discord.Intents.none(), guild_ready_timeout=0.05)

    @client.event
    async def on_interaction(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong")

    bare_task = asyncio.create_task(client.start("bench-token"))
    runner = ChatOpsRunner()
    ours_gw = FakeDiscord()
    bot: DiscordBot | None = None
    ours_task: asyncio.Task | None = None
    try:
        await asyncio.wait_for(bare_gw.ready.wait(), 5)
        await client.wait_until_ready()
        await ours_gw.start()
        bot = DiscordBot(runner.app, guild_ready_timeout=0.05, run_sender=False)
        ours_task = asyncio.create_task(bot.start("bench-token"))
        await asyncio.wait_for(ours_gw.ready.wait(), 5)
        await bot.client.wait_until_ready()
        return {mode: await run_mode(mode, n, 20, bare_gw, ours_gw, ours_gw) for mode in modes}
    finally:
        if bot is not None:
            await bot.close()
        await client.close()
        await asyncio.gather(bare_task, *([ours_task] if ours_task else []), return_exceptions=True)
        await ours_gw.stop()  # restores Route.BASE to bare_gw's, which restores the original
        await bare_gw.stop()
        runner.close()


def line(label: str, values: list[float]) -> str:
    return f"{label:<44} median {statistics.median(values):6.2f} ms   p95 {pct(values, 95):6.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=300, help="interactions per bot and mode")
    parser.add_argument("--modes", default="settled,idle,overlap", help="comma-separated: settled, idle, overlap")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    results = asyncio.run(bench(args.n, modes))
    print(f"interactions per bot and mode: {args.n} (loopback, fake Discord, Python {sys.version.split()[0]}, "
          f"discord.py {discord.__version__})")
    for mode, (bare, ours) in results.items():
        print(f"\n[{mode}]")
        if bare.received:
            print(line("bare discord.py   first callback (received)", bare.received))
        print(line("chatops adapter   first callback (received)", ours.received))
        if bare.received:
            print(f"{'ratio chatops/bare (received, median)':<44} "
                  f"{statistics.median(ours.received) / statistics.median(bare.received):.2f}x")
            print(line("bare discord.py   first callback (woke, old)", bare.woke))
        print(line("chatops adapter   first callback (woke, old)", ours.woke))
        print(line("chatops adapter   follow-up (received)", ours.followup))


if __name__ == "__main__":
    main()
