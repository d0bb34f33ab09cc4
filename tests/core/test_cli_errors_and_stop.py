"""The command line: database and setting errors are one-line messages, `audit verify --expect-head` catches
deleted newest events, and SIGTERM stops `chatops run` cleanly."""
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

from chatops.cli import main


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
