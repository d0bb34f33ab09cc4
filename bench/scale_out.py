"""Scale-out: sustained end-to-end commands/s of the Procfile topology, 1 web + 1 worker against 2 web + 2
workers, side by side in one run (alternating rounds), with 0 lost and 0 refused checked; and the idle
resident memory of `chatops run`.

    .venv/bin/python bench/scale_out.py [--requests 1500] [--clients 32] [--rounds 2]
                                        [--pg postgresql://postgres@127.0.0.1:5432/test] [--redis redis://127.0.0.1:6379/9]
    .venv/bin/python bench/scale_out.py --rss-only

Each round starts the Procfile's `web` (gunicorn -c deploy/gunicorn.conf.py wsgi:app, one web process of 8
threads, CHATOPS_WORKERS=0: it only accepts) and `worker` (chatops worker, 16 threads) lines on a fresh
PostgreSQL database and Redis, and a fake Slack Web API in this process. ``--clients`` clients each send a
signed `/ping` (to the web processes in turn) and the next one once its answer arrived on the response_url
(closed loop: the sustained rate, not a backlog). Counted afterwards: every request acked, none refused,
each answered exactly once and audited `allowed` exactly once.
"""
from __future__ import annotations

import argparse
import itertools
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.faults import procs as fault_procs  # noqa: E402
from tests.ops_prod.procs import Proc  # noqa: E402
from tests.ops_prod.scale import Load, Topology  # noqa: E402
from tests.slack.fake_slack import FakeSlack  # noqa: E402


def one_round(pg: str, redis_url: str, webs: int, workers: int, requests: int, clients: int,
              base: int) -> dict[str, float]:
    fake = FakeSlack().start()
    tmp = Path(tempfile.mkdtemp(prefix=f"chatops-scale-{webs}x{workers}-"))
    try:
        with fault_procs.fresh_database(tmp, pg) as url:
            migrated = fault_procs.chatops_cli({"CHATOPS_DATABASE_URL": url}, "db", "upgrade")
            assert migrated.returncode == 0, migrated.stderr
            with Topology(tmp, url, redis_url, fake.url, webs=webs, workers=workers, worker_threads=16,
                          CHATOPS_WORK_QUEUE_LIMIT="100000") as topology:
                load = Load(topology, fake)
                numbers = itertools.count(base)
                lock = threading.Lock()
                stop_at = base + requests

                def client() -> None:
                    while True:
                        with lock:
                            n = next(numbers)
                        if n >= stop_at:
                            return
                        outcome = load.one(n)
                        if outcome.acked and not outcome.refused:
                            fake.wait_for(f"response:s{n}", timeout=30)

                warm = [load.one(base - 1 - i) for i in range(20)]  # not counted: imports, connections, caches
                assert all(o.acked for o in warm)
                load.settle(30)
                load.outcomes.clear()
                started = time.perf_counter()
                threads = [threading.Thread(target=client) for _ in range(clients)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                answered = load.settle(60)
                seconds = time.perf_counter() - started
                allowed, refused = load.audited(url)
    finally:
        fake.stop()
    counted = range(base, stop_at)
    outcomes = [load.outcomes[n] for n in counted]
    result = {
        "rate": requests / seconds, "seconds": seconds,
        "not_acked": sum(not o.acked for o in outcomes), "refused": sum(o.refused for o in outcomes),
        "answered_once": sum(answered.get(n) == 1 for n in counted),
        "answered_twice": sum(answered.get(n, 0) > 1 for n in counted),
        "lost": sum(not answered.get(n) for n in counted),
        "audited_once": sum(allowed.get(n) == 1 for n in counted),
        "ack_p50_ms": statistics.median(o.seconds for o in outcomes) * 1000,
        "ack_p99_ms": sorted(o.seconds for o in outcomes)[int(len(outcomes) * 0.99) - 1] * 1000,
    }
    return result


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def idle_rss(settle: float = 10.0) -> dict[str, float]:
    """RSS of `chatops run` (web + 32 in-process worker threads + the scheduled jobs, Slack configured) and of
    the Procfile's gunicorn web (master + one web process), each on a fresh SQLite database, no traffic."""
    fake = FakeSlack().start()
    tmp = Path(tempfile.mkdtemp(prefix="chatops-rss-"))
    url = f"sqlite:///{tmp / 'c.db'}"
    assert fault_procs.chatops_cli({"CHATOPS_DATABASE_URL": url}, "db", "upgrade").returncode == 0
    env = {"CHATOPS_DATABASE_URL": url, "SLACK_BOT_TOKEN": fault_procs.TOKEN, "SLACK_SIGNING_SECRET": fault_procs.SECRET,
           "SLACK_API_URL": fake.url, "DISCORD_TOKEN": "", "CHATOPS_LOG_LEVEL": "WARNING"}
    results = {}
    try:
        port = fault_procs.free_port()
        run = Proc([sys.executable, "-m", "chatops.cli", "run", "--port", str(port)], env, log=tmp / "run.log").start()
        try:
            run.wait_http(port)
            time.sleep(settle)
            results["chatops_run_mib"] = rss_kib(run.pid) / 1024
        finally:
            run.kill_group()
        port = fault_procs.free_port()
        gun = Proc([str(Path(sys.executable).parent / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "wsgi:app"],
                   {**env, "CHATOPS_WEB_BIND": f"127.0.0.1:{port}", "CHATOPS_WEB_PROCESSES": "1",
                    "CHATOPS_WORKERS": "0"}, log=tmp / "gunicorn.log").start()
        try:
            gun.wait_http(port)
            time.sleep(settle)
            results["gunicorn_master_mib"] = rss_kib(gun.pid) / 1024
            results["gunicorn_web_process_mib"] = sum(rss_kib(p) for p in children(gun.pid)) / 1024
        finally:
            gun.kill_group()
    finally:
        fake.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--pg", default=os.environ.get("CHATOPS_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test"),
                        help="server (and database to connect to) where a fresh database is made per round")
    parser.add_argument("--redis", default=f"redis://127.0.0.1:6379/{random.randint(8, 15)}")
    parser.add_argument("--rss-only", action="store_true")
    args = parser.parse_args()

    rss = idle_rss()
    print("idle RSS: " + ", ".join(f"{k} {v:.1f} MiB" for k, v in rss.items()), flush=True)
    if args.rss_only:
        return
    rows: dict[str, list[dict[str, float]]] = {"1 web + 1 worker": [], "2 web + 2 workers": []}
    base = 1_000_000
    for r in range(args.rounds):
        for label, (webs, workers) in (("1 web + 1 worker", (1, 1)), ("2 web + 2 workers", (2, 2))):
            result = one_round(args.pg, args.redis, webs, workers, args.requests, args.clients, base)
            base += args.requests + 100
            rows[label].append(result)
            print(f"round {r + 1} {label}: {result['rate']:.0f}/s over {result['seconds']:.1f} s; "
                  f"not acked {result['not_acked']}, refused {result['refused']}, lost {result['lost']}, "
                  f"answered once {result['answered_once']}/{args.requests}, twice {result['answered_twice']}, "
                  f"audited once {result['audited_once']}; ack p50 {result['ack_p50_ms']:.1f} ms "
                  f"p99 {result['ack_p99_ms']:.1f} ms", flush=True)
    print()
    print("| topology | rates per round | median | lost | refused | answered once | audited once |")
    print("|---|---|---|---|---|---|---|")
    medians = {}
    for label, results in rows.items():
        medians[label] = statistics.median(x["rate"] for x in results)
        rates = ", ".join(f"{x['rate']:.0f}/s" for x in results)
        print(f"| {label} | {rates} | **{medians[label]:.0f}/s** | "
              f"{sum(x['lost'] for x in results)} | {sum(x['refused'] for x in results)} | "
              f"{sum(x['answered_once'] for x in results)}/{args.requests * len(results)} | "
              f"{sum(x['audited_once'] for x in results)}/{args.requests * len(results)} |")
    print(f"\nratio (2 web + 2 workers) / (1 web + 1 worker): "
          f"{medians['2 web + 2 workers'] / medians['1 web + 1 worker']:.2f}x")


if __name__ == "__main__":
    main()
