"""``chatops slack …``: the app manifest and Socket Mode.

    chatops slack manifest --url https://chatops.example.com     # HTTP mode
    chatops slack manifest --socket-mode                          # Socket Mode (no public URL)
    chatops slack socket                                          # run over Socket Mode (SLACK_APP_TOKEN)
"""
from __future__ import annotations

import json
import logging
import signal
import threading

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
    from slack_sdk.errors import SlackApiError

    from adapters.slack.config import SlackConfig
    from adapters.slack.socketmode import serve

    app = _app(ctx)
    _require_schema(app)
    config = SlackConfig.from_settings(app.settings)
    if not config.socket_enabled:
        raise click.ClickException("Socket Mode needs SLACK_BOT_TOKEN (xoxb-…) and SLACK_APP_TOKEN (xapp-…)")
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        # Event.set takes a lock the interrupted main thread may hold (inside stop.wait): set it from a thread.
        threading.Thread(target=stop.set, name="slack-socket-stop", daemon=True).start()

    def on_connected(connected: bool) -> None:
        if connected:
            click.echo("chatops: Slack Socket Mode connected; Ctrl-C stops.")
        else:
            click.echo("chatops: could not open the Socket Mode websocket yet; retrying (see the log). "
                       "Ctrl-C stops.", err=True)

    previous = {}
    if threading.current_thread() is threading.main_thread():
        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        serve(app, config, stop, on_connected=on_connected)
    except SlackApiError as exc:
        raise click.ClickException(f"Slack refused the app token (apps.connections.open): "
                                   f"{exc.response.get('error', exc)}") from None
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    click.echo("chatops: Slack Socket Mode stopped.")
