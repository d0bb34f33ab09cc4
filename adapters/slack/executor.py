"""A bounded thread pool: work after the ack runs here, never on the request thread.

    pool = BoundedExecutor(workers=16, queue_limit=500, name="slack-work")
    try:
        pool.submit(run_command, invocation)
    except Busy:
        ack("The bot is busy; please try again in a minute.")

``submit`` never blocks: when ``workers + queue_limit`` tasks are already
accepted it raises :class:`Busy` at once, so an ack is never held up by a
backlog (and memory stays bounded under a flood).
"""
from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable

log = logging.getLogger("adapters.slack.executor")


class Busy(RuntimeError):
    """Every worker is busy and the waiting line is full."""


class BoundedExecutor:
    def __init__(self, workers: int, queue_limit: int, *, name: str = "slack-work") -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.capacity = workers + max(0, queue_limit)
        self._slots = threading.BoundedSemaphore(self.capacity)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
        self._lock = threading.Lock()
        self._pending = 0

    @property
    def pending(self) -> int:
        """Tasks accepted and not finished yet (running or waiting)."""
        return self._pending

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future:
        if not self._slots.acquire(blocking=False):
            raise Busy(f"{self.capacity} tasks already accepted")
        with self._lock:
            self._pending += 1
        try:
            future = self._pool.submit(self._run, fn, args, kwargs)
        except BaseException:
            self._release()
            raise
        return future

    def _run(self, fn: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception:
            log.exception("background Slack task %s failed", getattr(fn, "__name__", fn))
            raise
        finally:
            self._release()

    def _release(self) -> None:
        with self._lock:
            self._pending -= 1
        self._slots.release()

    def shutdown(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=not wait)
