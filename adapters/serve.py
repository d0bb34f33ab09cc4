"""``chatops run`` and ``chatops demo``: the web app (waitress), the accepted work, the hooks of the other parts.

    chatops run [--host --port --threads]     serve until SIGTERM / Ctrl-C, then drain and exit 0
    chatops run --workers 4                   the Procfile on one machine: gunicorn (4 web processes),
                                              `chatops worker` and, with DISCORD_TOKEN, `chatops discord run`
    chatops demo [--seed-only]                seed the demo data (idempotent), then serve

``chatops.cli`` entry points of this package (the core names no adapter). What starts beside the web
server are the ``chatops.run_hooks`` entry points (the scheduled jobs, the Discord bot).
"""
from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import click

from chatops import schema
from chatops.cli import _app, _require_schema, drain_seconds, start_hooks


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port.")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64),
              help="Request threads (of each web process with --workers; default there: CHATOPS_WEB_THREADS).")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), metavar="N",
              help="Web processes. 1: waitress in this process. N >= 2: gunicorn with deploy/gunicorn.conf.py "
                   "(N processes, each running accepted work), one `chatops worker` for the scheduled jobs and, "
                   "with DISCORD_TOKEN, `chatops discord run`: the Procfile on one machine.")
@click.pass_context
def run(ctx: click.Context, host: str, port: int, threads: int, workers: int) -> None:
    """Serve the web app (/healthz, /admin, /slack/events) with waitress, or with gunicorn (--workers N).

    SIGTERM or Ctrl-C: stop taking requests, finish running work (up to CHATOPS_DRAIN_SECONDS), exit 0.
    """
    app = _app(ctx)
    _require_schema(app)
    if workers == 1:
        _serve(app, host, port, threads)
        return
    threads_given = ctx.get_parameter_source("threads") is not click.core.ParameterSource.DEFAULT
    _serve_processes(app, host, port, workers, threads if threads_given else None)


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



# ---- chatops run --workers N: the Procfile's processes, supervised ------------------------------

PROCESSES = {  # the Procfile's lines (tests/ops_prod/test_topology.py keeps them equal)
    "web": "gunicorn -c deploy/gunicorn.conf.py wsgi:app",
    "worker": "chatops worker",
    "discord": "chatops discord run",
}
STOP_MARGIN_SECONDS = 10.0
"""After SIGTERM a child gets CHATOPS_DRAIN_SECONDS plus this before it is killed: gunicorn's own
graceful_timeout is the drain plus 5 s (deploy/gunicorn.conf.py), and it exits after that."""


def _gunicorn_conf() -> Path:
    """deploy/gunicorn.conf.py: in the working directory (the Procfile's, the image's /app), else in the
    source tree this package is in (an editable install)."""
    for root in (Path.cwd(), Path(__file__).resolve().parents[1]):
        conf = root / "deploy" / "gunicorn.conf.py"
        if conf.is_file():
            return conf
    raise click.ClickException("--workers runs gunicorn with deploy/gunicorn.conf.py, which is neither in the "
                               "working directory nor beside the installed package: run it from the project's "
                               "directory (in the image: /app)")


def _argv(line: str, conf: Path) -> list[str]:
    """A Procfile line as argv, run by this interpreter (``gunicorn`` → ``python -m gunicorn``)."""
    program, *args = line.split()
    module = {"gunicorn": "gunicorn", "chatops": "chatops.cli"}[program]
    return [sys.executable, "-m", module, *(str(conf) if a == "deploy/gunicorn.conf.py" else a for a in args)]


def _parent_death_signal():
    """Before exec in each child (Linux): SIGTERM when this process dies, even by SIGKILL — a supervisor
    killed with -9 leaves no server behind, and the children still drain. Elsewhere: None."""
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up here, not between fork and exec
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def set_it() -> None:
        prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the supervisor died before the line above
            os._exit(1)

    return set_it


def _accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host.strip("[]"), port), timeout=0.5):
            return True
    except OSError:
        return False


def _serve_processes(app, host: str, port: int, workers: int, threads: int | None) -> None:
    """Run the Procfile's processes until SIGTERM/SIGINT, then SIGTERM each and wait for its drain; exit 0
    when every one exited 0. A process that ends on its own stops the others (exit 1), like honcho."""
    from adapters.metrics_http import check_bind
    from chatops.workers import PoolConfig

    try:
        check_bind(app.settings, [host])  # as `chatops run` and the gunicorn config do
        PoolConfig.from_settings(app.settings)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    conf = _gunicorn_conf()
    bind = f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"
    env = {**os.environ, "CHATOPS_WEB_BIND": bind, "CHATOPS_WEB_PROCESSES": str(workers),
           "CHATOPS_DATABASE_URL": app.settings.database_url}
    if threads is not None:
        env["CHATOPS_WEB_THREADS"] = str(threads)
    names = ["web", "worker"]
    if app.settings.discord.token and app.settings.discord.gateway:
        names.append("discord")  # the gateway (DMs to the bot); HTTP interactions are the web processes'
    app.db.close()  # this process only watches: it holds no database connection

    stop = threading.Event()
    main_thread = threading.current_thread() is threading.main_thread()
    if main_thread:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda signum, frame: stop.set())
    children: dict[str, subprocess.Popen] = {}
    problems: dict[str, str] = {}  # name → what went wrong with it
    try:
        for name in names:
            # Each in its own session: a Ctrl-C in the terminal reaches only this process, which asks
            # gunicorn for its graceful stop (SIGTERM; gunicorn's SIGINT is a quick one).
            children[name] = subprocess.Popen(_argv(PROCESSES[name], conf), env=env, start_new_session=True,
                                              preexec_fn=_parent_death_signal())
        ready = False
        while not stop.wait(0.2):
            ended = {n: f"`{PROCESSES[n]}` exited with {p.returncode}" for n, p in children.items()
                     if p.poll() is not None}
            if ended:
                problems.update(ended)
                click.echo(f"chatops run: {'; '.join(ended.values())}: stopping the others.", err=True)
                break
            if not ready and _accepts(host, port):
                ready = True
                beside = " and ".join(f"`{PROCESSES[n]}`" for n in names[1:])
                click.echo(f"chatops serving on http://{bind}/ with {workers} web processes (gunicorn) and "
                           f"{beside} (health: /healthz; Ctrl-C stops)")
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second signal must not cut the drain short
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        click.echo(f"chatops stopping: finishing running work (up to {drain_seconds(app):g} s).")
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + drain_seconds(app) + STOP_MARGIN_SECONDS
        for name, child in children.items():
            try:
                code = child.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, signal.SIGKILL)  # gunicorn's web processes too
                child.wait()
                problems.setdefault(name, f"`{PROCESSES[name]}` did not stop in time: killed")
            else:
                if code != 0:
                    problems.setdefault(name, f"`{PROCESSES[name]}` exited with {code}")
    if problems:
        raise click.ClickException("; ".join(problems.values()))
    click.echo(f"chatops stopped: {', '.join(children)} exited 0.")


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


