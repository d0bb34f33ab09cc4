"""The router as a whole, through chatops.testing: errors, idempotency, confirm, buttons, builtins."""
from __future__ import annotations

import logging
import threading

import peewee
import pytest

from chatops import CommandGroup, Context, Invocation, Reply, messages
from chatops.models import AuditEvent, CommandPolicy, IdempotencyRecord, PendingAction, Person, PersonRole, Role
from chatops.testing import ChatOpsRunner

from tests.core import sample
from tests.core.sample import group


@pytest.fixture
def r(make_runner):
    sample.CALLS.clear()
    runner = make_runner(group)
    runner.tier("general", rank=0)
    runner.tier("internal", rank=100)
    runner.person("Ana", roles=["admin"], identities=["slack:UANA"])
    runner.person("Sam", roles=["support"], identities=["slack:USAM"])
    runner.person("Cora", roles=["customer"], identities=["slack:UCORA"])
    return runner


def persons(name):
    return Person.select().where(Person.name == name).count()


# ---- unknown commands and user errors ------------------------------------------------

def test_unknown_command_suggests(r):
    result = r.invoke("ehco hi")
    assert result.is_error and result.reply.ephemeral
    assert "There is no command called `ehco`." in result.text
    assert "Did you mean `echo`" in result.text
    assert result.outcome == "invalid" and result.audit[0].command == "ehco"


def test_unknown_command_without_suggestion_points_to_help(r):
    assert "Type `help`" in r.invoke("qqqqqqq").text


def test_user_error_is_an_ephemeral_error_reply(r):
    result = r.invoke("fail-user")
    assert result.reply.ephemeral and result.is_error
    assert result.text == "Nothing here.\nTry something else."
    assert result.outcome == "invalid"
    assert result.reply.correlation_id == result.audit[0].correlation_id


def test_usage_error_through_the_router(r):
    result = r.invoke("echo")
    assert result.text == "`word` is missing.\nUsage: `echo WORD [COUNT] [{yes|no}]`"
    assert result.outcome == "invalid"
    assert "never closed" in r.invoke("echo 'oops").text


def test_successful_read_only_and_mutating_outcomes(r):
    ok = r.invoke("echo hi 2 loud=yes", as_="slack:UANA")
    assert ok.text == "HI HI" and not ok.is_error
    assert ok.outcome == "allowed"
    assert ok.audit[0].arguments == '{"count": 2, "loud": true, "word": "hi"}'
    made = r.invoke("make-person Zed")
    assert made.text == "made Zed" and made.outcome == "executed"
    assert persons("Zed") == 1


def test_structured_invocation_uses_the_same_converters(r):
    result = r.invoke(command="echo", arguments=(("word", "yo"), ("count", "3")))
    assert result.text == "yo yo yo"
    bad = r.invoke(command="echo", arguments=(("word", "yo"), ("count", "x")))
    assert "`count` must be a whole number" in bad.text and bad.outcome == "invalid"
    unknown = r.invoke(command="echo", arguments=(("word", "yo"), ("colour", "x")))
    assert "`colour=` is not an argument of `echo`" in unknown.text


# ---- the one error boundary ------------------------------------------------------

def test_unexpected_exception_apologises_logs_and_rolls_back(r, caplog):
    caplog.set_level(logging.ERROR, logger="chatops.router")
    result = r.invoke("make-person Ghost then-fail=yes", as_="slack:UANA")
    cid = result.reply.correlation_id
    assert cid and f"`{cid}`" in result.text
    assert result.text.startswith("Sorry, something went wrong on our side.")
    for leak in ("Traceback", "RuntimeError", "boom", "secret internals", "File \""):
        assert leak not in result.text
    assert result.is_error and result.reply.ephemeral
    assert persons("Ghost") == 0  # the handler's write was rolled back
    assert sample.CALLS == [("make-person", {"name": "Ghost"})]  # it did run
    assert [(e.outcome, e.correlation_id) for e in result.audit] == [("failed", cid)]
    assert "RuntimeError: boom" in result.audit[0].detail
    logged = [rec for rec in caplog.records if cid in rec.getMessage()]
    assert logged and logged[0].exc_info and logged[0].exc_info[0] is RuntimeError


def test_database_error_says_briefly_unavailable(make_runner):
    g = CommandGroup("dbfail")

    @g.command()
    def flaky(ctx: Context) -> Reply:
        """Fail like a lost connection."""
        Person.create(name="half-done")
        raise peewee.OperationalError("server closed the connection unexpectedly")

    r = make_runner(g)
    result = r.invoke("flaky")
    assert "briefly unavailable" in result.text and "Nothing was changed" in result.text
    assert result.reply.correlation_id in result.text
    assert result.outcome == "failed"
    assert persons("half-done") == 0


def test_handler_returning_a_wrong_type_is_a_bug_not_a_crash(make_runner, caplog):
    g = CommandGroup("badreturn")

    @g.command()
    def odd(ctx: Context) -> Reply:
        """Return a number."""
        return 42

    result = make_runner(g).invoke("odd")
    assert "Sorry, something went wrong" in result.text and result.outcome == "failed"


# ---- idempotency -------------------------------------------------------------------

def test_same_key_twice_runs_once_and_replays(r):
    first = r.invoke("make-person Ida", idempotency_key="evt-1")
    second = r.invoke("make-person Ida", idempotency_key="evt-1")
    assert first.text == second.text == "made Ida"
    assert not first.reply.replayed and second.reply.replayed
    assert second.reply.correlation_id == first.reply.correlation_id
    assert second.outcome == "duplicate"
    assert persons("Ida") == 1 and len(sample.CALLS) == 1
    # extra whitespace is the same request
    assert r.invoke("make-person   Ida ", idempotency_key="evt-1").reply.replayed


def test_same_key_with_other_input_is_a_conflict(r):
    r.invoke("make-person Ida", idempotency_key="evt-2")
    other = r.invoke("make-person Bo", idempotency_key="evt-2")
    assert other.is_error and "already used for a different request" in other.text
    assert other.outcome == "invalid"
    assert persons("Bo") == 0
    other_user = r.invoke("make-person Ida", idempotency_key="evt-2", as_="slack:USAM")
    assert "already used for a different request" in other_user.text


def test_failed_request_does_not_burn_its_key(r):
    failed = r.invoke("make-person Ghost then-fail=yes", idempotency_key="evt-3")
    assert failed.outcome == "failed"
    assert IdempotencyRecord.select().where(IdempotencyRecord.key == "evt-3").count() == 0


def test_preview_with_key_replays_the_preview(r):
    first = r.invoke("rename Cora Kora", as_="slack:UANA", idempotency_key="evt-4")
    again = r.invoke("rename Cora Kora", as_="slack:UANA", idempotency_key="evt-4")
    assert again.reply.replayed and again.buttons == first.buttons
    assert PendingAction.select().count() == 1


def _deliver_concurrently(runner: ChatOpsRunner, n: int, make_inv) -> list[Reply]:
    barrier = threading.Barrier(n)
    replies: list = [None] * n

    def worker(i):
        try:
            barrier.wait(timeout=10)
            replies[i] = runner.router.handle(make_inv(i))
        finally:
            runner.db.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert all(not t.is_alive() for t in threads)
    return replies


def _check_one_execution(runner):
    replies = _deliver_concurrently(
        runner, 10, lambda i: runner.invocation("make-person Raced", as_="slack:UANA", idempotency_key="race-1"))
    assert persons("Raced") == 1
    assert sample.CALLS.count(("make-person", {"name": "Raced"})) == 1
    assert all(rep.plain_text() == "made Raced" for rep in replies), [rep.plain_text() for rep in replies]
    assert sum(not rep.replayed for rep in replies) == 1
    outcomes = [e.outcome for e in AuditEvent.select().order_by(AuditEvent.seq)]
    assert outcomes.count("executed") == 1 and outcomes.count("duplicate") == 9


def test_concurrent_duplicates_execute_once_sqlite(make_runner):
    sample.CALLS.clear()
    runner = make_runner(group, database_url="")  # always a SQLite file, even in the PostgreSQL run
    runner.person("Ana", roles=["admin"], identities=["slack:UANA"])
    _check_one_execution(runner)


@pytest.mark.postgres
def test_concurrent_duplicates_execute_once_postgres(make_runner, pg_url):
    sample.CALLS.clear()
    runner = make_runner(group, database_url=pg_url)
    runner.person("Ana", roles=["admin"], identities=["slack:UANA"])
    _check_one_execution(runner)


# ---- confirm / cancel ----------------------------------------------------------------

def test_preview_then_confirm_executes_once(r):
    preview = r.invoke("rename Cora Kora", as_="slack:UANA")
    assert preview.outcome == "previewed" and preview.reply.ephemeral
    assert "Rename Cora to Kora" in preview.text and "press Confirm" in preview.text
    assert "name  Cora → Kora" in preview.text
    assert set(preview.buttons) == {"Confirm", "Cancel"}
    assert sample.CALLS == [] and persons("Cora") == 1
    done = r.press("Confirm", as_="slack:UANA")
    assert done.text == "renamed Cora to Kora"
    assert done.outcome == "executed" and done.audit[0].detail == "confirmed"
    assert done.reply.correlation_id == preview.reply.correlation_id == done.audit[0].correlation_id
    assert persons("Kora") == 1 and sample.CALLS == [("rename", {"old": "Cora", "new": "Kora"})]
    again = r.press("Confirm", as_="slack:UANA", result=preview)
    assert again.is_error and "already done" in again.text and again.outcome == "refused"
    assert len(sample.CALLS) == 1
    cancel_late = r.press("Cancel", as_="slack:UANA", result=preview)
    assert "already done" in cancel_late.text


def test_cancel(r):
    preview = r.invoke("rename Cora Kora", as_="slack:UANA")
    cancelled = r.press("Cancel", as_="slack:UANA")
    assert cancelled.text == "Cancelled. Nothing was changed." and cancelled.outcome == "cancelled"
    assert "already cancelled" in r.press("Confirm", as_="slack:UANA", result=preview).text
    assert persons("Kora") == 0 and sample.CALLS == []


def test_someone_elses_press_is_denied(r):
    preview = r.invoke("rename Cora Kora", as_="slack:UANA")
    other = r.press("Confirm", as_="slack:USAM", result=preview)
    assert other.outcome == "denied"
    assert "only the person who asked (Ana)" in other.text
    assert sample.CALLS == []
    assert r.press("Confirm", as_="slack:UANA", result=preview).text == "renamed Cora to Kora"


def test_expired_confirmation(r, clock):
    preview = r.invoke("rename Cora Kora", as_="slack:UANA")
    clock.advance(minutes=15)
    clock.advance(seconds=1)
    expired = r.press("Confirm", as_="slack:UANA", result=preview)
    assert "expired" in expired.text and sample.CALLS == []


def test_confirm_just_before_expiry_works(r, clock):
    preview = r.invoke("rename Cora Kora", as_="slack:UANA")
    clock.advance(minutes=14, seconds=59)
    assert r.press("Confirm", as_="slack:UANA", result=preview).outcome == "executed"


def test_policy_rechecked_at_confirm_time(r):
    preview = r.invoke("rename Cora Kora", as_="slack:USAM")
    PersonRole.delete().where(PersonRole.role == Role.get(Role.slug == "support")).execute()
    pressed = r.press("Confirm", as_="slack:USAM", result=preview)
    assert pressed.outcome == "denied" and "support or admin role" in pressed.text
    assert sample.CALLS == [] and persons("Kora") == 0


def test_garbage_action_refs(r):
    for ref in ("", "nodot", "x" * 100 + ".confirm", "unknown-token.confirm"):
        result = r.press(ref, as_="slack:UANA")
        assert "not valid any more" in result.text, ref
    r.invoke("rename Cora Kora", as_="slack:UANA")
    token = r.last.buttons["Confirm"].rpartition(".")[0]
    assert "not valid any more" in r.press(f"{token}.explode", as_="slack:UANA").text


# ---- custom action kinds -------------------------------------------------------------

def test_custom_action_kind(r):
    opened = r.invoke("open-thing the printer is on fire", as_="slack:UCORA")
    assert opened.text.startswith("Opened the printer is on fire")
    action = PendingAction.get()
    assert action.kind == "thing" and action.command == "open-thing"
    assert opened.buttons["Claim"] == f"{action.token}.claim"
    claimed = r.press("Claim", as_="slack:USAM")
    assert claimed.text == "claimed the printer is on fire by Sam"
    assert claimed.outcome == "claimed" and claimed.audit[0].command == "open-thing:claim"
    assert claimed.reply.correlation_id == opened.reply.correlation_id
    assert sample.CALLS == [("thing:claim", {"title": "the printer is on fire"})]
    assert "already done" in r.press("Claim", as_="slack:USAM", result=opened).text
    assert len(sample.CALLS) == 1


def test_custom_action_permission_in_the_handler(r):
    opened = r.invoke("open-thing leak", as_="slack:UCORA")
    denied = r.press("Close", as_="slack:UCORA")
    assert denied.outcome == "denied" and "only admins close things" in denied.text
    assert PendingAction.get().state == "pending"  # the denied press changed nothing
    assert r.press("Close", as_="slack:UANA", result=opened).outcome == "closed"


def test_requester_only_verbs_are_refused_to_anyone_else_before_the_handler(make_runner):
    g = CommandGroup("mine")
    pressed = []

    @g.command()
    def offer(ctx: Context) -> Reply:
        """Offer a button only the asker may press."""
        h = ctx.new_action("keep", {})
        from chatops import Buttons
        return Reply.of("offer", Buttons((h.button("Take back", "withdraw"), h.button("Look", "look"))))

    @g.action("keep", "withdraw", requester_only=True)
    def withdraw(press):
        pressed.append(press.actor.person.name)
        press.finish("withdrawn")
        return "withdrawn"

    @g.action("keep", "look")
    def look(press):
        pressed.append(press.actor.person.name)
        return "looked"

    r = make_runner(g)
    r.person("Ana", roles=["member"], identities=["slack:UANA"])
    r.person("Bo", roles=["member"], identities=["slack:UBO"])
    offered = r.invoke("offer", as_="slack:UANA")
    refused = r.press("Take back", as_="slack:UBO")
    assert refused.outcome == "denied" and "only the person who asked (Ana) can withdraw this" in refused.text
    assert r.press("Look", as_="slack:UBO", result=offered).text == "looked"  # other verbs stay open
    assert pressed == ["Bo"] and PendingAction.get().state == "pending"
    assert r.press("Take back", as_="slack:UANA", result=offered).text == "withdrawn"
    assert pressed == ["Bo", "Ana"]


def test_a_preview_is_the_core_action_kind_confirm(r):
    """Confirm and Cancel are answered like any action kind: the registry's handler for ``confirm``."""
    assert {("confirm", "confirm"), ("confirm", "cancel")} <= set(r.router.registry.action_handlers)
    assert {("confirm", "confirm"), ("confirm", "cancel")} <= r.router.registry.requester_only


def test_custom_action_expiry(make_runner, clock):
    from datetime import timedelta

    g = CommandGroup("short")

    @g.command()
    def offer(ctx: Context) -> Reply:
        """Offer a short-lived button."""
        h = ctx.new_action("offer", {}, ttl=timedelta(minutes=5))
        from chatops import Buttons
        return Reply.of("offer", Buttons((h.button("Take", "take"),)))

    @g.action("offer", "take")
    def take(press):
        return "taken"

    r = make_runner(g)
    first = r.invoke("offer")
    assert r.press("Take", result=first).text == "taken"
    second = r.invoke("offer")
    clock.advance(minutes=6)
    assert "expired" in r.press("Take", result=second).text


# ---- builtins -------------------------------------------------------------------------

def test_help_lists_only_what_the_asker_may_run(r):
    cora = r.invoke("help", as_="slack:UCORA").text
    ana = r.invoke("help", as_="slack:UANA").text
    assert "`echo WORD" in cora and "`secret-cmd` — An admin-only command." in ana
    assert "secret-cmd" not in cora and "rename" not in cora
    assert "rename" in ana
    CommandPolicy.create(command="echo", enabled=False)
    assert "`echo" not in r.invoke("help", as_="slack:UANA").text


def test_help_for_one_command(r):
    text = r.invoke("help echo").text
    assert "*echo* — Echo a word." in text and "Usage: `echo WORD [COUNT] [{yes|no}]`" in text
    assert "count (optional)" in text and "how many times" in text
    assert "preview and confirm" in r.invoke("help rename", as_="slack:UANA").text
    hidden = r.invoke("help secret-cmd", as_="slack:UCORA")
    assert hidden.is_error and "no command `secret-cmd` that you can run" in hidden.text


def test_whoami(r):
    r.tier("premium", rank=10, first_response_minutes=240)
    r.community("maker", tier="premium", slack_team="TMAKER")
    r.person("Pat", roles=["member"], identities=["slack:UPAT"])
    text = r.invoke("whoami", as_="slack:UPAT", community_id="TMAKER").text
    assert "Pat" in text and "slack:UPAT" in text and "Maker" in text
    assert "Premium (rank 10)" in text and "member" in text and "240 min" in text
    stranger = r.invoke("whoami", as_="discord:999").text
    assert "none (not linked to a community)" in stranger and "General (rank 0)" in stranger


def test_ping_uses_the_injected_clock(r, clock):
    assert r.invoke("ping").text == "pong (2026-01-05 09:00:00 UTC)"
    clock.advance(hours=1)
    assert r.invoke("/ping").text == "pong (2026-01-05 10:00:00 UTC)"
    assert r.last.audit[0].created_at == clock()


def test_free_text_tail_keeps_curly_quotes_verbatim(r):
    # BUG (reported): parser.normalise() straightens curly quotes across the whole line, so the
    # free-text tail is altered (and an apostrophe ’ then counts as an unbalanced quote).
    assert r.invoke("say bob she said “hi” ‘twice’").text == "[bob] she said “hi” ‘twice’"
    assert r.invoke("say bob it’s late").text == "[bob] it’s late"


def test_a_button_reference_that_cannot_be_ours_is_refused_before_the_database(r):
    """Hypothesis found `\\x00.0`: PostgreSQL refuses NUL in a query, which answered with an apology."""
    for ref in ("\x00.0", "tok\x00en.claim", "tok.CLAIM", "t" * 65 + ".claim", "tok.", ".claim"):
        result = r.press(ref, as_="slack:UCORA")
        assert result.is_error and result.exception is None, ref
        assert messages.ACTION_UNKNOWN in result.text, (ref, result.text)
