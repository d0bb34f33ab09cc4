"""The composition root: settings → database → registry (plugins) → router.

    app = App.from_env()            # reads CHATOPS_* settings
    reply = app.router.handle(Invocation(platform="console", user_id="local", text="help"))

Adapters (Slack, Discord, console, the web panel) take an App and translate.
"""
from __future__ import annotations

import logging

import peewee

from chatops.commands import CommandGroup, Registry
from chatops.db import connect, database
from chatops.invocation import utcnow
from chatops.plugins import build_registry
from chatops.router import Clock, Router
from chatops.settings import Settings


class App:
    def __init__(self, settings: Settings | None = None, *, db: peewee.Database | None = None,
                 registry: Registry | None = None, extra_groups: tuple[CommandGroup, ...] = (),
                 clock: Clock = utcnow) -> None:
        self.settings = settings or Settings.from_env()
        self.db = db or connect(self.settings.database_url, sqlite_synchronous=self.settings.sqlite_synchronous)
        database.initialize(self.db)
        self.registry = registry or build_registry(self.settings.disabled_plugins, extra_groups)
        self.router = Router(self.registry, self.settings, clock=clock)

    @classmethod
    def from_env(cls, **kwargs) -> "App":
        settings = Settings.from_env()
        logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        for noisy in ("peewee_migrate", "chatops.migrations"):
            logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))
        return cls(settings, **kwargs)
