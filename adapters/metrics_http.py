"""``GET /metrics`` (Prometheus text format): a ``chatops.web`` entry point, and a ``chatops.worker_hooks``
one for ``chatops worker``; both only with CHATOPS_METRICS=on.

    CHATOPS_METRICS=on CHATOPS_METRICS_TOKEN=s3cret gunicorn -c deploy/gunicorn.conf.py wsgi:app
    curl -H 'Authorization: Bearer s3cret' http://127.0.0.1:8000/metrics
    CHATOPS_METRICS=on CHATOPS_METRICS_WORKER_BIND=127.0.0.1:9100 chatops worker     # the worker's own

Never public by accident: with a token set, a scrape without ``Authorization: Bearer <token>`` is 401;
without one, only loopback clients are answered (403 otherwise), and ``chatops run``, ``chatops worker``
and the gunicorn config refuse to start on a non-loopback address (:func:`check_bind`). The metrics are
defined in ``chatops.metrics`` (the core); this module only serves them.
"""
from __future__ import annotations

import hmac
import ipaddress
import logging
import threading

from flask import Flask, Response, request

from chatops import metrics
from chatops.app import App

log = logging.getLogger("adapters.metrics_http")

PATH = "/metrics"


class MetricsExposed(ValueError):
    """CHATOPS_METRICS=on on a public address without CHATOPS_METRICS_TOKEN."""


def is_loopback(host: str) -> bool:
    host = host.strip().strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name, 0.0.0.0, '': not known to be loopback


def check_bind(settings, hosts) -> None:
    """Refuse to serve metrics without a token on an address other machines can reach."""
    if not settings.web.metrics_on or settings.web.metrics_token:
        return
    exposed = [h for h in hosts if not is_loopback(h)]
    if exposed:
        raise MetricsExposed(
            f"CHATOPS_METRICS=on would serve /metrics to anyone who can reach {', '.join(exposed)}: set "
            "CHATOPS_METRICS_TOKEN (scrapes then send `Authorization: Bearer TOKEN`), or listen on 127.0.0.1 only")


def refusal(token: str, authorization: str, remote_addr: str) -> tuple[int, str] | None:
    """(status, text) when a scrape must be refused; None when it may be answered."""
    if token:
        sent = authorization[7:].strip() if authorization.startswith("Bearer ") else ""
        if not hmac.compare_digest(sent.encode(), token.encode()):
            return 401, "a bearer token is required\n"
        return None
    if not is_loopback(remote_addr or ""):
        return 403, "metrics are served to loopback clients only (set CHATOPS_METRICS_TOKEN)\n"
    return None


def init_app(flask_app: Flask, chatops_app: App) -> None:
    settings = chatops_app.settings.web
    if not settings.metrics_on:
        return

    def serve_metrics() -> Response:
        refused = refusal(settings.metrics_token, request.headers.get("Authorization", ""), request.remote_addr or "")
        if refused is not None:
            return Response(refused[1], status=refused[0], mimetype="text/plain",
                            headers={"WWW-Authenticate": 'Bearer realm="metrics"'} if refused[0] == 401 else {})
        body, content_type = metrics.exposition()
        return Response(body, status=200, headers={"Content-Type": content_type, "Cache-Control": "no-store"})

    flask_app.add_url_rule(PATH, "metrics", serve_metrics, methods=["GET"])


def wsgi_app(chatops_app: App):
    """The same endpoint as a bare WSGI app (``chatops worker``'s own server): a database connection per scrape."""
    token = chatops_app.settings.web.metrics_token

    def app(environ, start_response):
        if environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found\n"]
        refused = refusal(token, environ.get("HTTP_AUTHORIZATION", ""), environ.get("REMOTE_ADDR", ""))
        if refused is not None:
            headers = [("Content-Type", "text/plain")]
            if refused[0] == 401:
                headers.append(("WWW-Authenticate", 'Bearer realm="metrics"'))
            start_response(f"{refused[0]} {'Unauthorized' if refused[0] == 401 else 'Forbidden'}", headers)
            return [refused[1].encode()]
        try:
            chatops_app.db.connect(reuse_if_open=True)
            body, content_type = metrics.exposition()
        finally:
            if not chatops_app.db.is_closed():
                chatops_app.db.close()
        start_response("200 OK", [("Content-Type", content_type), ("Cache-Control", "no-store")])
        return [body]

    return app


class _Served:
    def __init__(self, server) -> None:
        self.server = server
        self.thread = threading.Thread(target=server.run, name="chatops-metrics", daemon=True)

    def stop(self) -> None:
        try:
            self.server.close()
        except Exception:  # noqa: BLE001 - stopping anyway
            pass


def start_for_worker(chatops_app: App) -> _Served | None:
    """``chatops worker``'s hook: serve /metrics on CHATOPS_METRICS_WORKER_BIND (CHATOPS_METRICS=on), else None."""
    settings = chatops_app.settings.web
    if not settings.metrics_on or not settings.metrics_worker_bind:
        return None
    from waitress.server import create_server

    import click

    host, _, port = settings.metrics_worker_bind.rpartition(":")
    try:
        check_bind(chatops_app.settings, [host])
    except MetricsExposed as exc:
        raise click.ClickException(str(exc)) from None
    server = create_server(wsgi_app(chatops_app), host=host.strip("[]"), port=int(port), threads=2,
                           ident="chatops-metrics")
    served = _Served(server)
    served.thread.start()
    log.info("worker metrics on http://%s/metrics", settings.metrics_worker_bind)
    return served
