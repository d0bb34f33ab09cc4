"""The decisions every platform follows, made once in the core: which first answers are private, when a
form opens, and who may run a command (asked before a form is shown)."""
from __future__ import annotations

from chatops import Category, CommandGroup, Context, FreeText, Reply, staff
from chatops.identity import resolve
from chatops.invocation import Invocation

group = CommandGroup("platform-rules")


@group.command(category=Category.META)
def rules_meta(ctx: Context) -> Reply:
    """A meta command that answers publicly by itself."""
    return Reply.text("meta")


@group.command(category=Category.INTERNAL_TASK, mutates=True)
def rules_change(ctx: Context, target: str) -> Reply:
    """A change without a preview."""
    return Reply.text(f"changed {target}")


@group.command(category=Category.SUPPORT)
def rules_ask(ctx: Context, topic: str | None = None, text: FreeText | None = None) -> Reply:
    """Free text, nothing required."""
    return Reply.text("asked")


@group.command(category=Category.SUPPORT, policy=staff)
def rules_staff(ctx: Context, a: str, b: str, c: str, d: str, e: str, f: str) -> Reply:
    """Six required arguments, staff only."""
    return Reply.text("ok")


def test_private_first_is_meta_or_changing(make_runner):
    r = make_runner(group)
    reg = r.app.registry
    assert reg.get("rules-meta").private_first and reg.get("rules-change").private_first
    assert reg.get("whoami").private_first and reg.get("ping").private_first
    assert not reg.get("rules-ask").private_first


def test_the_router_keeps_a_private_first_answer_private_on_every_platform(make_runner):
    r = make_runner(group)
    r.person("Sam", roles=["support"], identities=["slack:U1"])
    assert r.invoke("rules-meta", as_="slack:U1").reply.ephemeral
    assert r.invoke("rules-change x", as_="slack:U1").reply.ephemeral
    assert not r.invoke("rules-ask hello", as_="slack:U1").reply.ephemeral


def test_form_fields(make_runner):
    reg = make_runner(group).app.registry
    ask, staff_only, change = reg.get("rules-ask"), reg.get("rules-staff"), reg.get("rules-change")
    assert [p.name for p in ask.form_fields({})] == ["topic", "text"]  # nothing given to free text: the form
    assert ask.form_fields({"text": "hi"}) == []                         # something given: run it
    assert [p.name for p in change.form_fields({})] == ["target"]        # a required argument missing
    assert change.form_fields({"target": "  "}) != []                    # blank counts as missing
    assert change.form_fields({"target": "x"}) == []
    assert len(staff_only.form_fields({})) == 6                           # no limit (Slack)
    assert staff_only.form_fields({}, limit=5) is None                    # over Discord's five inputs
    assert [p.name for p in staff_only.form_fields({"a": "1", "b": "2"}, limit=5)] == ["c", "d", "e", "f"]


def test_allows_and_may_run_are_the_policy_with_stored_overrides(make_runner):
    from chatops.models import CommandPolicy

    r = make_runner(group)
    r.person("Sam", roles=["support"], identities=["slack:U1"])
    r.person("Cora", roles=["customer"], identities=["slack:U2"])
    cmd = r.app.registry.get("rules-staff")
    sam = Invocation(platform="slack", user_id="U1")
    cora = Invocation(platform="slack", user_id="U2")
    assert r.router.may_run(cmd, sam) and not r.router.may_run(cmd, cora)
    CommandPolicy.create(command="rules-staff", roles="customer")
    assert r.router.may_run(cmd, cora) and not r.router.may_run(cmd, sam)
    assert not r.router.allows(None, resolve(cora, r.app.settings))  # no such command: nobody may


def test_one_taxonomy_command_categories_are_the_ticket_types_plus_support_and_meta():
    from chatops import TicketType
    from chatops.support.classify import TYPES

    assert [c.value for c in Category] == [t.value for t in TicketType] + ["support", "meta"]
    assert TYPES == tuple(t.value for t in TicketType)
    assert Category("external_dev_problem").label == TicketType.EXTERNAL_DEV_PROBLEM.label == "external dev problem"


def test_a_forms_title_is_declared_or_the_summarys_first_clause_cut_at_a_word():
    import pytest

    from chatops.commands import build_command

    def ask(ctx: Context, text: FreeText | None = None) -> Reply:
        """Ask for help: you get a self-serve answer or a ticket, routed by your community and tier."""

    def long_one(ctx: Context) -> Reply:
        """Remove the seller fee of one seller after checking the payout schedule."""

    def short(ctx: Context) -> Reply:
        """Ping."""

    assert build_command(ask).form_title(45) == "Ask for help"
    assert build_command(ask, title="Get help").form_title(24) == "Get help"
    assert build_command(long_one).form_title(24) == "Remove the seller fee …"
    assert len(build_command(long_one).form_title(45)) <= 45 and not build_command(long_one).form_title(45)[-2].isalpha()
    assert build_command(short, name="ping-it").form_title(24) == "Ping"
    with pytest.raises(TypeError, match="at most 24"):
        build_command(ask, title="A title far too long for a Slack modal")


def test_a_private_command_is_private_first_and_an_undeclared_private_answer_is_warned_about(make_runner, caplog):
    from chatops import Category, CommandGroup, Context, Reply
    from chatops.commands import build_command

    def diagnose(ctx: Context) -> Reply:
        """Diagnose my payment."""
        return Reply.text("yours only", ephemeral=True)

    assert build_command(diagnose, category=Category.SUPPORT, private=True).private_first
    assert not build_command(diagnose, category=Category.SUPPORT).private_first

    g = CommandGroup("undeclared")
    g.add_command(diagnose, name="diagnose-undeclared", category=Category.SUPPORT)
    r = make_runner(g)
    r.invoke("diagnose-undeclared")
    r.invoke("diagnose-undeclared")
    warned = [m for m in caplog.messages if "diagnose-undeclared answered privately" in m]
    assert len(warned) == 1 and "private=True" in warned[0]


def test_the_shipped_read_only_commands_that_answer_privately_are_declared_private(runner):
    registry = runner.router.registry
    for name in ("payment-status", "card-decline", "batch-status", "disbursement-status", "support", "ticket",
                 "ticket-transfer", "support-digest", "oncall", "cred"):
        assert registry.get(name).private_first, name


def test_my_shows_your_tickets_your_approval_requests_and_what_you_may_run(make_runner):
    from chatops.settings import Settings
    from tests.ops.conftest import cast, ops_settings
    from tests.ops.test_approvals import request_approval

    ops = cast(make_runner(settings=ops_settings()))
    r = ops.runner
    asked = r.invoke("support the widget explodes on init in our staging app", as_=ops.CORA, channel_id="C_SUPPORT")
    if "I still need help" in asked.buttons:  # a self-serve offer first
        r.press("I still need help", as_=ops.CORA)
    cora = r.invoke("my", as_=ops.CORA)
    assert cora.reply.ephemeral and "*Your tickets*" in cora.text and "the widget explodes" in cora.text
    assert "`support`" in cora.text and "`remove-seller-fee`" not in cora.text  # only what Cora may run
    assert "Tickets you hold" not in cora.text and "approval" not in cora.text.lower()
    assert "*Your accounts*" in cora.text and "`acct_1001`" in cora.text  # her own ids, for the self-serve commands
    request_approval(ops)
    sam = r.invoke("my", as_=ops.SAM)
    assert "*Your approval requests*" in sam.text and "Remove the seller fee of sel_2001" in sam.text
    lee = r.invoke("my", as_=ops.LEE)
    assert "1 request(s) in the approvals channel" in lee.text  # Lee may approve Sam's request

    off = make_runner(settings=Settings.from_env({"CHATOPS_DISABLED_PLUGINS": "support"}))
    off.person("Ana", roles=["member"], identities=["slack:UANA"])
    assert "Your tickets" not in off.invoke("my", as_="slack:UANA").text
