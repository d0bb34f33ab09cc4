"""Registry: names, aliases, suggestions, freezing; Command.schema() introspection."""
from __future__ import annotations

import pytest

from chatops import Category, CommandGroup, Context, Email, FreeText, Reply, staff
from chatops.errors import RegistryError
from chatops.commands import Registry
from chatops.plugins import build_registry, discover
from chatops.router import Router

from tests.core.sample import group as sample


def _group(name="g", **options):
    g = CommandGroup(name)

    @g.command(**options)
    def change_email(ctx: Context, account: str, new_email: Email, reason: FreeText | None = None) -> Reply:
        """Change the e-mail address of an account.

        Longer body text.

        Args:
            account: the account id, like acct_1
            new_email (Email): the new address
                that continues here
            reason: why
        """
    return g


def test_duplicate_name_across_groups_is_refused():
    reg = Registry()
    reg.include(_group("a"))
    with pytest.raises(RegistryError, match="'change-email' from group b is already taken by a"):
        reg.include(_group("b"), source="group b")


def test_alias_lookup_and_alias_clash():
    reg = Registry()
    reg.include(_group("a", aliases=("ce",)))
    assert reg.get("ce").name == "change-email"
    assert reg.get("CHANGE-EMAIL").name == "change-email"
    assert "ce" in reg and "nope" not in reg
    g = CommandGroup("b")

    @g.command(aliases=("change-email",))
    def other(ctx: Context) -> None:
        """Other."""
    with pytest.raises(RegistryError, match="already taken"):
        reg.include(g)


def test_suggest_near_misses():
    reg = Registry()
    reg.include(_group("a", aliases=("ce",)))
    reg.include(sample)
    assert reg.suggest("change-emial")[0] == "change-email"
    assert "echo" in reg.suggest("ehco")
    assert "make-person" in reg.suggest("make")
    assert reg.suggest("zzzzzz") == []


def test_freeze_after_router_is_created():
    reg = Registry()
    reg.include(_group("a"))
    Router(reg)
    assert reg.frozen
    with pytest.raises(RegistryError, match="frozen because the app has started.*entry point"):
        reg.include(sample)


def test_action_handlers_are_frozen_too():
    reg = Registry()
    Router(reg)
    g = CommandGroup("acts")

    @g.action("widget", "poke")
    def poke(press):
        return "poked"
    with pytest.raises(RegistryError, match="frozen"):
        reg.include(g)


def test_action_kind_rules():
    g = CommandGroup("acts")
    with pytest.raises(TypeError, match="reserved"):
        g.action("confirm", "x")
    with pytest.raises(TypeError, match="at least one verb"):
        g.action("widget")
    with pytest.raises(TypeError, match="verb"):
        g.action("widget", "Bad Verb")(lambda press: None)
    g.action("widget", "poke")(lambda press: None)
    with pytest.raises(TypeError, match="handled twice"):
        g.action("widget", "poke")(lambda press: None)
    reg = Registry()
    reg.include(g)
    other = CommandGroup("other")
    other.action("widget", "poke")(lambda press: None)
    with pytest.raises(RegistryError, match="already handled"):
        reg.include(other)


def test_schema_introspection():
    cmd = next(iter(_group(category=Category.INTERNAL_TASK, mutates=True, policy=staff)))
    schema = cmd.schema()
    assert schema["name"] == "change-email"
    assert schema["summary"] == "Change the e-mail address of an account."
    assert "Longer body text." in schema["help"] and "Args" not in schema["help"]
    assert schema["category"] == "internal_task"
    assert schema["mutates"] is True
    assert schema["policy"] == "a staff role"
    assert schema["usage"] == "change-email ACCOUNT NEW_EMAIL [REASON…]"
    params = {p["name"]: p for p in schema["params"]}
    assert list(params) == ["account", "new-email", "reason"]
    assert params["account"] == {"name": "account", "python_name": "account", "type": "text", "choices": [],
                                 "required": True, "default": None, "help": "the account id, like acct_1",
                                 "free_text": False, "secret": False, "keyword_only": False}
    assert params["new-email"]["type"] == "email"
    assert params["new-email"]["help"] == "the new address that continues here"
    assert params["reason"]["required"] is False and params["reason"]["free_text"] is True
    assert cmd.context_param == "ctx"
    assert cmd.usage_hint == "ACCOUNT NEW_EMAIL [REASON…]"


def test_schema_choices_and_defaults():
    cmds = {c.name: c for c in sample}
    params = {p["name"]: p for p in cmds["typed"].schema()["params"]}
    assert params["color"]["choices"] == ["red", "green"] and params["color"]["type"] == "choice"
    assert params["size"]["choices"] == ["s", "m", "l"]
    assert params["flag"]["type"] == "yes|no"
    assert params["who"]["type"] == "user"
    assert params["note"]["required"] is False
    echo = {p["name"]: p for p in cmds["echo"].schema()["params"]}
    assert echo["count"]["default"] == 1 and echo["count"]["help"] == "how many times"
    login = {p["name"]: p for p in cmds["login"].schema()["params"]}
    assert login["pin"]["secret"] is True and login["password"]["secret"] is False


def test_builtins_register_through_the_entry_point():
    names = dict(discover())
    assert "builtin" in names
    reg = build_registry()
    assert {"help", "whoami", "ping"} <= {c.name for c in reg}
    assert "help" not in {c.name for c in build_registry(frozenset({"builtin"}))}
    assert [c.name for c in reg] == sorted(c.name for c in reg)
    assert len(reg.schema()) == len(reg)
