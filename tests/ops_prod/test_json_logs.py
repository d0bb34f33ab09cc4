"""CHATOPS_LOG_FORMAT=json: one JSON object per stderr line, and one request's correlation id in the lines of
the web process that acked it, the worker process that ran it and the sender that delivered its message;
and each of those processes counting its own part on its /metrics (the worker's on CHATOPS_METRICS_WORKER_BIND)."""
from __future__ import annotations

import http.client
import io
import json
import logging
import signal
import time
import uuid
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from chatops import logs
from chatops.settings import Settings
from tests.faults import procs as fault_procs
from tests.faults.procs import free_port
from tests.ops_prod.procs import Proc, json_lines
from tests.slack.fake_slack import FakeSlack

import sys

TOKEN = "json-logs-metrics-token"


def scrape(port: int, token: str | None) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/metrics", headers={"Authorization": f"Bearer {token}"} if token else {})
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def value(text: str, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and s.labels == labels:
                return s.value
    return 0.0


KEYS = {"time", "level", "logger", "message", "correlation_id", "work_key", "platform", "command", "outcome"}


def test_the_formatter_writes_one_object_per_record_with_the_request_fields():
    out = io.StringIO()
    handler = logs.handler("json", out)
    log = logging.getLogger("tests.json")
    log.addHandler(handler)
    log.propagate = False
    try:
        with logs.request(platform="slack", work_key="slack:trigger:1"):
            logs.update(correlation_id="abc123")
            log.warning("line one\nand two")
            try:
                raise ValueError("boom")
            except ValueError:
                log.exception("failed")
        log.warning("outside")
    finally:
        log.removeHandler(handler)
    first, second, third = [json.loads(line) for line in out.getvalue().splitlines()]
    assert KEYS <= set(first) and first["message"] == "line one\nand two" and first["level"] == "WARNING"
    assert (first["correlation_id"], first["platform"], first["work_key"]) == ("abc123", "slack", "slack:trigger:1")
    assert "ValueError: boom" in second["exception"]
    assert third["correlation_id"] == "" and third["platform"] == ""


def test_configure_replaces_the_stderr_handler_only_for_json(monkeypatch):
    root = logging.getLogger()
    saved = list(root.handlers), root.level
    plain = logging.StreamHandler(sys.stderr)
    try:
        root.handlers[:] = [plain]
        logs.configure(Settings.from_env({"CHATOPS_LOG_FORMAT": "text", "CHATOPS_LOG_LEVEL": "WARNING"}))
        assert root.handlers == [plain] and root.level == logging.WARNING
        logs.configure(Settings.from_env({"CHATOPS_LOG_FORMAT": "json"}))
        assert plain not in root.handlers
        assert [type(h.formatter) for h in root.handlers] == [logs.JsonFormatter]
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)


def test_one_request_is_followed_by_its_correlation_id_across_web_worker_and_sender(tmp_path: Path):
    fake = FakeSlack().start()
    url = f"sqlite:///{tmp_path / 'c.db'}"
    assert fault_procs.chatops_cli({"CHATOPS_DATABASE_URL": url}, "db", "upgrade").returncode == 0
    port, mport = free_port(), free_port()
    env = {"CHATOPS_DATABASE_URL": url, "SLACK_BOT_TOKEN": fault_procs.TOKEN,
           "SLACK_SIGNING_SECRET": fault_procs.SECRET, "SLACK_API_URL": fake.url, "CHATOPS_LOG_FORMAT": "json",
           "CHATOPS_LOG_LEVEL": "DEBUG", "CHATOPS_SUPPORT_TRIAGE_SLACK_CHANNEL": "C0TRIAGE",
           "CHATOPS_WORK_POLL_SECONDS": "0.1", "CHATOPS_DRAIN_SECONDS": "3", "DISCORD_TOKEN": "",
           "CHATOPS_METRICS": "on", "CHATOPS_METRICS_TOKEN": TOKEN, "CHATOPS_METRICS_WORKER_BIND": f"127.0.0.1:{mport}"}
    cli = [sys.executable, "-m", "chatops.cli"]
    web = Proc([*cli, "run", "--port", str(port)], {**env, "CHATOPS_WORKERS": "0"}, log=tmp_path / "web.log")
    worker = Proc([*cli, "worker", "--threads", "2", "--no-huey"], env, log=tmp_path / "worker.log")
    try:
        web.start()
        worker.start()
        web.wait_http(port)
        status, body, _ = fault_procs.slack_command(port, "/support", "my payout is late",
                                                    response_url=fake.response_url("j1"), user="U0JSON",
                                                    trigger=uuid.uuid4().hex)
        assert status == 200, body
        fake.wait_for("response:j1", timeout=30)
        end = time.monotonic() + 30
        while time.monotonic() < end and not [c for c in fake.calls if c.method == "chat.postMessage"
                                              and c.body.get("channel") == "C0TRIAGE"]:
            time.sleep(0.05)
        end = time.monotonic() + 30  # the sender writes its "delivered" line after mark_sent: wait for that line
        while time.monotonic() < end and not any('"chatops.outbox"' in line and "delivered" in line
                                                 for line in web.stderr_lines() + worker.stderr_lines()):
            time.sleep(0.05)
        # The worker counts what it ran on its own /metrics; the web process counted the ack.
        assert scrape(mport, None)[0] == 401
        status, text = scrape(mport, TOKEN)
        assert status == 200 and value(text, "chatops_commands_total", command="support", platform="slack",
                                       outcome="executed") == 1
        status, text = scrape(port, TOKEN)
        assert status == 200 and value(text, "chatops_ack_seconds_count", platform="slack") >= 1
        assert value(text, "chatops_commands_total", command="support", platform="slack", outcome="executed") == 0
        for proc in (web, worker):
            proc.signal(signal.SIGTERM)
        assert web.wait(30) == 0 and worker.wait(30) == 0
    finally:
        web.kill_group()
        worker.kill_group()
        fake.stop()
    web_records, worker_records = json_lines(web.stderr_lines()), json_lines(worker.stderr_lines())
    assert all(KEYS <= set(r) for r in web_records + worker_records)

    [done] = [r for r in worker_records if r["logger"] == "chatops.requests" and r["command"] == "support"]
    cid = done["correlation_id"]
    assert cid and done["platform"] == "slack" and done["outcome"] == "executed" and done["work_key"]
    # The web process gave the request its id when it accepted it (before the ack) ...
    accepted = [r for r in web_records if r["correlation_id"] == cid and r["logger"] == "chatops.workers"]
    assert accepted and accepted[0]["message"].startswith("accepted slack:") and accepted[0]["work_key"] == done["work_key"]
    assert accepted[0]["process"] == web.pid and done["process"] == worker.pid
    # ... and the message it posted to the triage channel was delivered under the same id, by whichever sender.
    delivered = [r for r in web_records + worker_records
                 if r["logger"] == "chatops.outbox" and "delivered" in r["message"]]
    assert delivered and all(r["correlation_id"] == cid for r in delivered)
