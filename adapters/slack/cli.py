"""``chatops slack …``: the app manifest and Socket Mode.

    chatops slack manifest --url https://chatops.example.com     # HTTP mode
    chatops slack manifest --socket-mode                          # Socket Mode (no public URL)
    chatops slack socket                                          # run over Socket Mode (SLACK_APP_TOKEN)
"""
from __future__ import annotations

import json
import logging

import click

from chatops.cli import _app, _require_schema

from adapters.slack.manifest import build_manifest

log = logging.getLogger("adapters.slack.cli")


@click.group()
def slack() -> None:
    """Slack: app manifest, Socket Mode."""


@slack.command()
@click.option("--url", default=None, metavar="URL",
              help="Public base URL of this app (https://…); commands, events and buttons go to URL/slack/events.")
@click.option("--socket-mode", is_flag=True, help="Manifest for Socket Mode (no public URL needed).")
@click.option("--name", default="chatops", show_default=True, help="The app's name in Slack.")
@click.pass_context
def manifest(ctx: click.Context, url: str | None, socket_mode: bool, name: str) -> None:
    """Print a Slack app manifest: every command as a slash command, scopes, events, interactivity."""
    if not url and not socket_mode:
        raise click.UsageError("give --url https://your-host (HTTP mode) or --socket-mode")
    if url and not url.startswith(("https://", "http://")):
        raise click.BadParameter("must start with https://", param_hint="--url")
    app = _app(ctx)
    data = build_manifest(app.registry, url=url, socket_mode=socket_mode, name=name)
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


@slack.command()
@click.pass_context
def socket(ctx: click.Context) -> None:
    """Run the Slack adapter over Socket Mode (needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN)."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from adapters.slack.app import SlackAdapter
    from adapters.slack.config import SlackConfig

    app = _app(ctx)
    _require_schema(app)
    config = SlackConfig.from_settings(app.settings)
    if not config.socket_enabled:
        raise click.ClickException("Socket Mode needs SLACK_BOT_TOKEN (xoxb-…) and SLACK_APP_TOKEN (xapp-…)")
    adapter = SlackAdapter(app, config, socket_mode=True).start()
    handler = SocketModeHandler(adapter.bolt, config.app_token)
    click.echo("chatops: Slack Socket Mode connected; Ctrl-C stops.")
    try:
        handler.start()
    finally:
        handler.close()
        adapter.stop()
