"""kill -9 and SIGTERM of the real server with accepted work queued and running: after a restart every
acked command is answered exactly once, and the audit trail matches the backend's own count of changes."""
from __future__ import annotations

import signal
import threading
import time

import pytest

from tests.faults import procs
from tests.faults.procs import button_values, slack_command, slack_press, text_of

pytestmark = pytest.mark.faults

ACCOUNTS = [f"acct_{i}" for i in range(1, 5)]
BATCHES = [f"B-{i}" for i in range(1, 5)]


def wait_answers(fake, names: list[str], timeout: float = 60.0) -> dict[str, list[dict]]:
    """Every response_url in ``names`` answered at least once (then a moment for any second answer)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = {n: [c.body for c in fake.called("response:" + n)] for n in names}
        if all(got.values()):
            time.sleep(1.0)  # anything sent twice would have arrived by now
            return {n: [c.body for c in fake.called("response:" + n)] for n in names}
        time.sleep(0.1)
    missing = [n for n in names if not fake.called("response:" + n)]
    raise AssertionError(f"no answer for {missing}")


def previews(server, fake) -> dict[str, str]:
    """Preview a change-email per account; the Confirm button value for each."""
    confirms = {}
    for account in ACCOUNTS:
        status, body, _ = slack_command(server.port, "/change-email", f"{account} new-{account}@example.org",
                                        response_url=fake.response_url(f"pv-{account}"))
        assert status == 200 and body == b""
    for account in ACCOUNTS:
        (answer,) = wait_answers(fake, [f"pv-{account}"])[f"pv-{account}"]
        confirms[account] = button_values(answer)["Confirm"]
    return confirms


def send_burst(server, fake, confirms: dict[str, str]) -> None:
    """Confirm every change and ask every batch's status: all acked at once."""
    for account, value in confirms.items():
        status, body, seconds = slack_press(server.port, value, response_url=fake.response_url(f"cf-{account}"))
        assert status == 200 and body == b"" and seconds < 3
    for batch in BATCHES:
        status, body, seconds = slack_command(server.port, "/batch-status", batch,
                                              response_url=fake.response_url(f"bs-{batch}"))
        assert status == 200 and body == b"" and seconds < 3


def check_exactly_once(server, fake, ops, database) -> None:
    answers = wait_answers(fake, [f"cf-{a}" for a in ACCOUNTS] + [f"bs-{b}" for b in BATCHES])
    for account in ACCOUNTS:
        (answer,) = answers[f"cf-{account}"]  # exactly one answer
        assert f"new-{account}@example.org" in text_of(answer), text_of(answer)
        assert ops.applied(account) == 1  # the backend's own count: applied once, whatever was re-sent
    for batch in BATCHES:
        (answer,) = answers[f"bs-{batch}"]
        assert f"Batch {batch}" in text_of(answer), text_of(answer)
    executed = procs.query(database, "SELECT correlation_id FROM audit_event WHERE command = ? AND outcome = ?",
                           ("change-email", "executed"))
    assert len(executed) == len(ACCOUNTS) == len({c for (c,) in executed})
    assert procs.query(database, "SELECT COUNT(*) FROM audit_event WHERE command = ? AND outcome = ?",
                       ("batch-status", "allowed"))[0][0] == len(BATCHES)
    left = procs.query(database, "SELECT state, COUNT(*) FROM work_item GROUP BY state")
    assert dict(left) == {"done": len(ACCOUNTS) * 2 + len(BATCHES)}, left


def test_kill_9_with_work_queued_and_running_loses_nothing(make_server, fake_slack, ops, database):
    server = make_server(CHATOPS_WORKERS="2", CHATOPS_BACKEND_TIMEOUT_SECONDS="10").start()
    confirms = previews(server, fake_slack)
    ops.fault("POST", "*", "apply-then-slow", seconds=4)  # applied at once, answered 4 s later
    ops.fault("GET", "*", "slow", seconds=4)
    send_burst(server, fake_slack, confirms)
    deadline = time.monotonic() + 10
    while not ops.posts() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ops.posts(), "no change reached the backend before the kill"
    server.kill(signal.SIGKILL)
    assert server.wait(10) == -signal.SIGKILL
    assert not fake_slack.called("response:cf-" + ACCOUNTS[-1])  # queued work was not answered yet
    ops.clear_faults()
    server.start()
    check_exactly_once(server, fake_slack, ops, database)
    late = [text_of(c.body) for a in ACCOUNTS for c in fake_slack.called(f"response:cf-{a}")]
    assert any("This answer is late: the service restarted" in t for t in late)
    # The changes in flight at the kill were sent again with the same key (the backend applied each once),
    # and the audit trail says so: intent twice, one outcome.
    resent = [p for p in ops.posts() if [q["key"] for q in ops.posts()].count(p["key"]) > 1]
    assert resent, "no change was in flight at the kill"
    attempted = procs.query(database, "SELECT COUNT(*) FROM audit_event WHERE command = ? AND outcome = ?",
                            ("change-email", "attempted"))[0][0]
    assert attempted == len(ops.posts()) > len(ACCOUNTS)
    server.kill(signal.SIGTERM)
    assert server.wait(30) == 0


def test_sigterm_drains_running_work_and_the_next_start_answers_the_rest(make_server, fake_slack, ops, database):
    server = make_server(CHATOPS_WORKERS="2", CHATOPS_BACKEND_TIMEOUT_SECONDS="10", CHATOPS_DRAIN_SECONDS="20").start()
    confirms = previews(server, fake_slack)
    ops.fault("POST", "*", "apply-then-slow", seconds=2)
    ops.fault("GET", "*", "slow", seconds=2)
    send_burst(server, fake_slack, confirms)
    time.sleep(0.5)
    started = time.monotonic()
    server.kill(signal.SIGTERM)
    assert server.wait(40) == 0  # a clean exit after the drain
    assert time.monotonic() - started < 20
    assert "chatops stopped:" in server.log()
    answered_before = {n for n in [f"cf-{a}" for a in ACCOUNTS] + [f"bs-{b}" for b in BATCHES]
                       if fake_slack.called("response:" + n)}
    assert len(answered_before) >= 2  # what was running finished during the drain
    assert len(answered_before) < len(ACCOUNTS) + len(BATCHES)  # the rest waited for the next start
    ops.clear_faults()
    server.start()
    check_exactly_once(server, fake_slack, ops, database)
    server.kill(signal.SIGTERM)
    assert server.wait(30) == 0


def test_kill_9_while_posting_an_approval_request_posts_it_once(make_server, fake_slack, ops, database):
    """The sender dies after Slack took the approval card and before it recorded that: the restarted
    sender finds the card by its outbox id and does not post a second one."""
    server = make_server(CHATOPS_WORKERS="2", CHATOPS_OUTBOX_LEASE_SECONDS="2").start()
    posted = threading.Event()

    def slow_post(call):  # Slack has taken the message; our answer never reaches the server
        if call.body.get("channel") == "C0APPROVALS":
            posted.set()
            time.sleep(30)
        return {"ok": True, "ts": f"1700000001.{len(fake_slack.calls):06d}", "channel": call.body.get("channel")}

    fake_slack.on("chat.postMessage", slow_post)
    slack_command(server.port, "/remove-seller-fee", "sel_3 long-standing seller, goodwill",
                  response_url=fake_slack.response_url("pv"), channel="C0SUPPORT")
    (preview,) = wait_answers(fake_slack, ["pv"])["pv"]
    slack_press(server.port, button_values(preview)["Confirm"], response_url=fake_slack.response_url("cf"),
                channel="C0SUPPORT")
    assert posted.wait(20)
    server.kill(signal.SIGKILL)
    server.wait(10)
    fake_slack._handlers.pop("chat.postMessage")
    first = [c for c in fake_slack.called("chat.postMessage") if c.body.get("channel") == "C0APPROVALS"]
    first[0].ts = "1700000001.000001"  # what Slack answered (the server never heard it)
    server.start()
    time.sleep(6)  # the lease runs out, the sender looks the card up
    cards = [c for c in fake_slack.called("chat.postMessage") if c.body.get("channel") == "C0APPROVALS"]
    assert len(cards) == 1, len(cards)
    assert fake_slack.called("conversations.history")
    (state, external_id), = procs.query(database, "SELECT state, external_id FROM outbound_message WHERE channel_id = ?",
                                        ("C0APPROVALS",))
    assert state == "sent" and external_id == "1700000001.000001"
    server.kill(signal.SIGTERM)
    assert server.wait(30) == 0


def test_a_worker_process_killed_mid_work_is_replaced_by_another(make_server, fake_slack, ops, database):
    """The web process only accepts (CHATOPS_WORKERS=0); `chatops worker` processes run the work. One is
    killed with its items leased and in flight: another worker takes them over once the leases run out."""
    web = make_server(CHATOPS_WORKERS="0", CHATOPS_BACKEND_TIMEOUT_SECONDS="10").start()
    env = web.env
    first = procs.Server(env, port=0, log=web.log_path.with_name("worker1.log"),
                         args=("worker", "--no-huey", "--threads", "4")).start(wait=False)
    try:
        time.sleep(2.5)
        ops.fault("GET", "*", "slow", seconds=4)
        names = [f"w-{i}" for i in range(8)]
        for i, name in enumerate(names):
            status, body, _ = slack_command(web.port, "/batch-status", f"B-{i}",
                                            response_url=fake_slack.response_url(name))
            assert status == 200 and body == b""
        time.sleep(1.5)  # four in flight at the backend, four leased and waiting
        first.kill(signal.SIGKILL)
        first.wait(10)
        assert not any(fake_slack.called("response:" + n) for n in names)
        ops.clear_faults()
        second = procs.Server(env, port=0, log=web.log_path.with_name("worker2.log"),
                              args=("worker", "--no-huey", "--threads", "4")).start(wait=False)
        try:
            answers = wait_answers(fake_slack, names)
            for i, name in enumerate(names):
                (answer,) = answers[name]
                assert f"Batch B-{i}" in text_of(answer)
            second.kill(signal.SIGTERM)
            assert second.wait(30) == 0
            assert "chatops worker stopped" in second.log()
        finally:
            second.stop()
        assert procs.query(database, "SELECT COUNT(*) FROM audit_event WHERE command = ? AND outcome = ?",
                           ("batch-status", "allowed"))[0][0] == len(names)
    finally:
        first.stop()
        web.kill(signal.SIGTERM)
        web.wait(30)
