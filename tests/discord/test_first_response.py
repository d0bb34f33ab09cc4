"""The first response to an interaction never waits for the router's worker pool.

With every worker held, a command is still deferred, a press still deferred, a form still opens (its
policy peek has a pool of its own) and a staff-only form is still refused; only the follow-ups wait.
"""
from __future__ import annotations

import asyncio
import logging
import threading

from tests.discord import sample
from tests.discord.harness import content, run

EPHEMERAL = 64
WORKERS = 2


def test_first_responses_do_not_wait_for_a_busy_router_pool(make_runner, caplog):
    from chatops.settings import Settings
    runner = make_runner(sample.group, settings=Settings.from_env({"CHATOPS_WORKERS": str(WORKERS)}))
    runner.person("Sam Support", roles=["support"], identities=["discord:940000000000000101"])
    caplog.set_level(logging.WARNING, logger="adapters.discord")
    release = threading.Event()

    async def scenario(h):
        _, _, asked = await h.command("ask", {"topic": "fees", "text": "why two?"})
        started = threading.Semaphore(0)

        class Hold:  # work of another kind that occupies every worker of the pool
            def run(self, item) -> None:
                started.release()
                release.wait(10)

            def dead(self, item, reason) -> None:
                pass

        h.bot.pool.add_handler("hold", Hold())
        for i in range(WORKERS):
            await asyncio.to_thread(h.bot.pool.accept, "hold", f"hold-{i}", {})
        for _ in range(WORKERS):
            assert await asyncio.to_thread(started.acquire, timeout=5)
        before = len(h.fake.calls)

        ping = await h.fake.interaction(h.fake.command("ping"))
        assert (await h.callback(ping)).json["type"] == 5
        press, callback = await h.press(asked, "Claim")
        assert callback.json["type"] == 6
        form = await h.fake.interaction(h.fake.command("staff-note", user_id="940000000000000101"))
        assert (await h.callback(form)).json["type"] == 9  # staff: the form opens
        denied = await h.fake.interaction(h.fake.command("staff-note"))
        assert (await h.callback(denied)).json["type"] == 5  # not staff: no form; deferred, the core answers
        # every first response is out, and no follow-up could be sent meanwhile
        assert not [c for c in h.fake.calls[before:] if c.path.startswith("/webhooks/")]

        release.set()
        assert "pong" in content(await h.followup(ping))
        assert "claim by" in content(await h.followup(press))
        refused = await h.followup(denied)
        assert h.fake.ephemeral(refused) and "You can't do that" in content(refused)

    try:
        run(runner.app, scenario)
    finally:
        release.set()
    assert "took over" not in caplog.text  # the form's policy peek never timed out
