"""Sharding across processes: DISCORD_SHARD_IDS / DISCORD_SHARD_COUNT, validated; each process IDENTIFYs only its
own shards, answers interactions on them, and stops cleanly on SIGTERM."""
from __future__ import annotations

import signal

import discord
import pytest

from adapters.discord.bot import make_client
from chatops.settings import Settings
from tests.discord.fakediscord import APP_ID
from tests.discord.fakethread import FakeDiscordThread
from tests.discord.harness import content, run


def test_a_bot_with_shard_1_of_2_identifies_as_shard_1_of_2_and_answers(make_runner):
    settings = Settings.from_env({"DISCORD_SHARD_IDS": "1", "DISCORD_SHARD_COUNT": "2"})
    runner = make_runner(settings=settings)

    async def scenario(h):
        assert isinstance(h.bot.client, discord.AutoShardedClient)
        assert [d["shard"] for d in h.fake.identified] == [[1, 2]]
        _, callback, followup = await h.command("ping")
        assert callback.json["type"] == 5 and "pong" in content(followup)

    run(runner.app, scenario)


@pytest.mark.parametrize("env, message", [
    ({"DISCORD_SHARD_IDS": "2", "DISCORD_SHARD_COUNT": "2"}, "below DISCORD_SHARD_COUNT (2), not 2"),
    ({"DISCORD_SHARD_IDS": "0,1"}, "needs DISCORD_SHARD_COUNT"),
    ({"DISCORD_SHARD_IDS": "0", "DISCORD_SHARD_COUNT": "auto"}, "needs DISCORD_SHARD_COUNT"),
    ({"DISCORD_SHARD_IDS": "one", "DISCORD_SHARD_COUNT": "2"}, "DISCORD_SHARD_IDS must be shard numbers"),
    ({"DISCORD_SHARD_IDS": "1,1", "DISCORD_SHARD_COUNT": "2"}, "distinct"),
    ({"DISCORD_SHARD_COUNT": "0"}, "at least 1"),
])
def test_wrong_shard_settings_stop_start_up_with_one_clear_line(env, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Settings.from_env(env)


def test_without_shard_ids_the_client_is_unchanged():
    assert type(make_client(None)) is discord.Client
    client = make_client(4)
    assert isinstance(client, discord.AutoShardedClient) and client.shard_ids is None and client.shard_count == 4
    client = make_client(4, shard_ids=(3,))
    assert client.shard_ids == [3] and client.shard_count == 4


def test_a_shard_process_stops_cleanly_on_sigterm(tmp_path):
    from tests.faults import procs

    with FakeDiscordThread() as discord_fake, procs.fresh_database(tmp_path, None) as database_url:
        env = {"CHATOPS_DATABASE_URL": database_url, "DISCORD_TOKEN": "shard-token", "DISCORD_APPLICATION_ID": APP_ID,
               "DISCORD_API_URL": discord_fake.fake.api_url, "DISCORD_GATEWAY_URL": discord_fake.fake.gateway_url,
               "DISCORD_SHARD_IDS": "1", "DISCORD_SHARD_COUNT": "2", "CHATOPS_WORKERS": "2",
               "SLACK_BOT_TOKEN": "", "SLACK_SIGNING_SECRET": ""}
        migrated = procs.chatops_cli(env, "db", "upgrade")
        assert migrated.returncode == 0, migrated.stderr
        bot = procs.Server(env, port=0, log=tmp_path / "shard.log", args=("discord", "run"))
        try:
            bot.start(wait=False)
            discord_fake.wait_identified(1)
            assert [d["shard"] for d in discord_fake.fake.identified] == [[1, 2]]
            bot.kill(signal.SIGTERM)
            assert bot.wait(30) == 0, bot.log()[-3000:]
            assert "Discord bot stopped" in bot.log()
        finally:
            bot.stop()
