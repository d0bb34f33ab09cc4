"""Sustained end-to-end rate on PostgreSQL: signed Slack request → durable work item → worker → router →
reply delivered → audit row, with 1 and with 2 `chatops worker` processes, next to the router's in-process
rate (bench/core_router.py) on the same database server.

    .venv/bin/python bench/e2e_rate.py [--requests 1500] [--concurrency 16] [--pg postgresql://postgres@127.0.0.1:5432/test]

The web process (`chatops run`, CHATOPS_WORKERS=0) only accepts: it writes the work item and acks.
The workers (`chatops worker --no-huey`, 16 threads each) lease the items, run `/ping` through the
router (identity, policy, audit append in the hash chain) and answer on the response_url of a fake
Slack Web API served by this process. The load generator runs ``--concurrency`` clients, each sending its next request once its
last one was answered (closed loop: the sustained rate, not a backlog past the queue limit). Counted at the end: every request acked, answered exactly once, one audit
row each, every work item done — "nothing lost" is checked, not assumed.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.faults import procs  # noqa: E402
from tests.faults.fake_ops import FakeOps  # noqa: E402
from tests.slack.fake_slack import FakeSlack  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def load(port: int, fake: FakeSlack, label: str, total: int, concurrency: int) -> tuple[float, list[str], int]:
    """``total`` /ping, ``concurrency`` at a time end to end (a client sends its next one once its last one
    was answered): the sustained rate, without piling work up past the queue limit.
    Returns (seconds to the last answer, names, acks that were not a plain 200)."""
    names = [f"{label}-{i}" for i in range(total)]
    it = iter(names)
    lock = threading.Lock()
    bad = [0]

    def client() -> None:
        while True:
            with lock:
                name = next(it, None)
            if name is None:
                return
            status, body, _ = procs.slack_command(port, "/ping", "", response_url=fake.response_url(name))
            if status != 200 or body:
                with lock:
                    bad[0] += 1
                    if bad[0] <= 3:
                        print(f"  ack {status}: {body[:200]!r}")
                continue
            try:
                fake.wait_for("response:" + name, timeout=60)
            except AssertionError:
                pass  # counted as unanswered below

    started = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    time.sleep(1.0)  # a second answer, if any, would have arrived
    last = max((fake.call_times["response:" + n][0] for n in names if fake.called("response:" + n)), default=started)
    return last - started, names, bad[0]


def run(workers: int, args, fake: FakeSlack, ops: FakeOps, tmp: Path) -> dict:
    with procs.fresh_database(tmp, args.pg) as url:
        env = procs.server_env(url, fake.url, ops.url, CHATOPS_WORKERS="0", CHATOPS_LOG_LEVEL="WARNING",
                               CHATOPS_WORK_POLL_SECONDS="0.05")
        seeded = procs.chatops_cli(env, "demo", "--seed-only")
        if seeded.returncode:
            raise SystemExit(seeded.stderr)
        web = procs.Server(env, port=procs.free_port(), log=tmp / f"web{workers}.log").start()
        pool = [procs.Server(env, port=0, log=tmp / f"worker{workers}-{i}.log",
                             args=("worker", "--no-huey", "--threads", "16")).start(wait=False)
                for i in range(workers)]
        time.sleep(3)  # the workers are up (they log "chatops worker …")
        try:
            seconds, names, bad = load(web.port, fake, f"w{workers}", args.requests, args.concurrency)
            answers = [len(fake.called("response:" + n)) for n in names]
            audit = procs.query(url, "SELECT COUNT(*) FROM audit_event WHERE command = ? AND outcome = ?",
                                ("ping", "allowed"))[0][0]
            states = dict(procs.query(url, "SELECT state, COUNT(*) FROM work_item GROUP BY state"))
        finally:
            for p in pool:
                p.kill(15)
            web.kill(15)
            for p in (*pool, web):
                p.wait(60)
    return {"seconds": seconds, "rate": args.requests / seconds, "bad_acks": bad,
            "answered_once": sum(1 for a in answers if a == 1), "answered_twice": sum(1 for a in answers if a > 1),
            "unanswered": sum(1 for a in answers if a == 0), "audit": audit, "states": states}


def core_router(pg: str) -> str:
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "core_router.py"), "--n", "3000",
                          "--database-url", pg], capture_output=True, text=True, timeout=600, cwd=str(ROOT))
    match = re.search(r"audited router invocations:\s+(\d+)", out.stdout)
    return match.group(1) if match else f"(no figure: {out.stderr[-300:]})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--pg", default=os.environ.get("CHATOPS_TEST_PG_URL") or "postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    fake, ops = FakeSlack().start(), FakeOps().start()
    tmp = Path(tempfile.mkdtemp(prefix="chatops-bench-e2e-"))
    print(f"/ping end to end on PostgreSQL: {args.requests} requests, {args.concurrency} in flight; "
          f"{os.cpu_count()} CPUs; load {os.getloadavg()[0]:.2f}")
    results = {n: run(n, args, fake, ops, tmp) for n in (1, 2)}
    with procs.fresh_database(tmp, args.pg) as url:
        router = core_router(url)
    print(f"\n{'workers':>7} {'req/s':>7} {'seconds':>7} {'answered once':>13} {'twice':>5} {'none':>4} "
          f"{'bad acks':>8} {'audit rows':>10}  work items")
    for n, r in results.items():
        print(f"{n:>7} {r['rate']:>7.0f} {r['seconds']:>7.1f} {r['answered_once']:>13} {r['answered_twice']:>5} "
              f"{r['unanswered']:>4} {r['bad_acks']:>8} {r['audit']:>10}  {r['states']}")
    print(f"\nrouter in-process (bench/core_router.py --n 3000, same PostgreSQL): {router} audited invocations/s")
    print(f"2 workers / 1 worker: {results[2]['rate'] / results[1]['rate']:.2f}x")
    fake.stop()
    ops.stop()


if __name__ == "__main__":
    main()
