"""A service chatops depends on failing (the ops backend down, approvals not set up) is a
ServiceUnavailable, not a user error and not a bug: the user reads the service's own sentence with a
reference, the audit says ``failed`` (or what was done before it failed), and a changing call that
failed this way is ``unknown`` unless the raiser knows the request never took effect."""
from __future__ import annotations

import pytest

from chatops import Category, CommandGroup, Context, Reply, ServiceUnavailable, UserError, effects
from chatops.errors import DatabaseUnavailable
from chatops.models import CommandRun
from chatops.ops.approvals import ApprovalsNotSetUp
from chatops.ops.backend import BackendMalformed, BackendNotFound, BackendRejected, BackendUnavailable

svc = CommandGroup("svc")
DOWN = "The ledger can't be reached; nothing was changed."


def _raise(exc: BaseException):
    def fn():
        raise exc
    return fn


@svc.command(category=Category.SUPPORT)
def ledger_read(ctx: Context) -> Reply:
    """Read the ledger (which is down)."""
    effects.call("ledger.read", _raise(BackendUnavailable(DOWN, hint="Try again in a few minutes.")), system="the ledger")
    return Reply.text("read")


@svc.command(category=Category.INTERNAL_TASK, mutates=True)
def ledger_refused(ctx: Context) -> Reply:
    """A change the ledger never received (connection refused)."""
    effects.call("ledger.write", _raise(BackendUnavailable(DOWN)), mutating=True, idempotency_key="k1",
                 system="the ledger")
    return Reply.text("written")


@svc.command(category=Category.INTERNAL_TASK, mutates=True)
def ledger_unclear(ctx: Context) -> Reply:
    """A change whose service failed without saying whether it applied it."""
    effects.call("ledger.write", _raise(ServiceUnavailable("The ledger went away.")), mutating=True,
                 idempotency_key="k2", system="the ledger")
    return Reply.text("written")


@svc.command(category=Category.INTERNAL_TASK, mutates=True)
def ledger_half(ctx: Context) -> Reply:
    """Two changes: the first goes through, then the service fails (nothing sent for the second)."""
    effects.call("ledger.first", lambda: "ok", mutating=True, idempotency_key="k3", system="the ledger")
    effects.call("ledger.second", _raise(BackendUnavailable(DOWN)), mutating=True, idempotency_key="k4",
                 system="the ledger")
    return Reply.text("both")


@pytest.fixture
def r(make_runner):
    return make_runner(svc)


def test_the_kinds_say_whose_failure_it_is():
    for exc in (BackendUnavailable("x"), BackendMalformed("x"), ApprovalsNotSetUp("x"), DatabaseUnavailable("x")):
        assert isinstance(exc, ServiceUnavailable) and not isinstance(exc, UserError), exc
    for exc in (BackendRejected("no"), BackendNotFound("account", "a1")):
        assert isinstance(exc, UserError) and not isinstance(exc, ServiceUnavailable), exc
    assert ServiceUnavailable().message  # a sentence even when the raiser gave none
    assert effects.outcome_unknown(ServiceUnavailable("x"))  # the safe reading
    assert not effects.outcome_unknown(BackendUnavailable("x"))
    assert effects.outcome_unknown(BackendUnavailable("x", outcome_unknown=True))
    assert not effects.outcome_unknown(ApprovalsNotSetUp("x"))


def test_a_down_backend_is_answered_in_its_own_words_with_a_reference(r):
    res = r.invoke("ledger-read")
    assert res.is_error and "Sorry, something went wrong" not in res.text
    assert DOWN in res.text and "Try again in a few minutes." in res.text
    assert f"Reference `{res.reply.correlation_id}`" in res.text
    assert res.outcome == "failed" and DOWN in res.audit[-1].detail
    assert isinstance(res.exception, BackendUnavailable)  # the boundary told the harness (and the log)


def test_a_change_the_backend_never_received_fails_and_is_not_checked_again(r):
    res = r.invoke("ledger-refused")
    assert res.is_error and DOWN in res.text and res.outcome == "failed"
    run = CommandRun.get(CommandRun.command == "ledger-refused")
    assert run.state == "failed" and run.next_check_at is None


def test_a_service_failure_that_does_not_know_leaves_the_change_unknown(r):
    res = r.invoke("ledger-unclear")
    assert res.outcome == "unknown" and "Nothing was changed" not in res.text
    assert CommandRun.get(CommandRun.command == "ledger-unclear").state == "unknown"


def test_a_failure_after_a_change_went_through_says_the_change_was_made(r):
    res = r.invoke("ledger-half")
    assert res.outcome == "executed" and "ledger.first done" in res.audit[-1].detail
    assert "ledger.first done in the ledger" in res.text and DOWN in res.text
