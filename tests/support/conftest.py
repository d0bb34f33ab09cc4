"""Support fixtures: a runner with the demo communities (chatops.demo) and the support demo data."""
from __future__ import annotations

from types import MappingProxyType

import pytest

from chatops import demo
from chatops.settings import Settings
from chatops.support import demo as support_demo

TRIAGE = {"CHATOPS_SUPPORT_TRIAGE_SLACK_CHANNEL": "C0TRIAGE",
          "CHATOPS_SUPPORT_TRIAGE_DISCORD_CHANNEL": "300000000000000010"}


def support_settings(**env: str) -> Settings:
    return Settings(env=MappingProxyType({**TRIAGE, **env}))


def seeded(runner):
    demo.seed()
    support_demo.seed(lambda *_: None)
    return runner


@pytest.fixture
def sup(make_runner):
    """A runner with the SourceCred demo communities, people, channels, routes and rules."""
    return seeded(make_runner(settings=support_settings()))
