"""POST /slack/events: mounting, signatures, malformed bodies, url_verification."""
from __future__ import annotations

import json
import time
from urllib.parse import urlencode

from adapters.slack.http import WARM_UP_REQUESTS
from adapters.web import create_app
from chatops.models import AuditEvent, IdempotencyRecord
from chatops.settings import Settings

from tests.slack.conftest import SECRET, sign

FORM = urlencode({"command": "/slk-greet", "text": "Ana", "user_id": "U0ANA", "team_id": "T0TEAM",
                  "channel_id": "C1", "trigger_id": "t1", "response_url": "http://127.0.0.1:9/x"})


def test_without_slack_settings_the_app_starts_without_slack_and_never_calls_it(make_runner, fake):
    runner = make_runner(settings=Settings.from_env({"SLACK_API_URL": fake.url}))
    flask_app = create_app(runner.app)
    assert "chatops.slack" not in flask_app.extensions
    response = flask_app.test_client().post("/slack/events", data=FORM, headers=sign(FORM),
                                            content_type="application/x-www-form-urlencoded")
    assert response.status_code == 404
    assert flask_app.test_client().get("/healthz").status_code == 200
    assert fake.calls == []


def test_token_without_signing_secret_does_not_mount(make_runner, fake):
    runner = make_runner(settings=Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_API_URL": fake.url}))
    assert "chatops.slack" not in create_app(runner.app).extensions


def _headers(ts: int, signature: str | None) -> dict[str, str]:
    headers = {"X-Slack-Request-Timestamp": str(ts)}
    if signature is not None:
        headers["X-Slack-Signature"] = signature
    return headers


SIGNATURE_CASES = ["missing", "wrong", "v1", "old", "future", "other-secret", "no-timestamp", "garbage-timestamp",
                   "body-changed"]


def test_bad_signatures_are_401_and_do_nothing(slack, fake):
    # One app for all cases (each fresh database costs a truncate on PostgreSQL).
    for case in SIGNATURE_CASES:
        response = _send_badly_signed(slack, case)
        assert response.status_code == 401, case
    assert slack.adapter.wait_idle()  # anything accepted would have run by now
    assert fake.calls == []
    assert AuditEvent.select().count() == 0


def _send_badly_signed(slack, case: str):
    now = int(time.time())
    good = sign(FORM)["X-Slack-Signature"]
    body = FORM
    if case == "missing":
        headers = _headers(now, None)
    elif case == "wrong":
        headers = _headers(now, "v0=" + "0" * 64)
    elif case == "v1":
        headers = _headers(now, "v1=" + good[3:])
    elif case == "old":
        headers = sign(FORM, ts=now - 301)
    elif case == "future":
        headers = sign(FORM, ts=now + 301)
    elif case == "other-secret":
        headers = sign(FORM, secret=SECRET + "x")
    elif case == "no-timestamp":
        headers = {"X-Slack-Signature": good}
    elif case == "garbage-timestamp":
        headers = {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": good}
    else:
        headers = sign(FORM)
        body = FORM.replace("Ana", "Eve")
    return slack.client.post("/slack/events", data=body, headers=headers,
                             content_type="application/x-www-form-urlencoded")


def test_a_timestamp_within_five_minutes_is_accepted(slack, fake):
    response = slack.client.post("/slack/events", data=FORM, headers=sign(FORM, ts=int(time.time()) - 290),
                                 content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200


MALFORMED = [
    ("{not json", "application/json"),
    ("[1, 2, 3]", "application/json"),
    ('"just a string"', "application/json"),
    ("", "application/json"),
    ("payload=%7Bnot+json", "application/x-www-form-urlencoded"),
    ("payload=%5B%5D", "application/x-www-form-urlencoded"),
    (json.dumps({"type": "event_callback", "team_id": "T1", "event_id": "E1", "event": "not an object"}),
     "application/json"),
    (json.dumps({"type": "event_callback", "team_id": "T1", "event_id": "E2",
                 "event": {"type": "message", "channel_type": "im", "user": "U1", "text": "help"}}),
     "application/json"),  # no channel
    (urlencode({"command": "/slk-greet", "text": "x", "team_id": "T1"}), "application/x-www-form-urlencoded"),
    (urlencode({"payload": json.dumps({"type": "block_actions", "team": {"id": "T1"},
                                       "actions": [{"action_id": "chatops:0", "value": "x.y"}]})}),
     "application/x-www-form-urlencoded"),  # no user
    (urlencode({"payload": json.dumps({"type": "view_submission", "team": {"id": "T1"}, "user": {"id": "U1"},
                                       "view": {"callback_id": "chatops:modal", "private_metadata": "{bad"}})}),
     "application/x-www-form-urlencoded"),
    (urlencode({"payload": json.dumps({"type": "view_submission", "team": {"id": "T1"}, "user": {"id": "U1"},
                                       "view": {"callback_id": "chatops:modal",
                                                "private_metadata": '{"c": "no-such-command"}'}})}),
     "application/x-www-form-urlencoded"),
    ("\xff\xfe not utf-8", "application/json"),
]


def test_malformed_signed_bodies_are_4xx_never_500(slack, fake):
    for body, ctype in MALFORMED:
        raw = body.encode("latin-1")
        response = slack.client.post("/slack/events", data=raw, content_type=ctype, headers=sign(raw))
        assert 400 <= response.status_code < 500 and response.status_code != 401, (body, response.status_code)
    assert slack.adapter.wait_idle()
    assert fake.calls == []


def test_url_verification_echoes_the_challenge(slack):
    body = json.dumps({"type": "url_verification", "token": "x", "challenge": "abc123"})
    response = slack.post(body, "application/json")
    assert response.status_code == 200
    assert response.get_json() == {"challenge": "abc123"}


def test_an_unknown_slash_command_gets_the_cores_answer(slack, fake):
    response, rid = slack.command("no-such-thing", "x")
    assert response.status_code == 200
    answer = fake.wait_for("response:" + rid)[0].body
    assert "There is no command called" in answer["text"]
    assert answer["response_type"] == "ephemeral"


def test_mounting_warms_the_ack_path_up_without_running_anything(slack, fake):
    adapter = slack.adapter
    assert adapter.warm_ups == WARM_UP_REQUESTS   # every warm-up went through Flask, the signature check, Bolt, the listener
    assert adapter.wait_idle()
    adapter.ui.shutdown(wait=True)
    assert fake.calls == []                       # nothing reached Slack...
    assert AuditEvent.select().count() == 0       # ...the router never ran
    assert IdempotencyRecord.select().count() == 0
    # The real Flask app saw no request: it can still be set up (Flask refuses that after a first request).
    slack.flask_app.add_url_rule("/after-warm-up", "after_warm_up", lambda: "ok")


def test_a_request_with_a_wrong_warm_up_marker_runs_normally(slack, fake):
    body = urlencode({"command": "/slk-greet", "text": "Ana", "user_id": "U0ANA", "team_id": "T0TEAM",
                      "channel_id": "C1", "trigger_id": "tw", "response_url": fake.response_url("warm"),
                      "chatops_warm_up": "0" * 32})
    response = slack.post(body, "application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert "Hello Ana" in fake.wait_for("response:warm")[0].body["text"]
    assert slack.adapter.warm_ups == WARM_UP_REQUESTS


def test_headers_that_cannot_be_slacks_are_401_before_the_body_is_read_and_a_huge_body_is_413(slack, fake,
                                                                                             monkeypatch):
    from flask import Request

    reads: list[int] = []
    original = Request.get_data

    def counting(self, *args, **kwargs):
        reads.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Request, "get_data", counting)
    now = int(time.time())
    for headers in (_headers(now, None), _headers(now, "v1=" + "0" * 64), _headers(now, "v0=short"),
                    _headers(now - 301, "v0=" + "0" * 64), {"X-Slack-Signature": "v0=" + "0" * 64}):
        response = slack.client.post("/slack/events", data=FORM, headers=headers,
                                     content_type="application/x-www-form-urlencoded")
        assert response.status_code == 401, headers
    assert reads == []                                     # refused on the headers alone
    huge = "x" * (2 * 1024 * 1024)
    response = slack.client.post("/slack/events", data=huge, headers=_headers(now, None), content_type="text/plain")
    assert response.status_code == 401 and reads == []     # no signature: not even a big body is read
    response = slack.client.post("/slack/events", data=huge, headers=_headers(now, "v0=" + "0" * 64),
                                 content_type="text/plain")
    assert response.status_code == 413                     # plausible headers: the body is read, and too big
    response = _send_badly_signed(slack, "wrong")
    assert response.status_code == 401 and reads           # a well-formed wrong signature needs the body: read
    assert slack.adapter.wait_idle() and fake.calls == []
