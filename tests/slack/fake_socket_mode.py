"""A fake Slack Socket Mode server on 127.0.0.1: aiohttp websockets on a loop in its own thread.

    server = FakeSocketMode().start()
    fake.on("apps.connections.open", lambda call: {"ok": True, "url": server.url("ticket-1")})
    conn = server.wait_connection()            # the client connected; "hello" was sent
    ack = conn.request("slash_commands", {...})  # sends an envelope, returns the client's ack (or fails)
    conn.send({"type": "disconnect", "reason": "refresh_requested"})
    server.stop()
"""
from __future__ import annotations

import asyncio
import json
import queue
import threading
import uuid
from typing import Any

from aiohttp import WSMsgType, web

TIMEOUT = 10.0


class Connection:
    def __init__(self, server: "FakeSocketMode", ws: web.WebSocketResponse, query: dict[str, str],
                 headers: dict[str, str]) -> None:
        self.server, self.ws, self.query, self.headers = server, ws, query, headers
        self.received: queue.Queue[dict[str, Any] | None] = queue.Queue()  # None: the client closed
        self.closed = threading.Event()

    def send(self, message: dict[str, Any]) -> None:
        asyncio.run_coroutine_threadsafe(self.ws.send_str(json.dumps(message)), self.server.loop).result(TIMEOUT)

    def next_message(self, timeout: float = TIMEOUT) -> dict[str, Any] | None:
        try:
            return self.received.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"the Socket Mode client sent nothing within {timeout} s") from None

    def request(self, kind: str, payload: dict[str, Any], *, envelope_id: str | None = None,
                accepts_response_payload: bool = False, **extra: Any) -> dict[str, Any]:
        """Send one envelope and return the client's ack for it."""
        envelope_id = envelope_id or str(uuid.uuid4())
        self.send({"envelope_id": envelope_id, "type": kind, "payload": payload,
                   "accepts_response_payload": accepts_response_payload, **extra})
        message = self.next_message()
        assert message is not None, "the client closed the websocket instead of acking"
        assert message.get("envelope_id") == envelope_id, f"expected the ack of {envelope_id}, got {message}"
        return message


class FakeSocketMode:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="fake-socket-mode", daemon=True)
        self._connections: queue.Queue[Connection] = queue.Queue()
        self._open: set[web.WebSocketResponse] = set()
        self._runner: web.AppRunner | None = None
        self.port = 0

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def url(self, ticket: str = "t1") -> str:
        return f"ws://127.0.0.1:{self.port}/link/?ticket={ticket}&app_id=A1"

    def start(self) -> "FakeSocketMode":
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(TIMEOUT)
        return self

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_get("/link/", self._websocket)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._open.add(ws)
        conn = Connection(self, ws, dict(request.query), dict(request.headers))
        await ws.send_str(json.dumps({"type": "hello", "num_connections": 1,
                                      "debug_info": {"host": "fake", "approximate_connection_time": 18060},
                                      "connection_info": {"app_id": "A1"}}))
        self._connections.put(conn)
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    conn.received.put(json.loads(msg.data))
        finally:
            self._open.discard(ws)
            conn.received.put(None)
            conn.closed.set()
        return ws

    def wait_connection(self, timeout: float = TIMEOUT) -> Connection:
        try:
            return self._connections.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no Socket Mode connection within {timeout} s") from None

    def stop(self) -> None:
        async def _stop() -> None:
            for ws in list(self._open):
                await ws.close()
            if self._runner is not None:
                await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(_stop(), self.loop).result(TIMEOUT)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(TIMEOUT)
        self.loop.close()
