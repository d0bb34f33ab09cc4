"""The public harness chatops.testing, and the shared fixtures in tests/conftest.py."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from chatops import Buttons, Fields, Reply, Text
from chatops.models import AuditEvent, Identity, Membership, Person, PersonRole
from chatops.reply import Button
from chatops.testing import ChatOpsRunner, FrozenClock, Result

from tests.conftest import LOCAL_POSTGRES, resolve_pg_url, skip_or_fail
from tests.core.sample import group


def test_frozen_clock():
    clock = FrozenClock(datetime(2026, 3, 1, tzinfo=timezone.utc))
    assert clock() == datetime(2026, 3, 1, tzinfo=timezone.utc)
    assert clock.advance(minutes=90) == datetime(2026, 3, 1, 1, 30, tzinfo=timezone.utc)
    assert clock() == clock.now


def test_result_properties():
    reply = Reply((Text("hello"), Fields((("a", "1"),)), Buttons((Button("Go", "tok.go", "primary"),))))
    events = [AuditEvent(outcome="previewed"), AuditEvent(outcome="executed")]
    result = Result(reply, events)
    assert result.text.splitlines() == ["hello", "  a  1", "  [Go: tok.go]"]
    assert result.buttons == {"Go": "tok.go"}
    assert result.outcome == "executed"
    assert not result.is_error
    assert Result(Reply.text("no", style="error")).is_error
    assert Result(Reply()).outcome is None


def test_runner_data_helpers(runner):
    runner.tier("premium", rank=10)
    maker = runner.community("maker", tier="premium", slack_team="T1", discord_guild="G1")
    assert maker.tier.slug == "premium" and maker.permitted
    assert runner.community("maker").id == maker.id  # get-or-create
    ana = runner.person("Ana", roles=["support", "member"], identities=["slack:U1", "discord:9"],
                        communities=["maker"])
    assert {i.platform + ":" + i.user_id for i in Identity.select().where(Identity.person == ana)} == {
        "slack:U1", "discord:9"}
    assert PersonRole.select().where(PersonRole.person == ana).count() == 2
    assert runner.role("support").is_staff and not runner.role("member").is_staff
    assert Membership.get(Membership.person == ana).community_id == maker.id


def test_invoke_collects_only_this_invocations_audit(runner):
    first = runner.invoke("ping")
    second = runner.invoke("whoami", as_="slack:U5")
    assert [e.command for e in first.audit] == ["ping"]
    assert [e.command for e in second.audit] == ["whoami"] and second.outcome == "allowed"
    assert runner.last is second


def test_press_by_label_and_by_reference(make_runner):
    r = make_runner(group)
    r.person("Ana", roles=["admin"], identities=["slack:UANA"])
    Person.create(name="Cora")
    preview = r.invoke("rename Cora Kora", as_="slack:UANA")
    assert r.press("Cancel", as_="slack:UANA").outcome == "cancelled"  # label on the last reply
    r.invoke("rename Cora Kora", as_="slack:UANA")
    ref = r.last.buttons["Confirm"]
    assert r.press(ref, as_="slack:UANA").outcome == "executed"  # the raw action reference
    assert "already cancelled" in r.press("Confirm", as_="slack:UANA", result=preview).text


def test_each_runner_has_its_own_database(make_runner):
    one = make_runner()
    one.person("Only-in-one")
    two = make_runner()
    assert Person.select().where(Person.name == "Only-in-one").count() == 0
    assert two.db is not one.db


def test_runner_fixture_shares_the_clock(runner, clock):
    clock.advance(days=1)
    assert runner.invoke("ping").text == "pong (2026-01-06 09:00:00 UTC)"


def test_runner_context_manager_closes():
    with ChatOpsRunner() as r:
        assert r.invoke("ping").outcome == "allowed"
    assert r.db.is_closed()


# ---- tests/conftest.py's PostgreSQL resolution ------------------------------------------

def test_pg_url_prefers_the_configured_postgres_url():
    url = "postgresql://postgres@127.0.0.1:5432/mine"
    assert resolve_pg_url({"CHATOPS_TEST_DATABASE_URL": url}, lambda u: True) == (url, "")


def test_pg_url_falls_back_to_the_local_server():
    assert resolve_pg_url({"CHATOPS_TEST_DATABASE_URL": "sqlite:///x.db"}, lambda u: True) == (LOCAL_POSTGRES, "")
    assert resolve_pg_url({}, lambda u: u == LOCAL_POSTGRES) == (LOCAL_POSTGRES, "")


def test_pg_url_none_when_nothing_answers():
    url, reason = resolve_pg_url({}, lambda u: False)
    assert url is None and LOCAL_POSTGRES in reason


def test_missing_postgres_skips_locally_and_fails_in_ci():
    with pytest.raises(pytest.skip.Exception):
        skip_or_fail("no server", {})
    with pytest.raises(pytest.fail.Exception, match="PostgreSQL is required in CI: no server"):
        skip_or_fail("no server", {"CI": "true"})


from chatops import CommandGroup, Context  # noqa: E402 - the commands below are for the next test
from chatops.errors import UserError  # noqa: E402

failing = CommandGroup("failing")


@failing.command()
def boom(ctx: Context) -> Reply:
    """Fails inside."""
    raise KeyError("the missing key")


@failing.command()
def picky(ctx: Context) -> Reply:
    """A user error."""
    raise UserError("not like that")


def test_result_exception_is_what_the_boundary_caught(make_runner):
    r = make_runner(failing)
    failed = r.invoke("boom")
    assert isinstance(failed.exception, KeyError) and "the missing key" in str(failed.exception)
    assert failed.is_error and failed.outcome == "failed"
    assert r.invoke("picky").exception is None            # a user error is an answer, not an exception
    assert r.invoke("ping").exception is None
    assert r.router.on_error is None                       # the harness put the router back as it was


def test_a_runner_keeps_its_audit_spool_out_of_the_working_directory(make_runner, tmp_path):
    from pathlib import Path

    from chatops import spool
    from chatops.settings import Settings

    r = make_runner()
    where = spool.path(r.app.settings)
    assert where.parent != Path.cwd() and where.parent.exists()
    spool.append(r.app.settings, {"correlation_id": "c1", "actor": "x", "command": "ping", "outcome": "failed"})
    assert where.exists() and spool.flush(r.app.settings) == 1
    mine = tmp_path / "mine.jsonl"
    own = make_runner(settings=Settings.from_env({"CHATOPS_AUDIT_SPOOL": str(mine)}))
    assert spool.path(own.app.settings) == mine  # a spool you set is kept
