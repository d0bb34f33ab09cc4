"""The ``chatops`` command line (click).

    chatops db upgrade            apply schema migrations (idempotent)
    chatops shell [--as slack:U1] the console adapter
    chatops audit verify          check the audit hash chain
    chatops run                   serve the web app (/healthz, /admin, /slack/events)
    chatops demo [--seed-only]    seed the demo data, then run

Subcommand groups of the adapters and panels (``slack``, ``discord``,
``admin``, ``worker``…) load lazily from their own modules when installed; the
core imports no web or chat framework.
"""
from __future__ import annotations

import importlib
import logging
import os
import signal
import sys
import threading

import click

from chatops import audit, schema

# name → "module:attribute" of a click command, loaded only when that subcommand runs.
LAZY_COMMANDS: dict[str, tuple[str, str]] = {
    "admin": ("admin.cli:admin", "Manage admin panel users."),
    "slack": ("adapters.slack.cli:slack", "Slack: app manifest, Socket Mode."),
    "discord": ("adapters.discord.cli:discord", "Discord: sync app commands, run the bot."),
    "cred": ("chatops.support.cli:cred", "Export cred for helpers (CSV or SourceCred graph)."),
}


def _lazy_available(target: str) -> bool:
    module = target.split(":")[0]
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


class ChatopsGroup(click.Group):
    def invoke(self, ctx: click.Context):
        from chatops.db import DatabaseErrors

        try:
            return super().invoke(ctx)
        except DatabaseErrors as exc:
            app = (ctx.obj or {}).get("app")
            url = app.settings.database_url if app is not None else "the configured database"
            raise click.ClickException(
                f"the database at {url} is not answering: {str(exc).strip() or type(exc).__name__}. "
                "Check CHATOPS_DATABASE_URL (or --database-url) and that the server is running.") from None

    def list_commands(self, ctx: click.Context) -> list[str]:
        lazy = [n for n, (target, _) in LAZY_COMMANDS.items() if _lazy_available(target)]
        return sorted({*super().list_commands(ctx), *lazy})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is not None or name not in LAZY_COMMANDS:
            return command
        target, _ = LAZY_COMMANDS[name]
        if not _lazy_available(target):
            return None
        module, attr = target.split(":")
        return getattr(importlib.import_module(module), attr)


def _app(ctx: click.Context, **kwargs):
    from chatops.app import App

    obj = ctx.ensure_object(dict)
    if "app" not in obj:
        try:
            obj["app"] = App.from_env(**kwargs)
        except ValueError as exc:  # a malformed setting: say which, no traceback
            raise click.ClickException(str(exc)) from None
    return obj["app"]


def _require_schema(app) -> None:
    missing = schema.pending(app.db)
    if missing:
        raise click.ClickException(
            f"the database at {app.settings.database_url} needs {len(missing)} migration(s) "
            f"({', '.join(missing)}): run `chatops db upgrade` first")


@click.group(cls=ChatopsGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--database-url", envvar="CHATOPS_DATABASE_URL", default=None, metavar="URL",
              help="Database URL (default: sqlite:///chatops.db; env CHATOPS_DATABASE_URL).")
@click.version_option(package_name="chatops")
@click.pass_context
def main(ctx: click.Context, database_url: str | None) -> None:
    """chatops: self-serve ops tasks and tiered support routing from Slack and Discord."""
    if database_url:
        os.environ["CHATOPS_DATABASE_URL"] = database_url
    ctx.ensure_object(dict)


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Apply pending schema migrations (safe to run again)."""
    app = _app(ctx)
    applied = schema.upgrade(app.db)
    if applied:
        click.echo(f"Applied {len(applied)} migration(s): {', '.join(applied)}")
    else:
        click.echo("Database is up to date.")


@db.command("purge")
@click.option("--days", default=30, show_default=True, type=click.IntRange(1, 36500),
              help="Keep what is younger than this many days.")
@click.pass_context
def db_purge(ctx: click.Context, days: int) -> None:
    """Delete old idempotency keys, finished buttons and delivered messages (never audit events)."""
    from chatops.invocation import utcnow
    from chatops.maintenance import purge

    app = _app(ctx)
    _require_schema(app)
    report = purge(now=utcnow(), keep_days=days)
    click.echo(f"Purged {report.idempotency_keys} idempotency key(s), {report.actions} finished button(s), "
               f"{report.messages} delivered message(s), {report.work_items} finished work item(s) and "
               f"{report.runs} finished run(s) older than {days} day(s).")


@main.group("audit")
def audit_group() -> None:
    """The audit trail."""


def _parse_head(ctx, param, value: str | None):
    if value is None:
        return None
    seq, sep, digest = value.partition(":")
    if not sep or not seq.isdigit() or len(digest) != 64:
        raise click.BadParameter("use SEQ:HASH as printed by `chatops audit head`")
    return int(seq), digest.lower()


@audit_group.command("head")
@click.pass_context
def audit_head(ctx: click.Context) -> None:
    """Print the newest event as SEQ:HASH; keep it outside the database for `verify --expect-head`."""
    app = _app(ctx)
    _require_schema(app)
    seq, digest = audit.head()
    click.echo(f"{seq}:{digest}")


@audit_group.command("verify")
@click.option("--expect-head", callback=_parse_head, metavar="SEQ:HASH",
              help="A head recorded earlier with `chatops audit head`: also catches deleted newest events.")
@click.pass_context
def audit_verify(ctx: click.Context, expect_head) -> None:
    """Check the hash chain; exit 0 when intact, 1 naming the first bad event."""
    app = _app(ctx)
    _require_schema(app)
    result = audit.verify(expect_head=expect_head)
    if result.ok:
        seq, digest = audit.head()
        click.echo(f"Audit chain intact: {result.checked} event(s); head seq {seq}, hash {digest[:16]}…")
        return
    click.echo(f"Audit chain BROKEN after {result.checked} good event(s): {result.problem.message}", err=True)
    ctx.exit(1)


@audit_group.command("flush-spool")
@click.pass_context
def audit_flush_spool(ctx: click.Context) -> None:
    """Add the audit events kept while the database was down to the audit trail (the workers do it too)."""
    from chatops import spool

    app = _app(ctx)
    _require_schema(app)
    added = spool.flush(app.settings)
    click.echo(f"Added {added} spooled event(s) from {spool.path(app.settings)} to the audit trail.")


@main.group("work")
def work_group() -> None:
    """Accepted work and runs: what waits, what died, what needs a person."""


@work_group.command("status")
@click.pass_context
def work_status(ctx: click.Context) -> None:
    """Work by state, the oldest waiting, dead-lettered items, and changes whose outcome is unknown."""
    from chatops import spool, work
    from chatops.invocation import utcnow
    from chatops.models import CommandRun, WorkItem

    app = _app(ctx)
    _require_schema(app)
    now = utcnow()
    info = work.status(now=now)
    counts = ", ".join(f"{n} {state}" for state, n in sorted(info["counts"].items())) or "none"
    click.echo(f"Work: {counts}; oldest waiting {info['oldest_queued_seconds']:.0f} s; "
               f"{info['stalled']} whose worker stopped (taken over at the next claim).")
    for item in WorkItem.select().where(WorkItem.state == "dead").order_by(WorkItem.id.desc()).limit(10):
        click.echo(f"  dead #{item.id} {item.key} after {item.attempts} attempt(s): {item.error[:120]}")
    stuck = list(CommandRun.select().where(CommandRun.state == "unknown").order_by(CommandRun.id))
    checking = [r for r in stuck if r.next_check_at is not None]
    waiting = [r for r in stuck if r.next_check_at is None]
    click.echo(f"Changes with an unknown outcome: {len(checking)} being checked automatically, "
               f"{len(waiting)} waiting for a person.")
    for run in waiting:
        click.echo(f"  {run.key}  {run.command} [{run.correlation_id}] after {run.checks} check(s): "
                   f"{run.detail[:120]}  → chatops work resolve {run.key} --made|--not-made --by NAME")
    pending = spool.pending(app.settings)
    if pending:
        click.echo(f"Audit spool: {pending} event(s) waiting for the database ({spool.path(app.settings)}).")


@work_group.command("resolve")
@click.argument("run_key")
@click.option("--made/--not-made", required=True, help="What you found in the other system.")
@click.option("--by", "by", required=True, help="Who checked (goes into the audit trail).")
@click.option("--note", default="", help="What you checked, for the audit trail.")
@click.pass_context
def work_resolve(ctx: click.Context, run_key: str, made: bool, by: str, note: str) -> None:
    """Settle a change whose outcome stayed unknown, after checking the other system yourself."""
    from chatops.models import CommandRun

    app = _app(ctx)
    _require_schema(app)
    row = CommandRun.get_or_none(CommandRun.key == run_key)
    if row is None:
        raise click.ClickException(f"no run {run_key!r}: `chatops work status` lists the open ones")
    if row.state not in ("unknown", "running"):
        raise click.ClickException(f"run {run_key} is {row.state}: nothing to settle")
    app.router.settle_by_hand(row, made=made, by=by.strip()[:80], note=note.strip()[:500])
    click.echo(f"Run {run_key} settled: the change {'was' if made else 'was not'} made (by {by}).")


@work_group.command("retry")
@click.argument("item_id", type=int)
@click.pass_context
def work_retry(ctx: click.Context, item_id: int) -> None:
    """Run a dead-lettered work item again (after fixing what made it fail)."""
    from chatops import work
    from chatops.invocation import utcnow
    from chatops.models import WorkItem

    app = _app(ctx)
    _require_schema(app)
    item = WorkItem.get_or_none(WorkItem.id == item_id)
    if item is None or item.state != "dead":
        raise click.ClickException(f"work item {item_id} is not dead-lettered (`chatops work status` lists them)")
    work.requeue(item.key, now=utcnow(), note="retried by hand")
    click.echo(f"Work item {item_id} is queued again.")


@main.command("settings")
@click.option("--markdown", is_flag=True, help="Print the documentation table instead of current values.")
def settings_command(markdown: bool) -> None:
    """List every setting: its current value (secrets hidden), whether it is valid, default and meaning.

    Exits 1 when a value is not valid (`chatops run` would refuse to start)."""
    from chatops.settings import SETTINGS, markdown_table, parse_setting

    if markdown:
        click.echo(markdown_table())
        return
    bad = 0
    for s in SETTINGS:
        value = os.environ.get(s.env)
        shown = "(default)" if value is None else ("***" if any(w in s.env for w in ("TOKEN", "SECRET", "KEY")) else value)
        try:
            parse_setting(s, value)
            problem = ""
        except ValueError as exc:
            bad += 1
            problem = f"    NOT VALID: {exc}"
        click.echo(f"{s.env} = {shown}    [default: {s.default or '(empty)'}]{problem}\n    {s.help}")
    if bad:
        raise SystemExit(1)


@main.command()
@click.option("--as", "as_", default="console:local", show_default=True, metavar="PLATFORM:USER_ID",
              help="Run as this identity (default: the local admin).")
@click.option("--community", "community_id", default=None, metavar="ID",
              help="Workspace id to act from (a Slack team id or Discord guild id).")
@click.option("--channel", "channel_id", default=None, metavar="ID", help="Channel id (default: a direct message).")
@click.pass_context
def shell(ctx: click.Context, as_: str, community_id: str | None, channel_id: str | None) -> None:
    """Run commands from the terminal, or line by line from stdin.

    `press LABEL` presses a button of the last reply; `exit` leaves.
    """
    from adapters.console import Shell, parse_identity

    try:
        parse_identity(as_)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--as") from None
    app = _app(ctx)
    _require_schema(app)
    Shell(app, as_=as_, community_id=community_id, channel_id=channel_id).loop(sys.stdin)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port.")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64), help="Worker threads.")
@click.pass_context
def run(ctx: click.Context, host: str, port: int, threads: int) -> None:
    """Serve the web app (/healthz, /admin, /slack/events) with waitress."""
    app = _app(ctx)
    _require_schema(app)
    _serve(app, host, port, threads)


# Background parts `chatops run` starts in-process when installed: each "module:function"
# takes the App and returns something with .stop() (or None when it has nothing to run).
RUN_HOOKS: tuple[str, ...] = (
    "chatops.support.worker:start_in_process",   # the Huey consumer (embedded default)
    "adapters.discord.runner:start_in_process",  # the Discord bot, when DISCORD_TOKEN is set
)


# What `chatops worker` starts besides the work pool: each "module:function" takes the App, adds its
# work handlers to the pool and returns something with .stop() (or None when it is not configured).
WORKER_HOOKS: tuple[str, ...] = (
    "adapters.slack.worker:start_for_worker",    # Slack work items and the Slack outbox
    "adapters.discord.runner:start_for_worker",  # Discord work items (REST only)
)


def _start_hooks(app, hooks: tuple[str, ...] = RUN_HOOKS) -> list:
    started = []
    for target in hooks:
        if not _lazy_available(target):
            continue
        module, attr = target.split(":")
        handle = getattr(importlib.import_module(module), attr)(app)
        if handle is not None:
            started.append(handle)
    return started


def _stop_on_signal(signum, frame) -> None:
    raise KeyboardInterrupt


def _drain_seconds(app) -> float:
    from chatops.workers import PoolConfig

    return PoolConfig.from_settings(app.settings).drain_seconds


def _serve(app, host: str, port: int, threads: int) -> None:
    """Serve until SIGTERM/SIGINT; then stop taking requests, finish running work (up to
    CHATOPS_DRAIN_SECONDS), leave the rest in the database for the next start, and return (exit 0)."""
    from waitress.server import create_server

    from adapters.web import create_app

    try:
        pool = app.work_pool()  # checks the CHATOPS_WORK* settings before anything starts
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    flask_app = create_app(app)
    background = _start_hooks(app)
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
        click.echo(f"chatops stopping: finishing running work (up to {_drain_seconds(app):g} s).")
        report = pool.stop()
        for handle in background:
            handle.stop()
        slack = flask_app.extensions.get("chatops.slack")
        if slack is not None:
            slack.stop(0)
        click.echo(f"chatops stopped: {report.finished} finished, {report.released + report.left} left for the "
                   "next start.")


@main.command()
@click.option("--threads", "-t", default=None, type=click.IntRange(1, 256),
              help="Threads running accepted work (default: CHATOPS_WORKERS).")
@click.option("--huey/--no-huey", default=True, show_default=True,
              help="Also run the scheduled jobs (SLA sweeps, approval expiry, the digest) in this process.")
@click.pass_context
def worker(ctx: click.Context, threads: int | None, huey: bool) -> None:
    """Run accepted work (commands, presses, forms, DMs) and the scheduled jobs, until SIGTERM.

    Any number of workers may run against one PostgreSQL database, on any machine: each piece of work
    is leased to one of them, and taken over when its worker dies. On SIGTERM or SIGINT the worker
    finishes what it is running (up to CHATOPS_DRAIN_SECONDS), leaves the rest for the others or the
    next start, and exits 0.
    """
    from chatops.workers import PoolConfig, WorkerPool

    app = _app(ctx)
    _require_schema(app)
    try:
        config = PoolConfig.from_settings(app.settings, **({"threads": threads} if threads else {}))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    if config.threads < 1:
        config.threads = 1
    pool = app._pool = WorkerPool(app, {}, config)
    handles = _start_hooks(app, WORKER_HOOKS)
    consumer = None
    if huey:
        from chatops.support.worker import start_in_process

        consumer = start_in_process(app)
    stop = threading.Event()

    def on_signal(signum, frame) -> None:
        threading.Thread(target=stop.set, name="chatops-worker-stop", daemon=True).start()

    previous = {}
    if threading.current_thread() is threading.main_thread():
        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    pool.start()
    kinds = ", ".join(pool.kinds) or "none (set SLACK_BOT_TOKEN / DISCORD_TOKEN)"
    click.echo(f"chatops worker {pool.owner}: {config.threads} thread(s) for {kinds}"
               f"{', scheduled jobs' if huey else ''}; Ctrl-C or SIGTERM stops.")
    try:
        stop.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, signal.SIG_IGN)
        click.echo(f"chatops worker stopping: finishing running work (up to {config.drain_seconds:g} s).")
        report = pool.stop()
        if consumer is not None:
            consumer.stop()
        for handle in handles:
            handle.stop()
        click.echo(f"chatops worker stopped: {report.finished} finished, {report.released + report.left} left.")


@main.command()
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


if __name__ == "__main__":  # pragma: no cover
    main()
