"""The Procfile topology started for real (N web + M workers on PostgreSQL and Redis) and a load of signed
Slack slash commands from parallel clients: shared by tests/ops_prod/test_scale_out.py and bench/scale_out.py.

    with Topology(tmp, database_url, redis_url, fake_slack, webs=2, workers=2) as topo:
        load = Load(topo, fake_slack)
        load.send(range(0, 500), clients=8)
        load.settle(timeout=60)              # every accepted request answered
        report = load.account()              # audit rows + refusals = requests
"""
from __future__ import annotations

import http.client
import re
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable
from urllib.parse import urlencode

from tests.faults import procs as fault_procs
from tests.faults.procs import free_port
from tests.ops_prod.procs import Proc, command_line
from tests.ops_prod.topology import procfile

BUSY_WORDS = "very busy"
USER = "U0S{n:07d}"


def common_env(database_url: str, redis_url: str, fake_slack_url: str, spool: Path, **extra: str) -> dict[str, str]:
    return {
        "CHATOPS_DATABASE_URL": database_url, "CHATOPS_HUEY_URL": redis_url,
        "SLACK_BOT_TOKEN": fault_procs.TOKEN, "SLACK_SIGNING_SECRET": fault_procs.SECRET,
        "SLACK_API_URL": fake_slack_url, "CHATOPS_AUDIT_SPOOL": str(spool),
        "CHATOPS_WORK_LEASE_SECONDS": "5", "CHATOPS_WORK_POLL_SECONDS": "0.05", "CHATOPS_HOUSEKEEPING_SECONDS": "0.5",
        "CHATOPS_DRAIN_SECONDS": "3", "CHATOPS_LOG_LEVEL": "WARNING", "DISCORD_TOKEN": "", **extra,
    }


class Topology:
    """``webs`` copies of the Procfile's ``web`` (each its own port) and ``workers`` of its ``worker``."""

    def __init__(self, tmp: Path, database_url: str, redis_url: str, fake_slack_url: str, *, webs: int = 2,
                 workers: int = 2, web_processes: int = 1, web_threads: int = 8, worker_threads: int = 8,
                 **extra: str) -> None:
        lines = procfile()
        env = common_env(database_url, redis_url, fake_slack_url, tmp / "audit-spool.jsonl", **extra)
        self.ports = [free_port() for _ in range(webs)]
        self.webs = [Proc(command_line(lines["web"]), {**env, "CHATOPS_WORKERS": "0",
                                                       "CHATOPS_WEB_BIND": f"127.0.0.1:{port}",
                                                       "CHATOPS_WEB_PROCESSES": str(web_processes),
                                                       "CHATOPS_WEB_THREADS": str(web_threads)},
                          log=tmp / f"web{i}.log", name=f"web{i}") for i, port in enumerate(self.ports)]
        self.workers = [Proc(command_line(lines["worker"]), {**env, "CHATOPS_WORKERS": str(worker_threads)},
                             log=tmp / f"worker{i}.log", name=f"worker{i}") for i in range(workers)]
        self.env = env

    def __enter__(self) -> "Topology":
        for proc in (*self.webs, *self.workers):
            proc.start()
        for proc, port in zip(self.webs, self.ports):
            proc.wait_http(port)
        return self

    def __exit__(self, *exc) -> None:
        for proc in (*self.webs, *self.workers):
            proc.kill_group()

    def live_ports(self) -> list[int]:
        return [port for proc, port in zip(self.webs, self.ports) if proc.alive()]


@dataclass
class Outcome:
    n: int
    status: int = 0
    body: str = ""
    tries: int = 0
    seconds: float = 0.0

    @property
    def acked(self) -> bool:
        return self.status == 200

    @property
    def refused(self) -> bool:
        return self.acked and BUSY_WORDS in self.body


@dataclass
class Load:
    topology: Topology
    fake_slack: object
    outcomes: dict[int, Outcome] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _post(self, port: int, n: int, trigger: str) -> tuple[int, str]:
        user = USER.format(n=n)
        form = {"command": "/ping", "text": "", "user_id": user, "user_name": user.lower(), "team_id": fault_procs.TEAM,
                "channel_id": "C0LOAD", "channel_name": "load", "trigger_id": trigger,
                "response_url": self.fake_slack.response_url(f"s{n}")}
        status, body, _ = fault_procs.signed_post(port, urlencode(form).encode(), "application/x-www-form-urlencoded",
                                                  timeout=10)
        return status, body.decode("utf-8", "replace")

    def one(self, n: int) -> Outcome:
        """Send request ``n`` like a load balancer would: to a live web process, on to the next one when the
        connection fails (the same trigger id: a request that did get in is a repeated delivery, not a new one)."""
        outcome = Outcome(n)
        trigger = uuid.uuid4().hex
        started = time.perf_counter()
        end = time.monotonic() + 30
        while time.monotonic() < end:
            ports = self.topology.live_ports()
            if not ports:
                break
            port = ports[(n + outcome.tries) % len(ports)]
            outcome.tries += 1
            try:
                outcome.status, outcome.body = self._post(port, n, trigger)
                if outcome.status == 200:
                    break
            except (OSError, http.client.HTTPException, socket.timeout):
                time.sleep(0.05)
        outcome.seconds = time.perf_counter() - started
        with self._lock:
            self.outcomes[n] = outcome
        return outcome

    def send(self, numbers: Iterable[int], *, clients: int = 8) -> None:
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(self.one, numbers))

    def answered(self) -> dict[int, int]:
        """Request number → response_url answers the fake received for it."""
        counts: dict[int, int] = {}
        for call in self.fake_slack.called("response:*"):
            match = re.fullmatch(r"response:s(\d+)", call.method)
            if match:
                counts[int(match.group(1))] = counts.get(int(match.group(1)), 0) + 1
        return counts

    def settle(self, timeout: float = 60.0) -> dict[int, int]:
        """Wait until every acked, not refused request is answered; the answers by request."""
        want = {n for n, o in self.outcomes.items() if o.acked and not o.refused}
        end = time.monotonic() + timeout
        while True:
            answered = self.answered()
            if want <= set(answered) or time.monotonic() > end:
                return answered
            time.sleep(0.1)

    def audited(self, database_url: str) -> tuple[dict[int, int], dict[int, int]]:
        """Request number → `allowed` ping events, and → `refused` events, in the audit trail."""
        allowed: dict[int, int] = {}
        refused: dict[int, int] = {}
        rows = fault_procs.query(database_url, "SELECT actor, outcome FROM audit_event WHERE command = ? AND "
                                               "outcome IN ('allowed', 'refused')", ("ping",))
        for actor, outcome in rows:
            match = re.match(r"slack:U0S(\d{7})\b", actor)
            if match:
                bucket = allowed if outcome == "allowed" else refused
                bucket[int(match.group(1))] = bucket.get(int(match.group(1)), 0) + 1
        return allowed, refused
