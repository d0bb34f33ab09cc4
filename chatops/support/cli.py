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
