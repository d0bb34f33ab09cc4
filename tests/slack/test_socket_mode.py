"""Socket Mode for real: `chatops slack socket` against a fake Socket Mode server and the fake Web API.

The CLI command runs on the main thread exactly as from a terminal (signal handlers included); a
driver thread plays Slack: it answers apps.connections.open with a ws:// URL on 127.0.0.1, sends
"hello", then one envelope of each kind and waits for each ack, and finally sends SIGTERM.
"""
from __future__ import annotations

import os
import signal
import threading
import time
from typing import Any, Callable

import pytest
from click.testing import CliRunner

from adapters.slack.cli import slack as slack_cli
from chatops.models import AuditEvent, IdempotencyRecord
from chatops.settings import Settings

from tests.slack import sample
from tests.slack.conftest import TEAM, TOKEN, buttons_of
from tests.slack.fake_socket_mode import Connection, FakeSocketMode

APP_TOKEN = "xapp-1-A1-test"

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGTERM") or os.name != "posix",
                                reason="drives the CLI's POSIX signal handling")


@pytest.fixture
def socket_server():
    server = FakeSocketMode().start()
    yield server
    server.stop()


@pytest.fixture
def socket_runner(make_runner, fake, socket_server):
    tickets = iter(f"ticket-{n}" for n in range(1, 100))
    fake.on("apps.connections.open", lambda call: {"ok": True, "url": socket_server.url(next(tickets))})
    sample.CALLS.clear()
    return make_runner(sample.group, settings=Settings.from_env(
        {"SLACK_BOT_TOKEN": TOKEN, "SLACK_APP_TOKEN": APP_TOKEN, "SLACK_API_URL": fake.url}))


def run_cli_while(runner, script: Callable[[], Any]) -> tuple[Any, Any]:
    """Run `chatops slack socket` on this (the main) thread while ``script`` plays Slack on another.

    ``script`` ends by asking the CLI to stop with SIGTERM, as a service manager would (always: also
    when it fails). Returns (the CLI's click result, what the script returned) and re-raises the
    script's failure.
    """
    outcome: dict[str, Any] = {}

    def drive() -> None:
        try:
            outcome["value"] = script()
        except BaseException as exc:  # noqa: BLE001 - re-raised on the main thread
            outcome["error"] = exc
        finally:
            os.kill(os.getpid(), signal.SIGTERM)

    # A safety net: if the CLI already restored the handlers (it failed), SIGTERM must not end pytest.
    previous = signal.signal(signal.SIGTERM, lambda *_: None)
    driver = threading.Thread(target=drive, name="fake-slack-driver")
    try:
        driver.start()
        result = CliRunner().invoke(slack_cli, ["socket"], obj={"app": runner.app})
        driver.join(30)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert not driver.is_alive()
    if "error" in outcome:
        raise outcome["error"]
    return result, outcome.get("value")


def slash_payload(fake, command: str, text: str, *, n: int) -> dict[str, Any]:
    return {"token": "verif", "team_id": TEAM, "team_domain": "acme", "channel_id": "C0GENERAL",
            "channel_name": "general", "user_id": "U0ANA", "user_name": "ana", "command": f"/{command}",
            "text": text, "api_app_id": "A1", "is_enterprise_install": "false",
            "response_url": fake.response_url(f"sock-cmd{n}"), "trigger_id": f"sock-trig-{n}"}


def press_payload(fake, button: dict[str, Any]) -> dict[str, Any]:
    return {"type": "block_actions", "team": {"id": TEAM, "domain": "acme"},
            "user": {"id": "U0ANA", "username": "ana", "team_id": TEAM}, "api_app_id": "A1",
            "trigger_id": "sock-trig-b1", "channel": {"id": "C0GENERAL", "name": "general"},
            "container": {"type": "message", "message_ts": "1.1", "channel_id": "C0GENERAL", "is_ephemeral": True},
            "response_url": fake.response_url("sock-btn1"),
            "actions": [{"type": "button", "action_id": button["action_id"], "block_id": "b1",
                         "value": button["value"], "action_ts": "1700000000.77"}]}


def dm_payload(text: str, event_id: str) -> dict[str, Any]:
    return {"token": "verif", "team_id": TEAM, "api_app_id": "A1", "type": "event_callback",
            "event_id": event_id, "event_time": int(time.time()),
            "event": {"type": "message", "channel_type": "im", "channel": "D0ANA", "user": "U0ANA", "text": text,
                      "ts": "1700000001.000100", "team": TEAM}}


def live_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.is_alive()}


def test_socket_mode_acks_every_envelope_kind_runs_the_router_and_stops_cleanly(socket_runner, fake,
                                                                                 socket_server):
    before = live_threads()

    def slack() -> dict[str, Any]:
        seen: dict[str, Any] = {}
        conn: Connection = socket_server.wait_connection()
        seen["query"] = conn.query
        # A slash command: acked at once; the work answers later through the response_url.
        seen["command_ack"] = conn.request("slash_commands", slash_payload(fake, "slk-plan", "acct_1 pro <@U0BOB>", n=1),
                                           envelope_id="env-cmd", accepts_response_payload=True)
        preview = fake.wait_for("response:sock-cmd1")[0].body
        confirm = buttons_of(preview["blocks"])["Confirm"]
        # A button press (interactive): the Confirm of that preview runs the command.
        seen["press_ack"] = conn.request("interactive", press_payload(fake, confirm), envelope_id="env-btn",
                                         accepts_response_payload=False)
        seen["done"] = fake.wait_for("response:sock-btn1")[0].body
        # A DM (events_api, message.im): answered with chat.postMessage in the DM.
        seen["event_ack"] = conn.request("events_api", dm_payload("slk-greet Dora", "EvSOCK1"), envelope_id="env-ev",
                                         retry_attempt=0, retry_reason="")
        seen["dm"] = fake.wait_for("chat.postMessage")[0].body
        # A bare command that needs a form: views.open, from the ack path's own pool.
        seen["form_ack"] = conn.request("slash_commands", slash_payload(fake, "slk-invite", "", n=2),
                                        envelope_id="env-form", accepts_response_payload=True)
        seen["form"] = fake.wait_for("views.open")[0].body
        seen["conn"] = conn
        return seen

    result, seen = run_cli_while(socket_runner, slack)

    assert result.exit_code == 0, result.output
    assert "Socket Mode connected" in result.output and "Socket Mode stopped" in result.output
    opened = fake.called("apps.connections.open")
    assert len(opened) == 1 and opened[0].headers["Authorization"] == f"Bearer {APP_TOKEN}"
    assert seen["query"] == {"ticket": "ticket-1", "app_id": "A1"}
    # Every envelope acked with exactly its id (no payload: the answers go through the Web API).
    assert seen["command_ack"] == {"envelope_id": "env-cmd"}
    assert seen["press_ack"] == {"envelope_id": "env-btn"}
    assert seen["event_ack"] == {"envelope_id": "env-ev"}
    assert seen["form_ack"] == {"envelope_id": "env-form"}
    # The router ran each one.
    assert seen["done"]["replace_original"] is True and "acct_1 is now on pro" in seen["done"]["text"]
    assert [c[0] for c in sample.CALLS] == ["slk-plan"]
    assert seen["dm"]["channel"] == "D0ANA" and "Hello Dora" in seen["dm"]["text"]
    assert seen["form"]["trigger_id"] == "sock-trig-2"
    assert IdempotencyRecord.get_or_none(IdempotencyRecord.key == "slack:event:EvSOCK1") is not None
    assert IdempotencyRecord.get_or_none(IdempotencyRecord.key == "slack:trigger:sock-trig-1") is not None
    assert AuditEvent.select().where(AuditEvent.outcome == "executed").count() == 1
    # Clean shutdown: the client closed its websocket, and no thread it or the adapter started is left.
    assert seen["conn"].closed.wait(5)
    for thread in live_threads() - before:
        thread.join(5)
    assert {t.name for t in live_threads() - before} == set()


def test_socket_mode_reconnects_when_slack_asks_for_a_refresh(socket_runner, fake, socket_server):
    def slack() -> dict[str, Any]:
        first = socket_server.wait_connection()
        first.send({"type": "disconnect", "reason": "refresh_requested",
                    "debug_info": {"host": "fake"}})
        second = socket_server.wait_connection()
        started = time.monotonic()
        ack = second.request("events_api", dm_payload("slk-greet Eve", "EvSOCK2"), envelope_id="env-2")
        acked_in = time.monotonic() - started
        dm = fake.wait_for("chat.postMessage")[0].body
        return {"first": first, "second": second, "ack": ack, "dm": dm, "acked_in": acked_in}

    result, seen = run_cli_while(socket_runner, slack)

    assert result.exit_code == 0, result.output
    assert len(fake.called("apps.connections.open")) == 2
    assert seen["second"].query["ticket"] == "ticket-2"
    assert seen["ack"] == {"envelope_id": "env-2"} and "Hello Eve" in seen["dm"]["text"]
    assert seen["first"].closed.wait(5) and seen["second"].closed.wait(5)
    # slack_sdk alone reads nothing from the new connection until a recv on the old one times out (3 s),
    # past Slack's 3 s ack deadline; the adapter shuts the old socket first.
    assert seen["acked_in"] < 1.5


def test_a_refused_app_token_is_a_clear_error(make_runner, fake):
    fake.on("apps.connections.open", lambda call: {"ok": False, "error": "invalid_auth"})
    runner = make_runner(sample.group, settings=Settings.from_env(
        {"SLACK_BOT_TOKEN": TOKEN, "SLACK_APP_TOKEN": "xapp-wrong", "SLACK_API_URL": fake.url}))
    result = CliRunner().invoke(slack_cli, ["socket"], obj={"app": runner.app})
    assert result.exit_code == 1
    assert "Slack refused the app token" in result.output and "invalid_auth" in result.output


def test_socket_mode_without_an_app_token_says_what_is_missing(make_runner, fake):
    runner = make_runner(sample.group, settings=Settings.from_env({"SLACK_BOT_TOKEN": TOKEN,
                                                                   "SLACK_API_URL": fake.url}))
    result = CliRunner().invoke(slack_cli, ["socket"], obj={"app": runner.app})
    assert result.exit_code == 1 and "SLACK_APP_TOKEN" in result.output
