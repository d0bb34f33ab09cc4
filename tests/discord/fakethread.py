"""The fake Discord on its own event loop in a thread, for synchronous tests (a Flask test client, a real
server process) that need Discord's REST routes (follow-ups) or its gateway.

    with FakeDiscordThread() as discord_fake:
        ...                                            # discord_fake.fake.api_url is the REST base
        [answer] = discord_fake.wait_followups(payload)  # the follow-ups for one interaction
"""
from __future__ import annotations

import asyncio
import threading
import time

from tests.discord.fakediscord import APP_ID, Call, FakeDiscord


class FakeDiscordThread:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True, name="fake-discord")
        self.thread.start()
        self.fake: FakeDiscord = self.call(self._make())

    async def _make(self) -> FakeDiscord:
        fake = FakeDiscord()
        await fake.start()
        return fake

    def call(self, coro, timeout: float = 10):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def answers(self, payload) -> list[Call]:
        """What was sent through the interaction's webhook: follow-ups and edits of the original."""
        prefix = f"/webhooks/{APP_ID}/{payload['token']}"
        return [c for c in list(self.fake.calls) if c.path.startswith(prefix) and c.method in ("POST", "PATCH")]

    def wait_answers(self, payload, count: int = 1, timeout: float = 10.0, settle: float = 0.3) -> list[Call]:
        end = time.monotonic() + timeout
        while time.monotonic() < end and len(self.answers(payload)) < count:
            time.sleep(0.02)
        time.sleep(settle)  # anything more (a second answer) would arrive meanwhile
        return self.answers(payload)

    def wait_identified(self, count: int, timeout: float = 40) -> None:
        end = time.monotonic() + timeout
        while self.fake.identifies < count or self.fake.ws is None or self.fake.ws.closed:
            assert time.monotonic() < end, "the bot did not connect"
            time.sleep(0.05)

    def close(self) -> None:
        try:
            self.call(self.fake.stop())
            assert not self.fake.mention_violations, self.fake.mention_violations
            assert not self.fake.limit_violations, self.fake.limit_violations
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(5)
            self.loop.close()

    def __enter__(self) -> "FakeDiscordThread":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
