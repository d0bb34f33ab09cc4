"""The work pool: pre-started threads, Busy, shutdown, acks first (AckGate), one connection per worker."""
from __future__ import annotations

import threading

import pytest

from chatops.connections import ThreadConnections
from adapters.slack.executor import AckGate, BoundedExecutor, Busy


class Clock:
    """A monotonic clock that only moves when the gate 'sleeps'."""

    def __init__(self) -> None:
        self.t = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


def test_the_gate_opens_at_once_when_no_ack_is_pending():
    clock = Clock()
    gate = AckGate(quiet=0.25, max_wait=4.0, monotonic=clock, sleep=clock.sleep)
    gate.wait_turn(gate.deadline())
    assert clock.sleeps == []


def test_the_gate_holds_work_while_an_ack_is_in_flight_and_a_quiet_moment_after():
    clock = Clock()
    ack = None

    def sleep(seconds: float) -> None:
        clock.sleep(seconds)
        if len(clock.sleeps) == 3:           # the pending ack goes out during the third pause
            ack.__exit__(None, None, None)

    gate = AckGate(quiet=0.25, max_wait=4.0, monotonic=clock, sleep=sleep)  # times exact in binary
    ack = gate.acking()
    ack.__enter__()
    assert gate.active == 1
    gate.wait_turn(gate.deadline())
    assert gate.active == 0
    assert clock.sleeps == [0.25] * 4        # three while acking, one quiet period after it
    assert clock.t == 1.0


def test_the_gate_never_holds_work_longer_than_max_wait():
    clock = Clock()
    gate = AckGate(quiet=0.25, max_wait=4.0, monotonic=clock, sleep=clock.sleep)
    with gate.acking():                       # a flood that never stops
        gate.wait_turn(gate.deadline())
    assert clock.t == 4.0 and clock.sleeps == [0.25] * 16


def test_a_worker_does_not_start_a_task_while_an_ack_is_pending():
    clock = {"t": 0.0}
    waiting, go = threading.Event(), threading.Event()

    def sleep(seconds: float) -> None:
        waiting.set()
        go.wait(5)
        clock["t"] += seconds

    gate = AckGate(monotonic=lambda: clock["t"], sleep=sleep)
    pool = BoundedExecutor(1, 0, name="t-gate", gate=gate)
    ran = threading.Event()
    try:
        with gate.acking():
            future = pool.submit(ran.set)
            assert waiting.wait(5)            # the worker is at the gate...
            assert not ran.is_set()           # ...and the task has not started
        go.set()
        assert future.result(5) is None and ran.is_set()
    finally:
        go.set()
        pool.shutdown(wait=True)


def test_workers_are_started_up_front_so_submit_never_starts_a_thread():
    pool = BoundedExecutor(3, 0, name="t-upfront")
    try:
        names = {t.name for t in threading.enumerate()}
        assert {"t-upfront_0", "t-upfront_1", "t-upfront_2"} <= names
        assert pool.submit(lambda: 42).result(5) == 42
    finally:
        pool.shutdown(wait=True)
    assert not any(t.name.startswith("t-upfront") for t in threading.enumerate())


def test_busy_when_full_cancel_on_shutdown_and_no_work_after_it():
    pool = BoundedExecutor(1, 1, name="t-full")
    release = threading.Event()
    started = threading.Event()

    def block() -> None:
        started.set()
        release.wait(5)

    running = pool.submit(block)
    assert started.wait(5)
    queued = pool.submit(lambda: "never")
    with pytest.raises(Busy):
        pool.submit(lambda: None)
    assert pool.pending == 2
    pool.shutdown(wait=False)                 # the queued task is cancelled, the running one finishes
    assert queued.cancelled()
    with pytest.raises(RuntimeError):
        pool.submit(lambda: None)
    release.set()
    pool.shutdown(wait=True)
    assert running.done() and pool.pending == 0


def test_a_failing_task_is_logged_and_the_worker_carries_on(caplog):
    pool = BoundedExecutor(1, 0, name="t-fail")
    try:
        failed = pool.submit(lambda: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            failed.result(5)
        assert pool.submit(lambda: "next").result(5) == "next"
    finally:
        pool.shutdown(wait=True)
    assert "background task" in caplog.text and "ZeroDivisionError" in caplog.text


# ---- connections ------------------------------------------------------------------------------

def test_a_thread_keeps_its_connection_until_it_is_idle_too_long_or_broken(runner, monkeypatch):
    db = runner.db
    clock = Clock()
    conns = ThreadConnections(db, max_idle=60, monotonic=clock)
    conns.ready()
    db.connect(reuse_if_open=True)
    conn = db.connection()
    clock.t += 59
    conns.ready()
    assert not db.is_closed() and db.connection() is conn     # recent and healthy: kept
    clock.t += 61
    conns.ready()
    assert db.is_closed()                                       # idle for more than a minute: dropped
    db.connect()
    conns.ready()
    monkeypatch.setattr(db, "is_connection_usable", lambda: False)
    conns.ready()
    assert db.is_closed()                                       # broken: dropped, the next query reconnects
    monkeypatch.undo()
    conns.release()
    assert db.is_closed()


def test_a_worker_connects_once_for_many_commands(make_slack, fake, monkeypatch):
    slack = make_slack(CHATOPS_WORKERS="1")
    db = slack.runner.app.db
    connects: list[str] = []
    real = db._connect

    def counting():
        connects.append(threading.current_thread().name)
        return real()

    monkeypatch.setattr(db, "_connect", counting)
    for name in ("Ana", "Bo", "Cy"):
        _, rid = slack.command("slk-greet", name)
        assert f"Hello {name}" in fake.wait_for("response:" + rid)[0].body["text"]
    slack.adapter.stop()
    assert connects.count("chatops-work-0") <= 1  # one connection (made at start or first use) served all three
