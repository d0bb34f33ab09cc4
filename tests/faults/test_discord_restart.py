"""kill -9 and SIGTERM of the real `chatops discord run` with interactions deferred and waiting: after a
restart each one gets exactly one follow-up (its token still lives), and SIGTERM exits 0 after a drain."""
from __future__ import annotations

import asyncio
import signal
import threading
import time

import pytest

from tests.discord.fakediscord import APP_ID, FakeDiscord
from tests.faults import procs

pytestmark = pytest.mark.faults

SAM_DISCORD = "200000000000000002"  # the demo's support person on Discord


class FakeDiscordThread:
    """The fake Discord on its own event loop in a thread, driven from the (synchronous) test."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.fake = self.call(self._make())

    async def _make(self) -> FakeDiscord:
        fake = FakeDiscord()
        await fake.start()
        return fake

    def call(self, coro, timeout: float = 10):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def wait_identified(self, count: int, timeout: float = 40) -> None:
        end = time.monotonic() + timeout
        while self.fake.identifies < count or self.fake.ws is None or self.fake.ws.closed:
            assert time.monotonic() < end, "the bot did not connect"
            time.sleep(0.05)
        time.sleep(0.3)  # READY and GUILD_CREATE handled

    def followups(self, payload) -> list:
        """The answers the user sees for one interaction: follow-up messages, and the edit of the deferred
        original response (an edit made twice still shows one message, so it counts once)."""
        webhook = f"/webhooks/{APP_ID}/{payload['token']}"
        calls = list(self.fake.calls)
        posts = [c for c in calls if c.method == "POST" and c.path == webhook]
        edits = [c for c in calls if c.method == "PATCH" and c.path == f"{webhook}/messages/@original"]
        return posts + edits[-1:]

    def callbacks(self, payload) -> list:
        return [c for c in list(self.fake.calls) if c.path == f"/interactions/{payload['id']}/{payload['token']}/callback"]

    def close(self) -> None:
        try:
            self.call(self.fake.stop())
            assert not self.fake.mention_violations, self.fake.mention_violations
            assert not self.fake.limit_violations, self.fake.limit_violations
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(5)
            self.loop.close()


def content(call) -> str:
    body = call.json or {}
    parts = [body.get("content") or ""]
    for embed in body.get("embeds") or ():
        parts += [embed.get("title") or "", embed.get("description") or ""]
        parts += [f"{f['name']}: {f['value']}" for f in embed.get("fields") or ()]
    return "\n".join(parts)


@pytest.fixture
def discord_fake():
    fake = FakeDiscordThread()
    yield fake
    fake.close()


@pytest.fixture
def bot(tmp_path, database, fake_slack, ops, discord_fake):
    env = procs.server_env(database, fake_slack.url, ops.url, CHATOPS_WORKERS="2", CHATOPS_BACKEND_TIMEOUT_SECONDS="10",
                           DISCORD_TOKEN="fault-token", DISCORD_API_URL=discord_fake.fake.api_url,
                           DISCORD_GATEWAY_URL=discord_fake.fake.gateway_url, DISCORD_APPLICATION_ID=APP_ID,
                           SLACK_BOT_TOKEN="", SLACK_SIGNING_SECRET="")
    seeded = procs.chatops_cli(env, "demo", "--seed-only")
    assert seeded.returncode == 0, seeded.stderr
    server = procs.Server(env, port=0, log=tmp_path / "bot.log", args=("discord", "run"))
    yield server
    server.stop()


def send_commands(discord_fake, n: int) -> list[dict]:
    payloads = []
    for i in range(n):
        payload = discord_fake.fake.command("batch-status", [{"name": "batch", "type": 3, "value": f"B-{i}"}],
                                            user_id=SAM_DISCORD)
        discord_fake.call(discord_fake.fake.interaction(payload))
        payloads.append(payload)
    end = time.monotonic() + 10
    while time.monotonic() < end and not all(discord_fake.callbacks(p) for p in payloads):
        time.sleep(0.05)
    for p in payloads:  # each was acknowledged (deferred) at once
        (callback,) = discord_fake.callbacks(p)
        assert callback.json["type"] == 5
    return payloads


def wait_followups(discord_fake, payloads, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end and not all(discord_fake.followups(p) for p in payloads):
        time.sleep(0.1)
    time.sleep(1.0)
    for i, p in enumerate(payloads):
        answers = discord_fake.followups(p)
        assert len(answers) == 1, (i, [content(a) for a in answers])
        assert f"Batch B-{i}" in content(answers[0]), content(answers[0])


def test_kill_9_of_the_bot_loses_no_deferred_interaction(bot, discord_fake, ops, database):
    bot.start(wait=False)
    discord_fake.wait_identified(1)
    ops.fault("GET", "*", "slow", seconds=4)
    payloads = send_commands(discord_fake, 4)
    time.sleep(1.0)  # two running (waiting on the backend), two waiting for a worker
    bot.kill(signal.SIGKILL)
    assert bot.wait(10) == -signal.SIGKILL
    assert not any(discord_fake.followups(p) for p in payloads)
    ops.clear_faults()
    bot.start(wait=False)
    discord_fake.wait_identified(2)
    wait_followups(discord_fake, payloads)
    assert procs.query(database, "SELECT COUNT(*) FROM audit_event WHERE command = ? AND outcome = ?",
                       ("batch-status", "allowed"))[0][0] == 4
    bot.kill(signal.SIGTERM)
    assert bot.wait(30) == 0


def test_sigterm_of_the_bot_finishes_running_work_and_exits_0(bot, discord_fake, ops, database):
    bot.start(wait=False)
    discord_fake.wait_identified(1)
    ops.fault("GET", "*", "slow", seconds=2)
    payloads = send_commands(discord_fake, 4)
    time.sleep(0.5)
    bot.kill(signal.SIGTERM)
    assert bot.wait(30) == 0
    log = bot.log()
    assert "Traceback" not in log and "Session is closed" not in log, log[-3000:]
    answered = [p for p in payloads if discord_fake.followups(p)]
    assert 2 <= len(answered) < 4  # the running ones were answered before the exit; the rest wait
    ops.clear_faults()
    bot.start(wait=False)
    discord_fake.wait_identified(2)
    wait_followups(discord_fake, payloads)
    bot.kill(signal.SIGTERM)
    assert bot.wait(30) == 0


def test_an_answer_edited_in_just_before_a_kill_9_is_not_sent_again(bot, discord_fake, database):
    """The narrowest window: the answer (the edit of the deferred response) reached Discord, the work item is
    not marked done, the bot is killed. The next start runs the item again, finds the response already
    answered and leaves it: exactly one answer, and the command ran once."""
    killed = []

    def kill_on_first_answer(call) -> None:
        if not killed:
            killed.append(call)
            bot.kill(signal.SIGKILL)

    discord_fake.fake.on_answer = kill_on_first_answer
    bot.start(wait=False)
    discord_fake.wait_identified(1)
    [payload] = send_commands(discord_fake, 1)
    end = time.monotonic() + 30
    while not killed and time.monotonic() < end:
        time.sleep(0.05)
    assert killed, "the command was never answered"
    assert bot.wait(10) == -signal.SIGKILL
    assert procs.query(database, "SELECT state FROM work_item")[0][0] == "running"  # answered, not marked done
    discord_fake.fake.on_answer = None
    bot.start(wait=False)
    discord_fake.wait_identified(2)
    webhook = f"/webhooks/{APP_ID}/{payload['token']}"
    end = time.monotonic() + 40  # the item is marked done only after its answer (or its look): then all are in
    while time.monotonic() < end and procs.query(database, "SELECT state FROM work_item")[0][0] != "done":
        time.sleep(0.1)
    calls = [c for c in list(discord_fake.fake.calls) if c.path.startswith(webhook)]
    original = f"{webhook}/messages/@original"
    assert [(c.method, c.path) for c in calls] == [("PATCH", original), ("GET", original)]  # looked, not re-sent
    assert "Batch B-0" in content(calls[0])
    assert procs.query(database, "SELECT COUNT(*) FROM audit_event WHERE command = ? AND outcome = ?",
                       ("batch-status", "allowed"))[0][0] == 1
    bot.kill(signal.SIGTERM)
    assert bot.wait(30) == 0
