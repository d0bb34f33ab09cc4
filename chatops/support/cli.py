"""`chatops cred export` (the worker, with the scheduled SLA sweeps and digests, is `chatops worker`)."""
from __future__ import annotations

import sys

import click


@click.group()
def cred() -> None:
    """Cred earned by helping on support tickets."""


@cred.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "sourcecred", "sourcecred-identities"]), default="csv",
              show_default=True, help="csv; sourcecred: graph.json; sourcecred-identities: identityProposals.json "
                                      "(one identity per helper, aliased to their node in the graph).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default="-",
              help="File to write (default: standard output).")
@click.option("--name", default="chatops", show_default=True,
              help="SourceCred External plugin name: the graph is for config/plugins/external/NAME/graph.json.")
@click.pass_context
def export(ctx: click.Context, fmt: str, output: str, name: str) -> None:
    """Write the cred ledger as CSV, or for SourceCred's External plugin: its graph.json, or its
    identityProposals.json so every helper gets a SourceCred identity without linking them by hand."""
    from chatops.cli import _app, _require_schema
    from chatops.support import cred as ledger

    app = _app(ctx)
    _require_schema(app)
    fp = sys.stdout if output == "-" else open(output, "w", encoding="utf-8", newline="")
    try:
        if fmt == "csv":
            n = ledger.export_csv(fp)
        elif fmt == "sourcecred":
            n = ledger.export_sourcecred(fp, name=name)
        else:
            n = ledger.export_identities(fp, name=name)
    finally:
        if fp is not sys.stdout:
            fp.close()
    if output != "-":
        what = {"csv": "row(s)", "sourcecred": "node(s)"}.get(fmt, "identity proposal(s)")
        click.echo(f"Wrote {n} {what} to {output}", err=True)


@click.group()
def sla() -> None:
    """Support SLAs: check that higher tiers are always answered sooner."""


@sla.command("check")
@click.option("--week-of", "week_of", default=None, metavar="YYYY-MM-DD",
              help="The week to check, from this day 00:00 UTC (default: the coming Monday).")
@click.pass_context
def check(ctx: click.Context, week_of: str | None) -> None:
    """Every quarter hour of a week: does a higher-ranked tier ever get a later deadline than a lower one?
    Exits 1 when it does, naming the first start time per pair of tiers and clock."""
    from datetime import datetime, timedelta, timezone

    from chatops.cli import _app, _require_schema
    from chatops.support.sla import inversions

    app = _app(ctx)
    _require_schema(app)
    if week_of:
        try:
            start = datetime.strptime(week_of, "%Y-%m-%d").replace(tzinfo=timezone.utc)
        except ValueError:
            raise click.BadParameter("a date like 2026-12-07", param_hint="--week-of") from None
    else:
        today = app.router.clock().astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
        start = today + timedelta(days=(7 - today.weekday()) % 7 or 7)
    found = inversions(start)
    if not found:
        click.echo(f"OK: for a ticket opened at any quarter hour of the week of {start:%Y-%m-%d}, every higher "
                   "tier's first response and resolution deadlines come no later than a lower tier's.")
        return
    for v in found:
        click.echo(f"LATER: {v}")
    raise SystemExit(1)
