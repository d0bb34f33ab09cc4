"""Behaviour a reviewer asked for: typos in DMs, malformed ids, control characters, CLI errors,
the audit head anchor, the landing page, and stopping `chatops run` with SIGTERM."""
from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request

import pytest
from click.testing import CliRunner

from adapters.web import create_app
from chatops.cli import main
from chatops.invocation import sanitize


def test_a_typo_in_a_dm_suggests_the_command_instead_of_opening_a_ticket(runner):
    typo = runner.invoke("hlep", as_="slack:U1", is_direct=True)
    assert "There is no command called `hlep`" in typo.text and "`help`" in typo.text
    request = runner.invoke("the docs site shows a blank page", as_="slack:U1", is_direct=True)
    assert "is open" in request.text  # not a typo of anything: the DM asks for support


def test_malformed_ids_are_refused_politely(runner):
    result = runner.invoke("ping", as_="slack:" + "U" * 65)
    assert result.is_error and "user id is longer than 64" in result.text
    result = runner.invoke("ping", channel_id="C" * 65)
    assert result.is_error and "channel id" in result.text


def test_control_characters_are_dropped_but_tabs_and_newlines_kept():
    assert sanitize("a\x1b[2J\x07b\tc\nd\x00e\x7f") == "a[2Jb\tc\nde"


def _cli(tmp_path, *args, input=None, url=None):
    env = {"CHATOPS_DATABASE_URL": url or f"sqlite:///{tmp_path / 'x.db'}"}
    return CliRunner().invoke(main, list(args), env=env, input=input)


def test_cli_database_and_setting_errors_are_messages_not_tracebacks(tmp_path):
    down = _cli(tmp_path, "db", "upgrade", url="postgresql://postgres@127.0.0.1:1/nothing")
    assert down.exit_code == 1 and "is not answering" in down.output and "Traceback" not in down.output
    bad = _cli(tmp_path, "db", "upgrade", url="mysql://x")
    assert bad.exit_code == 1 and "CHATOPS_DATABASE_URL must be sqlite:///PATH or postgresql:" in bad.output


def test_audit_head_anchor_catches_deleted_newest_events(tmp_path):
    assert _cli(tmp_path, "db", "upgrade").exit_code == 0
    assert _cli(tmp_path, "shell", input="ping\nping\n").exit_code == 0
    head = _cli(tmp_path, "audit", "head").output.strip()
    assert head.startswith("2:") and len(head) == 2 + 64
    assert _cli(tmp_path, "audit", "verify", "--expect-head", head).exit_code == 0
    with sqlite3.connect(tmp_path / "x.db") as conn:
        conn.execute("DELETE FROM audit_event WHERE seq = 2")
    plain = _cli(tmp_path, "audit", "verify")
    assert plain.exit_code == 0  # a shorter chain is still a valid chain...
    anchored = _cli(tmp_path, "audit", "verify", "--expect-head", head)
    assert anchored.exit_code == 1 and "newest events were deleted" in anchored.output  # ...unless anchored
    assert _cli(tmp_path, "audit", "verify", "--expect-head", "2:abc").exit_code == 2


def test_the_landing_page_leads_to_the_panel(runner):
    response = create_app(runner.app).test_client().get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_sigterm_stops_chatops_run(tmp_path):
    env = {**os.environ, "CHATOPS_DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}"}
    env.pop("CHATOPS_TEST_DATABASE_URL", None)
    exe = [sys.executable, "-m", "chatops.cli"]
    subprocess.run([*exe, "db", "upgrade"], env=env, check=True, capture_output=True, cwd=tmp_path)
    port = _free_port()
    proc = subprocess.Popen([*exe, "run", "--port", str(port)], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:  # wait until it serves
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                    assert r.status == 200
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail(f"chatops run did not start: {proc.stdout.read().decode()[-2000:]}")
                time.sleep(0.1)  # polling for a subprocess to start, not waiting for time to pass
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
