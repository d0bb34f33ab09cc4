"""Ack latency of Slack slash commands whose work takes 2 s: this adapter (a durable work item written on
the ack path) vs a bare Flask endpoint that only checks the signature, and vs a bare Bolt app.

    .venv/bin/python bench/slack_ack.py [--repeat 3]      # SQLite; prints both, the ratio and missed acks
    CHATOPS_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/chatops_slack .venv/bin/python bench/slack_ack.py

All three apps serve the same Flask + waitress stack (8 threads, waitress.queue
warnings off, like `chatops run`) in their own processes on 127.0.0.1. Ours
acks after one INSERT of the work item (committed), and its workers run the
`bench-slow` command (2 s in a call to "another system", so no transaction is
open meanwhile) and answer through a response_url on a fake Slack Web API. The
bare Flask endpoint checks the v0 signature over the raw body and answers 200
(the floor: no database, no work). The bare Bolt app is slack-bolt in its
default configuration (process_before_response=False: a 5-thread listener
pool, ack polled every 10 ms), its listener calling ack() and then the router.

The load generator is a third process (with the fake Web API): one thread per
request, all released together by a barrier, each opening a raw socket, sending
a signed request and timing until the status line arrives (no HTTP client
parsing in the measured time). An ack is a 200 within Slack's 3 s; a missed ack
is anything else (an error status, no answer, or later than 3 s). Percentiles
count missed acks as infinitely slow ("missed" when a percentile lands on one).
`--repeat N` runs the 50-concurrent scenario N times on each app (work of one
round finishes before the next); each round is shown, then all rounds together.
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import logging
import os
import socket
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
    """Work that takes two seconds (waiting on another system: through chatops.effects, no transaction open)."""
    from chatops import effects

    effects.call("bench.sleep", time.sleep, WORK_SECONDS)
    return Reply.text("done", ephemeral=True)


def bare_flask_app() -> Flask:
    """The floor: a Flask endpoint that checks Slack's signature over the raw body and answers 200."""
    flask_app = Flask("bare-flask")
    secret = SECRET.encode()

    def events():
        raw = request.get_data(cache=True)
        ts = request.headers.get("X-Slack-Request-Timestamp", "")
        sig = request.headers.get("X-Slack-Signature", "")
        if not ts.isdigit() or abs(time.time() - int(ts)) > 300:
            return "invalid signature", 401
        expected = "v0=" + hmac.new(secret, b"v0:" + ts.encode() + b":" + raw, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, sig):
            return "invalid signature", 401
        return "", 200

    flask_app.add_url_rule("/slack/events", "events", events, methods=["POST"])
    return flask_app


def serve(wsgi_app) -> tuple[object, int]:
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # as `chatops run` does
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

    def prepare(self) -> tuple[bytes, str]:
        """A signed /bench-slow request (raw HTTP bytes) and its response_url name."""
        with self.lock:
            self.n += 1
            n = self.n
        name = f"{self.label}{n}"
        body = urlencode({"command": "/bench-slow", "text": "", "user_id": f"U{n % 7}", "team_id": "TBENCH",
                          "channel_id": "CBENCH", "trigger_id": f"{self.label}-{n}",
                          "response_url": self.fake.response_url(name)})
        ts = str(int(time.time()))
        sig = "v0=" + hmac.new(SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
        head = (f"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
                f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
                f"X-Slack-Request-Timestamp: {ts}\r\nX-Slack-Signature: {sig}\r\nConnection: close\r\n\r\n")
        return (head + body).encode(), name

    def send(self, raw: bytes) -> float:
        """Seconds from connecting to the status line of a 200; inf for anything else."""
        start = time.perf_counter()
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=60) as sock:
                sock.sendall(raw)
                first = sock.recv(65536)
                elapsed = time.perf_counter() - start
                data = first
                while chunk := sock.recv(65536):  # the rest (Connection: close), outside the measured time
                    data += chunk
        except OSError:
            return float("inf")
        return elapsed if data.startswith((b"HTTP/1.1 200", b"HTTP/1.0 200")) else float("inf")


def sequential(client: Client, count: int) -> list[float]:
    """One request in flight; the next after the previous one's work answered (uncontended ack)."""
    out = []
    for _ in range(count):
        raw, name = client.prepare()
        out.append(client.send(raw))
        client.fake.wait_for("response:" + name, timeout=30)
    return out


def concurrent(client: Client, count: int) -> list[float]:
    barrier = threading.Barrier(count)
    results: list[float] = [0.0] * count
    prepared = [client.prepare() for _ in range(count)]
    names = [name for _, name in prepared]

    def one(i: int) -> None:
        barrier.wait()
        results[i] = client.send(prepared[i][0])

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if client.label != "flask":  # the bare endpoint does no work
        for name in names:  # let all the work finish before the next scenario
            client.fake.wait_for("response:" + name, timeout=120)
    return results


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile; missed acks are in ``values`` as inf."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[k]


def ms(value: float) -> str:
    return "   missed" if value > ACK_LIMIT else f"{value * 1000:6.1f} ms"


def missed(values: list[float]) -> int:
    return sum(1 for v in values if v > ACK_LIMIT)


def fmt(values: list[float]) -> str:
    ok = [v for v in values if v <= ACK_LIMIT]
    return (f"p50 {ms(pct(values, 50))}  p99 {ms(pct(values, 99))}  "
            f"max acked {max(ok) * 1000 if ok else float('nan'):7.1f} ms  missed acks {missed(values)}/{len(values)}")


def ratio(bare: float, ours: float) -> str:
    return "  ∞ (bare missed)" if bare > ACK_LIMIT else f"{bare / ours:6.1f}x"


def serve_child(which: str, api_url: str) -> None:
    """Child process: serve one app and print its port; the load generator lives in another process (no shared GIL)."""
    from chatops.invocation import utcnow

    runner = ChatOpsRunner(group, settings=Settings.from_env({  # real time: leases and late answers follow it
        "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": api_url}), clock=utcnow)
    app = (create_app(runner.app) if which == "ours" else bare_flask_app() if which == "flask"
           else bare_bolt_app(runner, api_url))
    server, port = serve(app)
    print(port, flush=True)
    sys.stdin.read()  # until the parent closes our stdin
    server.close()


def start_child(which: str, fake: FakeSlack) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen([sys.executable, __file__, "--serve", which, fake.url], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env={**os.environ, "CHATOPS_LOG_LEVEL": "ERROR"})
    return proc, int(proc.stdout.readline())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=1, help="rounds of the 50-concurrent scenario (default 1)")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--no-bolt", action="store_true", help="leave out the bare Bolt app")
    args = parser.parse_args()
    fake = FakeSlack().start()
    procs = []
    apps = {}
    for which, name in (("ours", "chatops adapter"), ("flask", "bare Flask+sig"), ("bare", "bare Bolt")):
        if which == "bare" and args.no_bolt:
            continue
        proc, port = start_child(which, fake)
        procs.append(proc)
        apps[name] = Client(port, fake, which)
    for name, client in apps.items():  # warm up
        if name == "bare Flask+sig":
            client.send(client.prepare()[0])
        else:
            sequential(client, 1)
    db = os.environ.get("CHATOPS_TEST_DATABASE_URL") or "SQLite"
    print(f"Slack slash command ack latency; work {WORK_SECONDS:.0f} s per command; waitress {THREADS} threads; "
          f"database {db.split('@')[-1]}; {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f} at start")
    scenarios = [("1 at a time (10)", lambda c: sequential(c, 10) if c.label != "flask" else
                  [c.send(c.prepare()[0]) for _ in range(10)])]
    scenarios += [(f"{args.concurrency} concurrent" + (f", round {r + 1}" if args.repeat > 1 else ""),
                   lambda c: concurrent(c, args.concurrency)) for r in range(args.repeat)]
    rows = {}
    for label, run in scenarios:
        rows[label] = {name: run(client) for name, client in apps.items()}
    if args.repeat > 1:
        rows[f"{args.concurrency} concurrent, all {args.repeat} rounds"] = {
            name: [v for label, by_app in rows.items() if label.startswith(f"{args.concurrency} concurrent")
                   for v in by_app[name]] for name in apps}
    for label, by_app in rows.items():
        print(f"\n{label}:")
        for name, values in by_app.items():
            print(f"  {name:16} {fmt(values)}")
        a, f = by_app["chatops adapter"], by_app["bare Flask+sig"]
        print(f"  ours / bare Flask+sig: p50 {pct(a, 50) / pct(f, 50):5.2f}x  p99 {pct(a, 99) / pct(f, 99):5.2f}x"
              f"   (bar: p99 <= 50 ms and <= 1.5x)")
        if "bare Bolt" in by_app:
            b = by_app["bare Bolt"]
            print(f"  ratio bare Bolt/ours: p50 {ratio(pct(b, 50), pct(a, 50))}  p99 {ratio(pct(b, 99), pct(a, 99))}")
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end")
    for proc in procs:
        proc.stdin.close()
        proc.wait(30)
    fake.stop()


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--serve":
        serve_child(sys.argv[2], sys.argv[3])
    else:
        main()
