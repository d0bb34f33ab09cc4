"""Discord first-response latency: HTTP interactions (POST /discord/interactions) next to the gateway bot.

    .venv/bin/python bench/discord_http_latency.py [-n 200] [--database-url postgresql://…]

Two real processes against the fake Discord of the tests (tests/discord/fakediscord.py, REST + gateway on
127.0.0.1, in a thread of this process), each on its own fresh database (SQLite files by default):

  gateway  `chatops discord run`: the fake sends INTERACTION_CREATE over its websocket; timed from just
           before that send to the fake *receiving* the deferred callback (POST …/callback), and to the
           follow-up (POST /webhooks/{app}/{token}).
  http     `chatops run` (waitress) with DISCORD_PUBLIC_KEY and DISCORD_GATEWAY=off: an Ed25519-signed
           POST /discord/interactions; timed from just before the request is written to its response
           (the deferred ack, type 5) being read — on a new connection each time ("new") and on one
           kept-alive connection ("keep-alive") — and to the fake receiving the follow-up.

`/ping` each time (META: an ephemeral defer; the router runs in a worker, the answer is a follow-up).
Interactions alternate between the transports, one at a time: each waits for the previous follow-up.
The signing is done before the clock starts (Discord signs, not us).
"""
from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat  # noqa: E402

from tests.discord.fakediscord import APP_ID  # noqa: E402
from tests.discord.fakethread import FakeDiscordThread  # noqa: E402
from tests.faults import procs  # noqa: E402

KEY = Ed25519PrivateKey.generate()
PUBLIC_KEY = KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def gateway_once(discord_fake: FakeDiscordThread) -> tuple[float, float]:
    fake = discord_fake.fake
    payload = fake.command("ping")

    async def send():  # all on the fake's loop: this thread only waits (no polling competing for the GIL)
        after = len(fake.calls)
        started = time.perf_counter()
        await fake.interaction(payload)
        callback = await fake.wait_for("POST", f"/interactions/{payload['id']}/{payload['token']}/callback",
                                       after=after, timeout=10)
        followup = await fake.wait_for("POST", f"/webhooks/{APP_ID}/{payload['token']}", after=after, timeout=10)
        return started, callback, followup

    started, callback, followup = discord_fake.call(send(), timeout=20)
    return (callback.at - started) * 1000, (followup.at - started) * 1000


def http_once(discord_fake: FakeDiscordThread, port: int, conn: http.client.HTTPConnection | None
              ) -> tuple[float, float]:
    fake = discord_fake.fake
    payload = fake.command("ping")
    body = json.dumps(payload).encode()
    ts = str(int(time.time()))
    headers = {"X-Signature-Ed25519": KEY.sign(ts.encode() + body).hex(), "X-Signature-Timestamp": ts,
               "Content-Type": "application/json"}
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    after = len(fake.calls)
    started = time.perf_counter()
    conn.request("POST", "/discord/interactions", body=body, headers=headers)
    response = conn.getresponse()
    answer = response.read()
    acked = time.perf_counter()
    if own:
        conn.close()
    assert response.status == 200 and json.loads(answer)["type"] == 5, (response.status, answer)
    followup = discord_fake.call(fake.wait_for("POST", f"/webhooks/{APP_ID}/{payload['token']}", after=after,
                                               timeout=10), timeout=20)
    return (acked - started) * 1000, (followup.at - started) * 1000


def line(name: str, values: list[float]) -> str:
    return f"| {name} | {statistics.median(values):.2f} / {pct(values, 95):.2f} / {max(values):.2f} ms |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=200, help="interactions per transport (after 20 warm-ups)")
    parser.add_argument("--database-url", default="", help="a PostgreSQL server URL (a database is created per process)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="chatops-bench-discord-http-"))
    with contextlib.ExitStack() as stack:
        discord_fake = stack.enter_context(FakeDiscordThread())
        base = {"DISCORD_TOKEN": "bench-token", "DISCORD_APPLICATION_ID": APP_ID,
                "DISCORD_API_URL": discord_fake.fake.api_url, "DISCORD_GATEWAY_URL": discord_fake.fake.gateway_url,
                "SLACK_BOT_TOKEN": "", "SLACK_SIGNING_SECRET": "", "CHATOPS_LOG_LEVEL": "WARNING",
                "CHATOPS_AUDIT_SPOOL": str(tmp / "spool.jsonl")}
        pg = args.database_url or None
        (tmp / "gw").mkdir()
        (tmp / "http").mkdir()
        gw_db = stack.enter_context(procs.fresh_database(tmp / "gw", pg))
        http_db = stack.enter_context(procs.fresh_database(tmp / "http", pg))
        gw_env = {**base, "CHATOPS_DATABASE_URL": gw_db}
        http_env = {**base, "CHATOPS_DATABASE_URL": http_db, "DISCORD_PUBLIC_KEY": PUBLIC_KEY, "DISCORD_GATEWAY": "off"}
        for env in (gw_env, http_env):
            done = procs.chatops_cli(env, "db", "upgrade")
            assert done.returncode == 0, done.stderr
        gateway = procs.Server(gw_env, port=0, log=tmp / "gw" / "bot.log", args=("discord", "run"))
        web = procs.Server(http_env, port=procs.free_port(), log=tmp / "http" / "server.log")
        stack.callback(gateway.stop)
        stack.callback(web.stop)
        gateway.start(wait=False)
        discord_fake.wait_identified(1)
        time.sleep(0.5)
        web.start()
        keep = http.client.HTTPConnection("127.0.0.1", web.port, timeout=10)
        results: dict[str, list[float]] = {k: [] for k in ("gw_first", "gw_follow", "new_first", "new_follow",
                                                           "keep_first", "keep_follow")}
        for i in range(20 + args.n):
            measured = i >= 20
            for name, fn in (("gw", lambda: gateway_once(discord_fake)),
                             ("new", lambda: http_once(discord_fake, web.port, None)),
                             ("keep", lambda: http_once(discord_fake, web.port, keep))):
                first, follow = fn()
                if measured:
                    results[f"{name}_first"].append(first)
                    results[f"{name}_follow"].append(follow)
            if len(discord_fake.fake.calls) > 2000:  # keep wait_for's scans short
                discord_fake.fake.calls.clear()
        keep.close()
    print(f"{args.n} /ping interactions per transport (after 20 warm-ups), alternating, one at a time; "
          f"{'PostgreSQL' if pg else 'SQLite'}")
    print("| what | median / p95 / max |")
    print("|---|---|")
    print(line("gateway bot: first response (deferred callback at the fake)", results["gw_first"]))
    print(line("HTTP endpoint, new connection: first response (the 200 with type 5 read)", results["new_first"]))
    print(line("HTTP endpoint, keep-alive: first response", results["keep_first"]))
    print(line("gateway bot: follow-up at the fake", results["gw_follow"]))
    print(line("HTTP endpoint, new connection: follow-up at the fake", results["new_follow"]))
    print(line("HTTP endpoint, keep-alive: follow-up at the fake", results["keep_follow"]))


if __name__ == "__main__":
    main()
