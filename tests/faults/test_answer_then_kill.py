"""kill -9 in the narrowest window of at-least-once: the answer has reached the platform, the work item is not
yet marked done. The item runs again once its lease runs out. On Slack (response_url) the user gets the answer
a second time, and that second answer says it is a repeat; nothing is done twice (one `allowed`, one run)."""
from __future__ import annotations

import signal
import threading
import time

import pytest

from tests.faults import procs
from tests.faults.procs import slack_command, text_of

pytestmark = pytest.mark.faults


def test_an_answer_that_reached_slack_just_before_a_kill_9_is_sent_again_and_says_so(make_server, fake_slack,
                                                                                      database):
    server = make_server(CHATOPS_WORK_LEASE_SECONDS="5").start()
    killed = threading.Event()

    def kill_on_first_answer(call):  # in the fake's request thread: the answer is here, the worker is waiting
        if not killed.is_set():
            killed.set()
            server.kill(signal.SIGKILL)
        return {"ok": True}

    fake_slack.on("response:bs-once", kill_on_first_answer)
    status, body, _ = slack_command(server.port, "/batch-status", "B-1", response_url=fake_slack.response_url("bs-once"))
    assert status == 200 and body == b""
    assert killed.wait(30), "the command was never answered"
    assert server.wait(10) == -signal.SIGKILL
    assert procs.query(database, "SELECT state FROM work_item")[0][0] == "running"  # answered, not marked done
    server.start()
    end = time.monotonic() + 40  # the item is marked done only after its answer is sent: then all are in
    while procs.query(database, "SELECT state FROM work_item")[0][0] != "done" and time.monotonic() < end:
        time.sleep(0.1)
    first, again = (text_of(c.body) for c in fake_slack.called("response:bs-once"))
    assert "Batch B-1" in first and "late" not in first
    assert "Batch B-1" in again and "sent again; if it reached you already, it is the same one" in again, again
    assert procs.query(database, "SELECT COUNT(*) FROM audit_event WHERE command = ? AND outcome = ?",
                       ("batch-status", "allowed"))[0][0] == 1  # run once; the repeat is the stored answer
    assert procs.query(database, "SELECT state, attempts FROM work_item") == [("done", 2)]
    server.kill(signal.SIGTERM)
    assert server.wait(30) == 0
