"""Expired approval requests are retired and the requester is told exactly once; the requester can
withdraw a pending request."""
from __future__ import annotations

from datetime import timedelta

import pytest

from chatops.models import AuditEvent, OutboundMessage, PendingAction
from chatops.ops.approvals import EXPIRY_ACTOR, expire_requests
from chatops.reply import Reply
from chatops.support import tasks
from tests.ops.conftest import APPROVALS_SLACK
from tests.ops.test_approvals import fee, request_approval


def _requester_notes() -> list[str]:
    return [Reply.from_dict(m.reply).plain_text() for m in
            OutboundMessage.select().where(OutboundMessage.channel_id == "C_SUPPORT").order_by(OutboundMessage.id)]


def test_an_expired_request_is_retired_and_the_requester_told_once(ops, clock):
    sent, post = request_approval(ops)
    clock.advance(minutes=29)
    assert tasks.run_approval_expiry(now=clock()) == 0  # not yet
    assert PendingAction.get(PendingAction.kind == "approval").state == "pending"
    clock.advance(minutes=2)
    assert tasks.run_approval_expiry(now=clock()) == 1
    action = PendingAction.get(PendingAction.kind == "approval")
    assert action.state == "expired" and action.finished_at == clock()
    [note] = _requester_notes()
    assert "expired at 09:30 UTC before anyone approved it" in note and "Nothing was changed" in note
    request = OutboundMessage.get(OutboundMessage.dedupe_key == f"approval:{action.token}:request")
    [edit] = OutboundMessage.select().where(OutboundMessage.edits == request.dedupe_key)
    assert edit.channel_id == APPROVALS_SLACK and "Expired at 09:30 UTC unapproved" in Reply.from_dict(edit.reply).plain_text()
    assert not Reply.from_dict(edit.reply).button_ids()  # the request's Approve/Reject are retired
    assert OutboundMessage.get(OutboundMessage.channel_id == "C_SUPPORT").dedupe_key == f"approval-expired:{action.token}"
    # a second pass, or another sweeper, does nothing more
    clock.advance(minutes=1)
    assert tasks.run_approval_expiry(now=clock()) == 0 and expire_requests(now=clock()).expired == 0
    assert len(_requester_notes()) == 1
    [event] = AuditEvent.select().where(AuditEvent.outcome == "expired")
    assert event.actor == EXPIRY_ACTOR and event.correlation_id == sent.reply.correlation_id
    assert event.command == "remove-seller-fee:expire"
    late = ops.runner.press(post.reply.button_ids()["Approve"], as_=ops.LEE)
    assert late.is_error and "already expired" in late.text and fee() == 300


def test_only_approval_requests_expire_here(ops, clock):
    ops.runner.invoke("remove-seller-fee sel_2001 long-standing seller, goodwill after outage", as_=ops.SAM)
    clock.advance(days=1)  # the Confirm button (kind confirm) is long expired: not this task's business
    assert expire_requests(now=clock()).expired == 0
    assert PendingAction.get().state == "pending" and OutboundMessage.select().count() == 0


def test_a_request_from_the_console_expires_without_a_message(make_runner, clock):
    from tests.ops.conftest import cast, ops_settings
    ops = cast(make_runner(settings=ops_settings()))
    ops.runner.person("Local", roles=["support"], identities=["console:local"])
    ops.runner.invoke("remove-seller-fee sel_2001 long-standing seller, goodwill after outage", as_="console:local")
    ops.runner.press("Confirm", as_="console:local")
    OutboundMessage.delete().execute()
    report = expire_requests(now=clock() + timedelta(minutes=31))
    assert (report.expired, report.notified) == (1, 0) and OutboundMessage.select().count() == 0


def test_the_requester_withdraws_a_pending_request(ops):
    sent, post = request_approval(ops)
    assert "Withdraw" in sent.buttons
    other = ops.runner.press(sent.buttons["Withdraw"], as_=ops.LEE)
    assert other.is_error and other.outcome == "denied" and "only the person who asked" in other.text
    done = ops.runner.press(sent.buttons["Withdraw"], as_=ops.SAM)
    assert not done.is_error and done.outcome == "withdrawn" and "You withdrew" in done.text
    assert PendingAction.get(PendingAction.kind == "approval").state == "cancelled"
    (notice,) = done.reply.posts
    assert notice.destination.channel_id == APPROVALS_SLACK and "Withdrawn by slack:U_SAM" in notice.reply.plain_text()
    # it replaces the request's message in the approvals channel (no Approve/Reject left there)
    request = OutboundMessage.get(OutboundMessage.dedupe_key.endswith(":request"))
    edit = OutboundMessage.get(OutboundMessage.edits == request.dedupe_key)
    assert edit.channel_id == APPROVALS_SLACK and not Reply.from_dict(edit.reply).button_ids()
    late = ops.runner.press(post.reply.button_ids()["Approve"], as_=ops.LEE)
    assert late.is_error and fee() == 300
    assert ops.runner.press(sent.buttons["Withdraw"], as_=ops.SAM).is_error  # once
    assert expire_requests(now=ops.runner.clock() + timedelta(hours=1)).expired == 0  # nothing left to expire


def test_the_approvals_channel_hint_names_withdraw(ops):
    sent, post = request_approval(ops)
    refused = ops.runner.press(post.reply.button_ids()["Approve"], as_=ops.SAM)
    assert "press Withdraw on your request" in refused.text


def _many_expired_requests(ops, n: int) -> None:
    from chatops.context import create_action
    from chatops.models import Person
    sam = Person.get(Person.name == "Sam Support")
    now = ops.runner.clock()
    for i in range(n):
        create_action("approval", payload={"command": "remove-seller-fee", "summary": f"request {i}"},
                      requester_id=sam.id, correlation_id=f"c{i}", now=now, command="remove-seller-fee",
                      invocation={"platform": "slack", "channel_id": "C_SUPPORT", "user_id": "U_SAM"},
                      ttl=timedelta(minutes=5))


def _race(ops, n: int = 40) -> None:
    import threading

    from chatops.db import database
    _many_expired_requests(ops, n)
    later = ops.runner.clock() + timedelta(minutes=6)
    barrier = threading.Barrier(2)
    reports, errors = [], []

    def run():
        try:
            barrier.wait()
            reports.append(expire_requests(now=later, batch=7))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            database.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert not errors, errors
    assert sum(r.expired for r in reports) == n == sum(r.notified for r in reports)
    assert len(_requester_notes()) == n
    assert AuditEvent.select().where(AuditEvent.outcome == "expired").count() == n


def test_two_concurrent_expiry_passes_tell_each_requester_once_on_sqlite(make_runner):
    from tests.ops.conftest import cast, ops_settings
    _race(cast(make_runner(database_url="sqlite", settings=ops_settings())))



@pytest.mark.postgres
def test_two_concurrent_expiry_passes_tell_each_requester_once_on_postgresql(make_runner, ops_pg_url):
    from tests.ops.conftest import cast, ops_settings
    _race(cast(make_runner(database_url=ops_pg_url, settings=ops_settings())))
