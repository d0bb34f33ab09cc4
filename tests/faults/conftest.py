"""Fixtures for the fault tests: fakes that outlive the server, a fresh database per test, the server."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import resolve_pg_url, skip_or_fail
from tests.faults import procs
from tests.faults.fake_ops import FakeOps
from tests.slack.fake_slack import FakeSlack


def _pg_for_the_server() -> str | None:
    """PostgreSQL when the suite runs on it (CHATOPS_TEST_DATABASE_URL), else SQLite (None)."""
    url = os.environ.get("CHATOPS_TEST_DATABASE_URL", "")
    return url if url.startswith(("postgresql://", "postgres://")) else None


@pytest.fixture
def fake_slack():
    server = FakeSlack().start()
    yield server
    server.stop()
    assert not server.limit_violations, server.limit_violations


@pytest.fixture
def ops():
    server = FakeOps().start()
    yield server
    server.stop()


@pytest.fixture
def database(tmp_path: Path):
    with procs.fresh_database(tmp_path, _pg_for_the_server()) as url:
        yield url


@pytest.fixture
def make_server(tmp_path: Path, database, fake_slack, ops):
    """``make_server(**env)``: a migrated, demo-seeded database and ``chatops run`` on it (not started)."""
    made: list[procs.Server] = []

    def factory(**env: str) -> procs.Server:
        full = procs.server_env(database, fake_slack.url, ops.url, **env)
        seeded = procs.chatops_cli(full, "demo", "--seed-only")
        assert seeded.returncode == 0, seeded.stdout + seeded.stderr
        server = procs.Server(full, port=procs.free_port(), log=tmp_path / f"server{len(made)}.log")
        made.append(server)
        return server

    yield factory
    for server in made:
        server.stop()


@pytest.fixture
def cluster():
    """A throwaway PostgreSQL cluster this test may stop and start (skipped without the binaries)."""
    try:
        c = procs.Cluster()
    except (FileNotFoundError, OSError) as exc:
        skip_or_fail(f"cannot make a PostgreSQL cluster here: {exc}", os.environ)
    c.start()
    yield c
    c.destroy()
