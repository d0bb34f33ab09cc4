"""Every optional part, discovered through entry points: nothing is a hand-kept list of module paths.

    # a plugin's pyproject.toml
    [project.entry-points."chatops.commands"]
    billing = "acme_chatops.billing:commands"     # a CommandGroup

The groups (all declared in this project's pyproject.toml for the parts it ships):

| group | what each entry point is | who reads it |
|---|---|---|
| ``chatops.commands`` | a ``CommandGroup`` (or a module holding exactly one) | :func:`build_registry` |
| ``chatops.seeders`` | ``seed(echo)``: demo data | ``chatops demo`` |
| ``chatops.cli`` | a click command or group: ``chatops NAME`` | ``chatops.cli`` |
| ``chatops.web`` | ``init_app(flask_app, chatops_app)``: a mount in the web app | ``adapters.web`` |
| ``chatops.admin_views`` | ``add_views(admin)``: admin panel views for a part's tables | ``admin.panel`` |
| ``chatops.run_hooks`` | ``start(app) -> handle | None`` (``handle.stop()``): started by ``chatops run`` | ``adapters.serve`` |
| ``chatops.worker_hooks`` | ``start(app) -> handle | None``: started by ``chatops worker`` | ``chatops.cli`` |
| ``chatops.backends`` | an ops backend class (``CHATOPS_BACKEND=name``) | ``chatops.ops.backend`` |

The built-in parts register the same way. A command plugin that fails to load stops start-up with a
message naming it; nothing is installed at run time.
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


def entry_points_of(group: str) -> list:
    """The entry points of ``group``, sorted by name (loaded by the caller, when it needs them)."""
    return sorted(entry_points(group=group), key=lambda e: e.name)


def load_all(group: str) -> list[tuple[str, object]]:
    """(name, loaded object) for every entry point of ``group``; one that fails to load is an error naming it."""
    found = []
    for ep in entry_points_of(group):
        try:
            found.append((ep.name, ep.load()))
        except Exception as exc:
            raise RegistryError(f"{group} entry point {ep.name!r} ({ep.value}) failed to load: {exc}") from exc
    return found


def load_one(group: str, name: str) -> object | None:
    """The entry point ``name`` of ``group``, loaded; None when there is none."""
    for ep in entry_points_of(group):
        if ep.name == name:
            try:
                return ep.load()
            except Exception as exc:
                raise RegistryError(f"{group} entry point {name!r} ({ep.value}) failed to load: {exc}") from exc
    return None
