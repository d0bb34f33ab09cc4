"""HTTP mode: ``POST /slack/events`` in the Flask app (``adapters.web.create_app`` mounts it).

    init_app(flask_app, chatops_app)     # no-op unless SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN are set

Slash commands, interactivity (buttons, modals) and the Events API all use this
one URL. In order: a missing or malformed signature header (anything but
``v0=`` and 64 hex digits) or a timestamp more than 5 minutes off is 401 before
the body is read; a body over the web app's 1 MiB limit (``MAX_CONTENT_LENGTH``)
is 413 as it is read; then the signature (``v0`` HMAC-SHA256 of
``v0:{timestamp}:{body}``) is checked over the raw bytes, before anything parses
them: a wrong one is 401; a body that does not parse is 400, never 500.
The adapter is kept in ``flask_app.extensions["chatops.slack"]`` (``.stop()``
ends its threads).

Warm-up: a fresh process pays ~1 ms of one-off CPU on its first Slack
requests (Python 3.11 specialising the bytecode of Flask, Werkzeug, Bolt and
the adapter, first-time lookups and caches); in a burst every request queued
behind it pays too. ``init_app`` therefore sends ``WARM_UP_REQUESTS`` signed
synthetic slash commands through the same view, on a throwaway Flask app's
test client (the real app is left untouched: routes can still be added). They
carry the adapter's per-process random ``warm_up_marker``; the command
listener acks them without submitting anything: no router, no audit, no
Slack call.
"""
from __future__ import annotations

import atexit
import hashlib
import hmac
import logging
import re
import time
from urllib.parse import parse_qsl, urlencode

from flask import Flask, Response, make_response, request
from slack_bolt.adapter.flask.handler import to_flask_response
from slack_bolt.request import BoltRequest
from werkzeug.exceptions import HTTPException

from chatops import logs, metrics
from chatops.app import App

from adapters.slack.app import SlackAdapter
from adapters.slack.config import SlackConfig
from adapters.slack.translate import MalformedPayload

log = logging.getLogger("adapters.slack.http")

PATH = "/slack/events"
MAX_SKEW = 300  # seconds: Slack's replay window
EXTENSION = "chatops.slack"
WARM_UP_REQUESTS = 20


def init_app(flask_app: Flask, chatops_app: App) -> SlackAdapter | None:
    config = SlackConfig.from_settings(chatops_app.settings)
    if not config.http_enabled:
        log.info("Slack is off (set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET to mount %s)", PATH)
        return None
    adapter = SlackAdapter(chatops_app, config).start()
    secret = config.signing_secret.encode()
    flask_app.extensions[EXTENSION] = adapter
    atexit.register(adapter.sender.stop)
    atexit.register(adapter.pool.stop)  # a server that exits without `chatops run`'s stop (gunicorn): drain

    def slack_events() -> Response:
        # workers hold new commands back until the pending acks are out; every answer is timed and a refusal counted
        with adapter.acks.acking(), logs.request(platform="slack"), metrics.ack_timer("slack"):
            try:
                response = _handle()
            except HTTPException as exc:  # 413: the body is over MAX_CONTENT_LENGTH
                metrics.http_refusal("slack", exc.code or 0)
                raise
            metrics.http_refusal("slack", response.status_code)
            return response

    def _handle() -> Response:
        if not _plausible():  # nothing of the body is read for a request that cannot be Slack's
            return make_response("invalid signature", 401)
        raw = request.get_data(cache=True)  # over MAX_CONTENT_LENGTH: 413 (Flask)
        if not _signed(secret, raw):
            return make_response("invalid signature", 401)
        if raw.startswith(b"token=") or b"&command=" in raw or raw.startswith(b"command="):
            fast = _slash_command(raw)
            if fast is not None:
                return fast
        try:
            text = raw.decode("utf-8")
            bolt_request = BoltRequest(body=text, query=request.query_string.decode("utf-8"),
                                       headers=dict(request.headers))
        except (ValueError, TypeError, AttributeError) as exc:  # bad UTF-8, bad JSON, a payload that is no object
            log.warning("unparsable Slack request: %s", exc)
            return make_response("malformed request", 400)
        if not isinstance(bolt_request.body, dict) or not bolt_request.body:
            return make_response("malformed request", 400)
        try:
            bolt_response = adapter.bolt.dispatch(bolt_request)
        except Exception:  # noqa: BLE001 - Bolt tripped over a payload shape Slack never sends
            log.exception("Slack request Bolt could not handle")
            return make_response("malformed request", 400)
        return to_flask_response(bolt_response)

    def _slash_command(raw: bytes) -> Response | None:
        """Slash commands, the burst-prone kind, skip Bolt's dispatch: parse, accept, ack (same listener)."""
        try:
            body = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        except (UnicodeDecodeError, ValueError):
            return make_response("malformed request", 400)
        if "payload" in body or not body.get("command"):
            return None  # not a slash command after all: Bolt decides
        try:
            answer = adapter.on_slash_command(body)
        except (MalformedPayload, KeyError, TypeError, AttributeError, ValueError) as exc:
            log.warning("malformed Slack slash command: %s: %s", type(exc).__name__, exc)
            return make_response("malformed request", 400)
        return Response(answer, status=200, mimetype="text/plain")

    flask_app.add_url_rule(PATH, "slack_events", slack_events, methods=["POST"])
    warm_up(slack_events, adapter, secret)
    return adapter


def warm_up(view, adapter: SlackAdapter, secret: bytes, count: int | None = None) -> None:
    """Run ``count`` (``WARM_UP_REQUESTS``) signed synthetic slash commands through ``view`` (module docstring)."""
    count = WARM_UP_REQUESTS if count is None else count
    if count <= 0:
        return
    warm = Flask("chatops-slack-warm-up")
    warm.add_url_rule(PATH, "slack_events", view, methods=["POST"])
    client = warm.test_client()
    body = urlencode({"command": "/help", "text": "", "user_id": "UWARMUP", "user_name": "warm-up",
                      "team_id": "TWARMUP", "channel_id": "CWARMUP", "channel_name": "warm-up",
                      "chatops_warm_up": adapter.warm_up_marker}).encode()
    started = time.perf_counter()
    for _ in range(count):
        timestamp = str(int(time.time()))
        signature = "v0=" + hmac.new(secret, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
        response = client.post(PATH, data=body, content_type="application/x-www-form-urlencoded",
                               headers={"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature})
        if response.status_code != 200:  # never expected; a warm-up must not stop the app from starting
            log.warning("Slack warm-up request answered %s; skipping the rest", response.status_code)
            return
    log.debug("Slack ack path warmed up with %d requests in %.1f ms", count, (time.perf_counter() - started) * 1000)


_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


def _plausible() -> bool:
    """The headers a Slack request has: a ``v0=`` signature of the right shape, a timestamp within 5 minutes."""
    timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
    signature = request.headers.get("X-Slack-Signature", "")
    return (timestamp.isdigit() and len(timestamp) <= 12 and bool(_SIGNATURE.fullmatch(signature))
            and abs(time.time() - int(timestamp)) <= MAX_SKEW)


def _signed(secret: bytes, raw: bytes) -> bool:
    """Slack's v0 signature over the raw bytes, with the timestamp at most 5 minutes off."""
    timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
    signature = request.headers.get("X-Slack-Signature", "")
    if not _plausible():
        return False
    expected = "v0=" + hmac.new(secret, b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)
