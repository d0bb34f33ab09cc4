"""A bounded pool of daemon threads for the adapters' quick calls beside the ack.

Slack opens modals with it within Slack's 3 seconds; the Discord bot runs its short core calls
there (accepting an interaction, a policy peek) off the event loop. Commands, presses, form
submissions and events are not run here: they are durable work items (chatops.work) run by the
process's worker pool (chatops.workers), which also has the acks-first gate (``AckGate``,
importable from here too). This pool keeps what must not wait behind them.

Its threads are daemon threads, unlike ``concurrent.futures.ThreadPoolExecutor``'s, which the
interpreter joins at exit: a call stuck on a database that went away must not keep a stopping
process (a deploy's SIGTERM) from exiting. Nothing durable runs here — an accepted request is
already in the work queue — so a thread cut off at exit loses nothing.

    acks = AckGate()
    pool = BoundedExecutor(workers=16, queue_limit=500, name="slack-work", gate=acks)
    with acks.acking():                          # around each HTTP request from Slack (http.py)
        try:
            pool.submit(run_command, invocation)
        except Busy:
            ack("The bot is busy; please try again in a minute.")

``submit`` never blocks: when ``workers + queue_limit`` tasks are already
accepted it raises :class:`Busy` at once, so an ack is never held up by a
backlog (and memory stays bounded under a flood). All worker threads are
started with the pool, so ``submit`` only puts an item on a queue: a thread
pool that starts threads lazily (``ThreadPoolExecutor``) makes the request
thread wait for each new thread to be scheduled, which under a burst took
5-60 ms per ack.

Acks first: every Slack request and every worker share one GIL. A worker
that starts a command while other requests still wait for their ack steals
the CPU they need (a command costs a few ms of Python before its slow part).
With a :class:`AckGate`, a worker starts its next task only once no Slack
request has been in flight for ``quiet`` seconds (5 ms), or once the task has
waited ``max_wait`` (0.5 s) — a burst of acks is answered first, the work
follows right after. Only one worker waits at the gate at a time (the others
queue on a lock, using no CPU).
"""
from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import Future
from typing import Any, Callable

from chatops.workers import AckGate  # noqa: F401 - the gate lives in the core now; kept importable here

log = logging.getLogger("adapters.executor")



class Busy(RuntimeError):
    """Every worker is busy and the waiting line is full."""


_STOP = object()


class BoundedExecutor:
    def __init__(self, workers: int, queue_limit: int, *, name: str = "adapter-work", gate: AckGate | None = None,
                 on_thread_exit: Callable[[], None] | None = None, log_failures: bool = True) -> None:
        """``log_failures=False`` when every caller waits for its future and handles what it raises."""
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.capacity = workers + max(0, queue_limit)
        self.gate = gate
        self._slots = threading.BoundedSemaphore(self.capacity)
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._pending = 0
        self._shutdown = False
        self._on_thread_exit = on_thread_exit
        self.log_failures = log_failures
        self._threads = [threading.Thread(target=self._work, name=f"{name}_{i}", daemon=True)
                         for i in range(workers)]
        for thread in self._threads:
            thread.start()

    @property
    def pending(self) -> int:
        """Tasks accepted and not finished yet (running or waiting)."""
        return self._pending

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future:
        if not self._slots.acquire(blocking=False):
            raise Busy(f"{self.capacity} tasks already accepted")
        future: Future = Future()
        deadline = self.gate.deadline() if self.gate is not None else 0.0
        with self._lock:
            if self._shutdown:
                self._slots.release()
                raise RuntimeError("cannot schedule new work after shutdown")
            self._pending += 1
            self._queue.put((future, fn, args, kwargs, deadline))
        return future

    def _work(self) -> None:
        try:
            while True:
                item = self._queue.get()
                if item is _STOP:
                    return
                future, fn, args, kwargs, deadline = item
                del item
                if self.gate is not None:
                    self.gate.wait_turn(deadline)
                if not future.set_running_or_notify_cancel():
                    self._release()
                    continue
                try:
                    result = fn(*args, **kwargs)
                except BaseException as exc:  # noqa: BLE001 - handed to the future, like ThreadPoolExecutor
                    if isinstance(exc, Exception):
                        if self.log_failures:
                            log.exception("background task %s failed", getattr(fn, "__name__", fn))
                    self._release()
                    future.set_exception(exc)
                else:
                    self._release()
                    future.set_result(result)
                del future, fn, args, kwargs
        finally:
            if self._on_thread_exit is not None:
                try:
                    self._on_thread_exit()
                except Exception:  # noqa: BLE001
                    log.exception("adapter worker clean-up failed")

    def _release(self) -> None:
        with self._lock:
            self._pending -= 1
        self._slots.release()

    def shutdown(self, wait: bool = True) -> None:
        """Stop the workers after the accepted tasks (``wait=False``: cancel the ones not started)."""
        with self._lock:
            first = not self._shutdown
            self._shutdown = True
            if first and not wait:
                while True:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is not _STOP and item[0].cancel():
                        self._pending -= 1
                        self._slots.release()
            if first:
                for _ in self._threads:
                    self._queue.put(_STOP)
        if wait:
            me = threading.current_thread()
            for thread in self._threads:
                if thread is not me:
                    thread.join()
