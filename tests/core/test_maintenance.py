"""Purging old idempotency keys, finished buttons and delivered messages; never audit events."""
from datetime import timedelta

import pytest

from chatops import outbox
from chatops.maintenance import purge
from chatops.models import AuditEvent, IdempotencyRecord, OutboundMessage, PendingAction
from chatops.reply import Destination, Reply

from tests.core.sample import group


def test_purge_keeps_what_is_young_or_still_usable(make_runner, clock):
    runner = make_runner(group)
    runner.person("Sam", roles=["support"], identities=["console:tester"])
    runner.person("bob")
    runner.person("carol")
    old = runner.invoke("rename bob robert", idempotency_key="k-old")  # a preview: a pending Confirm button
    assert old.outcome == "previewed"
    assert runner.press("Confirm", result=old).outcome == "executed"
    outbox.enqueue(Destination("slack", "C1"), Reply.text("sent long ago"), now=clock())
    (msg,) = outbox.claim("slack", now=clock())
    outbox.mark_sent(msg, now=clock())
    outbox.enqueue(Destination("slack", "C1"), Reply.text("never delivered"), now=clock())
    clock.advance(days=40)
    young = runner.invoke("rename carol caroline", idempotency_key="k-young")
    audit_before = AuditEvent.select().count()

    report = purge(now=clock(), keep_days=30)

    assert (report.idempotency_keys, report.actions, report.messages) == (1, 1, 1)
    assert [r.key for r in IdempotencyRecord.select()] == ["k-young"]
    assert PendingAction.select().count() == 1 and young.buttons  # the young preview still works
    assert [m.state for m in OutboundMessage.select()] == ["pending"]
    assert AuditEvent.select().count() == audit_before
    with pytest.raises(ValueError):
        purge(now=clock(), keep_days=0)


def test_purge_drops_expired_form_drafts_whatever_the_days(make_runner, clock):
    from chatops.models import FormDraft

    make_runner(group)
    FormDraft.create(key="discord:1", command="ask", given={"topic": "a@example.org"},
                     expires_at=clock() - timedelta(seconds=1))
    FormDraft.create(key="discord:2", command="ask", given={}, expires_at=clock() + timedelta(minutes=10))
    report = purge(now=clock(), keep_days=30)
    assert report.form_drafts == 1 and [d.key for d in FormDraft.select()] == ["discord:2"]  # the open form stays
