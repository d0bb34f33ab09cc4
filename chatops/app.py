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
from chatops.ops.backend import build_backend
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
        self.backend = build_backend(self.settings)  # a bad CHATOPS_BACKEND stops start-up here
        self.router = Router(self.registry, self.settings, clock=clock, backend=self.backend)
        self._pool = None

    def work_pool(self, *, gate=None):
        """This process's worker pool for accepted work (chatops.workers); adapters add their handlers.

        Created on first use from the CHATOPS_WORK* settings (a malformed one is a ValueError);
        ``start()`` it once the handlers are in, ``stop()`` it on shutdown.
        """
        from chatops.workers import PoolConfig, WorkerPool

        if self._pool is None or self._pool.stopping:  # a stopped pool is not started again: a new one
            self._pool = WorkerPool(self, {}, PoolConfig.from_settings(self.settings), gate=gate)
        elif gate is not None and self._pool.gate is None:
            self._pool.gate = gate
        return self._pool

    @property
    def has_work_pool(self) -> bool:
        return self._pool is not None

    @classmethod
    def from_env(cls, **kwargs) -> "App":
        settings = Settings.from_env()
        logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        for noisy in ("peewee_migrate", "chatops.migrations"):
            logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))
        return cls(settings, **kwargs)
