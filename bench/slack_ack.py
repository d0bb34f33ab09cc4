"""Ack latency of Slack slash commands whose work takes 2 s: this adapter vs a bare Bolt app.

    .venv/bin/python bench/slack_ack.py            # about a minute; prints both, the ratio and missed acks

Both apps serve the same Flask + waitress stack (8 threads, like `chatops run`)
on 127.0.0.1, run the same router and the same `bench-slow` command (it sleeps
2 s inside the work), and answer through a response_url on a fake Slack Web API.
The bare app is slack-bolt in its default configuration
(process_before_response=False: a 5-thread listener pool, ack polled every 10 ms),
its listener calling ack() and then the router. A missed ack is a response
slower than Slack's 3 s limit, or none.
"""
from __future__ import annotations

import hashlib
import hmac
import http.client
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask import Flask, request  # noqa: E402
from slack_bolt import App as BoltApp  # noqa: E402
from slack_bolt.adapter.flask import SlackRequestHandler  # noqa: E402
from slack_sdk import WebClient  # noqa: E402
from waitress.server import create_server  # noqa: E402

from adapters.web import create_app  # noqa: E402
from chatops import Category, CommandGroup, Context, Reply  # noqa: E402
from chatops.invocation import Invocation  # noqa: E402
from chatops.settings import Settings  # noqa: E402
from chatops.testing import ChatOpsRunner  # noqa: E402
from tests.slack.fake_slack import FakeSlack  # noqa: E402

SECRET = "bench-secret"
WORK_SECONDS = 2.0
ACK_LIMIT = 3.0
THREADS = 8

group = CommandGroup("bench")


@group.command("bench-slow", category=Category.SUPPORT)
def bench_slow(ctx: Context) -> Reply:
    """Work that takes two seconds."""
    time.sleep(WORK_SECONDS)
    return Reply.text("done", ephemeral=True)


def serve(wsgi_app) -> tuple[object, int]:
    server = create_server(wsgi_app, host="127.0.0.1", port=0, threads=THREADS, ident="bench")
    threading.Thread(target=server.run, daemon=True).start()
    return server, server.effective_port


def bare_bolt_app(runner: ChatOpsRunner, api_url: str) -> Flask:
    bolt = BoltApp(token="xoxb-bench", signing_secret=SECRET, client=WebClient(token="xoxb-bench", base_url=api_url))

    @bolt.command("/bench-slow")
    def slow(ack, body, respond):
        ack()
        inv = Invocation(platform="slack", user_id=body["user_id"], text="bench-slow", community_id=body["team_id"],
                         idempotency_key="bare:" + body["trigger_id"])
        with runner.db.connection_context():
            reply = runner.app.router.handle(inv)
        respond(reply.plain_text())

    flask_app = Flask("bare-bolt")
    handler = SlackRequestHandler(bolt)
    flask_app.add_url_rule("/slack/events", "events", lambda: handler.handle(request), methods=["POST"])
    return flask_app


class Client:
    def __init__(self, port: int, fake: FakeSlack, label: str) -> None:
        self.port, self.fake, self.label = port, fake, label
        self.n = 0
        self.lock = threading.Lock()

    def send(self) -> tuple[float, str]:
        """One signed /bench-slow; (seconds to the ack, its response_url name)."""
        with self.lock:
            self.n += 1
            n = self.n
        name = f"{self.label}{n}"
        body = urlencode({"command": "/bench-slow", "text": "", "user_id": f"U{n % 7}", "team_id": "TBENCH",
                          "channel_id": "CBENCH", "trigger_id": f"{self.label}-{n}",
                          "response_url": self.fake.response_url(name)})
        ts = str(int(time.time()))
        sig = "v0=" + hmac.new(SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        start = time.perf_counter()
        try:
            conn.request("POST", "/slack/events", body=body, headers={
                "Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": ts,
                "X-Slack-Signature": sig})
            response = conn.getresponse()
            response.read()
            elapsed = time.perf_counter() - start
            if response.status != 200:
                elapsed = float("inf")
        except OSError:
            elapsed = float("inf")
        finally:
            conn.close()
        return elapsed, name


def sequential(client: Client, count: int) -> list[float]:
    """One request in flight; the next after the previous one's work answered (uncontended ack)."""
    out = []
    for _ in range(count):
        elapsed, name = client.send()
        out.append(elapsed)
        client.fake.wait_for("response:" + name, timeout=30)
    return out


def concurrent(client: Client, count: int) -> list[float]:
    barrier = threading.Barrier(count)
    results: list[float] = [0.0] * count
    names: list[str] = [""] * count

    def one(i: int) -> None:
        barrier.wait()
        results[i], names[i] = client.send()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for name in names:  # let all the work finish before the next scenario
        client.fake.wait_for("response:" + name, timeout=120)
    return results


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[k]


def fmt(values: list[float]) -> str:
    ok = [v for v in values if v != float("inf")]
    missed = sum(1 for v in values if v > ACK_LIMIT)
    p50 = pct(ok, 50) * 1000 if ok else float("nan")
    p99 = pct(ok, 99) * 1000 if ok else float("nan")
    failed = len(values) - len(ok)
    return (f"p50 {p50:8.1f} ms  p99 {p99:8.1f} ms  max {max(ok) * 1000 if ok else float('nan'):8.1f} ms  "
            f"missed acks {missed}/{len(values)} ({failed} answered with an error status)")


def serve_child(which: str, api_url: str) -> None:
    """Child process: serve one app and print its port; the load generator lives in another process (no shared GIL)."""
    runner = ChatOpsRunner(group, settings=Settings.from_env({
        "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": api_url}))
    app = create_app(runner.app) if which == "ours" else bare_bolt_app(runner, api_url)
    server, port = serve(app)
    print(port, flush=True)
    sys.stdin.read()  # until the parent closes our stdin
    server.close()


def start_child(which: str, fake: FakeSlack) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen([sys.executable, __file__, "--serve", which, fake.url], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env={**os.environ, "CHATOPS_LOG_LEVEL": "ERROR"})
    return proc, int(proc.stdout.readline())


def main() -> None:
    fake = FakeSlack().start()
    ours_proc, ours_port = start_child("ours", fake)
    bare_proc, bare_port = start_child("bare", fake)
    ours, bare = Client(ours_port, fake, "ours"), Client(bare_port, fake, "bare")
    for client in (ours, bare):  # warm up
        sequential(client, 1)
    db = os.environ.get("CHATOPS_TEST_DATABASE_URL") or "SQLite"
    print(f"Slack slash command ack latency; work {WORK_SECONDS:.0f} s per command; waitress {THREADS} threads; "
          f"database {db.split('@')[-1]}; {os.cpu_count()} CPUs")
    rows = {}
    for label, run in (("1 at a time (10)", lambda c: sequential(c, 10)), ("50 concurrent", lambda c: concurrent(c, 50))):
        rows[label] = {name: run(client) for name, client in (("chatops adapter", ours), ("bare Bolt", bare))}
    for label, by_app in rows.items():
        print(f"\n{label}:")
        for name, values in by_app.items():
            print(f"  {name:16} {fmt(values)}")
        a, b = by_app["chatops adapter"], by_app["bare Bolt"]
        finite_b = [v for v in b if v != float("inf")]
        if finite_b:
            print(f"  ratio bare/ours: p50 {pct(finite_b, 50) / pct(a, 50):.1f}x  "
                  f"p99 {pct(finite_b, 99) / pct(a, 99):.1f}x")
    for proc in (ours_proc, bare_proc):
        proc.stdin.close()
        proc.wait(30)
    fake.stop()


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--serve":
        serve_child(sys.argv[2], sys.argv[3])
    else:
        main()
