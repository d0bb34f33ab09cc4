"""gunicorn settings for chatops: ``gunicorn -c deploy/gunicorn.conf.py wsgi:app`` (the Procfile's ``web``).

Everything comes from chatops's typed settings (``chatops settings`` lists them; docs/operations.md):

    bind              CHATOPS_WEB_BIND              127.0.0.1:8000 (0.0.0.0:$PORT when only PORT is set)
    workers           CHATOPS_WEB_PROCESSES         2
    threads           CHATOPS_WEB_THREADS           8      (gthread workers)
    timeout           CHATOPS_WEB_TIMEOUT_SECONDS   30
    graceful_timeout  CHATOPS_DRAIN_SECONDS + 5     30     (DRAIN_MARGIN_SECONDS below)

Graceful stop: on SIGTERM gunicorn stops accepting, each web process answers the requests it has,
then its work pool drains (``worker_exit`` below: running work finishes up to CHATOPS_DRAIN_SECONDS,
work not started goes back to the queue), and it exits. gunicorn kills a process still there
``graceful_timeout`` after the SIGTERM, so that is the drain deadline plus a margin for the
requests in flight and the sender's stop; nothing is lost either way (what is left runs at the next
start), but the margin lets a deploy end with every process exiting 0.

Metrics (CHATOPS_METRICS=on): each web process counts for itself into PROMETHEUS_MULTIPROC_DIR
(a fresh directory made here when it is not set) and any of them answers /metrics with the sum.
Logs (CHATOPS_LOG_FORMAT=json): gunicorn's own lines are JSON too.
"""
from __future__ import annotations

import os
import tempfile

# Before anything imports prometheus_client (its value class is chosen at import, from the environment).
from chatops.settings import Settings  # imports neither prometheus_client nor the app

DRAIN_MARGIN_SECONDS = 5.0

_settings = Settings.from_env()

if _settings.web.metrics_on and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="chatops-metrics-")



def _bind() -> list[str]:
    """CHATOPS_WEB_BIND when it is set. Else, when a process manager gives this process a port (honcho and
    foreman set PORT for each process they start, a PaaS sets it for the web process), every interface on
    it — gunicorn's own rule for PORT. Else the setting's default."""
    port = os.environ.get("PORT", "").strip()
    if not os.environ.get("CHATOPS_WEB_BIND", "").strip() and port:
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise SystemExit(f"PORT: a port number (1-65535), not {port!r}")
        return [f"0.0.0.0:{port}"]
    return list(_settings.web.bind)


bind = _bind()
workers = _settings.web.processes
threads = _settings.web.threads
worker_class = "gthread"
timeout = int(_settings.web.timeout_seconds)
graceful_timeout = int(_settings.work.drain_seconds + DRAIN_MARGIN_SECONDS)
keepalive = 5
preload_app = False  # each web process builds its own App (database connections, work pool) after the fork
proc_name = "chatops-web"
accesslog = None
errorlog = "-"
loglevel = _settings.log_level.lower()

if _settings.log_format == "json":
    _handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr",
                "filters": ["request"]}
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "chatops.logs.JsonFormatter"}},
        "filters": {"request": {"()": "chatops.logs.RequestFilter"}},
        "handlers": {"console": _handler, "error_console": _handler},
        "root": {"level": _settings.log_level, "handlers": ["console"]},
        "loggers": {
            "gunicorn.error": {"level": _settings.log_level, "handlers": ["error_console"], "propagate": False},
            "gunicorn.access": {"level": _settings.log_level, "handlers": ["console"], "propagate": False},
        },
    }


def _hosts() -> list[str]:
    return [b.rpartition(":")[0] for b in bind]


def on_starting(server) -> None:
    """The master, once: refuse public metrics without a token; empty the metrics directory."""
    from adapters.metrics_http import check_bind

    check_bind(_settings, _hosts())
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if _settings.web.metrics_on and folder:
        os.makedirs(folder, exist_ok=True)
        for name in os.listdir(folder):
            if name.endswith(".db"):
                os.unlink(os.path.join(folder, name))


def post_fork(server, worker) -> None:
    """A web process, before it loads the app: its logging (App.from_env then leaves it as it is)."""
    from chatops import logs

    logs.configure(_settings)


def worker_exit(server, worker) -> None:
    """A web process stopping: drain its work pool (up to CHATOPS_DRAIN_SECONDS), stop its senders."""
    app = getattr(worker, "wsgi", None)
    extensions = getattr(app, "extensions", None) or {}
    slack = extensions.get("chatops.slack")
    if slack is not None:
        slack.stop(_settings.work.drain_seconds)
    pool = getattr(extensions.get("chatops"), "_pool", None)
    if pool is not None:  # stopping a stopped pool returns at once
        pool.stop(_settings.work.drain_seconds)


def child_exit(server, worker) -> None:
    """The master, after a web process ended: its live metrics files are let go."""
    from chatops.metrics import mark_process_dead

    mark_process_dead(worker.pid)
