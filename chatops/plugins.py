"""Command plugins, discovered once through the ``chatops.commands`` entry-point group.

    # a plugin's pyproject.toml
    [project.entry-points."chatops.commands"]
    billing = "acme_chatops.billing:commands"     # a CommandGroup

The built-in commands register the same way. A plugin that fails to load
stops start-up with a message naming it; nothing is installed at run time.
"""
from __future__ import annotations

import functools
from importlib.metadata import entry_points
from types import ModuleType

from chatops.commands import CommandGroup, Registry
from chatops.errors import RegistryError

GROUP = "chatops.commands"


@functools.cache
def discover(disabled: frozenset[str] = frozenset()) -> tuple[tuple[str, CommandGroup], ...]:
    """Load every entry point of the group except ``disabled`` ones, once per process."""
    found: list[tuple[str, CommandGroup]] = []
    for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        if ep.name in disabled:
            continue
        try:
            target = ep.load()
        except Exception as exc:
            raise RegistryError(f"plugin {ep.name!r} ({ep.value}) failed to load: {exc}") from exc
        found.append((ep.name, _as_group(ep.name, target)))
    return tuple(found)


def _as_group(name: str, target: object) -> CommandGroup:
    if isinstance(target, CommandGroup):
        return target
    if isinstance(target, ModuleType):
        groups = [v for v in vars(target).values() if isinstance(v, CommandGroup)]
        if len(groups) == 1:
            return groups[0]
    raise RegistryError(f"plugin {name!r} must point at a CommandGroup (or a module holding exactly one)")


def build_registry(disabled: frozenset[str] = frozenset(), extra: tuple[CommandGroup, ...] = ()) -> Registry:
    registry = Registry()
    for name, group in discover(frozenset(disabled)):
        registry.include(group, source=f"plugin {name!r}")
    for group in extra:
        registry.include(group, source=f"group {group.name!r}")
    return registry
