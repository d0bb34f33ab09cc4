"""A backend that applies a change and then times out, answers 500 or drops the connection, behind the real
server: the user is first told the outcome is not known yet (never "nothing was changed"), the automatic
check sends the same request again, the audit trail ends `executed`, and a stuck approval completes."""
from __future__ import annotations

import signal
import time

import pytest

from tests.faults import procs
from tests.faults.procs import LEE, button_values, slack_command, slack_press, text_of

pytestmark = pytest.mark.faults


def answers(fake, name: str, count: int, timeout: float = 40.0) -> list[dict]:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = [c.body for c in fake.called("response:" + name)]
        if len(got) >= count:
            return got
        time.sleep(0.1)
    raise AssertionError(f"{name}: {len(fake.called('response:' + name))} answer(s), wanted {count}")


@pytest.mark.parametrize("fault", ["apply-then-hang", "apply-then-500", "apply-then-drop", "apply-then-garbage"])
def test_an_unclear_answer_is_checked_again_and_ends_executed(make_server, fake_slack, ops, database, fault):
    server = make_server(CHATOPS_WORKERS="2").start()
    try:
        slack_command(server.port, "/change-email", "acct_9 nine@example.org", response_url=fake_slack.response_url("pv"))
        (preview,) = answers(fake_slack, "pv", 1)
        ops.fault("POST", "/accounts/acct_9/email", fault, seconds=4, times=1)
        slack_press(server.port, button_values(preview)["Confirm"], response_url=fake_slack.response_url("cf"))
        first, second = answers(fake_slack, "cf", 2)
        assert "not known yet whether it was made" in text_of(first), text_of(first)
        assert "Nothing was changed" not in text_of(first)
        assert "Checked again with the payments system" in text_of(second) and "nine@example.org" in text_of(second)
        time.sleep(1.5)
        assert len(fake_slack.called("response:cf")) == 2  # no third answer
        assert ops.applied("acct_9") == 1 and len(ops.posts("/accounts/acct_9/email")) == 2
        keys = {p["key"] for p in ops.posts("/accounts/acct_9/email")}
        assert len(keys) == 1  # the same idempotency key both times
        outcomes = [o for (o,) in procs.query(database, "SELECT outcome FROM audit_event WHERE command = ? "
                                                        "ORDER BY seq", ("change-email",))]
        assert outcomes == ["previewed", "attempted", "unknown", "attempted", "executed"]
    finally:
        server.kill(signal.SIGTERM)
        assert server.wait(30) == 0


def test_a_stuck_approval_completes_and_the_requester_is_told(make_server, fake_slack, ops, database):
    server = make_server(CHATOPS_WORKERS="2").start()
    try:
        slack_command(server.port, "/remove-seller-fee", "sel_5 long-standing seller, goodwill",
                      response_url=fake_slack.response_url("pv"), channel="C0SUPPORT")
        (preview,) = answers(fake_slack, "pv", 1)
        slack_press(server.port, button_values(preview)["Confirm"], response_url=fake_slack.response_url("cf"),
                    channel="C0SUPPORT")
        (sent,) = answers(fake_slack, "cf", 1)
        assert "Sent for approval" in text_of(sent), text_of(sent)
        end = time.monotonic() + 20
        while time.monotonic() < end and not [c for c in fake_slack.called("chat.postMessage")
                                              if c.body.get("channel") == "C0APPROVALS"]:
            time.sleep(0.1)
        (card,) = [c.body for c in fake_slack.called("chat.postMessage") if c.body.get("channel") == "C0APPROVALS"]
        ops.fault("POST", "/sellers/sel_5/fee-removal", "apply-then-500", times=1)
        slack_press(server.port, button_values(card)["Approve"], response_url=fake_slack.response_url("ap"),
                    user=LEE, channel="C0APPROVALS", ephemeral=False)
        first, second = answers(fake_slack, "ap", 2)
        assert "not known yet" in text_of(first) and "HTTP 500" in text_of(first)
        assert "Checked again" in text_of(second) and "now pays 0%" in text_of(second), text_of(second)
        end = time.monotonic() + 20
        told = []
        while time.monotonic() < end and not told:
            told = [c.body for c in fake_slack.called("chat.postMessage") if c.body.get("channel") == "C0SUPPORT"
                    and "confirmed after a check" in text_of(c.body)]
            time.sleep(0.1)
        assert told, [text_of(c.body) for c in fake_slack.called("chat.postMessage")]
        assert ops.applied("sel_5") == 1
        outcomes = [o for (o,) in procs.query(database, "SELECT outcome FROM audit_event WHERE command LIKE ? "
                                                        "ORDER BY seq", ("remove-seller-fee%",))]
        assert outcomes[-3:] == ["unknown", "attempted", "executed"] and "approved" in outcomes
        assert "expired" not in outcomes and "invalid" not in outcomes
    finally:
        server.kill(signal.SIGTERM)
        assert server.wait(30) == 0
