"""``chatops discord …``: sync the app commands on purpose, run the bot.

    chatops discord sync                    # global commands (PUT /applications/{id}/commands)
    chatops discord sync --guild 1234       # one guild's commands (instant; for testing)
    chatops discord sync --print            # show the JSON, call nothing
    chatops discord run                     # the bot in the foreground (Ctrl-C stops)

Syncing is a separate step because Discord limits command creation per day:
the bot never syncs on its own (not on start-up, not on reconnects).
"""
from __future__ import annotations

import asyncio
import json

import click

from adapters.discord.appcommands import commands_payload


def _app(ctx: click.Context):
    from chatops.cli import _app as core_app

    return core_app(ctx)


@click.group()
def discord() -> None:
    """Discord: sync app commands, run the bot."""


def explain(exc: BaseException, api_url: str) -> click.ClickException | None:
    """One line saying what to check, for a failure talking to Discord (None: not one of those)."""
    import aiohttp
    import discord as dpy

    if isinstance(exc, dpy.LoginFailure):
        return click.ClickException("Discord refused DISCORD_TOKEN (401 Unauthorized): copy the bot's token "
                                    "again from the Developer Portal (Bot → Reset Token)")
    if isinstance(exc, dpy.Forbidden):
        return click.ClickException(f"Discord answered 403 ({exc.text or 'Forbidden'}): check DISCORD_APPLICATION_ID "
                                    "and that the bot was invited with the applications.commands scope")
    if isinstance(exc, dpy.HTTPException):
        return click.ClickException(f"Discord answered {exc.status} ({exc.text or 'no detail'}); try again later")
    if isinstance(exc, (aiohttp.ClientError, OSError, asyncio.TimeoutError)):
        return click.ClickException(f"could not reach Discord at {api_url or 'discord.com'} ({exc or type(exc).__name__}); "
                                    "check the network and DISCORD_API_URL")
    return None


async def sync_commands(app, token: str, *, guild_id: int | None = None) -> list[dict]:
    """Replace the application's commands with the registry's; returns Discord's answer.

    A refused token, a Discord error or an unreachable API is a ``click.ClickException`` saying what to check."""
    try:
        return await _sync(app, token, guild_id)
    except click.ClickException:
        raise
    except Exception as exc:  # noqa: BLE001 - turned into one line when we know what it means
        explained = explain(exc, app.settings.discord.api_url)
        if explained is None:
            raise
        raise explained from None


async def _sync(app, token: str, guild_id: int | None) -> list[dict]:
    import discord as dpy

    from adapters.discord.bot import apply_endpoints

    apply_endpoints(app.settings.discord.api_url, app.settings.discord.gateway_url)
    payload = commands_payload(app.registry)
    application_id = app.settings.discord.application_id
    client = dpy.Client(intents=dpy.Intents.none(),
                        application_id=int(application_id) if application_id else None)
    try:
        await client.login(token)  # REST only: no gateway connection
        app_id = client.application_id
        if app_id is None:
            raise click.ClickException("could not tell the application id: set DISCORD_APPLICATION_ID")
        if guild_id:
            return await client.http.bulk_upsert_guild_commands(app_id, guild_id, payload)
        return await client.http.bulk_upsert_global_commands(app_id, payload)
    finally:
        await client.close()


@discord.command("sync")
@click.option("--guild", "guild_id", type=int, default=None,
              help="Sync to one guild (shows at once) instead of globally.")
@click.option("--print", "print_only", is_flag=True, help="Print the commands' JSON and call nothing.")
@click.pass_context
def sync(ctx: click.Context, guild_id: int | None, print_only: bool) -> None:
    """Register every command of the registry as a Discord app command."""
    app = _app(ctx)
    if print_only:
        click.echo(json.dumps(commands_payload(app.registry), indent=2))
        return
    token = app.settings.discord.token
    if not token:
        raise click.ClickException("DISCORD_TOKEN is not set")
    result = asyncio.run(sync_commands(app, token, guild_id=guild_id))
    where = f"guild {guild_id}" if guild_id else "global (may take a moment to show everywhere)"
    click.echo(f"Synced {len(result)} command(s), {where}: {', '.join(sorted(c['name'] for c in result))}")


@discord.command("run")
@click.pass_context
def run(ctx: click.Context) -> None:
    """Run the bot in the foreground (Ctrl-C or SIGTERM stops). Commands are not synced: see `sync`.

    On SIGTERM or SIGINT the bot finishes the work already running (up to CHATOPS_DRAIN_SECONDS),
    leaves the rest in the database for the next start, closes the gateway and exits 0.
    """
    import signal

    from adapters.discord.bot import DiscordBot
    from adapters.discord.runner import run_bot
    from chatops.cli import _require_schema

    app = _app(ctx)
    _require_schema(app)
    if not app.settings.discord.token:
        raise click.ClickException("DISCORD_TOKEN is not set")

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        bot = DiscordBot(app)
        click.echo("chatops: Discord bot starting; Ctrl-C or SIGTERM stops it.")
        await run_bot(bot, stop)

    try:
        asyncio.run(main())
    except Exception as exc:  # noqa: BLE001 - a refused token or unreachable Discord: one line, exit 1
        explained = explain(exc, app.settings.discord.api_url)
        if explained is None:
            raise
        raise explained from None
    click.echo("chatops: Discord bot stopped.")
