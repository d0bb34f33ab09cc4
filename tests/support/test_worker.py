"""The in-process Huey consumer leaves the serving process's signal handlers alone and stops cleanly."""
from __future__ import annotations

import signal
import threading

from huey import MemoryHuey

from chatops.support.worker import start_in_process


def _own_handler(signum, frame):  # pragma: no cover - never delivered in the test
    raise KeyboardInterrupt


def _threads(handle):
    return [p for _, p in handle.consumer.worker_threads] + [handle.consumer.scheduler]


def test_signal_handlers_survive_start_and_stop_joins_the_threads():
    before_int = signal.getsignal(signal.SIGINT)
    before_term = signal.signal(signal.SIGTERM, _own_handler)
    before_hup = signal.getsignal(signal.SIGHUP)
    try:
        handle = start_in_process(None, workers=2, huey=MemoryHuey("test-worker"))
        try:
            assert signal.getsignal(signal.SIGINT) is before_int
            assert signal.getsignal(signal.SIGTERM) is _own_handler
            assert signal.getsignal(signal.SIGHUP) is before_hup
            assert all(t.is_alive() for t in _threads(handle))
        finally:
            handle.stop()
        assert not any(t.is_alive() for t in _threads(handle))
    finally:
        signal.signal(signal.SIGTERM, before_term)


def test_start_from_another_thread_does_not_touch_signals():
    result: dict = {}

    def run():
        try:
            result["handle"] = start_in_process(None, workers=1, huey=MemoryHuey("test-worker-thread"))
        except Exception as exc:  # noqa: BLE001 - reported below
            result["error"] = exc

    before = signal.getsignal(signal.SIGINT)
    th = threading.Thread(target=run)
    th.start()
    th.join(10)
    assert "error" not in result, result.get("error")
    handle = result["handle"]
    handle.stop()
    assert signal.getsignal(signal.SIGINT) is before
    assert not any(t.is_alive() for t in _threads(handle))
