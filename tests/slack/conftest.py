"""Slack fixtures: a fake Web API, a Flask app with the real Bolt app mounted, signed requests."""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import urlencode

import pytest

from adapters.web import create_app
from chatops.settings import Settings

from tests.slack import sample
from tests.slack.fake_slack import FakeSlack

SECRET = "test-signing-secret"
TOKEN = "xoxb-test-token"
TEAM = "T0TEAM"


def sign(body: str | bytes, *, secret: str = SECRET, ts: int | None = None) -> dict[str, str]:
    ts = int(time.time()) if ts is None else ts
    raw = body if isinstance(body, bytes) else body.encode()
    digest = hmac.new(secret.encode(), f"v0:{ts}:".encode() + raw, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": f"v0={digest}"}


@pytest.fixture
def fake():
    server = FakeSlack().start()
    yield server
    server.stop()
    assert not server.limit_violations, server.limit_violations  # every payload within Block Kit's limits


def slack_settings(fake: FakeSlack, **extra: str) -> Settings:
    env = {"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.url, **extra}
    return Settings.from_env(env)


@dataclass
class SlackHarness:
    """The Flask app with Slack mounted, and helpers that send signed Slack requests to it."""

    runner: Any
    flask_app: Any
    fake: FakeSlack
    _n: int = 0

    @property
    def client(self):
        return self.flask_app.test_client()

    @property
    def adapter(self):
        return self.flask_app.extensions["chatops.slack"]

    def _next(self) -> int:
        self._n += 1
        return self._n

    def post(self, body: str, content_type: str, headers: dict[str, str] | None = None):
        return self.client.post("/slack/events", data=body.encode(), content_type=content_type,
                                headers={**sign(body), **(headers or {})})

    def command(self, name: str, text: str = "", *, user: str = "U0ANA", channel: str = "C0GENERAL",
                trigger: str | None = None, team: str = TEAM):
        n = self._next()
        form = {"command": f"/{name}", "text": text, "user_id": user, "user_name": user.lower(), "team_id": team,
                "channel_id": channel, "channel_name": "directmessage" if channel.startswith("D") else "general",
                "trigger_id": trigger or f"trig-{n}", "response_url": self.fake.response_url(f"cmd{n}")}
        return self.post(urlencode(form), "application/x-www-form-urlencoded"), f"cmd{n}"

    def event(self, event: dict[str, Any], *, event_id: str | None = None, retry: int | None = None,
              team: str = TEAM):
        body = json.dumps({"type": "event_callback", "team_id": team, "api_app_id": "A1",
                           "event_id": event_id or f"Ev{self._next()}", "event_time": int(time.time()),
                           "event": event})
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else {}
        return self.post(body, "application/json", headers)

    def interactive(self, payload: dict[str, Any]):
        return self.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")

    def press(self, button: dict[str, Any], *, user: str = "U0ANA", channel: str = "C0GENERAL",
              ephemeral: bool = False, team: str = TEAM):
        n = self._next()
        payload = {
            "type": "block_actions", "team": {"id": team}, "user": {"id": user, "username": user.lower(),
                                                                      "team_id": team},
            "api_app_id": "A1", "trigger_id": f"trig-b{n}", "channel": {"id": channel, "name": "general"},
            "container": {"type": "message", "message_ts": "1.1", "channel_id": channel, "is_ephemeral": ephemeral},
            "message": {"ts": "1.1", "type": "message", "text": "x"},
            "response_url": self.fake.response_url(f"btn{n}"),
            "actions": [{"type": "button", "action_id": button["action_id"], "block_id": "b1",
                         "value": button["value"], "action_ts": f"1700000000.{n}"}],
        }
        return self.interactive(payload), f"btn{n}"

    def submit(self, view: dict[str, Any], values: dict[str, dict[str, Any]], *, user: str = "U0ANA",
               view_id: str = "V1", team: str = TEAM):
        payload = {"type": "view_submission", "team": {"id": team}, "user": {"id": user, "team_id": team},
                   "api_app_id": "A1", "trigger_id": "trig-v",
                   "view": {**view, "id": view_id, "state": {"values": values}}}
        return self.interactive(payload)

    def close(self) -> None:
        adapter = self.flask_app.extensions.get("chatops.slack")
        if adapter is not None:
            adapter.stop()


def buttons_of(blocks: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Label → Block Kit button element in rendered blocks."""
    return {e["text"]["text"]: e for b in blocks if b["type"] == "actions" for e in b["elements"]}


@pytest.fixture
def make_slack(make_runner, fake) -> Callable[..., SlackHarness]:
    made: list[SlackHarness] = []

    def factory(*groups, **settings_extra: str) -> SlackHarness:
        runner = make_runner(sample.group, *groups, settings=slack_settings(fake, **settings_extra))
        harness = SlackHarness(runner, create_app(runner.app), fake)
        made.append(harness)
        return harness

    yield factory
    for h in made:
        h.close()


@pytest.fixture
def slack(make_slack) -> SlackHarness:
    sample.CALLS.clear()
    return make_slack()
