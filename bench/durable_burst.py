"""20 concurrent commands whose backend takes 2 s, with /ping sent all through the burst: the SQLite default
and PostgreSQL side by side, each a real `chatops run` process.

    .venv/bin/python bench/durable_burst.py [--rounds 3] [--commands 20] [--pg postgresql://postgres@127.0.0.1:5432/test]

Each round sends ``--commands`` signed `/batch-status` slash commands at once (the fake ops backend
answers every lookup after 2 s) and, from the moment they are acked until the last answer arrives,
a `/ping` every 50 ms. A command's time is from its request to its answer on the response_url (the
fake Slack Web API, in this process); the wall time is from the first request to the last answer.
Bars (issue "durable execution"): all succeed; wall ≤ 1.2 × 2 s × ceil(commands / workers);
/ping p99 < 100 ms during the burst.
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.faults import procs  # noqa: E402
from tests.faults.fake_ops import FakeOps  # noqa: E402
from tests.slack.fake_slack import FakeSlack  # noqa: E402

BACKEND_SECONDS = 2.0


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))]


def one_round(server: procs.Server, fake: FakeSlack, label: str, commands: int) -> dict:
    names = [f"{label}-c{i}" for i in range(commands)]
    sent: dict[str, float] = {}
    acked = threading.Barrier(commands + 1)

    def send(name: str, i: int) -> None:
        sent[name] = time.monotonic()
        status, body, _ = procs.slack_command(server.port, "/batch-status", f"B-{i}",
                                              response_url=fake.response_url(name))
        assert status == 200 and body == b"", (status, body)
        acked.wait()

    started = time.monotonic()
    threads = [threading.Thread(target=send, args=(n, i)) for i, n in enumerate(names)]
    for t in threads:
        t.start()
    acked.wait()
    pings: list[str] = []
    k = 0
    while not all(fake.called("response:" + n) for n in names):
        name = f"{label}-p{k}"
        k += 1
        sent[name] = time.monotonic()
        procs.slack_command(server.port, "/ping", "", response_url=fake.response_url(name))
        pings.append(name)
        time.sleep(0.05)
        if time.monotonic() - started > 120:
            raise SystemExit(f"{label}: not all answered after 120 s")
    wall = max(fake.call_times["response:" + n][0] for n in names) - started
    end = time.monotonic() + 10
    while not all(fake.called("response:" + n) for n in pings) and time.monotonic() < end:
        time.sleep(0.02)
    ping_times = [fake.call_times["response:" + n][0] - sent[n] for n in pings if fake.called("response:" + n)]
    failed = [n for n in names if "Batch B-" not in procs.text_of(fake.called("response:" + n)[0].body)]
    return {"wall": wall, "pings": ping_times, "ping_sent": len(pings), "failed": len(failed),
            "command_times": [fake.call_times["response:" + n][0] - sent[n] for n in names]}


def run_on(database: str, label: str, args, fake: FakeSlack, ops: FakeOps, tmp: Path) -> list[dict]:
    env = procs.server_env(database, fake.url, ops.url, CHATOPS_BACKEND_TIMEOUT_SECONDS="10",
                           CHATOPS_LOG_LEVEL="WARNING", CHATOPS_WORKERS=str(args.workers))
    seeded = procs.chatops_cli(env, "demo", "--seed-only")
    if seeded.returncode:
        raise SystemExit(seeded.stderr)
    server = procs.Server(env, port=procs.free_port(), log=tmp / f"{label}.log").start()
    try:
        procs.slack_command(server.port, "/ping", "", response_url=fake.response_url(f"{label}-warm"))
        fake.wait_for(f"response:{label}-warm", timeout=20)
        return [one_round(server, fake, f"{label}{r}", args.commands) for r in range(args.rounds)]
    finally:
        server.kill(15)
        server.wait(60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--commands", type=int, default=20)
    parser.add_argument("--workers", type=int, default=32, help="CHATOPS_WORKERS of the server (default 32)")
    parser.add_argument("--pg", default=os.environ.get("CHATOPS_TEST_PG_URL") or "postgresql://postgres@127.0.0.1:5432/test",
                        help="a PostgreSQL server to create a throwaway database on ('' to skip)")
    args = parser.parse_args()
    fake, ops = FakeSlack().start(), FakeOps().start()
    ops.fault("GET", "*", "slow", seconds=BACKEND_SECONDS)  # every lookup takes 2 s
    tmp = Path(tempfile.mkdtemp(prefix="chatops-bench-burst-"))
    results = {}
    print(f"{args.commands} concurrent /batch-status (backend {BACKEND_SECONDS:g} s each) + /ping every 50 ms; "
          f"CHATOPS_WORKERS={args.workers}; {args.rounds} round(s); {os.cpu_count()} CPUs; "
          f"load {os.getloadavg()[0]:.2f}")
    with procs.fresh_database(tmp, None) as sqlite_url:
        results["SQLite"] = run_on(sqlite_url, "sqlite", args, fake, ops, tmp)
    if args.pg:
        with procs.fresh_database(tmp, args.pg) as pg_url:
            results["PostgreSQL"] = run_on(pg_url, "pg", args, fake, ops, tmp)
    bar_wall = 1.2 * BACKEND_SECONDS * math.ceil(args.commands / args.workers)
    print(f"\nbars: 0 failed; wall <= {bar_wall:.1f} s; /ping p99 < 100 ms\n")
    print(f"{'database':12} {'round':>5} {'failed':>6} {'wall s':>7} {'cmd p50 s':>9} {'pings':>5} "
          f"{'ping p50 ms':>11} {'ping p99 ms':>11} {'ping max ms':>11}")
    for db, rounds in results.items():
        for i, r in enumerate(rounds):
            pt = r["pings"]
            print(f"{db:12} {i + 1:>5} {r['failed']:>6} {r['wall']:>7.2f} {pct(r['command_times'], 50):>9.2f} "
                  f"{len(pt):>5} {pct(pt, 50) * 1000:>11.1f} {pct(pt, 99) * 1000:>11.1f} {max(pt) * 1000:>11.1f}")
        pings = [p for r in rounds for p in r["pings"]]
        print(f"{db:12} {'all':>5} {sum(r['failed'] for r in rounds):>6} {max(r['wall'] for r in rounds):>7.2f} "
              f"{'':>9} {len(pings):>5} {pct(pings, 50) * 1000:>11.1f} {pct(pings, 99) * 1000:>11.1f} "
              f"{max(pings) * 1000:>11.1f}")
    if len(results) == 2:
        s, p = (max(r["wall"] for r in results[k]) for k in ("SQLite", "PostgreSQL"))
        print(f"\nwall SQLite / PostgreSQL: {s / p:.2f}x")
    fake.stop()
    ops.stop()


if __name__ == "__main__":
    main()
