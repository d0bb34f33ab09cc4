"""The two-person rule: a request posted to the approvals channel, approved by someone else with the
approver role, expiring, surviving a restart, and running exactly once under concurrent clicks."""
from __future__ import annotations

import os
import threading

import peewee

import pytest

from chatops.app import App
from chatops.db import connect, database
from chatops.invocation import Invocation
from chatops.models import AuditEvent, OutboundMessage, PendingAction
from chatops.ops.demo_backend import DemoAccount, DemoEvent, DemoSeller
from chatops.plugins import build_registry
from chatops.reply import Reply
from chatops.settings import Settings

REQUEST = "remove-seller-fee sel_2001 long-standing seller, goodwill after outage"


def request_approval(ops, as_=None, **fields):
    r = ops.runner
    preview = r.invoke(REQUEST, as_=as_ or ops.SAM, channel_id="C_SUPPORT", **fields)
    assert preview.outcome == "previewed" and "Approval" in preview.text
    sent = r.press("Confirm", as_=as_ or ops.SAM)
    assert sent.outcome == "pending_approval" and "Sent for approval to <#C0APPROVALS>" in sent.text
    (post,) = sent.reply.posts
    return sent, post


def fee(seller="sel_2001") -> int:
    return DemoSeller.get_by_id(seller).fee_bps


def test_request_is_posted_to_the_approvals_channel_through_the_outbox(ops):
    sent, post = request_approval(ops)
    assert (post.destination.platform, post.destination.channel_id) == ("slack", "C0APPROVALS")
    assert set(post.reply.button_ids()) == {"Approve", "Reject"}
    assert "Seller fee" in post.reply.plain_text() and "3% → 0%" in post.reply.plain_text()
    queued = OutboundMessage.get(OutboundMessage.channel_id == "C0APPROVALS")
    assert Reply.from_dict(queued.reply).button_ids() == post.reply.button_ids()
    assert fee() == 300  # nothing changed yet


def test_approval_executes_once_under_one_correlation_id(ops):
    sent, post = request_approval(ops)
    approved = ops.runner.press(post.reply.button_ids()["Approve"], as_=ops.LEE)
    assert "Approved by" in approved.text and "now pays 0%" in approved.text
    assert fee() == 0
    events = list(AuditEvent.select().where(AuditEvent.correlation_id == sent.reply.correlation_id)
                  .order_by(AuditEvent.seq))
    # The decision is on record before the change is sent; the change is intent, then outcome.
    assert [e.outcome for e in events] == ["previewed", "pending_approval", "approved", "attempted", "executed"]
    assert "approved by slack:U_LEE" in events[2].detail and events[2].actor.startswith("slack:U_LEE")
    assert "ops.remove_seller_fee" in events[3].detail and "idempotency key" in events[3].detail
    assert "approved by slack:U_LEE" in events[4].detail
    assert events[4].actor.startswith("slack:U_SAM")  # runs as the requester
    notice = OutboundMessage.get(OutboundMessage.channel_id == "C_SUPPORT")  # the requester is told
    assert "approved by slack:U_LEE" in Reply.from_dict(notice.reply).plain_text()
    twice = ops.runner.press(post.reply.button_ids()["Approve"], as_=ops.LIV)
    assert twice.is_error and "already approved" in twice.text
    assert DemoEvent.select().where(DemoEvent.label == "Seller fee removed").count() == 1


def test_requester_cannot_approve_even_holding_the_role(ops):
    sent, post = request_approval(ops, as_=ops.LEE)
    refused = ops.runner.press(post.reply.button_ids()["Approve"], as_=ops.LEE)
    assert refused.outcome == "denied" and "a second person must approve" in refused.text
    assert fee() == 300
    approved = ops.runner.press(post.reply.button_ids()["Approve"], as_=ops.LIV)
    assert [e.outcome for e in approved.audit] == ["approved", "attempted", "executed"]
    assert fee() == 0


def test_only_the_approver_role_may_decide(ops):
    sent, post = request_approval(ops)
    for who in (ops.SUE, ops.CORA):
        refused = ops.runner.press(post.reply.button_ids()["Reject"], as_=who)
        assert refused.outcome == "denied" and "needs the lead role" in refused.text
    assert PendingAction.get(PendingAction.kind == "approval").state == "pending"


def test_reject_changes_nothing_and_retires_the_request(ops):
    sent, post = request_approval(ops)
    rejected = ops.runner.press(post.reply.button_ids()["Reject"], as_=ops.LEE)
    assert rejected.outcome == "rejected" and "Nothing was changed" in rejected.text
    assert ops.runner.press(post.reply.button_ids()["Approve"], as_=ops.LIV).is_error
    assert fee() == 300


def test_request_expires_after_the_default_30_minutes(ops):
    sent, post = request_approval(ops)
    ops.runner.clock.advance(minutes=29)
    assert PendingAction.get(PendingAction.kind == "approval").expires_at == ops.runner.clock() + \
        __import__("datetime").timedelta(minutes=1)
    ops.runner.clock.advance(minutes=2)
    late = ops.runner.press(post.reply.button_ids()["Approve"], as_=ops.LEE)
    assert late.is_error and "expired" in late.text and fee() == 300


def test_policy_switches_approval_on_for_any_command_with_its_channel_role_and_ttl(ops):
    from chatops.ops.models import OpsPolicy
    OpsPolicy.create(command="change-email", approval_required=True, approver_role="support",
                     approvals_platform="discord", approvals_channel="900", ttl_minutes=5)
    r = ops.runner
    r.invoke("change-email acct_1002 b9@example.org", as_=ops.SAM)
    sent = r.press("Confirm", as_=ops.SAM)
    (post,) = sent.reply.posts
    assert post.destination.platform == "discord" and post.destination.channel_id == "900"
    assert DemoAccount.get_by_id("acct_1002").email == "bob@example.org"
    r.clock.advance(minutes=4)
    assert "approved" in [e.outcome for e in r.press(post.reply.button_ids()["Approve"], as_=ops.SUE).audit]
    assert DemoAccount.get_by_id("acct_1002").email == "b9@example.org"


def test_pending_approval_survives_a_restart(ops):
    sent, post = request_approval(ops)
    db = ops.runner.db  # a second connection to the same database, as another process would open
    url = f"sqlite:///{db.database}" if isinstance(db, peewee.SqliteDatabase) else \
        os.environ["CHATOPS_TEST_DATABASE_URL"]
    fresh_db = connect(url)
    restarted = App(Settings(), db=fresh_db, registry=build_registry(), clock=ops.runner.clock)
    try:
        reply = restarted.router.handle_action(post.reply.button_ids()["Approve"],
                                               Invocation(platform="slack", user_id="U_LEE",
                                                          received_at=ops.runner.clock()))
        assert "now pays 0%" in reply.plain_text() and fee() == 0
    finally:
        fresh_db.close()
        database.initialize(ops.runner.db)


def race(ops, approve_ref: str, n: int = 20) -> list[str]:
    """n leads press Approve at once, each on its own thread and connection."""
    leads = [f"slack:U_RACE{i}" for i in range(n)]
    for i, key in enumerate(leads):
        ops.runner.person(f"Racer {i}", roles=["lead"], identities=[key])
    barrier = threading.Barrier(n)
    out: list[str] = []
    lock = threading.Lock()

    def press(key: str) -> None:
        inv = Invocation(platform="slack", user_id=key.split(":")[1], received_at=ops.runner.clock())
        barrier.wait()
        try:
            text = ops.runner.router.handle_action(approve_ref, inv).plain_text()
        finally:
            database.close()
        with lock:
            out.append(text)

    threads = [threading.Thread(target=press, args=(k,)) for k in leads]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return out


def assert_exactly_once(texts: list[str]) -> None:
    assert len(texts) == 20
    assert sum("now pays 0%" in t for t in texts) == 1, texts
    assert sum("already approved" in t for t in texts) == 19, texts
    assert DemoEvent.select().where(DemoEvent.label == "Seller fee removed").count() == 1
    assert AuditEvent.select().where((AuditEvent.command == "remove-seller-fee")
                                     & (AuditEvent.outcome == "executed")).count() == 1
    assert fee() == 0


def test_twenty_concurrent_approvals_execute_once_on_sqlite(make_runner):
    from tests.ops.conftest import cast, ops_settings
    ops = cast(make_runner(database_url="sqlite", settings=ops_settings()))
    sent, post = request_approval(ops)
    assert_exactly_once(race(ops, post.reply.button_ids()["Approve"]))


@pytest.mark.postgres
def test_twenty_concurrent_approvals_execute_once_on_postgresql(make_runner, ops_pg_url):
    from tests.ops.conftest import cast, ops_settings
    ops = cast(make_runner(database_url=ops_pg_url, settings=ops_settings()))
    sent, post = request_approval(ops)
    assert_exactly_once(race(ops, post.reply.button_ids()["Approve"]))
