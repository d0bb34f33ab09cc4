"""Workers for the durable work queue (chatops.work): threads that lease accepted requests and run them.

    pool = WorkerPool(app, {"slack": slack_handler, "discord": discord_handler}, PoolConfig(threads=16)).start()
    pool.accept("slack", key, payload)       # on the ack path: persist, then hand to a local thread
    ...
    report = pool.stop(deadline=25)          # SIGTERM: finish running work up to the deadline

A handler is an object with ``run(item)`` (do the work and answer the user; raise to retry later,
:class:`RetryLater` to say when) and ``dead(item, reason)`` (the item will not be tried again: tell
the user). The pool:

- claims items with a lease (``CHATOPS_WORK_LEASE_SECONDS``), renews it every third of it while
  an item runs, and takes over items whose worker's lease ran out (another process died);
- retries an item whose handler raised — a database that is down or a lost connection after a
  short pause (the connection is dropped and opened again), anything else with back-off — and
  dead-letters it after ``CHATOPS_WORK_MAX_ATTEMPTS`` attempts (a crash that kills the process
  counts too, since every claim is an attempt);
- runs the housekeeping of the execution model every few seconds: the reconcile sweep
  (chatops.reconcile) and the audit spool (chatops.spool);
- on :meth:`stop`, takes no new work, hands items it has not started back to the queue, waits
  for running ones up to the deadline, and leaves the rest to the next start (their leases are
  cut short so it takes them at once).

Acks first (:class:`AckGate`): where requests are acknowledged in the same process (Slack HTTP),
a worker starts its next item only once no ack has been in flight for a few milliseconds, or
after ``max_wait`` — a burst of acks is answered first, the work follows right after.
"""
from __future__ import annotations

import logging
import os
import queue
import secrets
import platform
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Protocol

from chatops import effects, logs, metrics, work
from chatops.connections import ThreadConnections
from chatops.db import DatabaseErrors
from chatops.errors import DatabaseUnavailable
from chatops.models import WorkItem

log = logging.getLogger("chatops.workers")

QUIET_SECONDS = 0.005   # no ack in flight for this long: workers may start
MAX_WAIT_SECONDS = 0.5  # an item never waits longer than this for the acks
HOUSEKEEPING_SECONDS = 10.0


class Handler(Protocol):
    def run(self, item: WorkItem) -> None: ...

    def dead(self, item: WorkItem, reason: str) -> None: ...


class AckGate:
    """Counts requests being acknowledged; workers wait at the gate while there are some."""

    def __init__(self, quiet: float = QUIET_SECONDS, max_wait: float = MAX_WAIT_SECONDS, *,
                 monotonic: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.quiet = quiet
        self.max_wait = max_wait
        self.monotonic = monotonic
        self._sleep = sleep
        self._count = threading.Lock()
        self._line = threading.Lock()
        self._active = 0
        self._last_end = float("-inf")

    @property
    def active(self) -> int:
        """Requests being acknowledged right now."""
        return self._active

    @contextmanager
    def acking(self) -> Iterator[None]:
        """Around the handling of one request, up to its answer (the ack)."""
        with self._count:
            self._active += 1
        try:
            yield
        finally:
            with self._count:
                self._active -= 1
                self._last_end = self.monotonic()

    def deadline(self) -> float:
        return self.monotonic() + self.max_wait

    def wait_turn(self, deadline: float) -> None:
        """Return once no request has been in flight for ``quiet`` seconds, or at ``deadline``."""
        with self._line:
            while True:
                now = self.monotonic()
                if now >= deadline:
                    return
                hold = self.quiet if self._active else self.quiet - (now - self._last_end)
                if hold <= 0:
                    return
                self._sleep(min(hold, deadline - now))


@dataclass
class StopReport:
    finished: int = 0      # items that were running at the stop and finished before the deadline
    released: int = 0      # items accepted here and not started: back in the queue
    left: int = 0          # items still running at the deadline: they run again at the next start
    seconds: float = 0.0


@dataclass
class PoolConfig:
    threads: int = 32
    lease_seconds: float = 60.0
    max_attempts: int = 5
    poll_seconds: float = 1.0
    queue_limit: int = 500
    drain_seconds: float = 25.0
    housekeeping_seconds: float = HOUSEKEEPING_SECONDS

    @classmethod
    def from_settings(cls, settings: Any, **overrides: Any) -> "PoolConfig":
        """From the parsed CHATOPS_WORK* settings (checked at start-up by chatops.settings)."""
        work = settings.work
        values = dict(threads=work.workers, lease_seconds=work.lease_seconds, max_attempts=work.max_attempts,
                      poll_seconds=work.poll_seconds, queue_limit=work.queue_limit,
                      drain_seconds=work.drain_seconds, housekeeping_seconds=work.housekeeping_seconds)
        values.update(overrides)
        return cls(**values)


@dataclass
class _Local:
    item: WorkItem
    deadline: float  # for the ack gate


@dataclass
class _Stats:
    done: int = 0
    retried: int = 0
    dead: int = 0
    errors: list[str] = field(default_factory=list)


def new_owner() -> str:
    return f"{platform.node()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


class Busy(RuntimeError):
    """Too much accepted work is waiting (CHATOPS_WORK_QUEUE_LIMIT)."""


class RetryLater(RuntimeError):
    """Raised by a handler: not now, try this item again after ``after_seconds`` (a platform said how long
    to wait, e.g. a 429's Retry-After). Counts as an attempt, like any failure; logged without a traceback."""

    def __init__(self, message: str, after_seconds: float | None = None) -> None:
        super().__init__(message)
        self.after_seconds = after_seconds


class WorkerPool:
    def __init__(self, app: Any, handlers: dict[str, Handler], config: PoolConfig | None = None, *,
                 gate: AckGate | None = None, housekeeping: bool = True, name: str = "chatops-work") -> None:
        self.app = app
        self.handlers = dict(handlers)
        self.config = config or PoolConfig.from_settings(app.settings)
        self.gate = gate
        self.owner = new_owner()
        self.name = name
        self.housekeeping = housekeeping
        self.stats = _Stats()
        self._local: queue.SimpleQueue[_Local] = queue.SimpleQueue()
        self._wake = threading.Condition()
        self._stopping = threading.Event()
        self._running: dict[int, WorkItem] = {}
        self._running_lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._service: list[threading.Thread] = []
        self._conns = ThreadConnections(app.db)
        self._started = False
        self._poll = threading.Lock()  # one idle thread looks in the database at a time

    @property
    def clock(self):
        return self.app.router.clock

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(self.handlers)

    def add_handler(self, kind: str, handler: Handler) -> None:
        self.handlers[kind] = handler

    # ---- lifecycle ------------------------------------------------------------------------
    def start(self) -> "WorkerPool":
        if self._started:
            return self
        self._started = True
        for i in range(self.config.threads):
            thread = threading.Thread(target=self._work, name=f"{self.name}-{i}", daemon=True)
            thread.start()
            self._threads.append(thread)
        if self.config.threads:
            self._service.append(threading.Thread(target=self._beat, name=f"{self.name}-lease", daemon=True))
        if self.housekeeping:
            self._service.append(threading.Thread(target=self._keep_house, name=f"{self.name}-house",
                                                  daemon=True))
        for thread in self._service:
            thread.start()
        log.info("work pool %s: %d thread(s) for %s", self.owner, self.config.threads, ", ".join(self.kinds) or "-")
        return self

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def stop(self, deadline: float | None = None) -> StopReport:
        """Stop taking work, finish running items up to ``deadline`` seconds, leave the rest in the queue."""
        started = time.monotonic()
        deadline = self.config.drain_seconds if deadline is None else deadline
        report = StopReport()
        if self._stopping.is_set():
            return report  # stopped already (several parts of a process may ask)
        self._stopping.set()
        with self._wake:
            self._wake.notify_all()
        while True:  # accepted here but not started: back to the queue for whoever starts next
            try:
                local = self._local.get_nowait()
            except queue.Empty:
                break
            try:
                work.release(local.item, now=self.clock())
                report.released += 1
            except Exception:  # noqa: BLE001 - the lease runs out and it is taken again anyway
                log.exception("could not hand work item %s back", local.item.id)
        running_at_stop = len(self._running)
        end = started + deadline
        for thread in self._threads:
            thread.join(max(0.0, end - time.monotonic()))
        with self._running_lock:
            left = list(self._running.values())
        for item in left:
            try:
                work.expire_lease(item, now=self.clock())
            except Exception:  # noqa: BLE001
                log.exception("could not hand work item %s back", item.id)
        report.left = len(left)
        report.finished = max(0, running_at_stop - report.left)
        for thread in self._service:
            thread.join(2.0)
        report.seconds = time.monotonic() - started
        log.info("work pool %s stopped in %.1f s: %d finished, %d handed back, %d left running", self.owner,
                 report.seconds, report.finished, report.released, report.left)
        return report

    # ---- accepting (the ack path) -----------------------------------------------------------
    def accept(self, kind: str, key: str, payload: dict[str, Any], *, run_here: bool = True,
               hand_off: bool = True) -> work.Accepted:
        """Persist an accepted request; run it on a local thread when this pool has any (and is not stopping).

        ``hand_off=False``: lease it to this process but start it only at :meth:`hand_off` (Discord: once the
        interaction is deferred). Raises :class:`Busy` when more than ``queue_limit`` items wait, and a
        database error when the database cannot take it: the caller's ack then says so (nothing was accepted).
        """
        # The request's correlation id from here on: in this process's log lines, the work item, its run.
        cid = secrets.token_hex(6)
        if not logs.current("work_key"):  # on an ack path (not inside another item's run)
            logs.update(correlation_id=cid, work_key=key)
        if work.backlog() + self._local.qsize() >= self.config.queue_limit:
            metrics.refused(kind, "busy")
            raise Busy(f"{self.config.queue_limit} requests are already waiting")
        local = run_here and self.config.threads > 0 and not self.stopping and kind in self.handlers
        owner = self.owner if local else None
        try:
            accepted = work.accept(kind, key, payload, now=self.clock(), lease_owner=owner,
                                   lease_seconds=self.config.lease_seconds, correlation_id=cid)
        except DatabaseErrors:
            # A connection the database dropped (a restart, a failover): reconnect and try once more.
            self._drop_connection()
            try:
                accepted = work.accept(kind, key, payload, now=self.clock(), lease_owner=owner,
                                       lease_seconds=self.config.lease_seconds, correlation_id=cid)
            except DatabaseErrors:
                metrics.refused(kind, "unavailable")
                raise
        log.debug("accepted %s%s", key, " again (a repeated delivery)" if accepted.duplicate else "")
        if not accepted.duplicate and hand_off:
            self.hand_off(accepted.item)
        return accepted

    def hand_off(self, item: WorkItem) -> None:
        """Start an item accepted with ``hand_off=False`` (or let whoever polls take a queued one)."""
        if item.lease_owner == self.owner:
            if self.stopping:  # too late to start it here: the next start (or another worker) runs it
                work.release(item, now=self.clock())
                return
            self._local.put(_Local(item, self.gate.deadline() if self.gate else 0.0))
        with self._wake:
            self._wake.notify()

    def wake(self) -> None:
        with self._wake:
            self._wake.notify_all()

    # ---- the worker threads -------------------------------------------------------------
    def _next(self) -> _Local | None:
        try:
            return self._local.get_nowait()
        except queue.Empty:
            pass
        if not self.kinds or not self._poll.acquire(blocking=False):
            return None
        try:
            self._conns.ready()
            # Take as many as there are idle threads (at most 16): one claim per item would make the claims,
            # not the work, the limit of a busy worker process.
            idle = max(1, min(16, self.config.threads - len(self._running) - self._local.qsize()))
            items = work.claim(self.kinds, owner=self.owner, now=self.clock(),
                               lease_seconds=self.config.lease_seconds, limit=idle)
        except DatabaseErrors as exc:
            log.warning("work pool: cannot claim work (%s); trying again", exc)
            self._drop_connection()
            self._stopping.wait(min(5.0, self.config.poll_seconds * 2))
            return None
        finally:
            self._poll.release()
        for extra in items[1:]:  # leased to this process: the other idle threads take them
            self._local.put(_Local(extra, 0.0))
        if items:  # there may be more: let another idle thread look at once
            with self._wake:
                self._wake.notify(len(items))
        return _Local(items[0], 0.0) if items else None

    def _work(self) -> None:
        try:
            while not self._stopping.is_set():
                local = self._next()
                if local is None:
                    self._conns.idle()  # an idle thread gives its connection back after a while
                    with self._wake:
                        if self._local.empty() and not self._stopping.is_set():
                            self._wake.wait(self.config.poll_seconds)
                    continue
                if self.gate is not None and local.deadline:
                    self.gate.wait_turn(local.deadline)
                self._run(local.item)
        finally:
            self._conns.release()

    def _run(self, item: WorkItem) -> None:
        with logs.request(correlation_id=item.correlation_id, work_key=item.key, platform=item.kind):
            self._run_logged(item)

    def _run_logged(self, item: WorkItem) -> None:
        handler = self.handlers.get(item.kind)
        with self._running_lock:
            self._running[item.id] = item
        try:
            if handler is None:  # not ours to run after all: back to the queue for a process that can
                work.release(item, now=self.clock())
                return
            if item.attempts > self.config.max_attempts:
                self._dead(handler, item, item.error or "it kept failing")
                return
            self._conns.ready()
            try:
                handler.run(item)
            except (DatabaseUnavailable, *DatabaseErrors) as exc:
                self._drop_connection()
                self._again(handler, item, f"the database was unavailable ({exc})", min(30.0, 2.0 ** item.attempts))
                return
            except RetryLater as exc:
                backoff = min(300.0, 5.0 * 2 ** item.attempts)
                after = backoff if exc.after_seconds is None else min(300.0, max(0.5, exc.after_seconds))
                log.warning("work item %s (%s): %s; trying again in %.1f s", item.id, item.key, exc, after)
                self._again(handler, item, str(exc), after)
                return
            except Exception as exc:  # noqa: BLE001 - a handler error: retried, then dead-lettered
                log.exception("work item %s (%s) failed", item.id, item.key)
                self._again(handler, item, f"{type(exc).__name__}: {exc}", min(300.0, 5.0 * 2 ** item.attempts))
                return
            work.complete(item, now=self.clock())
            self.stats.done += 1
            metrics.work_finished(item.kind, "done")
        except DatabaseErrors as exc:  # recording the outcome failed: the lease runs out, it runs again
            log.error("work item %s: could not record its outcome (%s)", item.id, exc)
            self._drop_connection()
        finally:
            with self._running_lock:
                self._running.pop(item.id, None)

    def _again(self, handler: Handler, item: WorkItem, error: str, after: float) -> None:
        if item.attempts >= self.config.max_attempts:
            self._dead(handler, item, error)
            return
        try:
            work.retry(item, now=self.clock(), error=error, after_seconds=after)
            self.stats.retried += 1
            metrics.work_finished(item.kind, "retried")
        except DatabaseErrors as exc:
            log.warning("work item %s: could not schedule its retry (%s); its lease will run out", item.id, exc)
            self._drop_connection()

    def _dead(self, handler: Handler, item: WorkItem, reason: str) -> None:
        log.error("work item %s (%s) dead-lettered after %d attempt(s): %s", item.id, item.key, item.attempts, reason)
        try:
            handler.dead(item, reason)
        except Exception:  # noqa: BLE001 - telling the user failed; the row still says dead
            log.exception("work item %s: could not tell the user it was dead-lettered", item.id)
        try:
            work.dead(item, now=self.clock(), error=reason)
        except DatabaseErrors:
            self._drop_connection()
        self.stats.dead += 1
        metrics.work_finished(item.kind, "dead")

    def _drop_connection(self) -> None:
        try:
            if not self.app.db.is_closed():
                self.app.db.close()
        except Exception:  # noqa: BLE001 - a broken connection: peewee forgets it anyway
            pass

    # ---- service threads ------------------------------------------------------------------
    def _beat(self) -> None:
        conns = ThreadConnections(self.app.db)
        interval = self.config.lease_seconds / 3
        try:
            while not self._stopping.wait(interval):
                with self._running_lock:
                    ids = list(self._running)
                try:
                    conns.ready()
                    now = self.clock()
                    held = work.heartbeat(ids, owner=self.owner, now=now, lease_seconds=self.config.lease_seconds)
                    effects.heartbeat(now, self.config.lease_seconds)
                    if held < len(ids):
                        metrics.lease_lost("any", len(ids) - held)
                        log.warning("work pool %s: %d lease(s) were taken over while running", self.owner,
                                    len(ids) - held)
                except DatabaseErrors as exc:
                    log.warning("work pool: lease renewal failed (%s)", exc)
                    self.app.db.close()
        finally:
            conns.release()

    def _keep_house(self) -> None:
        from chatops import reconcile, spool

        conns = ThreadConnections(self.app.db)
        try:
            while not self._stopping.wait(self.config.housekeeping_seconds):
                try:
                    conns.ready()
                    spool.flush(self.app.settings)
                    reconcile.sweep(self.app.router, now=self.clock(), stopping=self._stopping.is_set)
                except DatabaseErrors as exc:
                    log.warning("work pool: housekeeping skipped (%s)", exc)
                    try:
                        self.app.db.close()
                    except Exception:  # noqa: BLE001
                        pass
                except Exception:  # noqa: BLE001 - keep the thread alive
                    log.exception("work pool: housekeeping failed")
        finally:
            conns.release()

    def run_once(self) -> int:
        """Run every due item now, on the calling thread (tests, tools); returns how many ran."""
        ran = 0
        while True:
            local = self._next()
            if local is None:
                return ran
            self._run(local.item)
            ran += 1
