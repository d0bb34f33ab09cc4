"""Fixtures for the production tests: the Slack harness of tests/slack (a fake Web API, signed requests)."""
from __future__ import annotations

from tests.slack.conftest import fake, make_slack  # noqa: F401 - fixtures, used by name
