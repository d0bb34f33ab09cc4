"""A local JSON API on 127.0.0.1 standing in for a company's ops backend (tests only).

    with FakeOpsApi() as api:
        api.route("GET", "/batches/B-1", 200, {"ok": True, "data": {...}})
        api.hang("GET", "/batches/B-2")          # never answers until the server stops
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeOpsApi:
    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], tuple[int, bytes]] = {}
        self.hanging: set[tuple[str, str]] = set()
        self.dropping: set[tuple[str, str]] = set()
        self.trickling: dict[tuple[str, str], float] = {}
        self.requests: list[dict[str, Any]] = []
        self.release = threading.Event()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                api.requests.append({"method": self.command, "path": self.path, "headers": dict(self.headers),
                                     "body": json.loads(body) if body else None})
                key = (self.command, self.path)
                if key in api.hanging:
                    api.release.wait(10)
                    return
                if key in api.trickling:  # headers at once, then the body a byte at a time
                    total = api.trickling[key]
                    payload = json.dumps({"ok": True, "data": {}}).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    for byte in payload:
                        if api.release.wait(total / len(payload)):
                            return
                        try:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                        except OSError:
                            return
                    return
                if key in api.dropping:  # read the request, then close without a word
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                status, payload = api.routes.get(key, (404, json.dumps(
                    {"ok": False, "error": {"code": "not_found", "message": "no such record"}}).encode()))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _serve

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02},
                                       daemon=True)

    def route(self, method: str, path: str, status: int, body: Any) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.routes[(method, "/api" + path)] = (status, raw)

    def ok(self, method: str, path: str, data: Any) -> None:
        self.route(method, path, 200, {"ok": True, "data": data})

    def trickle(self, method: str, path: str, seconds: float) -> None:
        """Answer at once, but send the body a byte at a time over ``seconds``."""
        self.trickling[(method, "/api" + path)] = seconds

    def drop(self, method: str, path: str) -> None:
        """Close the connection after reading the request, without answering."""
        self.dropping.add((method, "/api" + path))

    def hang(self, method: str, path: str) -> None:
        self.hanging.add((method, "/api" + path))

    def __enter__(self) -> "FakeOpsApi":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
