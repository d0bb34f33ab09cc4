"""The Procfile topology started for real (N web + M workers on PostgreSQL and Redis) and a load of signed
Slack slash commands (and signed Discord HTTP interactions) from parallel clients: shared by
tests/ops_prod/test_scale_out.py and bench/scale_out.py.

    with Topology(tmp, database_url, redis_url, fake_slack, webs=2, workers=2) as topo:
        load = Load(topo, fake_slack)
        load.send(range(0, 500), clients=8)
        load.settle(timeout=60)              # every accepted request answered
        allowed, refused = load.audited(database_url)   # audit rows + refusals = requests

    key = Ed25519PrivateKey.generate()       # Discord too: the topology's env gets the public key
    discord_fake = FakeDiscordThread()       # tests/discord/fakethread.py: the REST API that gets the follow-ups
    with Topology(..., **discord_env(discord_fake.fake.api_url, public_key_hex(key))) as topo:
        interactions = DiscordLoad(topo, discord_fake, key)
        interactions.send(range(0, 100), clients=4)      # /ping, each its own interaction id and token
        interactions.settle(timeout=60)                  # every deferred one followed up
"""
from __future__ import annotations

import http.client
import json
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
DISCORD_PATH = "/discord/interactions"
DISCORD_USER = "94{n:016d}"         # interaction n's user: its audit actor is discord:94…n
DISCORD_INTERACTION = "96{n:016d}"  # interaction n's id (its token is tok-<id>)
DISCORD_TOKEN = "scale-test-bot-token"


def common_env(database_url: str, redis_url: str, fake_slack_url: str, spool: Path, **extra: str) -> dict[str, str]:
    return {
        "CHATOPS_DATABASE_URL": database_url, "CHATOPS_HUEY_URL": redis_url,
        "SLACK_BOT_TOKEN": fault_procs.TOKEN, "SLACK_SIGNING_SECRET": fault_procs.SECRET,
        "SLACK_API_URL": fake_slack_url, "CHATOPS_AUDIT_SPOOL": str(spool),
        "CHATOPS_WORK_LEASE_SECONDS": "5", "CHATOPS_WORK_POLL_SECONDS": "0.05", "CHATOPS_HOUSEKEEPING_SECONDS": "0.5",
        "CHATOPS_DRAIN_SECONDS": "3", "CHATOPS_LOG_LEVEL": "WARNING", "DISCORD_TOKEN": "", **extra,
    }


def discord_env(api_url: str, public_key_hex: str, application_id: str = "") -> dict[str, str]:
    """What the topology needs for Discord HTTP interactions: the endpoint mounted in each web process
    (DISCORD_PUBLIC_KEY + DISCORD_TOKEN, its REST client pointed at ``api_url``), no gateway anywhere, the
    workers answering through the same REST API."""
    from tests.discord.fakediscord import APP_ID

    return {"DISCORD_PUBLIC_KEY": public_key_hex, "DISCORD_TOKEN": DISCORD_TOKEN,
            "DISCORD_APPLICATION_ID": application_id or APP_ID, "DISCORD_GATEWAY": "off", "DISCORD_API_URL": api_url}


def public_key_hex(key) -> str:
    """An Ed25519 private key's public half, as DISCORD_PUBLIC_KEY takes it (64 hex digits)."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


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

    def repeats_unsaid(self, numbers: Iterable[int]) -> list[str]:
        """Requests answered more than once whose later answers do not say they are a repeat (a worker killed
        after answering, before marking its work done: the answer is sent again and must say so)."""
        bodies: dict[int, list[str]] = {}
        for call in self.fake_slack.called("response:*"):
            match = re.fullmatch(r"response:s(\d+)", call.method)
            if match:
                bodies.setdefault(int(match.group(1)), []).append(json.dumps(call.body))
        wanted = set(numbers)
        return [f"request {n} answered again without saying so: {texts[-1][:160]!r}"
                for n, texts in bodies.items() if n in wanted and len(texts) > 1
                and not all("sent again" in text for text in texts[1:])]

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


@dataclass
class DiscordOutcome(Outcome):
    kind: int = 0  # the interaction response's type: 5 deferred, 4 a message (a refusal, for /ping)

    @property
    def acked(self) -> bool:
        return self.status == 200 and self.kind in (4, 5)

    @property
    def refused(self) -> bool:
        return self.status == 200 and self.kind == 4


@dataclass
class DiscordLoad:
    """Signed Discord APPLICATION_COMMAND interactions (/ping) POSTed to the web processes' /discord/interactions,
    as Discord sends them: interaction ``n`` has its own id, token (``tok-<id>``) and user. The follow-ups
    arrive at the fake Discord REST API (``discord_fake``, a tests.discord.fakethread.FakeDiscordThread)."""
    topology: Topology
    discord_fake: object
    key: object  # the Ed25519 private key whose public half the web processes have
    outcomes: dict[int, DiscordOutcome] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def payload(self, n: int) -> dict:
        fake = self.discord_fake.fake
        data = {"id": "950000000000000001", "name": "ping", "type": 1, "options": []}
        payload = fake.interaction_payload(2, data, user_id=DISCORD_USER.format(n=n))
        payload["id"] = DISCORD_INTERACTION.format(n=n)
        payload["token"] = f"tok-{payload['id']}"
        return payload

    def _post(self, port: int, body: bytes) -> tuple[int, str]:
        ts = str(int(time.time()))
        headers = {"X-Signature-Ed25519": self.key.sign(ts.encode() + body).hex(), "X-Signature-Timestamp": ts,
                   "Content-Type": "application/json"}
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request("POST", DISCORD_PATH, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.read().decode("utf-8", "replace")
        finally:
            conn.close()

    def one(self, n: int) -> DiscordOutcome:
        """Deliver interaction ``n`` to a live web process, on to the next one when the connection fails (the
        same interaction, signed again: one that did get in is a repeated delivery, acked and never run twice)."""
        outcome = DiscordOutcome(n)
        body = json.dumps(self.payload(n)).encode()
        started = time.perf_counter()
        end = time.monotonic() + 30
        while time.monotonic() < end:
            ports = self.topology.live_ports()
            if not ports:
                break
            port = ports[(n + outcome.tries) % len(ports)]
            outcome.tries += 1
            try:
                outcome.status, outcome.body = self._post(port, body)
                if outcome.status == 200:
                    try:
                        outcome.kind = int(json.loads(outcome.body).get("type") or 0)
                    except (ValueError, AttributeError):
                        outcome.kind = 0
                    break
            except (OSError, http.client.HTTPException, socket.timeout):
                time.sleep(0.05)
        outcome.seconds = time.perf_counter() - started
        with self._lock:
            self.outcomes[n] = outcome
        return outcome

    def send(self, numbers: Iterable[int], *, clients: int = 4) -> None:
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(self.one, numbers))

    def answered(self) -> dict[int, int]:
        """Interaction number → answers its user sees: each follow-up message (POST /webhooks/{app}/{token}) is
        one, and the deferred original response edited into the answer (PATCH …/messages/@original) is one
        however many times it was edited (an edit made again after a crash replaces it, it adds nothing)."""
        counts: dict[int, int] = {}
        edited: set[int] = set()
        pattern = re.compile(r"/webhooks/\d+/tok-96(\d{16})(/messages/@original)?")
        for call in list(self.discord_fake.fake.calls):
            match = pattern.fullmatch(call.path)
            if not match:
                continue
            n = int(match.group(1))
            if call.method == "POST" and not match.group(2):
                counts[n] = counts.get(n, 0) + 1
            elif call.method == "PATCH" and match.group(2) and n not in edited:
                edited.add(n)
                counts[n] = counts.get(n, 0) + 1
        return counts

    def edits(self) -> dict[int, int]:
        """Interaction number → times its original response was edited (more than once: answered again after a
        crash, by the same edit)."""
        counts: dict[int, int] = {}
        pattern = re.compile(r"/webhooks/\d+/tok-96(\d{16})/messages/@original")
        for call in list(self.discord_fake.fake.calls):
            match = pattern.fullmatch(call.path)
            if match and call.method == "PATCH":
                counts[int(match.group(1))] = counts.get(int(match.group(1)), 0) + 1
        return counts

    def answer_times(self, n: int) -> list[float]:
        """When (time.perf_counter()) interaction ``n``'s answers reached the fake, in order."""
        token = f"/tok-{DISCORD_INTERACTION.format(n=n)}"
        return sorted(c.at for c in list(self.discord_fake.fake.calls) if c.method in ("POST", "PATCH")
                      and c.path.startswith("/webhooks/") and token in c.path)

    def unclear(self, numbers: Iterable[int]) -> list[str]:
        """What is wrong with the answers themselves: a refusal (type 4) that is not ephemeral or does not say
        why (busy, or the database briefly unavailable), a deferral that is not /ping's (type 5, ephemeral), a
        follow-up without the pong."""
        from tests.discord.harness import content

        followups: dict[int, list] = {}
        pattern = re.compile(r"/webhooks/\d+/tok-96(\d{16})(/messages/@original)?")
        for call in list(self.discord_fake.fake.calls):
            match = pattern.fullmatch(call.path)
            if match and call.method == ("PATCH" if match.group(2) else "POST"):
                followups.setdefault(int(match.group(1)), []).append(call)
        problems = []
        for n in numbers:
            outcome = self.outcomes[n]
            try:
                body = json.loads(outcome.body) if outcome.acked else {}
            except ValueError:
                body = {}
            data = body.get("data") or {}
            if outcome.refused:
                if not (data.get("flags", 0) & 64 and (BUSY_WORDS in data.get("content", "")
                                                        or "briefly unavailable" in data.get("content", ""))):
                    problems.append(f"interaction {n} refused without saying why: {outcome.body[:120]!r}")
            elif outcome.acked:
                if body != {"type": 5, "data": {"flags": 64}}:
                    problems.append(f"interaction {n} deferred as {outcome.body[:120]!r}")
                for call in followups.get(n, ()):
                    if "pong" not in content(call).lower():
                        problems.append(f"interaction {n} followed up without the pong: {content(call)[:120]!r}")
        return problems

    def settle(self, timeout: float = 60.0) -> dict[int, int]:
        """Wait until every deferred interaction is followed up; the answers by interaction."""
        want = {n for n, o in self.outcomes.items() if o.acked and not o.refused}
        end = time.monotonic() + timeout
        while True:
            answered = self.answered()
            if want <= set(answered) or time.monotonic() > end:
                return answered
            time.sleep(0.1)

    def audited(self, database_url: str) -> tuple[dict[int, int], dict[int, int]]:
        """Interaction number → `allowed` ping events, and → refusals (`refused`: busy; `failed`: not
        accepted), in the audit trail."""
        allowed: dict[int, int] = {}
        refused: dict[int, int] = {}
        rows = fault_procs.query(database_url, "SELECT actor, outcome FROM audit_event WHERE command = ? AND "
                                               "outcome IN ('allowed', 'refused', 'failed')", ("ping",))
        for actor, outcome in rows:
            match = re.match(r"discord:94(\d{16})\b", actor)
            if match:
                bucket = allowed if outcome == "allowed" else refused
                bucket[int(match.group(1))] = bucket.get(int(match.group(1)), 0) + 1
        return allowed, refused
