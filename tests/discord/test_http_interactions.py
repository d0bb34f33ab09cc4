"""Discord's Interactions Endpoint (adapters/discord/http.py): Ed25519-signed POSTs in, deferred acks out, the
answer by REST follow-up to the fake Discord — through the Flask app and through a real `chatops run` process."""
from __future__ import annotations

import http.client
import json
import os
import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask import Flask

from adapters.discord import http as discord_http
from chatops.commands import Category, CommandGroup
from chatops.context import Context
from chatops.models import AuditEvent, WorkItem
from chatops.reply import Reply
from chatops.settings import Settings
from tests.discord import sample
from tests.discord.fakediscord import APP_ID
from tests.discord.fakethread import FakeDiscordThread
from tests.discord.harness import button_ids, content

KEY = Ed25519PrivateKey.generate()
PUBLIC_KEY = KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
EPHEMERAL = 64

errors = CommandGroup("discord-http-errors")


@errors.command(category=Category.SUPPORT)
def boom(ctx: Context) -> Reply:
    """Fails on our side."""
    raise RuntimeError("the handler broke")


def signed(body: bytes, *, key: Ed25519PrivateKey = KEY, timestamp: str | None = None) -> dict[str, str]:
    ts = timestamp or str(int(time.time()))
    return {"X-Signature-Ed25519": key.sign(ts.encode() + body).hex(), "X-Signature-Timestamp": ts,
            "Content-Type": "application/json"}


def env(discord_fake: FakeDiscordThread, **extra: str) -> dict[str, str]:
    return {"DISCORD_PUBLIC_KEY": PUBLIC_KEY, "DISCORD_TOKEN": "http-test-token", "DISCORD_APPLICATION_ID": APP_ID,
            "DISCORD_API_URL": discord_fake.fake.api_url, "CHATOPS_WORKERS": "2", **extra}


@pytest.fixture
def discord_fake():
    with FakeDiscordThread() as fake:
        yield fake


class Endpoint:
    """The Flask app with only the Discord endpoint mounted, and the fake that receives the follow-ups."""

    def __init__(self, flask_app: Flask, endpoint: discord_http.Endpoint, discord_fake: FakeDiscordThread) -> None:
        self.client = flask_app.test_client()
        self.endpoint = endpoint
        self.discord = discord_fake
        self.fake = discord_fake.fake

    def post(self, payload: dict | bytes, headers: dict[str, str] | None = None):
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        response = self.client.post(discord_http.PATH, data=body, headers=signed(body) if headers is None else headers)
        response.close()  # runs call_on_close: the work starts once the answer is out, as under a real server
        return response


@pytest.fixture
def endpoint(make_runner, discord_fake):
    runner = make_runner(sample.group, errors, settings=Settings.from_env(env(discord_fake)))
    flask_app = Flask("discord-http-test")
    mounted = discord_http.init_app(flask_app, runner.app)
    assert mounted is not None
    try:
        yield Endpoint(flask_app, mounted, discord_fake)
    finally:
        runner.app.work_pool().stop(5)
        mounted.rest.stop()
        mounted.close()


# ---- signatures --------------------------------------------------------------------------------

def test_a_wrong_signature_is_401_and_nothing_is_accepted(endpoint):
    payload = endpoint.fake.command("ping")
    body = json.dumps(payload).encode()
    other = Ed25519PrivateKey.generate()
    assert endpoint.post(body, signed(body, key=other)).status_code == 401
    tampered = signed(body)
    assert endpoint.post(body.replace(b"ping", b"help"), tampered).status_code == 401
    assert WorkItem.select().count() == 0


def test_missing_headers_and_stale_timestamps_are_401(endpoint):
    body = json.dumps({"type": 1}).encode()
    assert endpoint.post(body, {}).status_code == 401
    headers = signed(body)
    assert endpoint.post(body, {"X-Signature-Ed25519": headers["X-Signature-Ed25519"]}).status_code == 401
    assert endpoint.post(body, {"X-Signature-Timestamp": headers["X-Signature-Timestamp"]}).status_code == 401
    stale = str(int(time.time()) - 600)
    assert endpoint.post(body, signed(body, timestamp=stale)).status_code == 401
    assert endpoint.post(body, signed(body)).status_code == 200  # the same body, signed now


def test_ping_is_answered_with_pong(endpoint):
    response = endpoint.post({"type": 1, "id": "1", "application_id": APP_ID, "token": "t", "version": 1})
    assert response.status_code == 200 and response.get_json() == {"type": 1}
    assert response.headers["Content-Type"] == "application/json"


def test_a_body_that_is_not_an_interaction_is_400(endpoint):
    assert endpoint.post(b"not json").status_code == 400
    assert endpoint.post({"no": "type"}).status_code == 400


# ---- commands, presses, forms ------------------------------------------------------------------

def test_a_slash_command_is_deferred_then_answered_by_follow_up(endpoint):
    payload = endpoint.fake.command("ping")
    response = endpoint.post(payload)
    assert response.get_json() == {"type": 5, "data": {"flags": EPHEMERAL}}  # META: private first answer
    [answer] = endpoint.discord.wait_answers(payload)
    assert answer.method == "PATCH" and answer.path.endswith("/messages/@original") and "pong" in content(answer)
    # the answer is the edit of the private deferral (the 5 with flags 64 above): as private as it


def test_typed_options_reach_the_core_and_a_public_command_defers_publicly(endpoint):
    opts = [{"name": "count", "type": 4, "value": 41}, {"name": "loud", "type": 5, "value": True},
            {"name": "colour", "type": 3, "value": "blue"}, {"name": "who", "type": 6, "value": "940000000000000077"}]
    payload = endpoint.fake.command("typed", opts)
    assert endpoint.post(payload).get_json() == {"type": 5, "data": {}}
    [answer] = endpoint.discord.wait_answers(payload)
    text = content(answer)
    assert "count: 42" in text and "loud: True" in text and "who: discord:940000000000000077" in text


def test_a_button_press_is_a_deferred_update_and_runs_the_action(endpoint):
    first = endpoint.fake.command("ask", [{"name": "topic", "type": 3, "value": "billing"},
                                          {"name": "text", "type": 3, "value": "where is my invoice"}])
    endpoint.post(first)
    [asked] = endpoint.discord.wait_answers(first)
    assert "Asked about billing: where is my invoice" in content(asked)
    press = endpoint.fake.button(button_ids(asked)["Claim"])
    response = endpoint.post(press)
    assert response.get_json() == {"type": 6}
    [result] = endpoint.discord.wait_answers(press)
    assert "claim by" in content(result) and "on billing" in content(result)


def test_confirm_on_an_ephemeral_preview_edits_it_with_the_result(endpoint):
    sample.FLAGS.clear()
    first = endpoint.fake.command("set-flag", [{"name": "name", "type": 3, "value": "http-flag"}])
    deferred = endpoint.post(first).get_json()
    [preview] = endpoint.discord.wait_answers(first)
    assert deferred["data"]["flags"] & EPHEMERAL and preview.path.endswith("/messages/@original")  # private
    assert sample.FLAGS == []
    press = endpoint.fake.button(button_ids(preview)["Confirm"], ephemeral_message=True)
    assert endpoint.post(press).get_json() == {"type": 6}
    [result] = endpoint.discord.wait_answers(press)
    assert result.method == "PATCH" and result.path.endswith("/messages/@original")
    assert "Flag http-flag set." in content(result) and sample.FLAGS == ["http-flag"]


def test_a_command_missing_its_text_opens_a_modal_and_the_submission_is_answered(endpoint):
    payload = endpoint.fake.command("ask", [{"name": "topic", "type": 3, "value": "refunds"}])
    response = endpoint.post(payload).get_json()
    assert response["type"] == 9  # the modal, directly: no defer, no work item yet
    modal = response["data"]
    assert modal["custom_id"] == f"chatops-form:ask:{payload['id']}"
    assert [c["component"]["custom_id"] for c in modal["components"]] == ["text"]
    assert WorkItem.select().count() == 0
    submit = endpoint.fake.modal_submit(modal["custom_id"], {"text": "two weeks and counting"})
    assert endpoint.post(submit).get_json()["type"] == 5
    [answer] = endpoint.discord.wait_answers(submit)
    assert "Asked about refunds: two weeks and counting" in content(answer)  # the given option was kept


def test_a_form_submitted_to_another_web_process_keeps_the_options_given_with_the_command(endpoint):
    """Behind a load balancer the submission may reach a process that did not open the form: the options
    typed with the command are in the database (FormDraft), not only in the opening process's memory."""
    from adapters.discord.modals import FormMemory
    from chatops.models import FormDraft

    payload = endpoint.fake.command("ask", [{"name": "topic", "type": 3, "value": "refunds"}])
    modal = endpoint.post(payload).get_json()["data"]
    assert FormDraft.get(FormDraft.key == f"discord:{payload['id']}").given == {"topic": "refunds"}
    endpoint.endpoint.forms = FormMemory()  # another web process: nothing of this form in its memory
    submit = endpoint.fake.modal_submit(modal["custom_id"], {"text": "two weeks and counting"})
    assert endpoint.post(submit).get_json()["type"] == 5
    [answer] = endpoint.discord.wait_answers(submit)
    assert "Asked about refunds: two weeks and counting" in content(answer)
    assert FormDraft.select().count() == 0  # a form is submitted once


def test_form_drafts_expire_and_belong_to_their_command(runner):
    from datetime import timedelta

    from adapters.discord.modals import FORM_TTL, FormMemory
    from chatops.models import FormDraft

    opened = FormMemory(now=runner.clock)
    assert opened.store("11", "ask", {"topic": "refunds"}) and opened.store("12", "ask", {"topic": "fees"})
    elsewhere = FormMemory(now=runner.clock)  # another process
    assert elsewhere.take_stored("11", "contact") is None  # not this command's form
    assert elsewhere.take_stored("11", "ask") is None  # taken (and dropped) above
    runner.clock.advance(seconds=FORM_TTL + 1)
    assert elsewhere.take_stored("12", "ask") is None  # expired
    opened.store("13", "ask", {"topic": "late"})
    assert [d.key for d in FormDraft.select()] == ["discord:13"]  # expired drafts go as new ones are kept
    assert elsewhere.take_stored("13", "ask") == {"topic": "late"} and not FormDraft.select().exists()
    opened.store("14", "ask", {})
    assert FormDraft.get().expires_at == runner.clock() + timedelta(seconds=FORM_TTL)


def test_a_modal_of_another_app_is_refused_at_once(endpoint):
    submit = endpoint.fake.modal_submit("someone-elses-form", {"text": "x"})
    response = endpoint.post(submit).get_json()
    assert response["type"] == 4 and response["data"]["flags"] == EPHEMERAL
    assert "not valid any more" in response["data"]["content"]


def test_the_work_starts_only_once_the_deferred_response_is_written(endpoint):
    payload = endpoint.fake.command("ping")
    body = json.dumps(payload).encode()
    response = endpoint.client.post(discord_http.PATH, data=body, headers=signed(body))
    assert response.get_json()["type"] == 5
    assert endpoint.discord.wait_answers(payload, timeout=0.5, settle=0) == []  # not before the ack is out
    response.close()
    assert len(endpoint.discord.wait_answers(payload)) == 1


def test_a_button_of_another_app_is_refused_at_once_and_nothing_runs(endpoint):
    press = endpoint.fake.button("someone-elses-button")
    response = endpoint.post(press).get_json()
    assert response["type"] == 4 and response["data"]["flags"] == EPHEMERAL
    assert "not valid any more" in response["data"]["content"]
    assert WorkItem.select().count() == 0


def test_edit_and_send_again_reopens_a_refused_form_as_it_was_filled_in(endpoint):
    payload = endpoint.fake.command("contact")
    modal = endpoint.post(payload).get_json()["data"]
    submit = endpoint.fake.modal_submit(modal["custom_id"], {"email": "not-an-address", "text": "call me"},
                                        picked={"urgency": ["high"]})
    endpoint.post(submit)
    [refused] = endpoint.discord.wait_answers(submit)
    assert "not-an-address" in content(refused)
    again = endpoint.post(endpoint.fake.button(button_ids(refused)["Edit and send again"])).get_json()
    assert again["type"] == 9
    inputs = {c["component"]["custom_id"]: c["component"] for c in again["data"]["components"]}
    assert inputs["email"]["value"] == "not-an-address" and inputs["text"]["value"] == "call me"
    someone_else = endpoint.fake.button(button_ids(refused)["Edit and send again"], user_id="940000000000000099")
    assert "Only the person" in endpoint.post(someone_else).get_json()["data"]["content"]


def test_a_repeated_delivery_is_acked_and_answered_once(endpoint):
    payload = endpoint.fake.command("ping")
    body = json.dumps(payload).encode()
    assert endpoint.post(body).get_json()["type"] == 5
    assert endpoint.post(body).get_json()["type"] == 5
    answers = endpoint.discord.wait_answers(payload, settle=0.8)
    assert len(answers) == 1
    assert WorkItem.select().where(WorkItem.key == f"discord:interaction:{payload['id']}").count() == 1
    assert AuditEvent.select().where((AuditEvent.command == "ping") & (AuditEvent.outcome == "duplicate")).count() == 1


def test_a_core_error_becomes_a_clear_follow_up(endpoint):
    payload = endpoint.fake.command("boom")
    assert endpoint.post(payload).get_json()["type"] == 5
    [answer] = endpoint.discord.wait_answers(payload)
    text = content(answer)
    assert "something went wrong on our side" in text and "reference" in text.lower()
    assert "the handler broke" not in text  # the exception stays in the log


def test_a_database_that_cannot_take_it_is_told_at_once(endpoint, monkeypatch):
    from chatops import work

    def down(*args, **kwargs):
        import peewee
        raise peewee.OperationalError("database is down")

    monkeypatch.setattr(work, "accept", down)
    payload = endpoint.fake.command("ping")
    response = endpoint.post(payload).get_json()
    assert response["type"] == 4 and response["data"]["flags"] == EPHEMERAL
    assert "briefly unavailable" in response["data"]["content"]
    assert endpoint.discord.wait_answers(payload, timeout=0.3) == []


def test_not_mounted_without_the_public_key(make_runner, discord_fake):
    runner = make_runner(settings=Settings.from_env({**env(discord_fake), "DISCORD_PUBLIC_KEY": ""}))
    flask_app = Flask("off")
    assert discord_http.init_app(flask_app, runner.app) is None
    assert discord_http.PATH not in {r.rule for r in flask_app.url_map.iter_rules()}


# ---- a real server process ------------------------------------------------------------------------

def _signed_post(port: int, payload: dict) -> tuple[int, dict]:
    body = json.dumps(payload).encode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", discord_http.PATH, body=body, headers=signed(body))
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        conn.close()


@pytest.mark.parametrize("gateway", ["off", "on"])
def test_a_real_chatops_run_answers_http_interactions_by_follow_up(tmp_path, discord_fake, gateway):
    """``off``: the web process only (no gateway connection). ``on``: the same process also opens the gateway
    (for DMs) on the one client the endpoint started — one bot per process."""
    from tests.faults import procs

    pg = os.environ.get("CHATOPS_TEST_DATABASE_URL", "")
    with procs.fresh_database(tmp_path, pg if pg.startswith("postgres") else None) as database_url:
        full = {**env(discord_fake), "CHATOPS_DATABASE_URL": database_url, "DISCORD_GATEWAY": gateway,
                "DISCORD_GATEWAY_URL": discord_fake.fake.gateway_url,
                "SLACK_BOT_TOKEN": "", "SLACK_SIGNING_SECRET": "", "CHATOPS_WORK_POLL_SECONDS": "0.2",
                "CHATOPS_LOG_LEVEL": "INFO"}
        migrated = procs.chatops_cli(full, "db", "upgrade")
        assert migrated.returncode == 0, migrated.stdout + migrated.stderr
        server = procs.Server(full, port=procs.free_port(), log=tmp_path / "server.log")
        try:
            server.start()
            assert _signed_post(server.port, {"type": 1}) == (200, {"type": 1})
            payload = discord_fake.fake.command("whoami")
            status, ack = _signed_post(server.port, payload)
            assert status == 200 and ack == {"type": 5, "data": {"flags": EPHEMERAL}}
            [answer] = discord_fake.wait_answers(payload)
            assert answer.method == "PATCH" and "discord:940000000000000001" in content(answer), content(answer)
            body = json.dumps({"type": 1}).encode()
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
            conn.request("POST", discord_http.PATH, body=body, headers=signed(body, key=Ed25519PrivateKey.generate()))
            assert conn.getresponse().status == 401
            conn.close()
            if gateway == "off":
                assert discord_fake.fake.identifies == 0  # no gateway connection at all
            else:
                discord_fake.wait_identified(1)
                assert discord_fake.fake.identifies == 1
                assert len(discord_fake.fake.find("GET", "/users/@me")) == 1  # one client logged in, not two
            server.kill(15)
            assert server.wait(30) == 0
        finally:
            server.stop()


def test_http_info_prints_the_endpoint_url_and_what_is_set(monkeypatch):
    from click.testing import CliRunner

    from adapters.discord.cli import discord as discord_cli

    monkeypatch.setenv("DISCORD_PUBLIC_KEY", PUBLIC_KEY)
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    result = CliRunner().invoke(discord_cli, ["http-info", "--base-url", "https://chatops.example.com/"])
    assert result.exit_code == 0, result.output
    assert "Interactions Endpoint URL: https://chatops.example.com/discord/interactions" in result.output
    assert "DISCORD_PUBLIC_KEY      set" in result.output and "DISCORD_TOKEN           NOT SET" in result.output
    assert "HTTP mode is off" in result.output and "DMs" in result.output


def test_refusals_and_acks_are_counted_in_metrics(endpoint):
    from chatops.metrics import REGISTRY

    def value(name, **labels):
        return REGISTRY.get_sample_value(name, labels) or 0.0

    refused = value("chatops_requests_refused_total", platform="discord", reason="signature")
    acks = value("chatops_ack_seconds_count", platform="discord")
    body = json.dumps({"type": 1}).encode()
    assert endpoint.post(body, {}).status_code == 401
    assert endpoint.post(body, signed(body)).status_code == 200
    assert value("chatops_requests_refused_total", platform="discord", reason="signature") == refused + 1
    assert value("chatops_ack_seconds_count", platform="discord") == acks + 2
