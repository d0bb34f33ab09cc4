"""Fixtures every area's tests share.

    def test_whoami(runner):
        runner.person("ana", roles=["support"], identities=["slack:U1"])
        assert "support" in runner.invoke("whoami", as_="slack:U1").text

    def test_expiry(make_runner, clock):
        runner = make_runner(my_group)            # your own CommandGroup(s), closed after the test
        ...
        clock.advance(minutes=16)

    @pytest.mark.postgres
    def test_race(pg_url):                        # PostgreSQL specifically (skipped locally, never in CI)
        ...

Isolation: every runner has its own database — a copy of a migrated SQLite
template, or, when ``CHATOPS_TEST_DATABASE_URL`` is set (PostgreSQL), that
database emptied first. ``chatops.db.database`` points at the newest runner's
database.
"""
from __future__ import annotations

import os
from typing import Callable, Mapping

import pytest

from chatops.testing import ChatOpsRunner, FrozenClock

LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


def postgres_answers(url: str) -> bool:
    """True when a PostgreSQL server accepts a connection at ``url`` (2 s timeout)."""
    try:
        import psycopg2
    except ImportError:  # pragma: no cover - psycopg2-binary is a dependency
        return False
    try:
        conn = psycopg2.connect(url, connect_timeout=2)
    except Exception:  # noqa: BLE001 - any failure means "not available"
        return False
    conn.close()
    return True


def resolve_pg_url(env: Mapping[str, str], answers: Callable[[str], bool] = postgres_answers) -> tuple[str | None, str]:
    """(url, reason): the PostgreSQL URL tests should use, or None and why there is none.

    ``CHATOPS_TEST_DATABASE_URL`` when it is a postgresql:// URL, else
    ``CHATOPS_TEST_PG_URL``, else the local server's ``test`` database, when it answers.
    """
    configured = env.get("CHATOPS_TEST_DATABASE_URL", "")
    if configured.startswith(("postgresql://", "postgres://")):
        candidates = [configured]
    else:
        candidates = [env.get("CHATOPS_TEST_PG_URL") or LOCAL_POSTGRES]
    for url in candidates:
        if answers(url):
            return url, ""
    return None, f"no PostgreSQL server answers at {', '.join(candidates)}"


def skip_or_fail(reason: str, env: Mapping[str, str]) -> None:
    """Skip locally; fail when CI=true (a skipped PostgreSQL test must fail CI)."""
    if env.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL is required in CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session", autouse=True)
def _audit_spool_outside_the_checkout(tmp_path_factory) -> None:
    """The audit spool of a PostgreSQL or in-memory database defaults to the working directory. Runners
    keep theirs in a temporary folder (chatops.testing); this covers what reads the environment: the
    processes the fault tests start, Settings.from_env() without a mapping."""
    if "CHATOPS_AUDIT_SPOOL" not in os.environ:
        os.environ["CHATOPS_AUDIT_SPOOL"] = str(tmp_path_factory.mktemp("spool") / "audit-spool.jsonl")


@pytest.fixture(scope="session")
def _pg_url_resolved() -> tuple[str | None, str]:
    return resolve_pg_url(os.environ)


@pytest.fixture
def pg_url(_pg_url_resolved) -> str:
    """A PostgreSQL URL for tests that need PostgreSQL itself (row locks, concurrency).

    Mark such tests ``@pytest.mark.postgres``. The database at this URL is shared
    by the run: use ``make_runner(database_url=pg_url)`` (it empties the tables) or
    create your own throwaway database on that server.
    """
    url, reason = _pg_url_resolved
    if url is None:
        skip_or_fail(reason, os.environ)
    return url


@pytest.fixture
def clock() -> FrozenClock:
    """A frozen clock at 2026-01-05 09:00 UTC; ``clock.advance(minutes=5)`` moves it. Runners share it."""
    return FrozenClock()


@pytest.fixture
def make_runner(clock) -> Callable[..., ChatOpsRunner]:
    """A factory: ``make_runner(*groups, builtins=True, database_url=None, settings=None)``.

    Each runner gets a fresh database and the test's ``clock``; all are closed after the test.
    """
    made: list[ChatOpsRunner] = []

    def factory(*groups, **kwargs) -> ChatOpsRunner:
        kwargs.setdefault("clock", clock)
        r = ChatOpsRunner(*groups, **kwargs)
        made.append(r)
        return r

    yield factory
    for r in reversed(made):
        r.close()


@pytest.fixture
def runner(make_runner) -> ChatOpsRunner:
    """A :class:`ChatOpsRunner` with the built-in commands, a fresh database and the ``clock`` fixture."""
    return make_runner()
