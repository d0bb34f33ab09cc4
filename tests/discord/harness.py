"""Drive a real DiscordBot against the fake Discord, in one event loop per test.

    def test_ping(runner):
        async def scenario(h: Harness):
            await h.fake.interaction(h.fake.command("ping"))
            call = await h.followup()
            assert "pong" in call.json["content"]
        run(runner, scenario)
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable

from adapters.discord.bot import DiscordBot
from adapters.discord.sender import OutboxSender
from tests.discord.fakediscord import Call, FakeDiscord

TIMEOUT = 5.0


class Harness:
    def __init__(self, app, fake: FakeDiscord, **bot_options: Any) -> None:
        self.app = app
        self.fake = fake
        self.bot_options = bot_options
        self.bot: DiscordBot | None = None
        self._task: asyncio.Task | None = None

    async def start_bot(self) -> DiscordBot:
        self.fake.ready.clear()
        options = {"guild_ready_timeout": 0.05, "workers": 4, **self.bot_options}
        self.bot = DiscordBot(self.app, **options)
        self._task = asyncio.create_task(self.bot.start("test-token"))
        await asyncio.wait_for(self.fake.ready.wait(), TIMEOUT)
        await asyncio.wait_for(self.bot.client.wait_until_ready(), TIMEOUT)
        return self.bot

    async def stop_bot(self) -> None:
        if self.bot is not None:
            await self.bot.close()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
        self.bot, self._task = None, None

    # ---- what the bot sent back for one interaction --------------------------------------
    async def callback(self, payload: dict[str, Any]) -> Call:
        return await self.fake.wait_for("POST", f"/interactions/{payload['id']}/{payload['token']}/callback")

    async def followup(self, payload: dict[str, Any], **kw: Any) -> Call:
        """The answer to a deferred interaction: the edit of its deferred original response (a command's answer)
        or a follow-up message (POST /webhooks/{app}/{token})."""
        where = kw.pop("where", None)
        return await self.fake.wait_for(
            ("POST", "PATCH"), f"/webhooks/{self.fake_app_id}/{payload['token']}",
            where=lambda c: (c.method == "POST" or c.path.endswith("/messages/@original")) and (where is None or where(c)),
            **kw)

    @property
    def fake_app_id(self) -> str:
        from tests.discord.fakediscord import APP_ID
        return APP_ID

    async def command(self, name: str, options: dict[str, Any] | None = None, *, types: dict[str, int] | None = None,
                      **kw: Any) -> tuple[dict, Call, Call]:
        """Send /name with options; wait for the callback and the follow-up."""
        opts = [{"name": k, "type": (types or {}).get(k, 3), "value": v} for k, v in (options or {}).items()]
        payload = await self.fake.interaction(self.fake.command(name, opts, **kw))
        callback = await self.callback(payload)
        followup = await self.followup(payload)
        return payload, callback, followup

    async def press(self, on: Call, label: str, **kw: Any) -> tuple[dict, Call]:
        """Click the button labelled ``label`` on the message ``on`` (a follow-up or channel post the bot sent),
        as a user (``user_id=``, ``roles=``); wait for the bot's first callback."""
        message = message_body(on)
        custom_id = button_ids(on)[label]
        payload = self.fake.button(custom_id, ephemeral_message=self.ephemeral(on), **kw)
        payload["message"]["components"] = message.get("components") or []
        payload["message"]["content"] = message.get("content") or ""
        await self.fake.interaction(payload)
        return payload, await self.callback(payload)

    async def press_result(self, on: Call, label: str, **kw: Any) -> Call:
        """Click and return what the presser sees: the edited preview (a press on an ephemeral message)
        or the follow-up."""
        payload, callback = await self.press(on, label, **kw)
        assert callback.json["type"] == 6, callback.json  # deferred update: nothing shown while it runs
        token = payload["token"]
        return await self.fake.wait_for(("POST", "PATCH"), f"/webhooks/{self.fake_app_id}/{token}",
                                        where=lambda c: c.method == "POST" or c.path.endswith("/messages/@original"))

    def ephemeral(self, sent: Call) -> bool:
        """Whether the message a call made is ephemeral: its own flags, or for an edit of a deferred original
        response, the flags the interaction was deferred with (as Discord keeps them)."""
        return self.fake.ephemeral(sent)

    def use_instant_sender(self, now: Callable[[], Any]) -> OutboxSender:
        """An outbox sender whose one-per-second pacing passes no real time; drain it with ``drain_once``."""
        assert self.bot is not None
        ticks = [0.0]

        async def sleep(seconds: float) -> None:
            ticks[0] += seconds

        self.bot.sender = OutboxSender(self.bot, clock=lambda: ticks[0], sleep=sleep, now=now)
        return self.bot.sender


def run(app, scenario: Callable[[Harness], Awaitable[None]], **bot_options: Any) -> None:
    """Start the fake and the bot, run ``scenario``, and tear everything down."""
    async def main() -> None:
        fake = FakeDiscord()
        await fake.start()
        harness = Harness(app, fake, **bot_options)
        try:
            await harness.start_bot()
            await scenario(harness)
        finally:
            await harness.stop_bot()
            await fake.stop()
        assert not fake.mention_violations, fake.mention_violations
        assert not fake.limit_violations, fake.limit_violations

    asyncio.run(main())


def content(call: Call) -> str:
    """The text a message call shows: content plus embed titles, descriptions and fields."""
    body = call.json or {}
    data = body.get("data", body)
    parts = [data.get("content") or ""]
    for embed in data.get("embeds") or ():
        parts.append(embed.get("title") or "")
        parts.append(embed.get("description") or "")
        for f in embed.get("fields") or ():
            parts.append(f"{f['name']}: {f['value']}")
    return "\n".join(p for p in parts if p)


def message_body(call: Call) -> dict[str, Any]:
    body = call.json or {}
    return body.get("data", body)


def custom_ids(call: Call) -> list[str]:
    data = message_body(call)
    return [c["custom_id"] for row in data.get("components") or () for c in row.get("components", ())
            if "custom_id" in c]


def button_ids(call: Call) -> dict[str, str]:
    """Button label → custom id, for the message a call sent."""
    data = message_body(call)
    return {c.get("label", ""): c["custom_id"] for row in data.get("components") or ()
            for c in row.get("components", ()) if "custom_id" in c}


def quiet_discord_logs() -> None:
    logging.getLogger("discord").setLevel(logging.WARNING)


__all__ = ["Harness", "OutboxSender", "button_ids", "content", "custom_ids", "message_body", "run"]
