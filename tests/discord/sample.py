"""Commands the Discord tests run besides the registry's own: every option type, staff-only
commands (one with a form), a slow one, a mutating one with a preview, one with six required arguments."""
from __future__ import annotations

import enum
import threading
from typing import Literal

from chatops.commands import Category, CommandGroup
from chatops.context import ActionPress, Context
from chatops.converters import Email, FreeText, UserRef
from chatops.policy import staff
from chatops.reply import Buttons, Fields, Reply, Step, Text, Timeline

group = CommandGroup("discord-tests")
SLOW_GATE = threading.Event()
FLAGS: list[str] = []


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@group.command(category=Category.INTERNAL_TASK)
def typed(ctx: Context, count: int, loud: bool, colour: Colour, who: UserRef, ratio: float = 1.0,
          mode: Literal["fast", "slow"] = "fast", note: FreeText | None = None) -> Reply:
    """Echo typed options.

    Args:
        count: how many
        loud: shout or not
        colour: a colour
        who: someone
    """
    return Reply.of(Fields((("count", str(count + 1)), ("loud", str(loud)), ("colour", colour.value),
                            ("who", str(who)), ("ratio", str(ratio)), ("mode", mode), ("note", note or "-"))))


@group.command(category=Category.INTERNAL_TASK, policy=staff)
def staff_report(ctx: Context) -> Reply:
    """A report only staff may read."""
    return Reply.text("the staff report")


@group.command(category=Category.INTERNAL_TASK, policy=staff)
def staff_note(ctx: Context, text: FreeText) -> Reply:
    """A note only staff may leave (a staff-only form)."""
    return Reply.text(f"noted: {text}")


@group.command(category=Category.INTERNAL_OPS_PROBLEM)
def slow(ctx: Context) -> Reply:
    """Takes as long as the test wants."""
    if not SLOW_GATE.wait(10):
        return Reply.text("gave up waiting")
    return Reply.of(Timeline((Step("Started", at=ctx.now), Step("Finished", at=ctx.now)), title="Slow job"))


@group.command(category=Category.INTERNAL_TASK, mutates=True)
def set_flag(ctx: Context, name: str) -> Reply:
    """Set a flag (with a preview)."""
    ctx.confirm(f"Set flag {name}", changes=[("flag", "", name)])
    FLAGS.append(name)
    return Reply.text(f"Flag {name} set.", style="success")


@group.command(category=Category.INTERNAL_TASK)
def six(ctx: Context, a: str, b: str, c: str, d: str, e: str, f: str) -> Reply:
    """Six required arguments."""
    return Reply.text("".join((a, b, c, d, e, f)))


@group.command(category=Category.SUPPORT)
def contact(ctx: Context, email: Email, urgency: Literal["low", "high"], text: FreeText) -> Reply:
    """Leave a message for a call back (a form with a choice and a checked address)."""
    return Reply.text(f"We will write to {email} ({urgency}): {text}")


@group.command(category=Category.SUPPORT)
def flag_account(ctx: Context, account: str, reason: FreeText | None = None) -> Reply:
    """Flag an account (a required argument and an optional reason)."""
    return Reply.text(f"flagged {account}: {reason or 'no reason given'}")


@group.command(category=Category.SUPPORT)
def ask(ctx: Context, topic: str, text: FreeText) -> Reply:
    """Ask something (a free-text form)."""
    handle = ctx.new_action("question", {"topic": topic})
    return Reply.of(f"Asked about {topic}: {text}",
                    Buttons((handle.button("Claim", "claim", "primary"), handle.button("Close", "close"))))


@group.action("question", "claim", "close")
def question_button(press: ActionPress) -> Reply:
    if press.verb == "close":
        press.finish()
    return Reply.text(f"{press.verb} by {press.actor.person.name} on {press.payload['topic']}")
