"""The one Flask app: /healthz here; /admin, /slack/events and a plugin's routes are ``chatops.web`` entry points.

``create_app()`` builds the chatops App from the environment and opens a
database connection per request (closed at teardown), as peewee advises.
"""
from __future__ import annotations

import logging
import secrets

from flask import Flask, jsonify, redirect, request

from chatops.app import App
from chatops.db import DatabaseErrors
from chatops.plugins import load_all

log = logging.getLogger("chatops.web")

# Each of these modules, when it exists, exposes init_app(flask_app, chatops_app).
MOUNT_GROUP = "chatops.web"  # entry points: init_app(flask_app, chatops_app) — the panel, Slack, a plugin's


def create_app(chatops_app: App | None = None) -> Flask:
    capp = chatops_app or App.from_env()
    app = Flask("chatops")
    app.config["SECRET_KEY"] = capp.settings.secret_key or secrets.token_hex(32)
    app.config["MAX_CONTENT_LENGTH"] = 1 * 1024 * 1024
    app.extensions["chatops"] = capp

    @app.before_request
    def _connect():
        if request.path.startswith(PLATFORM_PATHS):
            return None  # the ack path touches no database; peewee connects lazily where work needs it
        try:
            capp.db.connect(reuse_if_open=True)
        except DatabaseErrors as exc:
            log.error("database unavailable: %s", exc)
            return jsonify(status="unavailable", database="down"), 503
        return None

    @app.teardown_request
    def _close(exc: BaseException | None) -> None:
        if request.path.startswith(PLATFORM_PATHS):
            return  # the ack path keeps its thread's connection (a reconnect per ack costs more than the ack)
        if not capp.db.is_closed():
            capp.db.close()

    @app.get("/")
    def index():
        if "admin" in app.blueprints:
            return redirect("/admin/")
        return jsonify(service="chatops", health="/healthz")

    @app.get("/healthz")
    def healthz():
        try:
            capp.db.execute_sql("SELECT 1")
        except DatabaseErrors as exc:
            log.error("healthz: database unavailable: %s", exc)
            return jsonify(status="unavailable", database="down"), 503
        return jsonify(status="ok", database="ok", commands=len(capp.registry))

    for _name, init_app in load_all(MOUNT_GROUP):
        init_app(app, capp)
    app.session_interface = _NoSessionOn(app.session_interface, (*PLATFORM_PATHS, "/healthz"))
    hops = capp.settings.web.trusted_proxies
    if hops:  # behind that many reverse proxies: the client's address and scheme from their X-Forwarded-* headers
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    return app


PLATFORM_PATHS = ("/slack/", "/discord/")
"""A platform's callbacks (Slack events, Discord interactions): acked without a database connection per
request, and without a browser session."""


class _NoSessionOn:
    """The app's session interface, except that machine endpoints (a platform's callbacks, the health
    check) get no session: no cookie is read or signed on the ack path."""

    def __init__(self, inner, prefixes: tuple[str, ...]) -> None:
        self._inner = inner
        self._prefixes = prefixes

    def open_session(self, app, req):
        if req.path.startswith(self._prefixes):
            return self._inner.make_null_session(app)
        return self._inner.open_session(app, req)

    def __getattr__(self, name):
        return getattr(self._inner, name)
