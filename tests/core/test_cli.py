"""The `chatops` command line through click's CliRunner, on a temporary SQLite file."""
from __future__ import annotations

import re

import sqlite3

import click
import pytest
from click.testing import CliRunner

from chatops.cli import main


@pytest.fixture
def cli(tmp_path):
    path = tmp_path / "cli.db"
    env = {"CHATOPS_DATABASE_URL": f"sqlite:///{path}"}
    runner = CliRunner()

    def run(*args, input=None):
        return runner.invoke(main, list(args), env=env, input=input)

    run.path = path
    return run


@pytest.fixture
def upgraded(cli):
    assert cli("db", "upgrade").exit_code == 0
    return cli


def test_audit_verify_good_then_tampered(upgraded):
    shell = upgraded("shell", input="whoami\nping\nhelp\n")
    assert shell.exit_code == 0, shell.output
    ok = upgraded("audit", "verify")
    assert ok.exit_code == 0, ok.output
    assert "Audit chain intact: 3 event(s); head seq 3" in ok.output
    with sqlite3.connect(upgraded.path) as conn:
        conn.execute("UPDATE audit_event SET actor = 'console:mallory' WHERE seq = 2")
    bad = upgraded("audit", "verify")
    assert bad.exit_code == 1
    assert "BROKEN after 1 good event(s)" in bad.output and "event seq 2" in bad.output


def test_audit_verify_detects_a_deleted_event(upgraded):
    upgraded("shell", input="ping\nping\nping\n")
    with sqlite3.connect(upgraded.path) as conn:
        conn.execute("DELETE FROM audit_event WHERE seq = 2")
    bad = upgraded("audit", "verify")
    assert bad.exit_code == 1 and "event seq 3" in bad.output and "deleted" in bad.output


def test_commands_refuse_an_unmigrated_database(cli):
    for args in (("audit", "verify"), ("shell",), ("run", "--port", "9")):
        result = cli(*args, input="")
        assert result.exit_code == 1, args
        assert "run `chatops db upgrade` first" in result.output


def test_shell_reads_lines_from_stdin_as_local_admin(upgraded):
    result = upgraded("shell", input="help\nwhoami\n# a comment\n\nexit\nping\n")
    assert result.exit_code == 0, result.output
    assert "Commands you can run:" in result.output
    assert "Local admin" in result.output and "console:local" in result.output and "admin" in result.output
    assert "pong" not in result.output  # stopped at exit


def test_shell_as_another_identity(upgraded):
    result = upgraded("shell", "--as", "slack:U0NEW", "--community", "T1", "--channel", "C1",
                      input="whoami\nnope\n")
    assert result.exit_code == 0, result.output
    assert "slack:U0NEW" in result.output and "Local admin" not in result.output
    assert "There is no command called `nope`." in result.output


def test_shell_without_channel_is_a_dm_and_falls_back_to_support(upgraded):
    # No --channel: a direct message to the bot, where text that is no command asks for support.
    result = upgraded("shell", "--as", "slack:U0NEW", input="the docs site shows a blank page\n")
    assert result.exit_code == 0, result.output
    assert "Ticket #1 is open: the docs site shows a blank page" in result.output


def test_shell_press_without_a_button(upgraded):
    result = upgraded("shell", input="press Confirm\n")
    assert "not valid any more" in result.output


@pytest.mark.parametrize("bad", ["nocolon", ":U1", "slack:"])
def test_shell_as_validation(upgraded, bad):
    result = upgraded("shell", "--as", bad, input="whoami\n")
    assert result.exit_code == 2
    assert "--as takes PLATFORM:USER_ID" in result.output


def _counts(path):
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}


def test_demo_seed_only_is_idempotent(cli):
    first = cli("demo", "--seed-only")
    assert first.exit_code == 0, first.output
    assert "Demo data ready" in first.output
    counts = _counts(cli.path)
    assert counts["person"] >= 9 and counts["tier"] == 4 and counts["community_link"] == 16
    second = cli("demo", "--seed-only")
    assert second.exit_code == 0, second.output
    assert "(0 new row(s))" in second.output
    assert _counts(cli.path) == counts
    whoami = cli("shell", "--as", "slack:U0CORACUST", "--community", "T0MAKERDAO", input="whoami\n")
    assert "Cora Customer" in whoami.output and "MakerDAO" in whoami.output and "Premium partners" in whoami.output


def _walk(group: click.Group, ctx: click.Context, path=()):
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        yield (*path, name)
        if isinstance(command, click.Group):
            yield from _walk(command, click.Context(command, parent=ctx, info_name=name), (*path, name))


def test_help_on_every_command(cli):
    root = cli("--help")
    assert root.exit_code == 0 and "db" in root.output and "shell" in root.output
    with click.Context(main, info_name="chatops") as ctx:
        paths = list(_walk(main, ctx))
    for core in [("db",), ("db", "upgrade"), ("audit",), ("audit", "verify"), ("shell",), ("run",), ("demo",)]:
        assert core in paths
    for path in paths:
        result = cli(*path, "--help")
        assert result.exit_code == 0, (path, result.output)
        assert "Usage:" in result.output, path


def test_the_shell_shows_what_a_command_posted_to_other_channels(cli, tmp_path):
    """Walking the demo, a person sees the staff card a /support posts to the team's channel."""
    assert cli("demo", "--seed-only").exit_code == 0
    result = cli("shell", "--as", "slack:U0CORACUST", "--community", "T0MAKERDAO", "--channel", "C1",
                 input="support the widget explodes on init in our staging app\n")
    assert result.exit_code == 0, result.output
    assert "is open" in result.output, result.output
    posted = re.search(r"\[posted to slack:(C0[A-Z]+)\]", result.output)  # the channel routing chose (the bug queue)
    assert posted and posted.group(1) == "C0BUGQUEUE", result.output
    card = result.output.split(posted.group(0), 1)[1]
    assert re.search(r"Ticket #\d+: the widget explodes on init", card) and "Claim" in card  # the staff card, with its buttons


def test_sla_check_passes_on_the_demo_and_names_an_inverted_calendar(cli):
    assert cli("demo", "--seed-only").exit_code == 0
    ok = cli("sla", "check", "--week-of", "2026-03-02")
    assert ok.exit_code == 0 and ok.output.startswith("OK:"), ok.output
    with sqlite3.connect(cli.path) as conn:
        conn.execute("UPDATE sla_calendar SET day_start = '09:00', day_end = '17:00', weekdays = 'mon,tue,wed,thu,fri'")
    bad = cli("sla", "check", "--week-of", "2026-03-02")
    assert bad.exit_code == 1 and "LATER: premium gets a later resolution deadline than general" in bad.output
