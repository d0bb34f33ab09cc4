"""Ten concurrent commands whose backend takes 2 s, on the default database, in the real server: all
succeed, and `/ping` sent while they run is answered at once (no transaction waits for a backend)."""
from __future__ import annotations

import signal
import threading
import time

import pytest

from tests.faults.procs import slack_command, text_of

pytestmark = pytest.mark.faults


def test_ten_slow_commands_at_once_and_ping_is_not_held_up(make_server, fake_slack, ops):
    server = make_server(CHATOPS_WORKERS="16", CHATOPS_BACKEND_TIMEOUT_SECONDS="10").start()
    try:
        ops.fault("GET", "*", "slow", seconds=2)
        names = [f"slow-{i}" for i in range(10)]
        sent_at: dict[str, float] = {}

        def send(name: str, command: str, text: str) -> None:
            sent_at[name] = time.monotonic()
            status, body, _ = slack_command(server.port, command, text, response_url=fake_slack.response_url(name))
            assert status == 200 and body == b""

        threads = [threading.Thread(target=send, args=(n, "/batch-status", f"B-{i}")) for i, n in enumerate(names)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(5)
        time.sleep(0.3)  # the ten are waiting on the backend now
        send("ping", "/ping", "")
        end = time.monotonic() + 20
        while time.monotonic() < end and not all(fake_slack.called("response:" + n) for n in names + ["ping"]):
            time.sleep(0.02)
        answered = {n: fake_slack.called("response:" + n) for n in names + ["ping"]}
        assert all(len(a) == 1 for a in answered.values()), {n: len(a) for n, a in answered.items()}
        for i, n in enumerate(names):
            text = text_of(answered[n][0].body)
            assert f"Batch B-{i}" in text and "unavailable" not in text and "wrong" not in text, text
        assert "pong" in text_of(answered["ping"][0].body).lower()
        ping_seconds = fake_slack.call_times["response:ping"][0] - sent_at["ping"]
        assert ping_seconds < 1.0, ping_seconds
        slowest = max(fake_slack.call_times["response:" + n][0] - sent_at[n] for n in names)
        assert slowest < 6, slowest  # side by side, not one after another (10 × 2 s)
    finally:
        server.kill(signal.SIGTERM)
        assert server.wait(30) == 0
