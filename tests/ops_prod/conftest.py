"""Fixtures for the production tests: the Slack harness of tests/slack (a fake Web API, signed requests), a
fake Slack of their own for real processes, and a fresh PostgreSQL database beside this machine's Redis (the
Procfile topology's engines)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import postgres_answers, skip_or_fail
from tests.faults import procs as fault_procs
from tests.slack.conftest import fake, make_slack  # noqa: F401 - fixtures, used by name
from tests.slack.fake_slack import FakeSlack

PG_SERVER = "postgresql://postgres@127.0.0.1:5432/test"  # default server to make a fresh database on
REDIS = ("127.0.0.1", 6379)


def pg_server() -> str:
    """The server a fresh database is made on (CREATE DATABASE through this URL; nothing is written to it):
    the suite's PostgreSQL (CHATOPS_TEST_DATABASE_URL), else CHATOPS_TEST_PG_URL (CI), else PG_SERVER."""
    configured = os.environ.get("CHATOPS_TEST_DATABASE_URL", "")
    if configured.startswith(("postgresql://", "postgres://")):
        return configured
    return os.environ.get("CHATOPS_TEST_PG_URL") or PG_SERVER


def redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis(*REDIS, socket_timeout=2).ping())
    except Exception:  # noqa: BLE001
        return False


@pytest.fixture
def pg_redis_database(tmp_path: Path):
    """A fresh, migrated PostgreSQL database (on :func:`pg_server`), with Redis answering at :data:`REDIS`."""
    server = pg_server()
    if not postgres_answers(server):
        skip_or_fail(f"no PostgreSQL at {server}", os.environ)
    if not redis_answers():
        skip_or_fail("no Redis at 127.0.0.1:6379", os.environ)
    with fault_procs.fresh_database(tmp_path, server) as url:
        migrated = fault_procs.chatops_cli({"CHATOPS_DATABASE_URL": url}, "db", "upgrade")
        assert migrated.returncode == 0, migrated.stderr
        yield url


@pytest.fixture
def fake_slack():
    """The fake Slack Web API (and response_urls) on 127.0.0.1, for servers run as real processes."""
    server = FakeSlack().start()
    yield server
    server.stop()
