"""Intent → call → outcome: a backend that applies a change and then fails, times out or "dies" mid-call
never leaves the audit trail or the user believing the opposite of what happened, and the change is
applied once (the demo backend counts its own side effects)."""
from __future__ import annotations

import threading
from datetime import timedelta

import peewee
import pytest

from chatops import reconcile, spool
from chatops.commands import Category, CommandGroup
from chatops.context import Context
from chatops.effects import Unit
from chatops.models import AuditEvent, CommandRun, ExternalCall, OutboundMessage, PendingAction
from chatops.ops.approvals import expire_requests
from chatops.ops.backend import ChangeRequest, load_backend
from chatops.ops.demo_backend import DemoAccount, DemoEvent, DemoSeller
from chatops.reply import Reply
from tests.durable import lying_backend
from tests.durable.lying_backend import Crash, lie

FEE = "remove-seller-fee sel_2001 long-standing seller, goodwill after outage"


def outcomes(correlation_id: str) -> list[str]:
    return [e.outcome for e in AuditEvent.select().where(AuditEvent.correlation_id == correlation_id)
            .order_by(AuditEvent.seq)]


def fee_removals() -> int:
    return DemoEvent.select().where(DemoEvent.label == "Seller fee removed").count()


def email_changes() -> int:
    return DemoEvent.select().where(DemoEvent.label == "E-mail address changed").count()


def ask_for_approval(ops):
    r = ops.runner
    r.invoke(FEE, as_=ops.SAM, channel_id="C_SUPPORT")
    sent = r.press("Confirm", as_=ops.SAM)
    (post,) = sent.reply.posts
    return sent, post.reply.button_ids()["Approve"]


# ---- confirmed changes ---------------------------------------------------------------------------

def test_applied_then_timed_out_is_unknown_and_confirm_again_settles_it_once(lying):
    r = lying.runner
    preview = r.invoke("change-email acct_1002 new@example.org", as_=lying.SAM)
    lie("timeout")
    unclear = r.press("Confirm", as_=lying.SAM)
    assert "not known yet whether it was made" in unclear.text and "Nothing was changed" not in unclear.text
    assert unclear.reply.checking
    assert [e.outcome for e in unclear.audit] == ["attempted", "unknown"]
    assert DemoAccount.get_by_id("acct_1002").email == "new@example.org" and email_changes() == 1
    run = CommandRun.get(CommandRun.key.startswith("action:"))
    assert run.state == "unknown" and run.next_check_at is not None
    assert PendingAction.get(PendingAction.kind == "confirm").state == "running"

    again = r.press("Confirm", as_=lying.SAM, result=preview)
    assert "Checked again with the payments system" in again.text and "new@example.org" in again.text
    assert [e.outcome for e in again.audit] == ["attempted", "executed"]
    assert "calling again (same request)" in again.audit[0].detail and "resumed after an unclear answer" in \
        again.audit[-1].detail
    assert email_changes() == 1  # the same idempotency key: applied once
    assert CommandRun.get_by_id(run.id).state == "done"
    assert PendingAction.get(PendingAction.kind == "confirm").state == "done"
    assert outcomes(preview.reply.correlation_id) == ["previewed", "attempted", "unknown", "attempted", "executed"]
    assert "already done" in r.press("Confirm", as_=lying.SAM, result=preview).text


def test_a_process_killed_mid_call_is_resumed_by_the_sweep_after_its_lease(lying):
    r = lying.runner
    preview = r.invoke("change-email acct_1002 kill@example.org", as_=lying.SAM)
    lie("crash")
    with pytest.raises(Crash):  # nothing after the call runs, as with kill -9
        r.press("Confirm", as_=lying.SAM)
    assert email_changes() == 1
    assert outcomes(preview.reply.correlation_id) == ["previewed", "attempted"]  # what is known, no more
    assert reconcile.sweep(r.router, now=r.clock()).due == 0  # the lease still runs
    r.clock.advance(seconds=61)
    report = reconcile.sweep(r.router, now=r.clock())
    assert report.resumed == 1
    assert outcomes(preview.reply.correlation_id) == ["previewed", "attempted", "attempted", "executed"]
    assert email_changes() == 1 and DemoAccount.get_by_id("acct_1002").email == "kill@example.org"
    assert PendingAction.get(PendingAction.kind == "confirm").state == "done"
    assert lying_backend.state["lookups"] == 2  # preview + first confirm: the resume replayed the lookup


def test_only_the_requester_may_press_confirm_even_to_resume_a_stopped_run(lying):
    r = lying.runner
    preview = r.invoke("change-email acct_1002 mine@example.org", as_=lying.SAM)
    lie("crash")
    with pytest.raises(Crash):
        r.press("Confirm", as_=lying.SAM)
    r.clock.advance(seconds=61)  # the lease ran out: a press would resume it
    stranger = r.press("Confirm", as_=lying.LEE, result=preview)
    assert stranger.is_error and "only the person who asked" in stranger.text
    assert outcomes(preview.reply.correlation_id)[-1] == "denied"
    assert CommandRun.get(CommandRun.key.startswith("action:")).state == "running"  # not taken by the stranger
    mine = r.press("Confirm", as_=lying.SAM, result=preview)
    assert "mine@example.org" in mine.text and email_changes() == 1


def test_a_confirm_run_stopped_under_its_old_key_still_resumes_by_a_press(lying):
    """Runs begun before the confirm buttons became an ordinary action kind are keyed ``confirm:<token>``."""
    r = lying.runner
    preview = r.invoke("change-email acct_1002 old@example.org", as_=lying.SAM)
    lie("crash")
    with pytest.raises(Crash):
        r.press("Confirm", as_=lying.SAM)
    run = CommandRun.get(CommandRun.key.startswith("action:"))
    CommandRun.update(key="confirm:" + run.key.split(":", 1)[1]).where(CommandRun.id == run.id).execute()
    r.clock.advance(seconds=61)
    resumed = r.press("Confirm", as_=lying.SAM, result=preview)
    assert "old@example.org" in resumed.text and email_changes() == 1
    assert CommandRun.get_by_id(run.id).state == "done"
    assert PendingAction.get(PendingAction.kind == "confirm").state == "done"


def test_a_refusal_is_failed_and_the_confirm_button_works_again(lying):
    r = lying.runner
    preview = r.invoke("change-email acct_1002 no@example.org", as_=lying.SAM)
    lie("refuse")
    refused = r.press("Confirm", as_=lying.SAM)
    assert refused.is_error and "ledger is closed" in refused.text
    assert [e.outcome for e in refused.audit] == ["attempted", "failed"]
    assert email_changes() == 0
    assert CommandRun.get(CommandRun.key.startswith("action:")).state == "failed"
    done = r.press("Confirm", as_=lying.SAM, result=preview)
    assert [e.outcome for e in done.audit] == ["attempted", "executed"] and email_changes() == 1


def test_a_redelivered_request_resumes_instead_of_running_twice(lying):
    group = CommandGroup("durable-direct")

    @group.command(category=Category.INTERNAL_TASK, mutates=True)
    def direct_email(ctx: Context, account: str, email: str) -> str:
        """Change an e-mail without a preview."""
        before = load_backend(ctx.settings).account(account)
        updated = load_backend(ctx.settings).change_email(account, email, change=ChangeRequest.of(ctx))
        return f"{before.email} → {updated.email}"

    from tests.ops.conftest import cast
    from tests.durable.conftest import BACKEND
    from tests.ops.conftest import ops_settings
    ops = cast(lying.runner.__class__(group, settings=ops_settings(CHATOPS_BACKEND=BACKEND), clock=lying.runner.clock))
    r = ops.runner
    try:
        lie("500")
        first = r.invoke("direct-email acct_1002 re@example.org", as_=ops.SAM, idempotency_key="slack:trigger:1")
        assert "HTTP 500" in first.text and "not known yet" in first.text
        again = r.invoke("direct-email acct_1002 re@example.org", as_=ops.SAM, idempotency_key="slack:trigger:1")
        assert "bob@example.org → re@example.org" in again.text and "Checked again" in again.text
        third = r.invoke("direct-email acct_1002 re@example.org", as_=ops.SAM, idempotency_key="slack:trigger:1")
        assert third.reply.replayed and third.outcome == "duplicate"
        assert email_changes() == 1
        assert outcomes(first.reply.correlation_id) == ["attempted", "unknown", "attempted", "executed", "duplicate"]
    finally:
        r.close()


# ---- approvals --------------------------------------------------------------------------------

def test_an_approved_change_whose_answer_was_lost_completes_on_the_next_approve(lying):
    r = lying.runner
    sent, approve = ask_for_approval(lying)
    lie("timeout")
    unclear = r.press(approve, as_=lying.LEE)
    assert "not known yet" in unclear.text
    assert [e.outcome for e in unclear.audit] == ["approved", "attempted", "unknown"]
    assert DemoSeller.get_by_id("sel_2001").fee_bps == 0 and fee_removals() == 1
    approval = PendingAction.get(PendingAction.kind == "approval")
    assert approval.state == "approved"
    # Expiry never tells the requester "nothing was changed" about an approved request.
    r.clock.advance(minutes=45)
    assert expire_requests(now=r.clock()).expired == 0
    assert not OutboundMessage.select().where(OutboundMessage.reply.contains("expired")).exists()
    # Reject is refused; Approve again (anyone) settles it with the same request, no pre-check.
    assert "being checked" in r.press(approval.token + ".reject", as_=lying.LIV).text
    done = r.press(approve, as_=lying.LIV)
    assert "Checked again with the payments system" in done.text and "now pays 0% (was 3%)" in done.text
    assert "already pays no fee" not in done.text
    assert fee_removals() == 1
    assert outcomes(sent.reply.correlation_id)[-4:] == ["unknown", "refused", "attempted", "executed"]
    told = [Reply.from_dict(m.reply).plain_text() for m in OutboundMessage.select()
            .where(OutboundMessage.channel_id == "C_SUPPORT")]
    assert any("is done (confirmed after a check)" in t for t in told)


def test_a_stuck_approval_after_a_crash_is_completed_by_the_sweep(lying):
    r = lying.runner
    sent, approve = ask_for_approval(lying)
    lie("crash")
    with pytest.raises(Crash):
        r.press(approve, as_=lying.LEE)
    assert outcomes(sent.reply.correlation_id)[-2:] == ["approved", "attempted"]
    r.clock.advance(seconds=90)
    assert reconcile.sweep(r.router, now=r.clock()).resumed == 1
    assert outcomes(sent.reply.correlation_id)[-2:] == ["attempted", "executed"]
    assert fee_removals() == 1 and DemoSeller.get_by_id("sel_2001").fee_bps == 0
    executed = AuditEvent.get(AuditEvent.outcome == "executed")
    assert executed.actor.startswith("slack:U_SAM") and "approved by slack:U_LEE" in executed.detail


def test_a_requester_of_an_approval_that_fails_for_good_is_told(lying):
    r = lying.runner
    sent, approve = ask_for_approval(lying)
    lie("refuse")
    refused = r.press(approve, as_=lying.LEE)
    assert refused.is_error and "ledger is closed" in refused.text
    assert [e.outcome for e in refused.audit] == ["approved", "attempted", "failed"]
    told = [Reply.from_dict(m.reply).plain_text() for m in OutboundMessage.select()
            .where(OutboundMessage.channel_id == "C_SUPPORT")]
    assert any("could not be done" in t and "ledger is closed" in t for t in told)
    assert fee_removals() == 0


# ---- when the journal and the handler disagree, checks run out, the database goes -----------------

def test_a_resume_that_diverges_settles_the_change_on_its_own(lying, monkeypatch):
    r = lying.runner
    r.invoke("change-email acct_1002 div@example.org", as_=lying.SAM)
    lie("timeout")
    r.press("Confirm", as_=lying.SAM)
    # The handler now makes other calls (its code changed in a deploy): replaying it is not safe.
    import chatops.ops.commands as ops_commands
    monkeypatch.setattr(ops_commands, "fetch_owned", lambda *a, **k: (_ for _ in ()).throw(AssertionError))
    original = ops_commands._backend

    def other_calls(ctx):
        backend = original(ctx)
        backend.seller("sel_2001")
        return backend

    monkeypatch.setattr(ops_commands, "_backend", other_calls)
    r.clock.advance(seconds=31)
    assert reconcile.sweep(r.router, now=r.clock()).resumed == 1
    run = CommandRun.get(CommandRun.key.startswith("action:"))
    assert run.state == "done" and "settled on its own" in run.detail
    last = AuditEvent.select().order_by(AuditEvent.seq.desc()).first()
    assert last.outcome == "executed" and "ops.change_email confirmed" in last.detail
    assert email_changes() == 1


def test_checks_stop_after_the_limit_and_say_a_person_must_look(make_runner):
    from tests.durable.conftest import BACKEND
    from tests.ops.conftest import cast, ops_settings
    ops = cast(make_runner(settings=ops_settings(CHATOPS_BACKEND=BACKEND, CHATOPS_RECONCILE_MAX_CHECKS="2")))
    r = ops.runner
    r.invoke("change-email acct_1002 stuck@example.org", as_=ops.SAM)
    lie("timeout", times=10)
    first = r.press("Confirm", as_=ops.SAM)
    assert first.reply.checking
    r.clock.advance(seconds=31)
    reconcile.sweep(r.router, now=r.clock())
    run = CommandRun.get(CommandRun.key.startswith("action:"))
    assert run.state == "unknown" and run.checks == 2 and run.next_check_at is None
    last = AuditEvent.select().order_by(AuditEvent.seq.desc()).first()
    assert last.outcome == "unknown" and "a person must check it" in last.detail
    r.clock.advance(hours=3)
    assert reconcile.sweep(r.router, now=r.clock()).due == 0
    assert email_changes() == 1  # re-sent twice, applied once


def test_the_database_failing_after_the_call_never_says_nothing_was_changed(lying, monkeypatch):
    r = lying.runner
    inv = dict(as_=lying.SAM, idempotency_key="slack:trigger:db")
    group_preview = r.invoke("change-email acct_1002 db@example.org", **inv)
    calls = {"n": 0}
    real_resume = Unit.resume

    def resume_fails_once(self):
        calls["n"] += 1
        if calls["n"] == 2:  # the first resume follows the account lookup, the second the change
            raise peewee.OperationalError("server closed the connection unexpectedly")
        return real_resume(self)

    monkeypatch.setattr(Unit, "resume", resume_fails_once)
    lost = r.press("Confirm", as_=lying.SAM, result=group_preview)
    assert "stopped answering after the change was sent to the payments system" in lost.text
    assert "Nothing was changed" not in lost.text
    assert lost.outcome == "unknown"
    monkeypatch.setattr(Unit, "resume", real_resume)
    assert ExternalCall.get(ExternalCall.mutating == True).state == "attempted"  # noqa: E712
    r.clock.advance(seconds=61)
    assert reconcile.sweep(r.router, now=r.clock()).resumed == 1
    assert AuditEvent.select().order_by(AuditEvent.seq.desc()).first().outcome == "executed"
    assert email_changes() == 1


def test_audit_events_are_spooled_while_the_database_is_down_and_added_later(make_runner, monkeypatch, tmp_path):
    from tests.ops.conftest import cast, ops_settings
    settings = ops_settings(CHATOPS_AUDIT_SPOOL=str(tmp_path / "spool.jsonl"))
    ops = cast(make_runner(settings=settings))
    r = ops.runner
    import chatops.router as router_module

    def down(**event):
        raise peewee.OperationalError("could not connect to server")

    monkeypatch.setattr(router_module.audit, "record", down)
    reply = r.router.handle_action("not-a-token.confirm", r.invocation("", as_=ops.SAM))
    assert "not valid any more" in reply.plain_text()
    monkeypatch.undo()
    assert spool.pending(settings) == 1
    assert spool.flush(settings) == 1 and spool.pending(settings) == 0
    event = AuditEvent.select().order_by(AuditEvent.seq.desc()).first()
    assert event.outcome == "refused" and event.actor.startswith("slack:U_SAM")
    assert event.correlation_id == reply.correlation_id
    assert spool.flush(settings) == 0


def test_no_lock_is_held_while_a_backend_answers(lying):
    """A slow lookup on SQLite (one writer) does not stop another command from writing meanwhile."""
    r = lying.runner
    lying_backend.release.clear()
    results = {}

    def slow():
        results["slow"] = r.router.handle(r.invocation("remove-seller-fee sel_2001 goodwill after outage",
                                                      as_=lying.SAM))

    thread = threading.Thread(target=slow)
    thread.start()
    assert lying_backend.hold.wait(5)  # the lookup is under way
    params = dict(r.db.connect_params)
    if isinstance(r.db, peewee.SqliteDatabase):
        params["timeout"] = 0.5  # a held write lock makes this fail fast instead of waiting
    other = type(r.db)(r.db.database, **params)
    try:
        with other.atomic():  # a write transaction on another connection: must not wait for the lookup
            other.execute_sql("UPDATE tier SET name = name")
    finally:
        other.close()
    ping = r.invoke("ping", as_=lying.SAM)
    assert ping.outcome == "allowed"
    lying_backend.release.set()
    thread.join(10)
    assert "Approval" in results["slow"].plain_text()


def test_purge_keeps_what_an_open_run_needs_and_drops_finished_work(lying):
    from chatops import work
    from chatops.maintenance import purge
    from chatops.models import IdempotencyRecord, WorkItem

    r = lying.runner
    r.invoke("change-email acct_1002 keep@example.org", as_=lying.SAM)
    lie("timeout")
    r.press("Confirm", as_=lying.SAM)  # an unknown outcome: its button must survive a purge
    r.invoke("ping", as_=lying.SAM, idempotency_key="slack:trigger:old")
    item = work.accept("slack", "slack:trigger:done", {}, now=r.clock()).item
    work.complete(item, now=r.clock())
    r.clock.advance(days=40)
    report = purge(now=r.clock(), keep_days=30)
    assert report.work_items == 1 and WorkItem.select().count() == 0
    assert report.runs >= 1  # the preview's finished run
    open_run = CommandRun.get(CommandRun.key.startswith("action:"))
    assert open_run.state == "unknown"
    assert PendingAction.get_or_none(PendingAction.token == open_run.key.split(":", 1)[1]) is not None
    assert ExternalCall.select().where(ExternalCall.run == open_run.id).count() == 2
    assert IdempotencyRecord.get_or_none(IdempotencyRecord.key == "slack:trigger:old") is None


def test_a_run_whose_arguments_no_longer_fit_is_settled_on_its_own(lying, monkeypatch):
    """A deploy changed the command's parameters: the stopped run is not replayed, its change is settled alone."""
    r = lying.runner
    r.invoke("change-email acct_1002 fit@example.org", as_=lying.SAM)
    lie("timeout")
    r.press("Confirm", as_=lying.SAM)
    run = CommandRun.get(CommandRun.key.startswith("action:"))
    context = dict(run.context)
    context["arguments"] = {**context["arguments"], "new_email": "not an address"}
    CommandRun.update(context=context).where(CommandRun.id == run.id).execute()
    r.clock.advance(seconds=31)
    assert reconcile.sweep(r.router, now=r.clock()).resumed == 1
    row = CommandRun.get_by_id(run.id)
    assert row.state == "done" and "no longer fit" in row.detail
    assert AuditEvent.select().order_by(AuditEvent.seq.desc()).first().outcome == "executed"
    assert email_changes() == 1


def test_a_run_that_stopped_before_any_change_and_cannot_be_replayed_says_so(lying, monkeypatch):
    from chatops.models import IdempotencyRecord

    r = lying.runner
    import chatops.ops.commands as ops_commands
    from chatops.ops.backend import Journaled

    def crash(ctx):  # the process "dies" during the lookup
        backend = Journaled(ctx.backend.raw)
        raise_at = backend.seller

        def seller(*a, **k):
            raise_at(*a, **k)
            raise Crash("killed")
        backend.__dict__["seller"] = seller
        return backend

    monkeypatch.setattr(ops_commands, "_backend", crash)
    with pytest.raises(Crash):
        r.router.handle(r.invocation("remove-seller-fee sel_2001 goodwill after outage", as_=lying.SAM,
                                     idempotency_key="slack:trigger:stop"))
    monkeypatch.undo()
    run = CommandRun.get(CommandRun.key == "slack:trigger:stop")
    assert run.state == "running"
    context = dict(run.context)
    context["arguments"] = {"seller": "x"}  # no longer fits (reason missing)
    CommandRun.update(context=context).where(CommandRun.id == run.id).execute()
    r.clock.advance(seconds=61)
    reconcile.sweep(r.router, now=r.clock())
    last = AuditEvent.select().order_by(AuditEvent.seq.desc()).first()
    assert last.outcome == "failed" and "no change had been sent" in last.detail
    assert IdempotencyRecord.get_or_none(IdempotencyRecord.key == "slack:trigger:stop") is None  # may run again
    assert fee_removals() == 0
