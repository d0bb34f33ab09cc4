"""PostgreSQL stopped and started under the running server: every request is answered — the ones sent
while it is down at the ack itself ("briefly unavailable, nothing was done"), the ones accepted before
when it is back — none is dropped, none doubled, and the refusals are in the audit trail."""
from __future__ import annotations

import signal
import threading
import time

import pytest

from tests.faults import procs
from tests.faults.procs import slack_command, text_of

pytestmark = pytest.mark.faults


def test_database_down_and_back_every_request_answered_once(tmp_path, cluster, fake_slack, ops):
    url = cluster.url
    env = procs.server_env(url, fake_slack.url, ops.url, CHATOPS_WORKERS="4", CHATOPS_BACKEND_TIMEOUT_SECONDS="10",
                           CHATOPS_AUDIT_SPOOL=str(tmp_path / "spool.jsonl"))
    seeded = procs.chatops_cli(env, "demo", "--seed-only")
    assert seeded.returncode == 0, seeded.stderr
    server = procs.Server(env, port=procs.free_port(), log=tmp_path / "server.log").start()
    try:
        ops.fault("GET", "*", "slow", seconds=1.5)  # commands are still running when the database goes
        acked: dict[str, bytes] = {}
        lock = threading.Lock()

        def send(name: str) -> None:
            status, body, seconds = slack_command(server.port, "/batch-status", f"B-{name}",
                                                  response_url=fake_slack.response_url(name))
            assert status == 200 and seconds < 3, (status, body, seconds)
            with lock:
                acked[name] = body

        before = [f"before-{i}" for i in range(8)]
        threads = [threading.Thread(target=send, args=(n,)) for n in before]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        cluster.stop("fast")  # the database goes away mid-run
        during = [f"during-{i}" for i in range(6)]
        for n in during:
            send(n)
        time.sleep(2)
        cluster.start()
        after = [f"after-{i}" for i in range(6)]
        for n in after:
            send(n)
        names = before + during + after
        end = time.monotonic() + 90
        while time.monotonic() < end:
            done = [n for n in names if acked[n] or fake_slack.called("response:" + n)]
            if len(done) == len(names):
                break
            time.sleep(0.2)
        time.sleep(1.5)  # a second answer, if any, would have arrived
        for n in names:
            answers = [c.body for c in fake_slack.called("response:" + n)]
            if acked[n]:  # refused at the ack: that is its one answer
                assert "briefly unavailable" in acked[n].decode() and "Nothing was done" in acked[n].decode(), n
                assert answers == [], n
            else:
                assert len(answers) == 1, (n, answers, server.log()[-3000:])
                assert f"Batch B-{n}" in text_of(answers[0]), text_of(answers[0])
        assert all(acked[n] for n in during)  # the database was down: each one was told at once
        assert not any(acked[n] for n in after)
        # The refusals are in the audit trail once the database is back (the spool was flushed into it).
        end = time.monotonic() + 20
        while time.monotonic() < end:
            refused = procs.query(url, "SELECT COUNT(*) FROM audit_event WHERE outcome = ? AND detail LIKE ?",
                                  ("failed", "not accepted%"))[0][0]
            if refused >= len(during):
                break
            time.sleep(0.3)
        assert refused == len(during)
        allowed = procs.query(url, "SELECT COUNT(*) FROM audit_event WHERE command = ? AND outcome = ?",
                              ("batch-status", "allowed"))[0][0]
        assert allowed == len(before) + len(after)
        server.kill(signal.SIGTERM)
        assert server.wait(30) == 0
    finally:
        server.stop()
