"""schema.upgrade and `chatops db upgrade`: apply on an empty database, then nothing the second time."""
from __future__ import annotations

import secrets
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from click.testing import CliRunner

from chatops import schema
from chatops.cli import main
from chatops.db import connect
from chatops.models import CORE_MODELS

ALL_MIGRATIONS = sorted(p.stem for p in schema.MIGRATIONS.glob("[0-9]*.py"))


def _check_upgrade(db):
    assert schema.pending(db) == ALL_MIGRATIONS
    assert schema.upgrade(db) == ALL_MIGRATIONS
    assert "001_initial" in ALL_MIGRATIONS
    tables = set(db.get_tables())
    assert {m._meta.table_name for m in CORE_MODELS} <= tables
    assert schema.upgrade(db) == []
    assert schema.pending(db) == []


def test_upgrade_empty_sqlite_file(tmp_path):
    db = connect(f"sqlite:///{tmp_path / 'm.db'}")
    try:
        _check_upgrade(db)
        assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    finally:
        db.close()


@pytest.fixture
def throwaway_pg(pg_url):
    """A new, empty PostgreSQL database on the pg_url server, dropped afterwards."""
    import psycopg2

    name = f"chatops_mig_{secrets.token_hex(4)}"
    admin = psycopg2.connect(pg_url)
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(pg_url)
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.mark.postgres
def test_upgrade_empty_postgres_database(throwaway_pg):
    db = connect(throwaway_pg)
    try:
        _check_upgrade(db)
    finally:
        db.close()


def _cli_upgrade_twice(url):
    cli = CliRunner()
    first = cli.invoke(main, ["db", "upgrade"], env={"CHATOPS_DATABASE_URL": url})
    assert first.exit_code == 0, first.output
    assert f"Applied {len(ALL_MIGRATIONS)} migration(s)" in first.output
    second = cli.invoke(main, ["db", "upgrade"], env={"CHATOPS_DATABASE_URL": url})
    assert second.exit_code == 0, second.output
    assert "Database is up to date." in second.output


def test_cli_db_upgrade_is_idempotent_sqlite(tmp_path):
    _cli_upgrade_twice(f"sqlite:///{tmp_path / 'cli.db'}")
    assert Path(tmp_path / "cli.db").exists()


@pytest.mark.postgres
def test_cli_db_upgrade_is_idempotent_postgres(throwaway_pg):
    _cli_upgrade_twice(throwaway_pg)


def test_database_url_option_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("CHATOPS_DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    result = CliRunner().invoke(main, ["--database-url", f"sqlite:///{tmp_path / 'opt.db'}", "db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "opt.db").exists() and not (tmp_path / "env.db").exists()


def test_unsupported_url_is_refused():
    with pytest.raises(ValueError, match="unsupported CHATOPS_DATABASE_URL"):
        connect("mysql://x@y/z")
