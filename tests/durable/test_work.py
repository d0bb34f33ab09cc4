"""The durable work queue and its worker pool: accepted means persisted; leases, retries, dead letters,
graceful stop; concurrent workers on PostgreSQL take different rows."""
from __future__ import annotations

import threading
import time

import peewee
import pytest

from chatops import work
from chatops.models import WorkItem
from chatops.workers import Busy, PoolConfig, WorkerPool


class Recorder:
    """A handler that records what it ran; ``fail`` maps a key to the exceptions to raise, in turn."""

    def __init__(self) -> None:
        self.ran: list[str] = []
        self.dead_items: list[tuple[str, str]] = []
        self.fail: dict[str, list[BaseException]] = {}
        self.block: dict[str, threading.Event] = {}
        self.lock = threading.Lock()

    def run(self, item: WorkItem) -> None:
        if item.key in self.block:
            self.block[item.key].wait(10)
        errors = self.fail.get(item.key)
        if errors:
            raise errors.pop(0)
        with self.lock:
            self.ran.append(item.key)

    def dead(self, item: WorkItem, reason: str) -> None:
        self.dead_items.append((item.key, reason))


def pool_for(runner, handler, **config) -> WorkerPool:
    settings = dict(threads=0, lease_seconds=60, max_attempts=3, poll_seconds=0.01, queue_limit=500,
                    drain_seconds=2)
    settings.update(config)
    return WorkerPool(runner.app, {"test": handler}, PoolConfig(**settings), housekeeping=False)


def test_accept_is_one_row_and_a_redelivery_finds_it(runner):
    first = work.accept("test", "slack:trigger:1", {"op": "command"}, now=runner.clock())
    again = work.accept("test", "slack:trigger:1", {"op": "command"}, now=runner.clock())
    assert not first.duplicate and again.duplicate and again.item.id == first.item.id
    assert WorkItem.select().count() == 1 and WorkItem.get().state == "queued"


def test_items_run_once_in_order_and_a_failure_is_retried_with_backoff(runner):
    handler = Recorder()
    pool = pool_for(runner, handler)
    handler.fail["b"] = [RuntimeError("flaky")]
    for key in ("a", "b", "c"):
        pool.accept("test", key, {})
    assert pool.run_once() == 3
    assert handler.ran == ["a", "c"]
    b = WorkItem.get(WorkItem.key == "b")
    assert b.state == "queued" and "flaky" in b.error and b.not_before > runner.clock()
    runner.clock.advance(seconds=11)
    assert pool.run_once() == 1 and handler.ran == ["a", "c", "b"]
    assert [i.state for i in WorkItem.select().order_by(WorkItem.id)] == ["done", "done", "done"]


def test_an_item_that_keeps_failing_is_dead_lettered_and_the_user_told(runner):
    handler = Recorder()
    pool = pool_for(runner, handler, max_attempts=2)
    handler.fail["x"] = [RuntimeError("one"), RuntimeError("two"), RuntimeError("three")]
    pool.accept("test", "x", {})
    pool.run_once()
    runner.clock.advance(minutes=5)
    pool.run_once()
    item = WorkItem.get(WorkItem.key == "x")
    assert item.state == "dead" and item.attempts == 2
    assert handler.dead_items == [("x", "RuntimeError: two")]


def test_a_worker_that_died_is_replaced_when_its_lease_runs_out(runner):
    """A row leased by a process that is gone (kill -9) runs again, and crashes count as attempts."""
    handler = Recorder()
    dead_process = work.accept("test", "k", {}, now=runner.clock(), lease_owner="gone:1:abc", lease_seconds=60)
    assert dead_process.item.state == "running"
    pool = pool_for(runner, handler)
    assert pool.run_once() == 0  # still leased
    runner.clock.advance(seconds=61)
    assert pool.run_once() == 1 and handler.ran == ["k"]
    item = WorkItem.get(WorkItem.key == "k")
    assert item.state == "done" and item.attempts == 2 and item.error == work.LEASE_LOST


def test_a_crash_loop_ends_in_a_dead_letter(runner):
    """Each claim is an attempt: an item that kills its process every time is not retried for ever."""
    handler = Recorder()
    work.accept("test", "poison", {}, now=runner.clock(), lease_owner="gone:1", lease_seconds=60)  # attempt 1
    runner.clock.advance(seconds=61)
    assert len(work.claim(["test"], owner="dies:2", now=runner.clock(), lease_seconds=60)) == 1  # attempt 2
    runner.clock.advance(seconds=61)
    pool = pool_for(runner, handler, max_attempts=2)
    assert pool.run_once() == 1  # attempt 3: over the limit, not run
    assert WorkItem.get().state == "dead" and handler.dead_items and not handler.ran


def test_a_database_error_is_retried_soon(runner):
    handler = Recorder()
    handler.fail["d"] = [peewee.OperationalError("server closed the connection unexpectedly")]
    pool = pool_for(runner, handler)
    pool.accept("test", "d", {})
    pool.run_once()
    item = WorkItem.get(WorkItem.key == "d")
    assert item.state == "queued" and "database was unavailable" in item.error
    runner.clock.advance(seconds=3)
    pool.run_once()
    assert handler.ran == ["d"]


def test_busy_when_too_much_waits(runner):
    pool = pool_for(runner, Recorder(), queue_limit=2)
    pool.accept("test", "1", {})
    pool.accept("test", "2", {})
    work.forget_backlog()
    with pytest.raises(Busy):
        pool.accept("test", "3", {})
    assert WorkItem.select().count() == 2


def test_graceful_stop_finishes_running_work_and_hands_back_the_rest(runner):
    handler = Recorder()
    gate = threading.Event()
    handler.block["slow"] = gate
    pool = pool_for(runner, handler, threads=1).start()
    pool.accept("test", "slow", {})
    time.sleep(0.2)
    pool.accept("test", "later", {})  # accepted here, not started: goes back to the queue
    threading.Timer(0.3, gate.set).start()
    report = pool.stop(deadline=5)
    assert report.finished == 1 and report.released == 1 and report.left == 0
    assert handler.ran == ["slow"]
    later = WorkItem.get(WorkItem.key == "later")
    assert later.state == "queued" and later.attempts == 0 and later.lease_owner is None


def test_work_still_running_at_the_deadline_is_left_for_the_next_start(runner):
    handler = Recorder()
    handler.block["stuck"] = threading.Event()
    pool = pool_for(runner, handler, threads=1).start()
    pool.accept("test", "stuck", {})
    time.sleep(0.2)
    report = pool.stop(deadline=0.2)
    assert report.left == 1
    item = WorkItem.get(WorkItem.key == "stuck")
    assert item.state == "running" and item.lease_until < runner.clock()  # the next start takes it at once
    nxt = pool_for(runner, Recorder())
    assert nxt.run_once() == 1
    handler.block["stuck"].set()


@pytest.mark.postgres
def test_two_pools_on_postgresql_run_every_item_exactly_once(make_runner, pg_url):
    runner = make_runner(database_url=pg_url)
    for i in range(120):
        work.accept("test", f"item-{i}", {}, now=runner.clock())
    handlers = [Recorder(), Recorder()]
    pools = [pool_for(runner, h, threads=4, poll_seconds=0.01) for h in handlers]
    for p in pools:
        p.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and WorkItem.select().where(WorkItem.state != "done").count():
        time.sleep(0.05)
    for p in pools:
        p.stop(deadline=5)
    ran = handlers[0].ran + handlers[1].ran
    assert sorted(ran) == sorted(f"item-{i}" for i in range(120))
    assert handlers[0].ran and handlers[1].ran  # both took a share


def _answers_of_two_attempts(runner, *, first_attempt_ran: bool):
    """A command accepted by a process that was killed (its lease runs out): the first attempt ran the command
    (and may have answered) or did not get that far; then another worker takes the item over."""
    from chatops import messages

    inv = runner.invocation("ping", idempotency_key="slack:trigger:again")  # as the adapters accept it
    taken = work.accept("test", "slack:trigger:again", {"op": "command", "inv": inv.to_dict()}, now=runner.clock(),
                        lease_owner="gone:1:abc", lease_seconds=60)
    first = work.run_request(runner.app.router, taken.item, inv) if first_attempt_ran else None
    runner.clock.advance(seconds=61)
    [item] = work.claim(["test"], owner="second:2:def", now=runner.clock(), lease_seconds=60)
    assert item.attempts == 2 and item.error == work.LEASE_LOST
    return first, work.run_request(runner.app.router, item, inv), messages


def test_an_answer_sent_again_after_a_crash_says_it_may_be_the_same_one(runner):
    """The run finished in the attempt that was killed before its item was done: the answer sent again says
    that, if it reached the user already, it is the same one and nothing was done twice."""
    first, again, messages = _answers_of_two_attempts(runner, first_attempt_ran=True)
    first_text = " ".join(getattr(b, "text", "") for b in first.blocks)
    again_text = " ".join(getattr(b, "text", "") for b in again.blocks)
    assert "pong" in first_text and "late" not in first_text and again.replayed
    assert again_text == messages.LATE.format(why=messages.LATE_AGAIN) + " " + first_text  # the same answer


def test_an_answer_first_sent_after_a_crash_says_only_that_it_is_late(runner):
    """Killed before the command ran: nothing was answered, so the answer does not speak of a repeat."""
    _, again, messages = _answers_of_two_attempts(runner, first_attempt_ran=False)
    text = " ".join(getattr(b, "text", "") for b in again.blocks)
    assert "the service restarted while it was being handled" in text and not again.replayed
    assert messages.LATE_AGAIN not in text


def test_a_retry_after_a_refused_answer_is_late_but_not_called_a_repeat(runner):
    """The platform refused the answer (a 503, a 429) or the database failed: the item is retried with that
    error, and nothing reached the user, so the answer does not say it may be a repeat."""
    from chatops import messages

    inv = runner.invocation("ping", idempotency_key="slack:trigger:refused")
    pool = pool_for(runner, Recorder())
    taken = work.accept("test", "slack:trigger:refused", {"op": "command", "inv": inv.to_dict()},
                        now=runner.clock(), lease_owner=pool.owner, lease_seconds=60)
    work.run_request(runner.app.router, taken.item, inv)  # ran; its answer was then refused
    work.retry(taken.item, now=runner.clock(), error="AnswerFailed: Discord answered 503", after_seconds=0)
    [item] = work.claim(["test"], owner=pool.owner, now=runner.clock(), lease_seconds=60)
    again = work.run_request(runner.app.router, item, inv)
    text = " ".join(getattr(b, "text", "") for b in again.blocks)
    assert again.replayed and "pong" in text and "it had to be tried again" in text
    assert messages.LATE_AGAIN not in text
