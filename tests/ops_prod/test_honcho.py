"""The Procfile as docs/operations.md says to run it: ``honcho start -c web=2,worker=2`` with an env file, on
this machine's PostgreSQL and Redis. Each web process listens on the PORT honcho gives it (the gunicorn config
binds $PORT), acks a signed Slack command that a worker process runs and answers; the discord process logs in
and connects to the fake Discord's gateway and answers a direct message; SIGTERM to honcho stops every process
with its own graceful stop, none is left, and honcho returns."""
from __future__ import annotations

import os
import random
import signal
import uuid
from pathlib import Path

import pytest

from tests.discord.fakethread import FakeDiscordThread
from tests.faults import procs as fault_procs
from tests.faults.procs import REPO, free_port
from tests.ops_prod.procs import BIN, Proc, alive, cmdline, descendants
from tests.ops_prod.conftest import REDIS

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(180)]

DRAIN = 2  # honcho SIGKILLs what is still running 5 s after the first process stopped (its KILL_WAIT)


def base_port() -> int:
    """A port P with P + 1 free too: honcho gives web.1 P and web.2 P + 1 (worker.N P + 100 + N - 1, unused)."""
    for _ in range(50):
        port = free_port()
        if port < 60000:
            try:
                fault_procs.get(port + 1, "/", timeout=0.2)
            except OSError:
                return port
    raise AssertionError("no two free ports in a row")


def test_honcho_starts_the_procfile_serves_answers_and_stops_on_sigterm(tmp_path: Path, pg_redis_database, fake_slack):
    database = pg_redis_database
    redis_db = random.randint(8, 15)
    settings = {
        "CHATOPS_DATABASE_URL": database, "CHATOPS_HUEY_URL": f"redis://{REDIS[0]}:{REDIS[1]}/{redis_db}",
        "SLACK_BOT_TOKEN": fault_procs.TOKEN, "SLACK_SIGNING_SECRET": fault_procs.SECRET,
        "SLACK_API_URL": fake_slack.url, "CHATOPS_AUDIT_SPOOL": str(tmp_path / "spool.jsonl"),
        # One env file for every process: the web processes only accept (CHATOPS_WORKERS=0), so the commands
        # are run by the `worker` processes (a `chatops worker` runs at least one thread).
        "CHATOPS_WORKERS": "0", "CHATOPS_WEB_PROCESSES": "1", "CHATOPS_WEB_THREADS": "4",
        "CHATOPS_WORK_POLL_SECONDS": "0.2", "CHATOPS_DRAIN_SECONDS": str(DRAIN),
    }
    with FakeDiscordThread() as discord_fake:
        settings.update(DISCORD_TOKEN="honcho-test-bot-token", DISCORD_API_URL=discord_fake.fake.api_url,
                        DISCORD_GATEWAY_URL=discord_fake.fake.gateway_url)
        env_file = tmp_path / "honcho.env"
        env_file.write_text("".join(f"{k}={v}\n" for k, v in settings.items()), encoding="utf-8")
        port = base_port()
        environ = {"PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}  # the Procfile's programs: this venv's
        honcho = Proc([str(BIN / "honcho"), "start", "-f", str(REPO / "Procfile"), "-e", str(env_file),
                       "-p", str(port), "-c", "web=2,worker=2"], environ, log=tmp_path / "honcho.log")
        for name in ("CHATOPS_WEB_BIND", "PORT", *settings):  # the env file decides, not the test's environment
            honcho.env.pop(name, None)
        honcho.env.update(environ)
        honcho.start()
        try:
            webs = [port, port + 1]
            for web in webs:
                honcho.wait_http(web)
            for web in webs:  # each web process acks; a worker process runs the command and answers it
                status, body, _ = fault_procs.slack_command(web, "/ping", "", response_url=fake_slack.response_url(
                    f"h{web}"), user="U0HONCHO", trigger=uuid.uuid4().hex)
                assert status == 200, body
            for web in webs:
                fake_slack.wait_for(f"response:h{web}", timeout=30)
            discord_fake.wait_identified(1)
            discord_fake.call(discord_fake.fake.dm("ping"))
            discord_fake.call(discord_fake.fake.wait_for("POST", "/channels/940000000000000002/messages",
                                                         timeout=20), timeout=25)
            below = descendants(honcho.pid)
            programs = [" ".join(cmdline(pid)) for pid in below]
            # Each Procfile line runs as `/bin/sh -c LINE` and the program below it (gunicorn: a master and
            # its one web process, CHATOPS_WEB_PROCESSES=1).
            assert sum(p.endswith("gunicorn -c deploy/gunicorn.conf.py wsgi:app") for p in programs) == 2 * 3, programs
            assert sum(p.endswith("chatops worker") for p in programs) == 2 * 2, programs
            assert sum(p.endswith("chatops discord run") for p in programs) == 1 * 2, programs
            honcho.signal(signal.SIGTERM)
            code = honcho.wait(DRAIN + 30)
        finally:
            honcho.kill_tree()
    output = honcho.output()
    assert code == 143, output[-4000:]  # honcho's own code after a SIGTERM (128 + 15)
    assert not [pid for pid in below if alive(pid)], "a Procfile process outlived honcho"
    assert "sending SIGKILL" not in output, output[-4000:]  # every process stopped on its own, in time
    # Each program's own graceful stop (honcho's "stopped (rc=...)" is the shell's: -15 where /bin/sh is dash,
    # which does not exec the line and dies of the SIGTERM honcho sends the whole process group; 0 with bash).
    assert output.count("Shutting down: Master") == 2            # both gunicorns
    assert output.count("chatops worker stopped:") == 2          # both workers drained
    assert output.count("chatops: Discord bot stopped.") == 1
    for name in ("web.1", "web.2", "worker.1", "worker.2", "discord.1"):
        assert f"{name} stopped (rc=0)" in output or f"{name} stopped (rc=-15)" in output, name
