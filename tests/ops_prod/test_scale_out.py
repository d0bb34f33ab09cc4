"""The Procfile topology on PostgreSQL and Redis — 2 web (gunicorn) + 2 workers — under signed Slack load from
parallel clients: every request acked and accounted for (audited `allowed` once, or refused and audited
`refused`), every accepted one answered; then one web and one worker are SIGKILLed mid-run and the counts
still hold; `chatops audit verify` passes at the end."""
from __future__ import annotations

import os
import random
import signal
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import postgres_answers, skip_or_fail
from tests.faults import procs as fault_procs
from tests.ops_prod.scale import Load, Topology
from tests.slack.fake_slack import FakeSlack

pytestmark = [pytest.mark.faults, pytest.mark.postgres, pytest.mark.timeout(240)]

PG_SERVER = "postgresql://postgres@127.0.0.1:5432/test"  # default server to make a fresh database on
REDIS = ("127.0.0.1", 6379)
PHASE = int(os.environ.get("CHATOPS_SCALE_TEST_REQUESTS", "1000"))  # requests per phase


def pg_server() -> str:
    """The server a fresh database is made on (CREATE DATABASE through this URL; nothing is written to it):
    the suite's PostgreSQL (CHATOPS_TEST_DATABASE_URL), else CHATOPS_TEST_PG_URL (CI), else PG_SERVER."""
    configured = os.environ.get("CHATOPS_TEST_DATABASE_URL", "")
    if configured.startswith(("postgresql://", "postgres://")):
        return configured
    return os.environ.get("CHATOPS_TEST_PG_URL") or PG_SERVER


def redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis(*REDIS, socket_timeout=2).ping())
    except Exception:  # noqa: BLE001
        return False


@pytest.fixture
def database(tmp_path: Path):
    server = pg_server()
    if not postgres_answers(server):
        skip_or_fail(f"no PostgreSQL at {server}", os.environ)
    if not redis_answers():
        skip_or_fail("no Redis at 127.0.0.1:6379", os.environ)
    with fault_procs.fresh_database(tmp_path, server) as url:
        migrated = fault_procs.chatops_cli({"CHATOPS_DATABASE_URL": url}, "db", "upgrade")
        assert migrated.returncode == 0, migrated.stderr
        yield url


@pytest.fixture
def fake_slack():
    server = FakeSlack().start()
    yield server
    server.stop()


def check_accounting(load: Load, database_url: str, numbers: range) -> dict[str, int]:
    answered = load.settle(timeout=60)
    end = time.monotonic() + 20
    while True:  # refusals reach the trail through the audit spool (the housekeeping adds them)
        allowed, refused = load.audited(database_url)
        if all(n in refused for n in numbers if load.outcomes[n].refused) or time.monotonic() > end:
            break
        time.sleep(0.2)
    problems = []
    for n in numbers:
        outcome = load.outcomes[n]
        if not outcome.acked:
            problems.append(f"request {n} not acked: {outcome.status} {outcome.body[:80]!r} after {outcome.tries} tries")
        elif outcome.refused:
            # Each delivery that reached a web process and was refused is on record: one, or more when the
            # web process that refused it was killed before its answer went out and the client tried again.
            if not 1 <= refused.get(n, 0) <= outcome.tries:
                problems.append(f"request {n} refused but audited `refused` {refused.get(n, 0)} times "
                                f"({outcome.tries} deliveries)")
        else:
            if allowed.get(n) != 1:
                problems.append(f"request {n} acked but audited `allowed` {allowed.get(n, 0)} times")
            if not answered.get(n):
                problems.append(f"request {n} acked but never answered")
    assert not problems, f"{len(problems)} problem(s): " + "; ".join(problems[:10])
    requests = len(numbers)
    audited = sum(1 for n in numbers if allowed.get(n) == 1) + sum(1 for n in numbers if refused.get(n, 0) >= 1)
    assert audited == requests  # audit rows + refusals = requests
    return {"requests": requests, "refused": sum(1 for n in numbers if load.outcomes[n].refused),
            "delivered_again": sum(1 for n in numbers if load.outcomes[n].tries > 1),
            "answered_twice": sum(1 for n in numbers if answered.get(n, 0) > 1)}


def test_every_request_is_accounted_for_across_processes_and_after_kill_9(tmp_path: Path, database, fake_slack):
    with Topology(tmp_path, database, f"redis://{REDIS[0]}:{REDIS[1]}/{random.randint(8, 15)}", fake_slack.url,
                  webs=2, workers=2, CHATOPS_WORK_QUEUE_LIMIT="300") as topology:
        load = Load(topology, fake_slack)

        first = range(0, PHASE)
        load.send(first, clients=8)
        calm = check_accounting(load, database, first)
        assert calm["answered_twice"] == 0  # nothing was killed: exactly once

        second = range(PHASE, 2 * PHASE)
        sender = threading.Thread(target=load.send, args=(second,), kwargs={"clients": 8})
        sender.start()
        while len(load.outcomes) < PHASE + PHASE // 4 and sender.is_alive():
            time.sleep(0.01)
        topology.webs[0].kill_group()     # SIGKILL: gunicorn and its web process, mid-run
        topology.workers[0].kill_group()  # SIGKILL: a worker with leased work running
        sender.join(120)
        assert not sender.is_alive()
        killed = check_accounting(load, database, second)
        assert not topology.webs[0].alive() and not topology.workers[0].alive()
        assert topology.webs[1].alive() and topology.workers[1].alive()

        for proc in (topology.webs[1], topology.workers[1]):
            proc.signal(signal.SIGTERM)
        assert topology.webs[1].wait(30) == 0 and topology.workers[1].wait(30) == 0

    verified = fault_procs.chatops_cli({"CHATOPS_DATABASE_URL": database}, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    print(f"\nscale-out: calm {calm}, with kill -9 {killed}")
