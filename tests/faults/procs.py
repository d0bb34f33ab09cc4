"""Real processes for fault tests: the chatops server, throwaway PostgreSQL clusters, signed Slack requests.

    server = Server(env, port=free_port(), log=tmp / "server.log").start()     # `chatops run`, /healthz up
    status, body = slack_command(server, "/batch-status", "B-1", response_url=fake.response_url("r1"))
    server.kill(signal.SIGKILL)
    server.start()                                                              # the same database again

Nothing here is mocked: the server is ``python -m chatops.cli run`` in its own process, Slack is the
fake Web API of tests/slack (serving response_urls too), the ops backend is tests/faults/fake_ops.
"""
from __future__ import annotations

import contextlib
import hashlib
import hmac
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlencode

import peewee

REPO = Path(__file__).resolve().parents[2]
SECRET = "fault-signing-secret"
TOKEN = "xoxb-fault-token"
TEAM = "T0FAULTS"
SAM = "U0SAMSUPP"   # the demo's support person
LEE = "U0LEELEAD"   # the demo's lead (approver)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``chatops run`` (or another chatops command) as a child process."""

    def __init__(self, env: dict[str, str], *, port: int, log: Path, args: tuple[str, ...] | None = None) -> None:
        self.env = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
        self.env.pop("CHATOPS_TEST_DATABASE_URL", None)
        self.port = port
        self.log_path = log
        self.args = args or ("run", "--port", str(port), "--threads", "16")
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    def start(self, *, wait: bool = True, timeout: float = 40.0) -> "Server":
        self.starts += 1
        log = open(self.log_path, "a", encoding="utf-8")
        log.write(f"\n===== start {self.starts} =====\n")
        log.flush()
        self.proc = subprocess.Popen([sys.executable, "-m", "chatops.cli", *self.args], cwd=str(self.log_path.parent),
                                     env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        if wait:
            self.wait_healthy(timeout)
        return self

    def wait_healthy(self, timeout: float = 40.0) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(f"the server exited with {self.proc.returncode}:\n{self.log()[-4000:]}")
            try:
                status, _ = get(self.port, "/healthz", timeout=1)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"the server did not become healthy:\n{self.log()[-4000:]}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def wait(self, timeout: float = 60.0) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""


def chatops_cli(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    full = {**os.environ, **env}
    full.pop("CHATOPS_TEST_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "chatops.cli", *args], env=full, capture_output=True, text=True,
                          timeout=timeout, cwd=str(REPO))


# ---- HTTP ------------------------------------------------------------------------------------

def get(port: int, path: str, *, timeout: float = 5) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def signed_post(port: int, body: bytes, content_type: str, *, timeout: float = 10,
                headers: dict[str, str] | None = None) -> tuple[int, bytes, float]:
    """POST a Slack-signed request to /slack/events: (status, body, seconds to the answer)."""
    ts = str(int(time.time()))
    signature = "v0=" + hmac.new(SECRET.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    started = time.perf_counter()
    try:
        conn.request("POST", "/slack/events", body=body, headers={
            "Content-Type": content_type, "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature,
            **(headers or {})})
        response = conn.getresponse()
        data = response.read()
        return response.status, data, time.perf_counter() - started
    finally:
        conn.close()


def slack_command(port: int, command: str, text: str, *, response_url: str, user: str = SAM,
                  channel: str = "C0GENERAL", trigger: str | None = None) -> tuple[int, bytes, float]:
    form = {"command": command, "text": text, "user_id": user, "user_name": user.lower(), "team_id": TEAM,
            "channel_id": channel, "channel_name": "general", "trigger_id": trigger or uuid.uuid4().hex,
            "response_url": response_url}
    return signed_post(port, urlencode(form).encode(), "application/x-www-form-urlencoded")


def slack_press(port: int, value: str, *, response_url: str, user: str = SAM, channel: str = "C0GENERAL",
                ephemeral: bool = True) -> tuple[int, bytes, float]:
    n = uuid.uuid4().hex[:8]
    payload = {
        "type": "block_actions", "team": {"id": TEAM}, "user": {"id": user, "username": user.lower(), "team_id": TEAM},
        "api_app_id": "A1", "trigger_id": f"trig-{n}", "channel": {"id": channel, "name": "general"},
        "container": {"type": "message", "message_ts": "1.1", "channel_id": channel, "is_ephemeral": ephemeral},
        "message": {"ts": "1.1", "type": "message", "text": "x"}, "response_url": response_url,
        "actions": [{"type": "button", "action_id": "chatops:0", "block_id": "b1", "value": value,
                     "action_ts": f"1700000000.{n}"}],
    }
    return signed_post(port, urlencode({"payload": json.dumps(payload)}).encode(), "application/x-www-form-urlencoded")


def button_values(answer: dict[str, Any]) -> dict[str, str]:
    """Label → the button's value (``<token>.<verb>``) in a Block Kit message the server sent."""
    return {e["text"]["text"]: e["value"] for b in answer.get("blocks") or () if b.get("type") == "actions"
            for e in b.get("elements", ())}


def text_of(answer: dict[str, Any]) -> str:
    parts = [answer.get("text") or ""]
    for block in answer.get("blocks") or ():
        for key in ("text",):
            value = block.get(key)
            if isinstance(value, dict):
                parts.append(value.get("text", ""))
        for element in block.get("elements") or ():
            if isinstance(element, dict) and isinstance(element.get("text"), str):
                parts.append(element["text"])
        for f in block.get("fields") or ():
            parts.append(f.get("text", ""))
    return "\n".join(parts)


# ---- databases -------------------------------------------------------------------------------

def server_env(database_url: str, fake_slack_url: str, ops_url: str, **extra: str) -> dict[str, str]:
    return {
        "CHATOPS_DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake_slack_url,
        "CHATOPS_BACKEND": "http", "CHATOPS_BACKEND_URL": ops_url, "CHATOPS_BACKEND_TIMEOUT_SECONDS": "2",
        "CHATOPS_WORK_LEASE_SECONDS": "5", "CHATOPS_WORK_POLL_SECONDS": "0.2", "CHATOPS_HOUSEKEEPING_SECONDS": "0.5",
        "CHATOPS_RECONCILE_BACKOFF_SECONDS": "1,2", "CHATOPS_DRAIN_SECONDS": "10",
        "CHATOPS_OPS_APPROVALS_SLACK_CHANNEL": "C0APPROVALS", "CHATOPS_LOG_LEVEL": "INFO",
        "DISCORD_TOKEN": "", **extra,
    }


@contextlib.contextmanager
def fresh_database(tmp: Path, pg_url: str | None) -> Iterator[str]:
    """A new empty database for one server: a SQLite file, or a database created on ``pg_url``'s server."""
    if not pg_url:
        yield f"sqlite:///{tmp / 'chatops.db'}"
        return
    import psycopg2

    name = f"chatops_fault_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(pg_url)
    admin.autocommit = True
    try:
        admin.cursor().execute(f'CREATE DATABASE "{name}"')
        base, _, _ = pg_url.rpartition("/")
        yield f"{base}/{name}"
    finally:
        cur = admin.cursor()
        cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()


def query(database_url: str, sql: str, params: tuple = ()) -> list[tuple]:
    """Read the server's database from the test (a connection of its own, closed at once)."""
    from chatops.db import connect

    db = connect(database_url)
    try:
        sql = sql.replace("?", "%s") if not isinstance(db, peewee.SqliteDatabase) else sql
        return list(db.execute_sql(sql, params).fetchall())
    finally:
        db.close()


class Cluster:
    """A throwaway PostgreSQL cluster of our own, to stop and start under a running server."""

    def __init__(self) -> None:
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
        if not bins:
            raise FileNotFoundError("no PostgreSQL binaries under /usr/lib/postgresql")
        self.bin = bins[-1]
        self.dir = Path(tempfile.mkdtemp(prefix="chatops-fault-pg-"))
        self.port = free_port()
        self.data = self.dir / "data"
        shutil.chown(self.dir, "postgres")
        self._as_postgres(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust")

    def _as_postgres(self, *args: str) -> None:
        runner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*runner, *args], check=True, capture_output=True, timeout=120)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        # -l: the server's output goes to a file, not to our pipes (which would then never close)
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "server.log"), "-o",
                          f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1", "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def destroy(self) -> None:
        with contextlib.suppress(Exception):
            self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)
