"""Operations: `chatops discord sync`, the in-process runner of `chatops run`, sharding."""
from __future__ import annotations

import asyncio

import discord

from adapters.discord.cli import sync_commands
from adapters.discord.runner import start_in_process
from chatops.app import App
from chatops.plugins import build_registry
from chatops.settings import Settings
from tests.discord.fakediscord import APP_ID, GUILD_ID, FakeDiscord
from tests.discord.harness import Harness, content


def _app(runner, **env) -> App:
    settings = Settings.from_env({k.upper(): v for k, v in env.items()}, database_url="sqlite://")
    return App(settings, db=runner.db, registry=build_registry(), clock=runner.clock)


def test_sync_replaces_the_commands_global_or_per_guild(runner):
    async def main():
        fake = FakeDiscord()
        await fake.start()
        try:
            app = _app(runner, discord_api_url=fake.api_url)
            result = await sync_commands(app, "test-token")
            put = await fake.wait_for("PUT", f"/applications/{APP_ID}/commands")
            names = {c["name"] for c in put.json}
            assert {"help", "whoami", "ping", "support", "change-email"} <= names
            assert {c["name"] for c in result} == names
            await sync_commands(app, "test-token", guild_id=int(GUILD_ID))
            await fake.wait_for("PUT", f"/applications/{APP_ID}/guilds/{GUILD_ID}/commands")
            assert not fake.find("GET", "/gateway")  # REST only
        finally:
            await fake.stop()

    asyncio.run(main())


def test_the_bot_never_syncs_on_its_own(runner):
    async def scenario(h):
        await h.stop_bot()
        await h.start_bot()  # a reconnect
        assert not h.fake.find("PUT")

    from tests.discord.harness import run
    run(runner.app, scenario)


def test_chatops_run_starts_the_bot_in_process_only_with_a_token(runner):
    assert start_in_process(_app(runner)) is None

    async def main():
        fake = FakeDiscord()
        await fake.start()
        handle = None
        try:
            app = _app(runner, discord_token="test-token", discord_api_url=fake.api_url,
                       discord_gateway_url=fake.gateway_url)
            handle = start_in_process(app, guild_ready_timeout=0.05)
            await asyncio.wait_for(fake.ready.wait(), 5)
            payload = await fake.interaction(fake.command("ping"))
            followup = await fake.wait_for(("POST", "PATCH"), f"/webhooks/{APP_ID}/{payload['token']}")
            assert "pong" in content(followup)
        finally:
            if handle is not None:
                await asyncio.to_thread(handle.stop)
            await fake.stop()
        assert handle is not None and not handle.thread.is_alive() and handle.error is None

    asyncio.run(main())


def test_sharding_uses_the_auto_sharded_client(runner):
    async def main():
        fake = FakeDiscord()
        await fake.start()
        h = Harness(_app(runner, discord_shard_count="auto"), fake)
        try:
            bot = await h.start_bot()
            assert isinstance(bot.client, discord.AutoShardedClient)
            assert fake.find("GET", "/gateway/bot")
            _, _, followup = await h.command("ping")
            assert "pong" in content(followup)
        finally:
            await h.stop_bot()
            await fake.stop()

    asyncio.run(main())
    plain = Harness(_app(runner), None)
    assert plain.app.settings.discord.shard_count is None


def test_sync_with_a_refused_token_or_no_discord_says_what_to_check_in_one_line(runner):
    import click
    import pytest

    from tests.faults.procs import free_port

    async def main():
        fake = FakeDiscord(refused_token="reset-token")
        await fake.start()
        try:
            with pytest.raises(click.ClickException) as refused:
                await sync_commands(_app(runner, discord_api_url=fake.api_url), "reset-token")
            assert "refused DISCORD_TOKEN" in refused.value.message and "\n" not in refused.value.message
            assert not fake.find("PUT")
        finally:
            await fake.stop()
        nowhere = f"http://127.0.0.1:{free_port()}/api/v10"
        with pytest.raises(click.ClickException) as unreachable:
            await sync_commands(_app(runner, discord_api_url=nowhere), "test-token")
        assert f"could not reach Discord at {nowhere}" in unreachable.value.message

    asyncio.run(main())
