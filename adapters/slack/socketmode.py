"""Socket Mode: the same Bolt app over slack_sdk's built-in websocket client (``chatops slack socket``).

    stop = threading.Event()
    serve(chatops_app, config, stop, on_connected=lambda: print("connected"))   # returns once stop is set

    adapter = SlackAdapter(chatops_app, config, socket_mode=True).start()
    handler = build_socket_handler(adapter, config)
    handler.connect()        # apps.connections.open with SLACK_APP_TOKEN, then the websocket
    ...
    handler.close()          # stops receiving, closes the websocket, ends the client's threads
    adapter.stop()

Each envelope (``slash_commands``, ``interactive``, ``events_api``) is
dispatched to the Bolt app exactly as an HTTP request is, and acked
(``{"envelope_id": …}``, with the ack's payload when it has one) over the
websocket when the listener has acked: the work runs afterwards on the
adapter's pool. An envelope whose dispatch is not a 200 (Busy: 503, a
malformed payload: 400) is not acked, so Slack delivers it again, as it
retries an HTTP request. Acks are counted by ``adapter.acks`` like HTTP
requests, so workers hold new commands back while acks are pending.

slack_sdk's client reconnects by itself (Slack's ``disconnect`` /
``refresh_requested`` messages, a dead connection found by its ping every
``ping_interval`` seconds). Replacing a connection and ``close()`` both wait
for a ``recv`` blocked on the old socket (up to 3 s: envelopes on the new
connection then miss the 3 s ack deadline), and closing for its message loop's
1 s poll; :class:`PromptClient` and :meth:`SocketHandler.close` wake them
first, so a refresh or a stop takes milliseconds.
"""
from __future__ import annotations

import logging
import socket
import threading
from typing import Any, Callable

from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.builtin.connection import Connection
from slack_sdk.socket_mode.request import SocketModeRequest

from chatops.app import App

from adapters.slack.app import SlackAdapter
from adapters.slack.config import SlackConfig

log = logging.getLogger("adapters.slack.socketmode")


def _shutdown(session: Connection | None) -> None:
    """Make a ``recv`` blocked on ``session``'s socket return now (it would wait up to 3 s)."""
    sock = session.sock if session is not None else None
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class PromptClient(SocketModeClient):
    """slack_sdk's built-in client, minus its 3 s stall when it replaces a connection.

    On a reconnect (Slack's ``disconnect`` / ``refresh_requested``, every few hours) the client opens
    the new connection, then closes the old one, which needs the old socket's receive lock: held by a
    ``recv`` that only returns after its 3 s timeout. Until then nothing is read from the new
    connection, so envelopes sent there miss Slack's 3 s ack deadline. Here the old socket is shut
    down first (its reader has already been told to stop), so the switch takes milliseconds.
    """

    def connect(self) -> None:
        old = self.current_session
        if old is not None:
            close = old.close

            def close_now() -> None:
                _shutdown(old)
                close()

            old.close = close_now  # type: ignore[method-assign]  # called by super().connect() once the new one is up
        super().connect()


class SocketHandler(SocketModeHandler):
    """Bolt's Socket Mode handler: acks counted by the adapter's gate, prompt reconnects and close."""

    def __init__(self, adapter: SlackAdapter, app_token: str, **options: Any) -> None:
        # SocketModeHandler.__init__, with PromptClient instead of SocketModeClient.
        self.adapter = adapter
        self.app = adapter.bolt
        self.app_token = app_token
        options.setdefault("logger", logging.getLogger("adapters.slack.socketmode.client"))
        options.setdefault("web_client", adapter.bolt.client)
        options.setdefault("proxy", adapter.bolt.client.proxy)
        self.client = PromptClient(app_token=app_token, **options)
        self.client.socket_mode_request_listeners.append(self.handle)  # type: ignore[arg-type]

    def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        with self.adapter.acks.acking():
            super().handle(client, req)

    def close(self) -> None:
        client = self.client
        client.closed = True                      # the message loop ends at its next turn...
        client.auto_reconnect_enabled = False     # ...and the websocket's end starts no reconnect
        client.current_session_state.terminated = True
        _shutdown(client.current_session)         # a recv blocked for up to 3 s returns now
        client.message_queue.put(None)            # the message loop polls its queue with a 1 s timeout
        client.close()


def build_socket_handler(adapter: SlackAdapter, config: SlackConfig, **options: Any) -> SocketHandler:
    """A (not yet connected) Socket Mode handler for ``adapter``; ``options`` go to slack_sdk's client."""
    if not config.app_token:
        raise ValueError("Socket Mode needs SLACK_APP_TOKEN (xapp-…)")
    return SocketHandler(adapter, config.app_token, **options)


def serve(chatops_app: App, config: SlackConfig, stop: threading.Event, *,
          on_connected: Callable[[bool], None] | None = None, **options: Any) -> None:
    """Connect, answer Slack until ``stop`` is set, then close the connection and finish the accepted work.

    ``on_connected(True)`` once the websocket is open; ``on_connected(False)`` when the first attempt
    failed (the client keeps retrying every ``ping_interval`` seconds). A refused app token
    (``apps.connections.open``) raises ``SlackApiError``.
    """
    adapter = SlackAdapter(chatops_app, config, socket_mode=True).start()
    try:
        handler = build_socket_handler(adapter, config, **options)
        try:
            handler.connect()
            if on_connected is not None:
                on_connected(handler.client.is_connected())
            stop.wait()
        finally:
            handler.close()
    finally:
        adapter.stop()
