"""Fixtures for the ops tests: a runner with the demo backend seeded and a cast of people.

    def test_x(ops):
        r = ops.runner
        assert "R03" in r.invoke("batch-status B-1042", as_=ops.SAM).text
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

from chatops.ops import demo
from chatops.ops.ownership import link
from chatops.settings import Settings
from chatops.testing import ChatOpsRunner

LOCAL_CI_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass
class Cast:
    runner: ChatOpsRunner
    SAM = "slack:U_SAM"  # support
    SUE = "slack:U_SUE"  # support, a second one
    LEE = "slack:U_LEE"  # lead (the default approver role)
    LIV = "slack:U_LIV"  # lead, a second one
    CORA = "slack:U_CORA"  # customer, owns acct_1001
    MAX = "slack:U_MAX"  # member, owns nothing


def cast(runner: ChatOpsRunner) -> Cast:
    demo.seed(lambda _: None, now=runner.clock())
    runner.person("Sam Support", roles=["support"], identities=[Cast.SAM])
    runner.person("Sue Support", roles=["support"], identities=[Cast.SUE])
    runner.person("Lee Lead", roles=["lead"], identities=[Cast.LEE])
    runner.person("Liv Lead", roles=["lead"], identities=[Cast.LIV])
    cora = runner.person("Cora Customer", roles=["customer"], identities=[Cast.CORA])
    link(cora, "acct_1001")
    runner.person("Max Member", roles=["member"], identities=[Cast.MAX])
    return Cast(runner)


APPROVALS_SLACK = "C0APPROVALS"
APPROVALS_DISCORD = "900000000000000001"


def ops_settings(**env: str) -> Settings:
    """Settings with an approvals channel on each platform (no default exists)."""
    return Settings.from_env({"CHATOPS_OPS_APPROVALS_SLACK_CHANNEL": APPROVALS_SLACK,
                              "CHATOPS_OPS_APPROVALS_DISCORD_CHANNEL": APPROVALS_DISCORD, **env})


@pytest.fixture
def ops(make_runner) -> Cast:
    return cast(make_runner(settings=ops_settings()))


@pytest.fixture
def ops_pg_url() -> str:
    """PostgreSQL for the ops race tests: CHATOPS_TEST_DATABASE_URL when it is postgresql, else the
    local `test` database only in CI; skipped locally without one, a failure in CI."""
    configured = os.environ.get("CHATOPS_TEST_DATABASE_URL", "")
    in_ci = os.environ.get("CI", "").lower() == "true"
    url = configured if configured.startswith(("postgresql://", "postgres://")) else (
        os.environ.get("CHATOPS_TEST_PG_URL") or (LOCAL_CI_POSTGRES if in_ci else ""))
    reason = "set CHATOPS_TEST_DATABASE_URL=postgresql://… to run the PostgreSQL race test"
    if url:
        try:
            import psycopg2
            psycopg2.connect(url, connect_timeout=2).close()
            return url
        except Exception as exc:  # noqa: BLE001 - any failure means "not available"
            reason = f"no PostgreSQL answers at {url}: {exc}"
    if in_ci:
        pytest.fail(f"PostgreSQL is required in CI: {reason}", pytrace=False)
    pytest.skip(reason)
