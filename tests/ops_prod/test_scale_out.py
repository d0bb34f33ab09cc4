"""The Procfile topology on PostgreSQL and Redis — 2 web (gunicorn) + 2 workers — under signed Slack load and
signed Discord HTTP interactions from parallel clients at once: every request acked and accounted for (audited
`allowed` once, or refused and audited `refused`), every accepted one answered (a Slack response_url answer;
a Discord follow-up through the interaction's webhook at the fake Discord REST API, exactly one); then one web
and one worker are SIGKILLed mid-run and the counts still hold; `chatops audit verify` passes at the end.

Counts per phase (two phases): CHATOPS_SCALE_TEST_REQUESTS Slack requests (1000), CHATOPS_SCALE_TEST_INTERACTIONS
Discord interactions (250) — the issue's 2,000 + 500."""
from __future__ import annotations

import os
import random
import signal
import threading
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.discord.fakethread import FakeDiscordThread
from tests.faults import procs as fault_procs
from tests.ops_prod.conftest import REDIS
from tests.ops_prod.scale import DiscordLoad, Load, Topology, discord_env, public_key_hex

pytestmark = [pytest.mark.faults, pytest.mark.postgres, pytest.mark.timeout(240)]

PHASE = int(os.environ.get("CHATOPS_SCALE_TEST_REQUESTS", "1000"))  # Slack requests per phase
WORKER_THREADS = 8  # each worker's (Topology's default worker_threads)
DISCORD_PHASE = int(os.environ.get("CHATOPS_SCALE_TEST_INTERACTIONS", "250"))  # Discord interactions per phase


@pytest.fixture
def discord_fake():
    """The fake Discord REST API of tests/discord on 127.0.0.1: the web processes' and workers' REST clients log
    in there and the answers (edits of @original, follow-ups) are recorded (closing it fails the test on a
    follow-up over Discord's limits or without safe allowed_mentions)."""
    with FakeDiscordThread() as fake:
        yield fake


def check_accounting(load: Load | DiscordLoad, database_url: str, numbers: range, *, once: bool = False
                     ) -> dict[str, int]:
    """``once``: every accepted request answered exactly once (as its user sees it), not only at least once."""
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
            if refused.get(n, 0) > outcome.tries - 1:  # only an earlier delivery, to a web process killed since
                problems.append(f"request {n} accepted but also audited `refused` {refused[n]} times "
                                f"({outcome.tries} deliveries)")
            if not answered.get(n):
                problems.append(f"request {n} acked but never answered")
            elif once and answered[n] != 1:
                problems.append(f"request {n} answered {answered[n]} times (at {load.answer_times(n)})")
    if isinstance(load, DiscordLoad):
        problems += load.unclear(numbers)  # the refusals say why, the follow-ups carry the pong
    assert not problems, f"{type(load).__name__}: {len(problems)} problem(s): " + "; ".join(problems[:10])
    requests = len(numbers)
    # audit rows + refusals = requests: each request on record by what its client was told (a request refused on
    # a delivery whose web process died before answering, then accepted on the next, counts once: `allowed`)
    audited = sum(1 for n in numbers if (refused.get(n, 0) >= 1 if load.outcomes[n].refused else allowed.get(n) == 1))
    assert audited == requests
    return {"requests": requests, "refused": sum(1 for n in numbers if load.outcomes[n].refused),
            "delivered_again": sum(1 for n in numbers if load.outcomes[n].tries > 1),
            "answered_twice": sum(1 for n in numbers if answered.get(n, 0) > 1)}


def send_both(load: Load, interactions: DiscordLoad, numbers: range, discord_numbers: range) -> list[threading.Thread]:
    """The Slack requests and the Discord interactions from their own parallel clients, at the same time."""
    senders = [threading.Thread(target=load.send, args=(numbers,), kwargs={"clients": 8}, name="slack-load"),
               threading.Thread(target=interactions.send, args=(discord_numbers,), kwargs={"clients": 4},
                                name="discord-load")]
    for sender in senders:
        sender.start()
    return senders


def join(senders: list[threading.Thread], timeout: float) -> None:
    end = time.monotonic() + timeout
    for sender in senders:
        sender.join(max(0.0, end - time.monotonic()))
    assert not any(sender.is_alive() for sender in senders), "the load did not finish"


def test_every_request_is_accounted_for_across_processes_and_after_kill_9(tmp_path: Path, pg_redis_database, fake_slack,
                                                                         discord_fake):
    database = pg_redis_database
    key = Ed25519PrivateKey.generate()  # the application's key pair: the web processes get the public half
    started = time.monotonic()
    with Topology(tmp_path, database, f"redis://{REDIS[0]}:{REDIS[1]}/{random.randint(8, 15)}", fake_slack.url,
                  webs=2, workers=2, CHATOPS_WORK_QUEUE_LIMIT="300",
                  **discord_env(discord_fake.fake.api_url, public_key_hex(key))) as topology:
        load = Load(topology, fake_slack)
        interactions = DiscordLoad(topology, discord_fake, key)

        first, discord_first = range(0, PHASE), range(0, DISCORD_PHASE)
        join(send_both(load, interactions, first, discord_first), 120)
        calm = check_accounting(load, database, first)
        assert calm["answered_twice"] == 0  # nothing was killed: exactly once
        discord_calm = check_accounting(interactions, database, discord_first, once=True)

        second, discord_second = range(PHASE, 2 * PHASE), range(DISCORD_PHASE, 2 * DISCORD_PHASE)

        def a_quarter_in() -> bool:  # of both loads
            return (len(load.outcomes) >= PHASE + PHASE // 4
                    and len(interactions.outcomes) >= DISCORD_PHASE + DISCORD_PHASE // 4)

        senders = send_both(load, interactions, second, discord_second)
        while not a_quarter_in() and any(sender.is_alive() for sender in senders):
            time.sleep(0.01)
        at_kill = (len(load.outcomes) - PHASE, len(interactions.outcomes) - DISCORD_PHASE)
        topology.webs[0].kill_group()     # SIGKILL: gunicorn and its web process, mid-run
        topology.workers[0].kill_group()  # SIGKILL: a worker with leased work running
        join(senders, 120)
        killed = check_accounting(load, database, second)
        # Exactly once, kill -9 or not: a command's answer is the edit of its deferred original response, and
        # an item the killed worker had answered but not marked done is run again by another worker, which
        # finds the response answered and leaves it (a GET of @original, no second edit).
        discord_killed = check_accounting(interactions, database, discord_second, once=True)
        assert discord_killed["answered_twice"] == 0
        edits = interactions.edits()
        discord_killed["edited_again"] = sum(1 for n in discord_second if edits.get(n, 0) > 1)
        # a rerun finds the response already answered and leaves it: never a second edit either
        assert discord_killed["edited_again"] == 0
        # Slack's answers go to the response_url, which has no such edit for a slash command: across a kill -9
        # they are at least once (the killed worker's answered-but-not-done items), at most its threads.
        assert killed["answered_twice"] <= WORKER_THREADS
        assert not load.repeats_unsaid(second)  # ...and a repeat says it is one
        assert not topology.webs[0].alive() and not topology.workers[0].alive()
        assert topology.webs[1].alive() and topology.workers[1].alive()

        for proc in (topology.webs[1], topology.workers[1]):
            proc.signal(signal.SIGTERM)
        assert topology.webs[1].wait(30) == 0 and topology.workers[1].wait(30) == 0

    verified = fault_procs.chatops_cli({"CHATOPS_DATABASE_URL": database}, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    print(f"\nscale-out ({time.monotonic() - started:.0f}s): slack calm {calm}, with kill -9 {killed}; "
          f"discord calm {discord_calm}, with kill -9 {discord_killed}; "
          f"killed after {at_kill[0]} slack / {at_kill[1]} discord of phase 2")
