"""Plugins through the `chatops.commands` entry-point group."""
from __future__ import annotations

import types
from dataclasses import dataclass
from typing import Any, Callable

import pytest

from chatops import CommandGroup, Context, Reply
from chatops import plugins
from chatops.errors import RegistryError

extra = CommandGroup("extra")


@extra.command()
def hello(ctx: Context) -> Reply:
    """Say hello."""
    return Reply.text("hello")


@dataclass
class FakeEntryPoint:
    name: str
    value: str
    loader: Callable[[], Any]

    def load(self):
        return self.loader()


def _boom():
    raise ImportError("No module named 'acme_broken'")


@pytest.fixture
def fake_entry_points(monkeypatch):
    def install(*eps):
        monkeypatch.setattr(plugins, "entry_points", lambda group: list(eps) if group == plugins.GROUP else [])
        plugins.discover.cache_clear()

    yield install
    plugins.discover.cache_clear()


def test_groups_and_modules_holding_one_group(fake_entry_points):
    module = types.ModuleType("acme_mod")
    module.commands = extra
    fake_entry_points(FakeEntryPoint("b", "acme_mod", lambda: module), FakeEntryPoint("a", "x:extra", lambda: extra))
    assert [name for name, _ in plugins.discover()] == ["a", "b"]


def test_a_plugin_that_fails_to_load_names_itself(fake_entry_points):
    fake_entry_points(FakeEntryPoint("broken", "acme_broken:commands", _boom))
    with pytest.raises(RegistryError, match="plugin 'broken' \\(acme_broken:commands\\) failed to load"):
        plugins.build_registry()


def test_a_plugin_must_point_at_a_group(fake_entry_points):
    fake_entry_points(FakeEntryPoint("odd", "acme:thing", lambda: object()))
    with pytest.raises(RegistryError, match="must point at a CommandGroup"):
        plugins.build_registry()


def test_disabled_plugins_are_left_out(fake_entry_points):
    fake_entry_points(FakeEntryPoint("extra", "x:extra", lambda: extra))
    assert "hello" in plugins.build_registry()
    assert "hello" not in plugins.build_registry(frozenset({"extra"}))


def test_a_disabled_plugin_is_not_even_loaded(fake_entry_points):
    # BUG (reported): discover() loads every entry point before the disabled set is applied, so
    # CHATOPS_DISABLED_PLUGINS cannot switch off a plugin that fails to import.
    fake_entry_points(FakeEntryPoint("broken", "acme_broken:commands", _boom),
                      FakeEntryPoint("extra", "x:extra", lambda: extra))
    registry = plugins.build_registry(frozenset({"broken"}))
    assert "hello" in registry
