"""Typed test commands shared by the core tests (a CommandGroup like any plugin's)."""
from __future__ import annotations

import enum
from typing import Annotated, Literal

from chatops import Buttons, Category, CommandGroup, Context, Email, FreeText, Reply, Secret, UserRef, has_role
from chatops.context import ActionPress
from chatops.errors import NotFound, PermissionDenied
from chatops.models import Person


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


group = CommandGroup("sample")
CALLS: list[tuple[str, dict]] = []  # handler executions, reset by the tests that read it


@group.command(category=Category.SUPPORT)
def echo(ctx: Context, word: str, count: int = 1, loud: bool = False) -> Reply:
    """Echo a word.

    Args:
        word: the word to echo
        count: how many times
        loud: shout it
    """
    text = " ".join([word.upper() if loud else word] * count)
    return Reply.text(text)


@group.command(category=Category.SUPPORT)
def typed(ctx: Context, n: int, ratio: float, flag: bool, color: Color, size: Literal["s", "m", "l"],
          email: Email, who: UserRef, note: str | None = None) -> Reply:
    """Convert every type."""
    return Reply.text(f"{n}|{ratio}|{flag}|{color.value}|{size}|{email}|{who}|{note}")


@group.command(category=Category.SUPPORT)
def say(ctx: Context, target: str, message: FreeText) -> Reply:
    """Say a free-text message to a target."""
    return Reply.text(f"[{target}] {message}")


@group.command(category=Category.INTERNAL_TASK, mutates=True)
def login(ctx: Context, user: str, password: str, pin: Annotated[str, Secret], email: Email) -> Reply:
    """Store credentials (to test masking)."""
    return Reply.text("stored")


@group.command(category=Category.INTERNAL_TASK, mutates=True)
def make_person(ctx: Context, name: str, then_fail: bool = False) -> Reply:
    """Create a Person row, then optionally crash.

    Args:
        name: the person's name
        then_fail: raise after writing
    """
    CALLS.append(("make-person", {"name": name}))
    Person.create(name=name)
    if then_fail:
        raise RuntimeError("boom: secret internals")
    return Reply.text(f"made {name}")


@group.command(category=Category.INTERNAL_TASK, mutates=True, policy=has_role("support", "admin"))
def rename(ctx: Context, old: str, new: str) -> Reply:
    """Rename a person, after a preview."""
    person = Person.get_or_none(Person.name == old)
    if person is None:
        raise NotFound(f"No person called {old}.")
    ctx.confirm(f"Rename {old} to {new}", changes=[("name", old, new)])
    CALLS.append(("rename", {"old": old, "new": new}))
    person.name = new
    person.save()
    return Reply.text(f"renamed {old} to {new}")


@group.command(category=Category.SUPPORT)
def fail_user(ctx: Context) -> Reply:
    """Raise a user error."""
    raise NotFound("Nothing here.", hint="Try something else.")


@group.command(category=Category.SUPPORT)
def open_thing(ctx: Context, title: FreeText) -> Reply:
    """Open a thing with a Claim button."""
    handle = ctx.new_action("thing", {"title": str(title)})
    return Reply.of(f"Opened {title}", Buttons((handle.button("Claim", "claim", "primary"),
                                                 handle.button("Close", "close"))))


@group.action("thing", "claim", "close")
def thing_button(press: ActionPress) -> Reply:
    if press.verb == "close" and "admin" not in press.actor.roles:
        raise PermissionDenied("only admins close things", "Ask an admin.")
    CALLS.append((f"thing:{press.verb}", press.payload))
    press.finish("done")
    press.outcome = "claimed" if press.verb == "claim" else "closed"
    return Reply.text(f"{press.verb}ed {press.payload['title']} by {press.actor.person.name}")


@group.command(category=Category.INTERNAL_TASK, policy=has_role("admin"))
def secret_cmd(ctx: Context) -> Reply:
    """An admin-only command."""
    return Reply.text("classified")
