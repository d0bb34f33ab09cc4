"""``chatops run --workers N``: the Procfile's processes on one machine, supervised by one command — gunicorn with
deploy/gunicorn.conf.py (N web processes, each serving and accepting Slack commands), a ``chatops worker`` (the
scheduled jobs), all stopped on SIGTERM or Ctrl-C with their drain and exit 0, none left behind: not when a
child dies (the others are stopped, exit 1), not when the supervisor itself is killed with SIGKILL."""
from __future__ import annotations

import os
import signal
import sys
import time
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import resolve_pg_url, skip_or_fail
from tests.faults import procs as fault_procs
from tests.faults.procs import free_port
from tests.ops_prod.procs import Proc, alive, children, cmdline, json_lines

pytestmark = pytest.mark.timeout(180)

DRAIN = 3


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request, tmp_path: Path):
    """A fresh, migrated database: a SQLite file, or one made on the suite's PostgreSQL server
    (CHATOPS_TEST_DATABASE_URL when it is PostgreSQL, else CHATOPS_TEST_PG_URL)."""
    server = None
    if request.param == "postgresql":
        server, reason = resolve_pg_url(os.environ)
        if server is None:
            skip_or_fail(reason, os.environ)
    with fault_procs.fresh_database(tmp_path, server) as url:
        migrated = fault_procs.chatops_cli({"CHATOPS_DATABASE_URL": url}, "db", "upgrade")
        assert migrated.returncode == 0, migrated.stderr
        yield url


def sqlite_database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    assert fault_procs.chatops_cli({"CHATOPS_DATABASE_URL": url}, "db", "upgrade").returncode == 0
    return url


def start(tmp_path: Path, url: str, fake_slack, port: int, **extra: str) -> Proc:
    env = {"CHATOPS_DATABASE_URL": url, "SLACK_BOT_TOKEN": fault_procs.TOKEN,
           "SLACK_SIGNING_SECRET": fault_procs.SECRET, "SLACK_API_URL": fake_slack.url, "CHATOPS_WORKERS": "2",
           "CHATOPS_DRAIN_SECONDS": str(DRAIN), "CHATOPS_WORK_POLL_SECONDS": "0.2", "DISCORD_TOKEN": "",
           "CHATOPS_AUDIT_SPOOL": str(tmp_path / "spool.jsonl"), **extra}
    # From a directory without deploy/: the config is found beside the package (an editable install), and
    # the scheduled jobs' SQLite storage (no CHATOPS_HUEY_URL) goes here, not into the checkout.
    return Proc([sys.executable, "-m", "chatops.cli", "run", "--workers", "2", "--port", str(port),
                 "--threads", "4"], env, log=tmp_path / "run.log", cwd=tmp_path).start()


def tree(run: Proc, timeout: float = 60) -> tuple[int, list[int], int]:
    """(gunicorn master, its two web processes, the `chatops worker`) below the supervisor, once all are up."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        below = {pid: cmdline(pid) for pid in children(run.pid)}
        masters = [pid for pid, argv in below.items() if argv[1:3] == ["-m", "gunicorn"]]
        workers = [pid for pid, argv in below.items() if argv[1:4] == ["-m", "chatops.cli", "worker"]]
        webs = children(masters[0]) if masters else []
        if len(masters) == 1 and len(workers) == 1 and len(webs) == 2:
            return masters[0], webs, workers[0]
        assert run.alive(), run.output()[-4000:]
        time.sleep(0.1)
    raise AssertionError(f"not two web processes and a worker below {run.pid}:\n{run.output()[-4000:]}")


def ping(port: int, fake_slack, name: str) -> None:
    status, body, _ = fault_procs.slack_command(port, "/ping", "", response_url=fake_slack.response_url(name),
                                                user="U0RUNW", trigger=uuid.uuid4().hex)
    assert status == 200, body
    fake_slack.wait_for(f"response:{name}", timeout=30)


def test_the_help_names_the_option():
    from adapters.serve import run

    result = CliRunner().invoke(run, ["--help"])
    assert result.exit_code == 0 and "--workers N" in result.output and "gunicorn" in result.output
    assert "deploy/gunicorn.conf.py" in result.output


def test_two_web_processes_serve_and_answer_slack_and_sigterm_stops_every_one(tmp_path: Path, database, fake_slack):
    port = free_port()
    run = start(tmp_path, database, fake_slack, port, CHATOPS_LOG_FORMAT="json", CHATOPS_LOG_LEVEL="DEBUG")
    stopped: list[int] = []
    try:
        run.wait_http(port)
        master, webs, worker = tree(run)
        environ = dict(e.split("=", 1) for e in Path(f"/proc/{master}/environ").read_text().split("\0") if "=" in e)
        assert environ["CHATOPS_WEB_PROCESSES"] == "2" and environ["CHATOPS_WEB_THREADS"] == "4"  # --threads 4
        assert environ["CHATOPS_WEB_BIND"] == f"127.0.0.1:{port}"
        # Each web process on its own: the other one stopped (SIGSTOP) cannot accept, so this one answers
        # /healthz and acks (and runs) the Slack command.
        for serving, paused in (webs, webs[::-1]):
            os.kill(paused, signal.SIGSTOP)
            stopped.append(paused)
            try:
                for _ in range(3):
                    assert fault_procs.get(port, "/healthz")[0] == 200
                ping(port, fake_slack, f"alone-{serving}")
            finally:
                os.kill(paused, signal.SIGCONT)
                stopped.remove(paused)
        everything = [master, *webs, worker]
        run.signal(signal.SIGTERM)
        code = run.wait(DRAIN + 25)
    finally:
        for pid in stopped:
            os.kill(pid, signal.SIGCONT)
        run.kill_tree()
    assert code == 0, run.output()[-4000:]
    assert not [pid for pid in everything if alive(pid)], "a child outlived `chatops run`"
    records = json_lines([line for line in run.stderr_lines() if line.startswith("{")])
    accepted = {r["process"] for r in records if r["logger"] == "chatops.workers"
                and r["message"].startswith("accepted slack:")}
    assert accepted == set(webs)  # each web process acked one of the commands
    assert any(r["logger"] == "gunicorn.error" and "Shutting down" in r["message"] for r in records)
    pools = {r["process"] for r in records if r["logger"] == "chatops.workers" and " stopped in " in r["message"]}
    assert pools == {*webs, worker}  # every work pool drained, the worker's too
    assert "chatops stopped: web, worker exited 0." in run.output()


def test_ctrl_c_stops_gunicorn_gracefully_and_exits_0(tmp_path: Path, fake_slack):
    """A terminal's Ctrl-C sends SIGINT to the foreground group: only the supervisor is in it, and it gives
    gunicorn SIGTERM (its graceful stop; gunicorn's own SIGINT is a quick one)."""
    port = free_port()
    run = start(tmp_path, sqlite_database(tmp_path), fake_slack, port)
    try:
        run.wait_http(port)
        master, webs, worker = tree(run)
        ping(port, fake_slack, "before-ctrl-c")
        os.killpg(run.pid, signal.SIGINT)
        code = run.wait(DRAIN + 25)
    finally:
        run.kill_tree()
    assert code == 0, run.output()[-4000:]
    assert not [pid for pid in (master, *webs, worker) if alive(pid)]
    output = run.output()
    assert "Handling signal: term" in output and "Handling signal: int" not in output
    assert "chatops worker stopped" in output


def test_a_child_that_dies_stops_the_others_and_exit_is_1(tmp_path: Path, fake_slack):
    port = free_port()
    run = start(tmp_path, sqlite_database(tmp_path), fake_slack, port)
    try:
        run.wait_http(port)
        master, webs, worker = tree(run)
        os.kill(worker, signal.SIGKILL)
        code = run.wait(DRAIN + 25)
    finally:
        run.kill_tree()
    assert code == 1, run.output()[-4000:]
    assert "`chatops worker` exited with -9" in run.output()
    assert not [pid for pid in (master, *webs) if alive(pid)]
    assert "Handling signal: term" in run.output()  # gunicorn was stopped, not killed


def test_the_children_stop_when_the_supervisor_is_killed(tmp_path: Path, fake_slack):
    port = free_port()
    run = start(tmp_path, sqlite_database(tmp_path), fake_slack, port)
    try:
        run.wait_http(port)
        master, webs, worker = tree(run)
        os.kill(run.pid, signal.SIGKILL)  # nothing of its own runs: the children get SIGTERM from the kernel
        run.wait(10)
        end = time.monotonic() + DRAIN + 20
        while time.monotonic() < end and any(alive(pid) for pid in (master, *webs, worker)):
            time.sleep(0.1)
        left = [pid for pid in (master, *webs, worker) if alive(pid)]
    finally:
        for pid in (master, *webs, worker):
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
    assert not left, [cmdline(pid) for pid in left]
    assert "Handling signal: term" in run.output() and "chatops worker stopped" in run.output()


def test_with_a_discord_token_the_gateway_bot_runs_beside_and_stops_with_them(tmp_path: Path, fake_slack):
    """DISCORD_TOKEN set: `chatops discord run` is the third child (DMs to the bot need the gateway); it
    connects, answers a DM, and SIGTERM stops it with the others."""
    from tests.discord.fakethread import FakeDiscordThread

    port = free_port()
    with FakeDiscordThread() as discord_fake:
        run = start(tmp_path, sqlite_database(tmp_path), fake_slack, port, DISCORD_TOKEN="run-workers-bot-token",
                    DISCORD_API_URL=discord_fake.fake.api_url, DISCORD_GATEWAY_URL=discord_fake.fake.gateway_url)
        try:
            run.wait_http(port)
            master, webs, worker = tree(run)
            bots = [pid for pid in children(run.pid) if cmdline(pid)[1:5] == ["-m", "chatops.cli", "discord", "run"]]
            assert len(bots) == 1, [cmdline(pid) for pid in children(run.pid)]
            discord_fake.wait_identified(1)
            discord_fake.call(discord_fake.fake.dm("ping"))
            answer = discord_fake.call(discord_fake.fake.wait_for("POST", "/channels/940000000000000002/messages",
                                                                  timeout=20), timeout=25)
            assert "pong" in str(answer.json).lower(), answer.json
            run.signal(signal.SIGTERM)
            code = run.wait(DRAIN + 25)
        finally:
            run.kill_tree()
    assert code == 0, run.output()[-4000:]
    assert not [pid for pid in (master, *webs, worker, *bots) if alive(pid)]
    assert "chatops stopped: web, worker, discord exited 0." in run.output()
