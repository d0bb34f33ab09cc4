"""Property: whatever text arrives, the router answers with a Reply and only typed user errors."""
from __future__ import annotations

import enum
import json
from typing import Annotated, Literal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatops import CommandGroup, Context, Email, FreeText, Reply, Secret, UserRef, has_role
from chatops import parser
from chatops.audit import MASK
from chatops.builtin import commands as builtin_commands
from chatops.errors import UsageError
from chatops.reply import Reply as ReplyType
from chatops.testing import ChatOpsRunner, FrozenClock


class Mode(enum.Enum):
    FAST = "fast"
    SAFE = "safe"


prop = CommandGroup("prop")


@prop.command()
def scalar(ctx: Context, n: int, x: float = 0.0, on: bool = False, mode: Mode = Mode.FAST) -> Reply:
    """Scalars."""
    return Reply.text(f"{n} {x} {on} {mode.value}")


@prop.command(mutates=True)
def contact(ctx: Context, who: UserRef, email: Email, size: Literal["s", "m"] | None = None,
            token: Annotated[str | None, Secret] = None) -> Reply:
    """Refs and e-mail."""
    return Reply.text(f"{who} {email} {size}")


@prop.command(aliases=("t",))
def tell(ctx: Context, target: str, message: FreeText) -> Reply:
    """Free text."""
    return Reply.text(f"{target}: {message}")


@prop.command(mutates=True)
def guarded(ctx: Context, note: str | None = None) -> Reply:
    """Preview first."""
    ctx.confirm("Do it", changes=[("note", "", note)])
    return Reply.text("done")


@prop.command(policy=has_role("admin"))
def locked(ctx: Context, n: int) -> Reply:
    """Admins only."""
    return Reply.text("ok")


NAMES = ["scalar", "contact", "tell", "t", "guarded", "locked", "help", "whoami", "ping", "/scalar", "<@U0BOT>",
         "SCALAR", "scalr", "", "help=", "x" * 40]
ANY_CHAR = st.characters(exclude_categories=())  # includes lone surrogates and control characters
PIECES = st.one_of(
    st.text(ANY_CHAR, max_size=12),
    st.sampled_from(["'", '"', "“", "”", "‘", "’", "\\", "=", "n=", "who=", "email=", "=x", "\x00", "\n", "\t",
                     "<@U1|a>", "<@!123456>", "discord:1", "<mailto:a@b.co|a@b.co>", "a@b.co", "1", "-3.5",
                     "yes", "nan", "fast", "size=m", "token=s3cret", "note=", "message=hi", "\ud800", "\u202e"]),
)
COMMANDISH = st.builds(lambda name, parts, sep: name + sep + " ".join(parts),
                       st.sampled_from(NAMES), st.lists(PIECES, max_size=8), st.sampled_from([" ", "  ", "\t", ""]))
HUGE = st.builds(lambda head, chunk: head + chunk * (100_000 // len(chunk) + 1),  # ≥ 100 kB
                 st.sampled_from(["tell bob ", "scalar ", "", "'"]), st.text(ANY_CHAR, min_size=1, max_size=8))
VALID = ["contact <@U1|a> a@b.co", "contact discord:5 <mailto:x@y.org|x@y.org> m token=s3cret", "scalar 3 1.5 yes safe",
         "tell bob hi", "guarded", "guarded note=x", "ping", "locked 1", "/whoami"]
NEAR_VALID = st.builds(lambda base, extra: base + extra, st.sampled_from(VALID),
                       st.one_of(st.just(""), PIECES.map(lambda p: " " + p)))
TEXTS = st.one_of(st.text(ANY_CHAR, max_size=200), COMMANDISH, NEAR_VALID, HUGE)

OK_OUTCOMES = {"invalid", "refused", "denied", "allowed", "executed", "previewed"}


def test_router_answers_any_text_with_typed_errors_only():
    with ChatOpsRunner(prop, builtin_commands, builtins=False, clock=FrozenClock()) as r:
        r.tier("general")
        r.person("Ana", roles=["admin"], identities=["slack:UANA"])

        seen: set[str] = set()

        @settings(max_examples=200, deadline=None, derandomize=True,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
        @given(text=TEXTS, admin=st.booleans())
        def check(text, admin):
            result = r.invoke(text, as_="slack:UANA" if admin else "discord:42", community_id="T1")
            seen.update(e.outcome for e in result.audit)
            assert isinstance(result.reply, ReplyType)
            assert result.audit, "every invocation is audited"
            outcomes = {e.outcome for e in result.audit}
            assert outcomes <= OK_OUTCOMES, (outcomes, result.audit[-1].detail)
            assert "Traceback" not in result.text and "Sorry, something went wrong" not in result.text
            for e in result.audit:  # a Secret value never reaches the trail
                assert json.loads(e.arguments).get("token") in (None, MASK), e.arguments

        check()
        assert {"invalid", "denied", "allowed", "executed", "previewed"} <= seen, seen  # the property reached real handlers


def test_router_answers_any_structured_arguments():
    with ChatOpsRunner(prop, builtin_commands, builtins=False, clock=FrozenClock()) as r:
        @settings(max_examples=100, deadline=None, derandomize=True)
        @given(name=st.sampled_from(NAMES),
               args=st.lists(st.tuples(st.one_of(st.sampled_from(["n", "x", "who", "email", "message", "target"]),
                                                 st.text(ANY_CHAR, max_size=6)),
                                       st.text(ANY_CHAR, max_size=30)), max_size=4))
        def check(name, args):
            result = r.invoke(command=name, arguments=tuple(args))
            assert isinstance(result.reply, ReplyType)
            assert {e.outcome for e in result.audit} <= OK_OUTCOMES, result.audit[-1].detail

        check()


def test_button_refs_from_anywhere_are_refused_politely():
    with ChatOpsRunner(prop, builtin_commands, builtins=False, clock=FrozenClock()) as r:
        @settings(max_examples=100, deadline=None, derandomize=True)
        @given(ref=st.one_of(st.text(ANY_CHAR, max_size=120), st.builds(lambda t: t + ".confirm", st.text(max_size=70))))
        def check(ref):
            result = r.press(ref)
            assert "not valid any more" in result.text
            assert {e.outcome for e in result.audit} <= {"invalid", "refused"}

        check()


@settings(max_examples=200, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(text=TEXTS)
def test_parser_raises_only_usage_errors(text):
    commands = {c.name: c for c in prop}
    try:
        name, rest = parser.split_command(text)
    except UsageError:
        return
    command = commands.get(name) or commands["tell"]
    try:
        values = parser.bind(command, rest, None)
    except UsageError:
        return
    assert set(values) == {p.name for p in command.params}
