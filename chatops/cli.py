"""The ``chatops`` command line (click).

    chatops db upgrade            apply schema migrations (idempotent)
    chatops audit verify          check the audit hash chain
    chatops worker                run accepted work and the scheduled jobs
    chatops work status           what waits, what died, what needs a person
    chatops settings              every setting, its value and whether it is valid

The commands of the other parts (``run``, ``demo``, ``shell``, ``slack``,
``discord``, ``admin``, ``cred``) are ``chatops.cli`` entry points, loaded only
when used: the core names no adapter and imports no web or chat framework.
"""
from __future__ import annotations

import os
import signal
import threading

import click

from chatops import audit, logs, schema

CLI_GROUP = "chatops.cli"  # commands of the other parts: run, demo, shell, slack, discord, admin, cred


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
        from chatops.plugins import entry_points_of

        return sorted({*super().list_commands(ctx), *(ep.name for ep in entry_points_of(CLI_GROUP))})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        """A core command, or the ``chatops.cli`` entry point of that name (loaded only when used)."""
        command = super().get_command(ctx, name)
        if command is not None:
            return command
        from chatops.plugins import load_one

        return load_one(CLI_GROUP, name)  # type: ignore[return-value]


def _app(ctx: click.Context, **kwargs):
    from chatops.app import App

    obj = ctx.ensure_object(dict)
    if "app" not in obj:
        try:
            obj["app"] = App.from_env(**kwargs)
        except ValueError as exc:  # a malformed setting: say which, no traceback
            raise click.ClickException(str(exc)) from None
        logs.configure(obj["app"].settings)  # CHATOPS_LOG_FORMAT=json: one JSON object per line
    return obj["app"]


def _require_schema(app) -> None:
    missing = schema.pending(app.db)
    if missing:
        raise click.ClickException(
            f"the database at {app.settings.database_url} needs {len(missing)} migration(s) "
            f"({', '.join(missing)}): run `chatops db upgrade` first")


def start_hooks(app, group: str) -> list:
    """Start every entry point of ``group`` (``chatops.run_hooks``, ``chatops.worker_hooks``): each takes the
    App and returns something with ``.stop()``, or None when its part is not configured."""
    from chatops.plugins import load_all

    started = []
    for _name, start in load_all(group):
        handle = start(app)
        if handle is not None:
            started.append(handle)
    return started


def drain_seconds(app) -> float:
    return app.settings.work.drain_seconds


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
    """Delete old idempotency keys, finished buttons, delivered messages, finished work and runs, and expired
    form drafts (never audit events)."""
    from chatops.invocation import utcnow
    from chatops.maintenance import purge

    app = _app(ctx)
    _require_schema(app)
    report = purge(now=utcnow(), keep_days=days)
    click.echo(f"Purged {report.idempotency_keys} idempotency key(s), {report.actions} finished button(s), "
               f"{report.messages} delivered message(s), {report.work_items} finished work item(s) and "
               f"{report.runs} finished run(s) older than {days} day(s), and {report.form_drafts} expired form "
               f"draft(s).")


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
@click.option("--threads", "-t", default=None, type=click.IntRange(1, 256),
              help="Threads running accepted work (default: CHATOPS_WORKERS).")
@click.option("--huey/--no-huey", default=True, show_default=True,
              help="Also run the scheduled jobs (SLA sweeps, approval expiry, the digest) in this process.")
@click.pass_context
def worker(ctx: click.Context, threads: int | None, huey: bool) -> None:  # noqa: C901
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
    handles = start_hooks(app, "chatops.worker_hooks")
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


if __name__ == "__main__":  # pragma: no cover
    main()
