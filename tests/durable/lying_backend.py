"""The demo backend, made to misbehave on purpose *after* it applied a change (tests only).

    CHATOPS_BACKEND=tests.durable.lying_backend:LyingBackend
    lying_backend.lie("timeout", times=1)      # the next change is applied, then "times out"

Modes: ``timeout`` (BackendOutcomeUnknown, as after a read timeout), ``500``, ``crash`` (a
BaseException: the process "dies" mid-call, nothing after it runs), ``refuse`` (BackendRejected
before applying). ``hold`` blocks every lookup until ``release`` is set (to show no lock is held).
"""
from __future__ import annotations

import threading

from chatops.ops.backend import BackendOutcomeUnknown, BackendRejected
from chatops.ops.demo_backend import DemoBackend

state = {"mode": "", "times": 0, "calls": 0, "lookups": 0}
hold = threading.Event()
release = threading.Event()
release.set()


class Crash(BaseException):
    """Stands in for kill -9 in the middle of a backend call."""


def lie(mode: str, times: int = 1) -> None:
    state.update(mode=mode, times=times)


def reset() -> None:
    state.update(mode="", times=0, calls=0, lookups=0)
    hold.clear()
    release.set()


def _misbehave(apply):
    state["calls"] += 1
    mode = state["mode"] if state["times"] > 0 else ""
    if mode:
        state["times"] -= 1
    if mode == "refuse":
        raise BackendRejected("The payments system refused: the ledger is closed for the night", code="closed")
    state["in_change"] = True  # the demo backend reads the record back: not a lookup of the command's
    try:
        result = apply()
    finally:
        state["in_change"] = False
    if mode == "timeout":
        exc = BackendOutcomeUnknown("The payments system did not answer within 2 s.")
        exc.reason = "no answer within 2 s"
        raise exc
    if mode == "500":
        exc = BackendOutcomeUnknown("The payments system had an error (HTTP 500).")
        exc.reason = "HTTP 500"
        raise exc
    if mode == "crash":
        raise Crash("killed mid-call")
    return result


class LyingBackend(DemoBackend):
    system_name = "the payments system"

    def seller(self, seller_id):
        state["lookups"] += 0 if state.get("in_change") else 1
        if not release.is_set():
            hold.set()
            release.wait(10)
        return super().seller(seller_id)

    def account(self, account_id):
        state["lookups"] += 0 if state.get("in_change") else 1
        return super().account(account_id)

    def change_email(self, account_id, new_email, *, change):
        return _misbehave(lambda: super(LyingBackend, self).change_email(account_id, new_email, change=change))

    def remove_seller_fee(self, seller_id, reason, *, change):
        return _misbehave(lambda: super(LyingBackend, self).remove_seller_fee(seller_id, reason, change=change))
