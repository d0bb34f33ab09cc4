"""The bot against the fake Discord: login, gateway, an app command deferred and followed up."""
from __future__ import annotations

from tests.discord.harness import content, run

EPHEMERAL = 64


def test_ping_is_deferred_then_followed_up(runner):
    async def scenario(h):
        payload, callback, followup = await h.command("ping")
        assert callback.json["type"] == 5  # deferred channel message: answered at once
        assert callback.json["data"]["flags"] & EPHEMERAL  # META commands defer ephemerally
        assert callback.query == {"with_response": "1"}
        assert "pong" in content(followup)
        assert h.fake.calls.index(callback) < h.fake.calls.index(followup)

    run(runner.app, scenario)
