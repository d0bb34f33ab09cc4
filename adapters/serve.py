"""``chatops run`` and ``chatops demo``: the web app (waitress), the accepted work, the hooks of the other parts.

    chatops run [--host --port --threads]     serve until SIGTERM / Ctrl-C, then drain and exit 0
    chatops demo [--seed-only]                seed the demo data (idempotent), then serve

``chatops.cli`` entry points of this package (the core names no adapter). What starts beside the web
server are the ``chatops.run_hooks`` entry points (the scheduled jobs, the Discord bot).
"""
from __future__ import annotations

import logging
import signal
import threading

import click

from chatops import schema
from chatops.cli import _app, _require_schema, drain_seconds, start_hooks


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port.")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64), help="Worker threads.")
@click.pass_context
def run(ctx: click.Context, host: str, port: int, threads: int) -> None:
    """Serve the web app (/healthz, /admin, /slack/events) with waitress."""
    app = _app(ctx)
    _require_schema(app)
    _serve(app, host, port, threads)


def _stop_on_signal(signum, frame) -> None:
    raise KeyboardInterrupt


def _serve(app, host: str, port: int, threads: int) -> None:
    """Serve until SIGTERM/SIGINT; then stop taking requests, finish running work (up to
    CHATOPS_DRAIN_SECONDS), leave the rest in the database for the next start, and return (exit 0)."""
    from waitress.server import create_server

    from adapters.metrics_http import check_bind
    from adapters.web import create_app

    try:
        check_bind(app.settings, [host])  # CHATOPS_METRICS=on on a public address needs CHATOPS_METRICS_TOKEN
        pool = app.work_pool()  # checks the CHATOPS_WORK* settings before anything starts
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    flask_app = create_app(app)
    background = start_hooks(app, "chatops.run_hooks")
    pool.start()  # after the adapters added their handlers: accepted work left by an earlier run starts now
    if threading.current_thread() is threading.main_thread():
        # `kill` (SIGTERM) stops the server like Ctrl-C does, and the finally below stops the rest.
        signal.signal(signal.SIGTERM, _stop_on_signal)
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    server = create_server(flask_app, host=host, port=port, threads=threads, ident="chatops")
    click.echo(f"chatops serving on http://{host}:{port}/  (health: /healthz; Ctrl-C stops)")
    try:
        server.run()  # returns on SIGTERM / Ctrl-C, after the requests in progress were answered
    except KeyboardInterrupt:
        pass
    finally:
        try:
            server.close()  # no new connections while the work drains
        except Exception:  # noqa: BLE001 - stopping anyway
            pass
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut the drain short
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        click.echo(f"chatops stopping: finishing running work (up to {drain_seconds(app):g} s).")
        report = pool.stop()
        for handle in background:
            handle.stop()
        slack = flask_app.extensions.get("chatops.slack")
        if slack is not None:
            slack.stop(0)
        click.echo(f"chatops stopped: {report.finished} finished, {report.released + report.left} left for the "
                   "next start.")



@click.command()
@click.option("--seed-only", is_flag=True, help="Seed the demo data and exit.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.pass_context
def demo(ctx: click.Context, seed_only: bool, host: str, port: int) -> None:
    """Seed demo communities, tiers and people (idempotent), then run the web app."""
    from chatops import demo as demo_data

    app = _app(ctx)
    applied = schema.upgrade(app.db)
    if applied:
        click.echo(f"Applied {len(applied)} migration(s).")
    report = demo_data.seed()
    for hook in demo_data.extra_seeders():
        hook(click.echo)
    click.echo(f"Demo data ready in {app.settings.database_url} ({report.created} new row(s)).")
    click.echo("Try it:  chatops shell        (then: help, whoami)")
    click.echo("         echo whoami | chatops shell --as slack:U0CORACUST --community T0MAKERDAO")
    if not seed_only:
        click.echo(f"Then open http://{host}:{port}/admin/ , sign in, and start in the Playground.")
        _serve(app, host, port, 8)


