"""Tasks that change data: preview → confirm, validation, ownership, idempotency, one correlation id,
and the change committing with its audit event or not at all."""
from __future__ import annotations

import pytest

from chatops.commands import Category, CommandGroup
from chatops.context import Context
from chatops.models import AuditEvent
from chatops.ops.backend import ChangeRequest, load_backend
from chatops.ops.demo_backend import DemoAccount, DemoEvent
from chatops.ops.models import OpsPolicy


def email_of(account_id: str) -> str:
    return DemoAccount.get_by_id(account_id).email


def test_change_email_previews_then_changes_on_confirm(ops):
    r = ops.runner
    preview = r.invoke("change-email acct_1002 bob.new@example.org", as_=ops.SAM)
    assert preview.outcome == "previewed"
    assert "bob@example.org → bob.new@example.org" in preview.text
    assert set(preview.buttons) == {"Confirm", "Cancel"}
    assert email_of("acct_1002") == "bob@example.org"  # nothing yet
    done = r.press("Confirm", as_=ops.SAM)
    assert done.outcome == "executed" and "now bob.new@example.org" in done.text
    assert email_of("acct_1002") == "bob.new@example.org"
    assert DemoAccount.get_by_id("acct_1002").email_verified is False
    cids = {e.correlation_id for e in AuditEvent.select().where(AuditEvent.command == "change-email")}
    assert cids == {preview.reply.correlation_id}  # request, preview and execution share one id
    assert "b***@example.org" in done.audit[-1].arguments  # the address is masked in the audit trail


def test_cancel_changes_nothing_and_only_the_requester_can_confirm(ops):
    r = ops.runner
    preview = r.invoke("change-email acct_1002 bob.new@example.org", as_=ops.SAM)
    other = r.press("Confirm", as_=ops.SUE, result=preview)
    assert other.outcome == "denied" and email_of("acct_1002") == "bob@example.org"
    cancelled = r.press("Cancel", as_=ops.SAM, result=preview)
    assert cancelled.outcome == "cancelled"
    again = r.press("Confirm", as_=ops.SAM, result=preview)
    assert again.is_error and email_of("acct_1002") == "bob@example.org"


@pytest.mark.parametrize("text,message", [
    ("change-email acct_1002 not-an-email", "`not-an-email` is not a valid e-mail address"),
    ("change-email acct_1002 bob@example.org", "already uses that e-mail address"),
    ("change-email 1002 bob@example.org", "account ids look like `acct_1001`"),
    ("change-email acct_1002 cora@example.com", "Another account already uses that e-mail address"),
    ("change-email acct_9999 x@example.com", "There is no account `acct_9999`"),
    ("remove-seller-fee sel_2008 because charity", "already pays no fee"),
    ("remove-seller-fee sel_2001", "`reason` is missing"),
    ("unlock-account acct_1002", "`reason` is required for `unlock-account` by policy"),
    ("unlock-account acct_1002 ok", "at least 8 characters"),
    ("unlock-account acct_1001 customer called in", "is not locked"),
    ("resend-verification acct_1001", "already verified"),
])
def test_validation_messages(ops, text, message):
    result = ops.runner.invoke(text, as_=ops.SAM)
    if result.outcome == "previewed":  # checks that need the backend run on the confirmed run
        result = ops.runner.press("Confirm", as_=ops.SAM)
    assert result.is_error and message in result.text
    assert result.outcome in ("invalid", "failed")


def test_customer_changes_only_their_own_email(ops):
    r = ops.runner
    assert r.invoke("change-email acct_1002 mine@example.com", as_=ops.CORA).outcome == "denied"
    assert r.invoke("change-email acct_1001 cora.new@example.com", as_=ops.CORA).outcome == "previewed"
    assert r.press("Confirm", as_=ops.CORA).outcome == "executed"
    assert email_of("acct_1001") == "cora.new@example.com"
    denied = r.invoke("change-email acct_1001 x@example.com", as_=ops.MAX)  # not a customer at all
    assert denied.outcome == "denied" and "customer" in denied.text


@pytest.mark.parametrize("text,who", [
    ("remove-seller-fee sel_2001 loyal seller since 2019", "CORA"),
    ("unlock-account acct_1002 verified on the phone", "CORA"),
    ("unlock-account acct_1002 verified on the phone", "MAX"),
    ("resend-verification acct_1003", "CORA"),
    ("resend-verification acct_1003", "MAX"),
])
def test_task_permission_matrix_denials(ops, text, who):
    result = ops.runner.invoke(text, as_=getattr(ops, who))
    assert result.outcome == "denied" and "You can't do that" in result.text


def test_unlock_account(ops):
    r = ops.runner
    preview = r.invoke("unlock-account acct_1002 verified the customer by phone", as_=ops.SAM)
    assert "locked (failed logins)" in preview.text and "→ active" in preview.text
    done = r.press("Confirm", as_=ops.SAM)
    assert done.outcome == "executed" and DemoAccount.get_by_id("acct_1002").status == "active"
    assert DemoEvent.get(DemoEvent.label == "Account unlocked").detail.endswith("verified the customer by phone")


def test_resend_verification_for_own_unverified_account(ops):
    from chatops.models import Person
    from chatops.ops.ownership import link
    link(Person.get(Person.name == "Cora Customer"), "acct_1003")
    r = ops.runner
    assert r.invoke("resend-verification acct_1003", as_=ops.CORA).outcome == "previewed"
    done = r.press("Confirm", as_=ops.CORA)
    assert done.outcome == "executed" and "new verification e-mail went to uma@example.net" in done.text
    assert DemoAccount.get_by_id("acct_1003").verification_sent_at == r.clock()


def test_policy_row_can_require_a_reason_for_any_command(ops):
    OpsPolicy.create(command="change-email", reason_required=True)
    r = ops.runner
    missing = r.invoke("change-email acct_1002 b2@example.org", as_=ops.SAM)
    assert missing.outcome == "invalid" and "required for `change-email` by policy" in missing.text
    ok = r.invoke("change-email acct_1002 b2@example.org customer lost access to old inbox", as_=ops.SAM)
    assert ok.outcome == "previewed" and "customer lost access to old inbox" in ok.text


def test_idempotency_replays_the_first_outcome_and_refuses_other_arguments(ops):
    r = ops.runner
    first = r.invoke("change-email acct_1002 b3@example.org", as_=ops.SAM, idempotency_key="slack:trig:1")
    again = r.invoke("change-email acct_1002 b3@example.org", as_=ops.SAM, idempotency_key="slack:trig:1")
    assert again.reply.replayed and again.outcome == "duplicate"
    assert again.buttons == first.buttons  # the same preview, not a second one
    assert again.reply.correlation_id == first.reply.correlation_id
    other = r.invoke("change-email acct_1002 evil@example.org", as_=ops.SAM, idempotency_key="slack:trig:1")
    assert other.is_error and "already used for a different request" in other.text
    assert r.press("Confirm", as_=ops.SAM, result=first).outcome == "executed"
    assert email_of("acct_1002") == "b3@example.org"
    lookups = [r.invoke("batch-status B-1042", as_=ops.SAM, idempotency_key="slack:trig:2") for _ in range(2)]
    assert lookups[1].reply.replayed and lookups[0].text == lookups[1].text


def test_a_handler_failing_after_the_change_says_the_change_was_made(make_runner):
    """The backend made the change, then the handler crashed: neither the user nor the audit trail is told
    "nothing changed" (the backend's change is not ours to roll back)."""
    group = CommandGroup("ops-tx-test")

    @group.command(category=Category.INTERNAL_TASK, mutates=True)
    def email_then_crash(ctx: Context, account: str) -> str:
        """Change an e-mail, then fail."""
        load_backend(ctx.settings).change_email(account, "crash@example.com", change=ChangeRequest.of(ctx))
        raise RuntimeError("boom after the write")

    from tests.ops.conftest import cast
    ops = cast(make_runner(group))
    result = ops.runner.invoke("email-then-crash acct_1002", as_=ops.SAM)
    assert email_of("acct_1002") == "crash@example.com"
    assert "The change was made in the payments system" in result.text and "don't run it again" in result.text
    assert [e.outcome for e in result.audit] == ["attempted", "executed"]
    assert "ops.change_email done; then RuntimeError: boom after the write" in result.audit[-1].detail
    assert not AuditEvent.select().where(AuditEvent.outcome == "failed").exists()


def test_database_writes_before_a_backend_call_are_refused_and_rolled_back(make_runner):
    """No transaction may stay open while a backend answers: a handler that writes first is told so loudly."""
    from chatops.models import Tier

    group = CommandGroup("ops-order-test")

    @group.command(category=Category.INTERNAL_TASK, mutates=True)
    def write_then_call(ctx: Context, account: str) -> str:
        """Write, then call the backend."""
        Tier.create(slug="written-first", name="Written first")
        load_backend(ctx.settings).change_email(account, "order@example.com", change=ChangeRequest.of(ctx))
        return "done"

    from tests.ops.conftest import cast
    ops = cast(make_runner(group))
    result = ops.runner.invoke("write-then-call acct_1002", as_=ops.SAM)
    assert "Sorry, something went wrong" in result.text
    assert result.outcome == "failed" and "after the handler wrote to the database" in result.audit[-1].detail
    assert email_of("acct_1002") == "bob@example.org"  # the call was never made
    assert not Tier.select().where(Tier.slug == "written-first").exists()  # the write was rolled back
