"""A company ops backend on 127.0.0.1 that follows docs/ops.md — and can be slow, or lie (tests only).

    ops = FakeOps().start()                    # ops.url for CHATOPS_BACKEND_URL
    ops.fault("POST", "/accounts/acct_1/email", "apply-then-hang", seconds=5)
    ops.applied("acct_1")                      # how many changes it really made: its own count
    ops.stop()

It keeps its records in memory, honours ``Idempotency-Key`` like a real payments API
(the first request with a key is applied once; any repeat gets the first answer), and
counts the side effects it made, so a test can compare the audit trail with what the
backend says happened. Faults (per method + path, for the next N requests or all):

- ``slow``: answer after ``seconds``;
- ``apply-then-slow``: apply the change at once, answer properly after ``seconds``;
- ``apply-then-hang``: apply the change, then wait ``seconds`` and close without answering (a
  timeout for the caller);
- ``apply-then-500``: apply, then answer HTTP 500;
- ``apply-then-drop``: apply, then close the connection without a word;
- ``apply-then-garbage``: apply, then answer something that is not JSON.
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def account(i: int | str) -> dict[str, Any]:
    n = str(i).removeprefix("acct_")
    return {"id": f"acct_{n}", "name": f"Customer {n}", "email": f"old{n}@example.org", "status": "active",
            "email_verified": True, "locked_reason": "", "locked_at": None, "verification_sent_at": None,
            "events": []}


def seller(i: int | str) -> dict[str, Any]:
    n = str(i).removeprefix("sel_")
    return {"id": f"sel_{n}", "account_id": f"acct_{n}", "name": f"Seller {n}", "fee_bps": 300,
            "standard_fee_bps": 300, "fee_waived_reason": "", "events": []}


def batch(i: int | str) -> dict[str, Any]:
    n = str(i).removeprefix("B-")
    return {"id": f"B-{n}", "status": "processing", "created_at": "2026-11-30T08:00:00Z", "payment_count": 12,
            "total_minor": 120000, "currency": "EUR", "cutoff_at": None, "processed_at": None, "failure_code": "",
            "failure_account_id": None, "retry_at": None, "held_reason": "", "holiday_name": "",
            "expected_at": "2030-01-01T12:00:00Z", "events": []}


@dataclass
class Fault:
    mode: str
    seconds: float = 0.0
    times: int | None = None  # None: every request


class FakeOps:
    def __init__(self, *, default_delay: float = 0.0) -> None:
        self.lock = threading.Lock()
        self.accounts: dict[str, dict[str, Any]] = {}
        self.sellers: dict[str, dict[str, Any]] = {}
        self.answers: dict[str, tuple[int, bytes]] = {}  # Idempotency-Key → the first answer
        self.effects: list[tuple[str, str]] = []         # (record id, key) per change really made
        self.requests: list[dict[str, Any]] = []
        self.faults: dict[tuple[str, str], Fault] = {}
        self.default_delay = default_delay
        self.release = threading.Event()
        ops = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def _send(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)
                self.close_connection = True

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else {}
                path = self.path.removeprefix("/api")
                key = self.headers.get("Idempotency-Key") or ""
                with ops.lock:
                    ops.requests.append({"method": self.command, "path": path, "key": key, "body": body,
                                         "at": time.monotonic()})
                    fault = ops._take_fault(self.command, path)
                if fault is not None and fault.mode == "slow":
                    if ops.release.wait(fault.seconds):
                        return
                elif ops.default_delay and fault is None:
                    if ops.release.wait(ops.default_delay):
                        return
                status, answer = ops.handle(self.command, path, body, key)
                if fault is not None and fault.mode.startswith("apply-then-"):
                    what = fault.mode.removeprefix("apply-then-")
                    if what == "hang":
                        ops.release.wait(fault.seconds)
                        return
                    if what == "slow":  # applied at once, answered (properly) later
                        if ops.release.wait(fault.seconds):
                            return
                    if what == "500":
                        self._send(500, b"<html>Internal Server Error</html>")
                        return
                    if what == "drop":
                        self.close_connection = True
                        self.connection.shutdown(2)
                        return
                    if what == "garbage":
                        self._send(200, b'{"ok": true, "data": {"id":')
                        return
                self._send(status, answer)

            do_GET = do_POST = _serve

        class Quiet(ThreadingHTTPServer):
            def handle_error(self, request, client_address) -> None:  # a client that hung up: expected here
                pass

        self.server = Quiet(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02},
                                       daemon=True)

    # ---- control ------------------------------------------------------------------------------
    def start(self) -> "FakeOps":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def fault(self, method: str, path: str, mode: str, *, seconds: float = 0.0, times: int | None = None) -> None:
        with self.lock:
            self.faults[(method, path)] = Fault(mode, seconds, times)

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()
            self.default_delay = 0.0

    def _take_fault(self, method: str, path: str) -> Fault | None:
        fault = self.faults.get((method, path)) or self.faults.get((method, "*"))
        if fault is None:
            return None
        if fault.times is not None:
            fault.times -= 1
            if fault.times <= 0:
                self.faults = {k: v for k, v in self.faults.items() if v is not fault}
        return fault

    def applied(self, record_id: str | None = None) -> int:
        with self.lock:
            return len([e for e in self.effects if record_id is None or e[0] == record_id])

    def posts(self, path: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return [r for r in self.requests if r["method"] == "POST" and (path is None or r["path"] == path)]

    # ---- the contract ---------------------------------------------------------------------------
    def _account(self, account_id: str) -> dict[str, Any]:
        return self.accounts.setdefault(account_id, account(account_id))

    def _seller(self, seller_id: str) -> dict[str, Any]:
        return self.sellers.setdefault(seller_id, seller(seller_id))

    def handle(self, method: str, path: str, body: dict[str, Any], key: str) -> tuple[int, bytes]:
        parts = [p for p in path.split("/") if p]
        with self.lock:
            if method == "POST":
                if key and key in self.answers:
                    return self.answers[key]
                status, data = self._change(parts, body)
                answer = (status, json.dumps(data).encode())
                if key and status == 200 and data.get("ok"):
                    self.answers[key] = answer
                    self.effects.append((parts[1], key))
                return answer
            if parts[:1] == ["accounts"] and len(parts) == 2:
                return 200, json.dumps({"ok": True, "data": self._account(parts[1])}).encode()
            if parts[:1] == ["sellers"] and len(parts) == 2:
                return 200, json.dumps({"ok": True, "data": self._seller(parts[1])}).encode()
            if parts[:1] == ["batches"] and len(parts) == 2:
                return 200, json.dumps({"ok": True, "data": batch(parts[1])}).encode()
        return 404, json.dumps({"ok": False, "error": {"code": "not_found", "message": "no such record"}}).encode()

    def _change(self, parts: list[str], body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if parts[:1] == ["accounts"] and parts[2:] == ["email"]:
            record = self._account(parts[1])
            record.update(email=body["email"], email_verified=False)
            return 200, {"ok": True, "data": dict(record)}
        if parts[:1] == ["sellers"] and parts[2:] == ["fee-removal"]:
            record = self._seller(parts[1])
            record.update(fee_bps=0, fee_waived_reason=body.get("reason", ""))
            return 200, {"ok": True, "data": dict(record)}
        return 404, {"ok": False, "error": {"code": "not_found", "message": "no such record"}}
