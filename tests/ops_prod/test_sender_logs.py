"""The outbox senders' own warnings and errors carry the correlation id of the message they are about (the
request that caused it), like the "delivered" line: ``jq 'select(.correlation_id == ...)'`` finds a failed
delivery too. Slack with real processes and JSON logs; Discord's sender and the outbox's last give-up in-process."""
from __future__ import annotations

import io
import json
import logging
import signal
import sys
import time
import uuid
from pathlib import Path

from chatops import logs, outbox
from chatops.models import OutboundMessage
from chatops.reply import Destination, Reply
from tests.discord.fakediscord import SUPPORT_CHANNEL_ID
from tests.discord.harness import run
from tests.faults import procs as fault_procs
from tests.faults.procs import free_port
from tests.ops_prod.procs import Proc, json_lines
from tests.slack.fake_slack import FakeSlack


def test_a_slack_delivery_that_fails_logs_the_requests_correlation_id(tmp_path: Path):
    fake = FakeSlack().start()
    fake.queue("chat.postMessage", body={"ok": False, "error": "internal_error"})  # the first post fails, once
    url = f"sqlite:///{tmp_path / 'c.db'}"
    assert fault_procs.chatops_cli({"CHATOPS_DATABASE_URL": url}, "db", "upgrade").returncode == 0
    port = free_port()
    env = {"CHATOPS_DATABASE_URL": url, "SLACK_BOT_TOKEN": fault_procs.TOKEN,
           "SLACK_SIGNING_SECRET": fault_procs.SECRET, "SLACK_API_URL": fake.url, "CHATOPS_LOG_FORMAT": "json",
           "CHATOPS_SUPPORT_TRIAGE_SLACK_CHANNEL": "C0TRIAGE", "CHATOPS_WORKERS": "2", "CHATOPS_DRAIN_SECONDS": "3",
           "DISCORD_TOKEN": "", "CHATOPS_AUDIT_SPOOL": str(tmp_path / "spool.jsonl")}
    web = Proc([sys.executable, "-m", "chatops.cli", "run", "--port", str(port)], env, log=tmp_path / "run.log",
               cwd=tmp_path)
    try:
        web.start()
        web.wait_http(port)
        status, body, _ = fault_procs.slack_command(port, "/support", "my payout is late",
                                                    response_url=fake.response_url("s1"), user="U0SLOG",
                                                    trigger=uuid.uuid4().hex)
        assert status == 200, body
        fake.wait_for("response:s1", timeout=30)
        end = time.monotonic() + 30  # the failed post is tried again ~2 s later, and delivered
        while time.monotonic() < end and not any('"chatops.outbox"' in line and "delivered" in line
                                                 for line in web.stderr_lines()):
            time.sleep(0.1)
        web.signal(signal.SIGTERM)
        assert web.wait(30) == 0
    finally:
        web.kill_group()
        fake.stop()
    records = json_lines(web.stderr_lines())
    [done] = [r for r in records if r["logger"] == "chatops.requests" and r["command"] == "support"]
    cid = done["correlation_id"]
    [failed] = [r for r in records if r["logger"] == "adapters.slack.sender" and r["level"] == "WARNING"]
    assert "internal_error" in failed["message"] and "retrying" in failed["message"]
    assert failed["correlation_id"] == cid and cid and failed["platform"] == "slack"
    delivered = [r for r in records if r["logger"] == "chatops.outbox" and "delivered" in r["message"]]
    assert delivered and {r["correlation_id"] for r in delivered} == {cid}


def capture(*loggers: str):
    """JSON lines of ``loggers`` into a buffer (the formatter CHATOPS_LOG_FORMAT=json installs)."""
    out = io.StringIO()
    handler = logs.handler("json", out)
    for name in loggers:
        logging.getLogger(name).addHandler(handler)

    def lines() -> list[dict]:
        for name in loggers:
            logging.getLogger(name).removeHandler(handler)
        return [json.loads(line) for line in out.getvalue().splitlines()]

    return lines


def test_the_discord_senders_failures_carry_the_messages_correlation_id(runner):
    lines = capture("adapters.discord.sender")

    async def scenario(h):
        h.fake.channel_status[SUPPORT_CHANNEL_ID] = 400  # an HTTP error (a 5xx discord.py retries itself): later
        h.fake.channel_status["920000000000000077"] = 403  # refused: given up at once

        def enqueue():
            outbox.enqueue(Destination("discord", SUPPORT_CHANNEL_ID), Reply.text("retry me"), now=runner.clock(),
                           correlation_id="cid-retried")
            outbox.enqueue(Destination("discord", "920000000000000077"), Reply.text("refused"), now=runner.clock(),
                           correlation_id="cid-refused")
            outbox.enqueue(Destination("discord", "not-a-channel"), Reply.text("unreadable"), now=runner.clock(),
                           correlation_id="cid-unreadable")

        await h.bot.run(enqueue)
        await h.bot.sender.drain_once()

    run(runner.app, scenario, run_sender=False)
    records = lines()
    by_cid = {r["correlation_id"]: r for r in records if r["level"] in ("WARNING", "ERROR")}
    assert set(by_cid) == {"cid-retried", "cid-refused", "cid-unreadable"}, records
    assert by_cid["cid-retried"]["level"] == "WARNING" and "retried" in by_cid["cid-retried"]["message"]
    assert by_cid["cid-refused"]["level"] == "ERROR" and "for good" in by_cid["cid-refused"]["message"]
    assert by_cid["cid-unreadable"]["level"] == "ERROR" and "unreadable" in by_cid["cid-unreadable"]["message"]
    assert {r["platform"] for r in by_cid.values()} == {"discord"}
    assert {r.state for r in OutboundMessage.select()} == {"pending", "failed"}


def test_the_outbox_logs_the_last_attempt_it_gives_up_on_with_the_correlation_id(runner):
    lines = capture("chatops.outbox")
    message = outbox.enqueue(Destination("slack", "C0GONE"), Reply.text("x"), now=runner.clock(),
                             correlation_id="cid-given-up")
    message.attempts = outbox.MAX_ATTEMPTS - 1
    outbox.retry(message, now=runner.clock(), after_seconds=1, error="slack error: internal_error")
    assert lines() == []  # a try that will be repeated: the sender's own warning says so
    capture_again = capture("chatops.outbox")
    message.attempts = outbox.MAX_ATTEMPTS
    outbox.retry(message, now=runner.clock(), after_seconds=1, error="slack error: internal_error")
    [record] = capture_again()
    assert record["level"] == "ERROR" and "given up after 8 attempts" in record["message"]
    assert record["correlation_id"] == "cid-given-up" and record["platform"] == "slack"
    assert OutboundMessage.get_by_id(message.id).state == "failed"
