"""Schema migrations with peewee-migrate: ``chatops db upgrade`` runs :func:`upgrade`.

Migrations live in ``chatops/migrations`` as numbered Python files; applied ones
are recorded in the ``migratehistory`` table, so running again does nothing.
To add one after changing models: ``pw_migrate create --auto chatops.models
--directory chatops/migrations --database sqlite:///tmp.db NAME`` and review it.
"""
from __future__ import annotations

import logging
from pathlib import Path

import peewee
from peewee_migrate import Router

MIGRATIONS = Path(__file__).parent / "migrations"


def _router(db: peewee.Database) -> Router:
    logger = logging.getLogger("chatops.migrations")
    return Router(db, migrate_dir=MIGRATIONS, logger=logger)


def upgrade(db: peewee.Database) -> list[str]:
    """Apply every pending migration; returns the names applied (empty when up to date)."""
    return _router(db).run()


def pending(db: peewee.Database) -> list[str]:
    router = _router(db)
    return list(router.diff)
