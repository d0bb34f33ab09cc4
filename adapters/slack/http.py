"""HTTP mode: ``POST /slack/events`` in the Flask app (``adapters.web.create_app`` mounts it).

    init_app(flask_app, chatops_app)     # no-op unless SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN are set

Slash commands, interactivity (buttons, modals) and the Events API all use this
one URL. The signature (``v0`` HMAC-SHA256 of ``v0:{timestamp}:{body}``, the
timestamp within 5 minutes) is checked before the body is even parsed: a
missing or wrong signature is 401, a body that does not parse is 400, never 500.
The adapter is kept in ``flask_app.extensions["chatops.slack"]`` (``.stop()``
ends its threads).
"""
from __future__ import annotations

import atexit
import hashlib
import hmac
import logging
import time

from flask import Flask, Response, make_response, request
from slack_bolt.adapter.flask.handler import to_flask_response
from slack_bolt.request import BoltRequest

from chatops.app import App

from adapters.slack.app import SlackAdapter
from adapters.slack.config import SlackConfig

log = logging.getLogger("adapters.slack.http")

PATH = "/slack/events"
MAX_SKEW = 300  # seconds: Slack's replay window
EXTENSION = "chatops.slack"


def init_app(flask_app: Flask, chatops_app: App) -> SlackAdapter | None:
    config = SlackConfig.from_settings(chatops_app.settings)
    if not config.http_enabled:
        log.info("Slack is off (set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET to mount %s)", PATH)
        return None
    adapter = SlackAdapter(chatops_app, config).start()
    secret = config.signing_secret.encode()
    flask_app.extensions[EXTENSION] = adapter
    atexit.register(adapter.sender.stop)

    def slack_events() -> Response:
        with adapter.acks.acking():  # workers hold new commands back until the pending acks are out
            return _handle()

    def _handle() -> Response:
        raw = request.get_data(cache=True)
        if not _signed(secret, raw):
            return make_response("invalid signature", 401)
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

    flask_app.add_url_rule(PATH, "slack_events", slack_events, methods=["POST"])
    return adapter


def _signed(secret: bytes, raw: bytes) -> bool:
    """Slack's v0 signature over the raw bytes, with the timestamp at most 5 minutes off."""
    timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
    signature = request.headers.get("X-Slack-Signature", "")
    if not timestamp.isdigit() or not signature.startswith("v0=") or abs(time.time() - int(timestamp)) > MAX_SKEW:
        return False
    expected = "v0=" + hmac.new(secret, b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)
