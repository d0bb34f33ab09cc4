"""``chatops discord …``: sync the app commands on purpose, run the bot, set up HTTP interactions.

    chatops discord sync                    # global commands (PUT /applications/{id}/commands)
    chatops discord sync --guild 1234       # one guild's commands (instant; for testing)
    chatops discord sync --print            # show the JSON, call nothing
    chatops discord run                     # the gateway bot in the foreground (Ctrl-C stops)
    chatops discord http-info --base-url https://chatops.example.com   # the Interactions Endpoint URL to paste

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
    """Discord: sync app commands, run the gateway bot, set up HTTP interactions.

    \b
    Two ways to receive interactions (commands, buttons, forms):
      gateway  `chatops discord run` (or `chatops run` with DISCORD_TOKEN) keeps a
               websocket to Discord. Needed for DMs to the bot. One process per
               shard set: DISCORD_SHARD_COUNT=N with DISCORD_SHARD_IDS=0,1 … splits
               the shards across processes.
      HTTP     set DISCORD_PUBLIC_KEY: the web app mounts POST /discord/interactions
               (Ed25519-verified) and answers by REST follow-up; any number of web
               processes behind a load balancer. Paste the URL from `http-info` into
               the Developer Portal (Interactions Endpoint URL). DMs still need a
               gateway process; DISCORD_GATEWAY=off keeps `chatops run` off it.
    """


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
        shards = app.settings.discord.shard_ids
        which = (f" (shards {','.join(map(str, shards))} of {app.settings.discord.shard_count})" if shards else "")
        click.echo(f"chatops: Discord bot starting{which}; Ctrl-C or SIGTERM stops it.")
        await run_bot(bot, stop)

    try:
        asyncio.run(main())
    except Exception as exc:  # noqa: BLE001 - a refused token or unreachable Discord: one line, exit 1
        explained = explain(exc, app.settings.discord.api_url)
        if explained is None:
            raise
        raise explained from None
    click.echo("chatops: Discord bot stopped.")


@discord.command("http-info")
@click.option("--base-url", default="", metavar="URL",
              help="Where the web app is reachable from the internet, like https://chatops.example.com.")
@click.pass_context
def http_info(ctx: click.Context, base_url: str) -> None:
    """Print the Interactions Endpoint URL for the Developer Portal and which Discord settings are set."""
    from adapters.discord.http import PATH
    from chatops.settings import Settings

    try:
        settings = Settings.from_env().discord  # no database needed to say what is set
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    base = base_url.rstrip("/") or "https://<your public host>"
    yes = lambda value: "set" if value else "NOT SET"  # noqa: E731
    lines = [
        f"Interactions Endpoint URL: {base}{PATH}",
        "  paste it in the Developer Portal → your application → General Information → Interactions Endpoint URL;",
        "  Discord then POSTs a signed PING, which must be answered (the web app must be running with the settings below).",
        "",
        f"DISCORD_PUBLIC_KEY      {yes(settings.public_key)}  (General Information → Public Key; mounts the endpoint)",
        f"DISCORD_TOKEN           {yes(settings.token)}  (answers go through the REST API with the bot token)",
        f"DISCORD_APPLICATION_ID  {settings.application_id or 'not set (read from the token at login)'}",
        f"DISCORD_GATEWAY         {'on' if settings.gateway else 'off'}  (`chatops run` connects the gateway: DMs)",
        f"DISCORD_SHARD_COUNT     {settings.shard_count or 'not set (one connection)'}",
        f"DISCORD_SHARD_IDS       {','.join(map(str, settings.shard_ids)) if settings.shard_ids else 'all'}",
    ]
    if settings.public_key and settings.token:
        lines += ["", "HTTP mode is on: POST /discord/interactions is mounted in the web app."]
    else:
        lines += ["", "HTTP mode is off: set DISCORD_PUBLIC_KEY and DISCORD_TOKEN to mount it."]
    lines += ["With the endpoint saved in the portal, interactions no longer arrive over the gateway;",
              "DMs to the bot still do: run `chatops discord run` (one process per shard set) to read them."]
    click.echo("\n".join(lines))
