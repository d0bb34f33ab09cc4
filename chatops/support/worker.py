"""The Huey consumer, in-process for `chatops run` (the embedded default) or on its own (`chatops worker`).

    handle = start_in_process(app)     # threads; handle.stop() on shutdown

Huey's ``Consumer.start()`` installs SIGINT/SIGTERM/SIGHUP handlers that only set a flag read by
``Consumer.run()``, which an in-process consumer never calls: left in place they would swallow
Ctrl-C and ``kill`` for the whole serving process. ``start_in_process`` therefore puts the
process's own handlers back after ``start()`` (when called from the main thread, the only one
that can touch signal handlers), and the serving process stops the consumer with ``stop()``.
"""
from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass

log = logging.getLogger("chatops.support.worker")

_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


@dataclass
class InProcessWorker:
    consumer: object

    def stop(self) -> None:
        """Stop the scheduler and the workers; waits for a running task (huey's shutdown timeout)."""
        self.consumer.stop(graceful=True)


def _save_handlers() -> dict | None:
    if threading.current_thread() is not threading.main_thread():
        return None  # signal.signal only works in the main thread; start() can't change them either
    return {signum: signal.getsignal(signum) for signum in _SIGNALS}


def _restore_handlers(saved: dict | None) -> None:
    if saved is None:
        return
    for signum, handler in saved.items():
        signal.signal(signum, handler if handler is not None else signal.SIG_DFL)


def start_in_process(app, workers: int = 2, *, huey=None) -> InProcessWorker:
    """Start the consumer's scheduler and worker threads; the caller keeps its signal handlers."""
    if huey is None:
        from chatops.support.tasks import for_app

        huey = for_app(app).huey

    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=True, check_worker_health=False)
    saved = _save_handlers()
    if saved is None:
        consumer._set_signal_handlers = lambda: None  # not the main thread: signal.signal would raise
    try:
        consumer.start()
    finally:
        _restore_handlers(saved)  # Ctrl-C and SIGTERM stay the serving process's
    log.info("huey consumer running in-process (%d thread(s))", workers)
    return InProcessWorker(consumer)
