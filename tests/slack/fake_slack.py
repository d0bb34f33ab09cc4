"""A fake Slack Web API on 127.0.0.1 that records every call (also serves response_urls).

    fake = FakeSlack().start()
    fake.url                      # "http://127.0.0.1:PORT/api/" for SLACK_API_URL
    fake.response_url("r1")       # a response_url that lands here too
    fake.queue("chat.postMessage", status=429, headers={"Retry-After": "7"})   # next answer to that method
    call = fake.wait_for("views.open")                                          # waits (with a timeout) for a call
    fake.stop()
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qsl


@dataclass
class Call:
    method: str           # "chat.postMessage", or "response:<id>" for a response_url
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class FakeSlack:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.call_times: dict[str, list[float]] = {}  # method → time.monotonic() of each call
        self._answers: dict[str, list[tuple[int, dict[str, Any], dict[str, str]]]] = {}
        self._handlers: dict[str, Callable[[Call], dict[str, Any]]] = {}
        self._cond = threading.Condition()
        self._ts = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode("utf-8")
                ctype = self.headers.get("Content-Type", "")
                if "json" in ctype:
                    body = json.loads(raw or "{}")
                else:
                    body = dict(parse_qsl(raw, keep_blank_values=True))
                    for key in ("blocks", "view"):
                        if isinstance(body.get(key), str):
                            body[key] = json.loads(body[key])
                path = self.path.split("?", 1)[0]
                method = path[len("/api/"):] if path.startswith("/api/") else "response:" + path.rsplit("/", 1)[-1]
                status, answer, headers = fake._answer(Call(method, body, dict(self.headers)))
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def url(self) -> str:
        return self.base + "/api/"

    def response_url(self, name: str) -> str:
        return f"{self.base}/hooks/{name}"

    def start(self) -> "FakeSlack":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def queue(self, method: str, *, status: int = 200, body: dict[str, Any] | None = None,
              headers: dict[str, str] | None = None) -> None:
        with self._cond:
            self._answers.setdefault(method, []).append((status, body or {"ok": status == 200}, headers or {}))

    def on(self, method: str, handler: Callable[[Call], dict[str, Any]]) -> None:
        self._handlers[method] = handler

    def _answer(self, call: Call) -> tuple[int, dict[str, Any], dict[str, str]]:
        with self._cond:
            self.calls.append(call)
            self.call_times.setdefault(call.method, []).append(time.monotonic())
            self._cond.notify_all()
            queued = self._answers.get(call.method)
            if queued:
                return queued.pop(0)
            self._ts += 1
            ts = f"1700000000.{self._ts:06d}"
        if call.method in self._handlers:
            return 200, self._handlers[call.method](call), {}
        if call.method.startswith("response:"):
            return 200, {"ok": True}, {}
        if call.method == "conversations.history":  # what was posted to the channel, newest first
            return 200, {"ok": True, "messages": self.history(call.body.get("channel", ""))}, {}
        call.ts = ts  # type: ignore[attr-defined]
        return 200, {"ok": True, "ts": ts, "channel": call.body.get("channel")}, {}

    def history(self, channel: str) -> list[dict[str, Any]]:
        """Messages chat.postMessage put in ``channel`` (with their metadata), newest first."""
        with self._cond:
            posts = [c for c in self.calls if c.method == "chat.postMessage" and c.body.get("channel") == channel
                     and hasattr(c, "ts")]
        out = []
        for c in reversed(posts):
            meta = c.body.get("metadata")
            meta = json.loads(meta) if isinstance(meta, str) else meta
            out.append({"ts": c.ts, "text": c.body.get("text", ""), **({"metadata": meta} if meta else {})})
        return out

    def called(self, method: str) -> list[Call]:
        with self._cond:
            return [c for c in self.calls if c.method == method or (method == "response:*" and c.method.startswith("response:"))]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """The first ``count`` calls of ``method`` (``response:*`` for any response_url), waiting for them."""
        with self._cond:
            ok = self._cond.wait_for(lambda: len(self.called_unlocked(method)) >= count, timeout)
            found = self.called_unlocked(method)
        assert ok, f"expected {count} call(s) of {method}; got {[c.method for c in self.calls]}"
        return found[:count]

    def called_unlocked(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method or (method == "response:*" and c.method.startswith("response:"))]
