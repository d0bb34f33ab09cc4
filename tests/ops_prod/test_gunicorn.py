"""The real gunicorn with deploy/gunicorn.conf.py: settings from the environment, /healthz, Slack commands
answered, /metrics summed over its web processes (multiprocess mode), SIGTERM → exit 0 within the drain."""
from __future__ import annotations

import http.client
import os
import runpy
import signal
import time
import uuid
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.faults import procs as fault_procs
from tests.faults.procs import REPO, free_port
from tests.ops_prod.procs import Proc, command_line, json_lines

CONF = REPO / "deploy" / "gunicorn.conf.py"
TOKEN = "metrics-token-gunicorn"


def load_conf(monkeypatch, **env: str) -> dict:
    for name in ("CHATOPS_WEB_BIND", "CHATOPS_WEB_PROCESSES", "CHATOPS_WEB_THREADS", "CHATOPS_WEB_TIMEOUT_SECONDS",
                 "CHATOPS_DRAIN_SECONDS", "CHATOPS_METRICS", "CHATOPS_LOG_FORMAT", "PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "")  # the config may set it: undone after the test
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONF))


def test_the_config_takes_its_numbers_from_the_settings_and_its_grace_from_the_drain(monkeypatch):
    defaults = load_conf(monkeypatch)
    assert defaults["bind"] == ["127.0.0.1:8000"] and defaults["workers"] == 2 and defaults["threads"] == 8
    assert defaults["timeout"] == 30 and defaults["worker_class"] == "gthread"
    assert defaults["graceful_timeout"] == 25 + defaults["DRAIN_MARGIN_SECONDS"]  # CHATOPS_DRAIN_SECONDS' default
    assert defaults["preload_app"] is False

    custom = load_conf(monkeypatch, CHATOPS_WEB_BIND="127.0.0.1:9001,[::1]:9001", CHATOPS_WEB_PROCESSES="5",
                       CHATOPS_WEB_THREADS="3", CHATOPS_WEB_TIMEOUT_SECONDS="45", CHATOPS_DRAIN_SECONDS="12")
    assert custom["bind"] == ["127.0.0.1:9001", "[::1]:9001"]
    assert (custom["workers"], custom["threads"], custom["timeout"]) == (5, 3, 45)
    assert custom["graceful_timeout"] == 12 + custom["DRAIN_MARGIN_SECONDS"]

    # A process manager's PORT (honcho, foreman, a PaaS): every interface on it, as gunicorn does; an explicit
    # CHATOPS_WEB_BIND still wins; a PORT that is not a port number stops the config.
    assert load_conf(monkeypatch, PORT="5100")["bind"] == ["0.0.0.0:5100"]
    assert load_conf(monkeypatch, PORT="5100", CHATOPS_WEB_BIND="127.0.0.1:9002")["bind"] == ["127.0.0.1:9002"]
    with pytest.raises(SystemExit, match="PORT"):
        load_conf(monkeypatch, PORT="http")

    with_metrics = load_conf(monkeypatch, CHATOPS_METRICS="on", CHATOPS_LOG_FORMAT="json")
    assert os.environ["PROMETHEUS_MULTIPROC_DIR"]  # made before any web process imports prometheus_client
    assert with_metrics["logconfig_dict"]["formatters"]["json"]["()"] == "chatops.logs.JsonFormatter"


def test_a_public_bind_without_a_metrics_token_stops_gunicorn_at_start(tmp_path):
    env = {"CHATOPS_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}", "CHATOPS_METRICS": "on",
           "CHATOPS_WEB_BIND": f"0.0.0.0:{free_port()}", "CHATOPS_WEB_PROCESSES": "1"}
    web = Proc(command_line(f"gunicorn -c {CONF} wsgi:app"), env, log=tmp_path / "web.log").start()
    try:
        assert web.wait(60) != 0
    finally:
        web.kill_group()
    assert "CHATOPS_METRICS_TOKEN" in web.output()


def scrape(port: int, token: str | None = TOKEN) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/metrics", headers={"Authorization": f"Bearer {token}"} if token else {})
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def commands_counted(text: str) -> float:
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if (s.name == "chatops_commands_total" and s.labels.get("command") == "ping"
                    and s.labels.get("outcome") == "allowed"):
                return s.value
    return 0.0


def test_gunicorn_serves_answers_sums_metrics_and_stops_cleanly_on_sigterm(tmp_path: Path, fake_slack):
    url = f"sqlite:///{tmp_path / 'c.db'}"
    upgraded = fault_procs.chatops_cli({"CHATOPS_DATABASE_URL": url}, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    port = free_port()
    drain = 4
    env = {"CHATOPS_DATABASE_URL": url, "SLACK_BOT_TOKEN": fault_procs.TOKEN,
           "SLACK_SIGNING_SECRET": fault_procs.SECRET, "SLACK_API_URL": fake_slack.url,
           "CHATOPS_WEB_BIND": f"127.0.0.1:{port}", "CHATOPS_WEB_PROCESSES": "2", "CHATOPS_WEB_THREADS": "4",
           "CHATOPS_WORKERS": "4", "CHATOPS_DRAIN_SECONDS": str(drain), "CHATOPS_METRICS": "on",
           "CHATOPS_METRICS_TOKEN": TOKEN, "CHATOPS_LOG_FORMAT": "json", "DISCORD_TOKEN": ""}
    web = Proc(command_line(f"gunicorn -c {CONF} wsgi:app"), env, log=tmp_path / "web.log").start()
    try:
        web.wait_http(port, "/healthz")
        n = 12
        for i in range(n):
            status, body, _ = fault_procs.slack_command(port, "/ping", "", response_url=fake_slack.response_url(
                f"g{i}"), user=f"U0G{i}", trigger=uuid.uuid4().hex)
            assert status == 200, body
        end = time.monotonic() + 30
        while time.monotonic() < end and len([c for c in fake_slack.calls if c.method.startswith("response:g")]) < n:
            time.sleep(0.05)
        assert len({c.method for c in fake_slack.calls if c.method.startswith("response:g")}) == n

        assert scrape(port, token=None)[0] == 401
        assert scrape(port, token="wrong")[0] == 401
        # Each scrape is answered by one of the two web processes; every one of them reports all n commands.
        seen = set()
        for _ in range(6):
            status, text = scrape(port)
            assert status == 200
            seen.add(commands_counted(text))
        assert seen == {float(n)}

        started = time.monotonic()
        web.signal(signal.SIGTERM)
        code = web.wait(drain + 5 + 10)
        took = time.monotonic() - started
    finally:
        web.kill_group()
    assert code == 0, web.output()[-4000:]
    assert took < drain + 5, took  # within the graceful_timeout gunicorn was given
    records = json_lines(web.stderr_lines())  # every stderr line is one JSON object (gunicorn's own too)
    assert any(r["logger"] == "gunicorn.error" and "Shutting down" in r["message"] for r in records)
    assert any(r["logger"] == "chatops.workers" and "stopped" in r["message"] for r in records)


def test_sigterm_under_gunicorn_drains_running_work_and_the_next_start_answers_the_rest(tmp_path: Path, fake_slack):
    """Commands whose backend takes 2 s are running in the web processes when gunicorn gets SIGTERM: they
    finish and are answered before it exits 0 (the drain fits in graceful_timeout); the ones not started
    wait in the database and are answered by the next start."""
    from tests.faults.fake_ops import FakeOps

    ops = FakeOps().start()
    url = f"sqlite:///{tmp_path / 'c.db'}"
    drain = 8
    env = {"CHATOPS_DATABASE_URL": url, "SLACK_BOT_TOKEN": fault_procs.TOKEN,
           "SLACK_SIGNING_SECRET": fault_procs.SECRET, "SLACK_API_URL": fake_slack.url,
           "CHATOPS_BACKEND": "http", "CHATOPS_BACKEND_URL": ops.url, "CHATOPS_BACKEND_TIMEOUT_SECONDS": "10",
           "CHATOPS_WEB_PROCESSES": "1", "CHATOPS_WEB_THREADS": "4", "CHATOPS_WORKERS": "2",
           "CHATOPS_DRAIN_SECONDS": str(drain), "CHATOPS_WORK_LEASE_SECONDS": "5", "CHATOPS_WORK_POLL_SECONDS": "0.2",
           "DISCORD_TOKEN": ""}
    seeded = fault_procs.chatops_cli(env, "demo", "--seed-only")
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    batches = [f"B-{i}" for i in range(1, 7)]

    def start() -> tuple[Proc, int]:
        port = free_port()
        proc = Proc(command_line(f"gunicorn -c {CONF} wsgi:app"), {**env, "CHATOPS_WEB_BIND": f"127.0.0.1:{port}"},
                    log=tmp_path / f"web{port}.log").start()
        proc.wait_http(port, "/healthz")
        return proc, port

    web, port = start()
    try:
        ops.fault("GET", "*", "slow", seconds=2)
        for batch in batches:
            status, body, _ = fault_procs.slack_command(port, "/batch-status", batch,
                                                        response_url=fake_slack.response_url(f"bs-{batch}"))
            assert status == 200 and body == b""
        end = time.monotonic() + 30  # two are running (CHATOPS_WORKERS=2: the slow backend has their calls), four wait
        while time.monotonic() < end and len([r for r in ops.requests if r["method"] == "GET"]) < 2:
            time.sleep(0.05)
        started = time.monotonic()
        web.signal(signal.SIGTERM)
        assert web.wait(drain + 5 + 10) == 0
        took = time.monotonic() - started
        answered = {b for b in batches if fake_slack.called(f"response:bs-{b}")}
        assert 2 <= len(answered) < len(batches), answered  # the running ones finished during the drain
        assert took < drain + 5, took

        ops.clear_faults()
        web, port = start()
        end = time.monotonic() + 30
        while time.monotonic() < end and not all(fake_slack.called(f"response:bs-{b}") for b in batches):
            time.sleep(0.1)
        assert {b: len(fake_slack.called(f"response:bs-{b}")) for b in batches} == {b: 1 for b in batches}
        web.signal(signal.SIGTERM)
        assert web.wait(30) == 0
    finally:
        web.kill_group()
        ops.stop()
