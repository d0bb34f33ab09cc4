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
        # Payloads over Slack's documented Block Kit limits (check_limits); the fixture fails the test on any.
        self.limit_violations: list[str] = []
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
                fake.check_limits(method, body)
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

    # ---- Block Kit limits (https://api.slack.com/reference/block-kit) ----------------------------------
    MESSAGE_METHODS = ("chat.postMessage", "chat.update", "chat.postEphemeral")
    VIEW_METHODS = ("views.open", "views.update", "views.push", "views.publish")

    def check_limits(self, method: str, body: dict[str, Any]) -> None:
        """Record every way ``body`` breaks Slack's documented limits for ``method``."""
        bad = self.limit_violations.append
        if method in self.MESSAGE_METHODS or method.startswith("response:"):
            blocks = body.get("blocks") or []
            if isinstance(blocks, str):
                blocks = json.loads(blocks)
            if len(blocks) > 50:
                bad(f"{method}: {len(blocks)} blocks (max 50)")
            if blocks and not (body.get("text") or "").strip():
                bad(f"{method}: blocks without a `text` fallback")
            if len(body.get("text") or "") > 40000:
                bad(f"{method}: text of {len(body['text'])} characters")
            self._check_blocks(method, blocks)
        elif method in self.VIEW_METHODS:
            view = body.get("view") or {}
            if isinstance(view, str):
                view = json.loads(view)
            blocks = view.get("blocks") or []
            if len(blocks) > 100:
                bad(f"{method}: a view of {len(blocks)} blocks (max 100)")
            for key in ("title", "submit", "close"):
                text = ((view.get(key) or {}).get("text") or "")
                if key == "title" and view.get("type") == "modal" and not text:
                    bad(f"{method}: a modal without a title")
                if len(text) > 24:
                    bad(f"{method}: view {key} {text!r} over 24 characters")
            if len(view.get("private_metadata") or "") > 3000:
                bad(f"{method}: private_metadata over 3000 characters")
            if len(view.get("callback_id") or "") > 255:
                bad(f"{method}: callback_id over 255 characters")
            self._check_blocks(method, blocks)

    def _check_blocks(self, method: str, blocks: list) -> None:
        bad = self.limit_violations.append
        block_ids = []
        for block in blocks:
            action_ids = []  # unique within their block (Slack); block_ids within the message or view
            if not isinstance(block, dict):
                bad(f"{method}: a block that is not an object")
                continue
            if block.get("block_id") is not None:
                block_ids.append(block["block_id"])
            kind = block.get("type")
            text = (block.get("text") or {}).get("text") if isinstance(block.get("text"), dict) else None
            if kind == "section":
                if text is not None and not 1 <= len(text) <= 3000:
                    bad(f"{method}: section text of {len(text)} characters (1-3000)")
                fields = block.get("fields") or []
                if len(fields) > 10 or any(len(f.get("text") or "") > 2000 for f in fields):
                    bad(f"{method}: section fields over 10 or over 2000 characters")
                if text is None and not fields:
                    bad(f"{method}: a section without text or fields")
            elif kind == "context":
                elements = block.get("elements") or []
                if not 1 <= len(elements) <= 10:
                    bad(f"{method}: a context of {len(elements)} elements (1-10)")
                if any(len(e.get("text") or "") > 3000 for e in elements):
                    bad(f"{method}: a context element over 3000 characters")
            elif kind == "header" and len(text or "") > 150:
                bad(f"{method}: a header over 150 characters")
            elements = block.get("elements") or [] if kind == "actions" else []
            if kind == "actions" and not 1 <= len(elements) <= 25:
                bad(f"{method}: an actions block of {len(elements)} elements (1-25)")
            inner = list(elements)
            if isinstance(block.get("accessory"), dict):
                inner.append(block["accessory"])
            if kind == "input":
                inner.append(block.get("element") or {})
                label = (block.get("label") or {}).get("text") or ""
                if not 1 <= len(label) <= 2000:
                    bad(f"{method}: an input label of {len(label)} characters")
            for element in inner:
                if element.get("action_id") is not None:
                    action_ids.append(element["action_id"])
                    if len(element["action_id"]) > 255:
                        bad(f"{method}: action_id over 255 characters")
                if element.get("type") == "button":
                    label = (element.get("text") or {}).get("text") or ""
                    if not 1 <= len(label) <= 75 or len(element.get("value") or "") > 2000:
                        bad(f"{method}: a button label {label!r} (1-75) or value over 2000")
                options = element.get("options") or []
                if len(options) > 100:
                    bad(f"{method}: {len(options)} options (max 100)")
                for o in options:
                    if len((o.get("text") or {}).get("text") or "") > 75 or len(o.get("value") or "") > 150:
                        bad(f"{method}: an option over 75 (text) / 150 (value) characters")
                placeholder = (element.get("placeholder") or {}).get("text") or ""
                if len(placeholder) > 150:
                    bad(f"{method}: a placeholder over 150 characters")
            if len(action_ids) != len(set(action_ids)):
                bad(f"{method}: action_ids are not unique in a block: {action_ids}")
        if len(block_ids) != len(set(block_ids)):
            bad(f"{method}: block_ids are not unique: {block_ids}")
        if any(len(str(i)) > 255 for i in block_ids):
            bad(f"{method}: a block_id over 255 characters")

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
