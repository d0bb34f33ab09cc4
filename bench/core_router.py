"""Audited invocations per second through the router, next to raw peewee inserts of the same audit row.

    .venv/bin/python bench/core_router.py [--n 5000]
    .venv/bin/python bench/core_router.py --n 3000 --database-url postgresql://postgres@127.0.0.1:5432/x   # router only

Both run in one process, one after the other, on fresh SQLite files with the
project's default pragmas (WAL, synchronous=NORMAL). The raw side inserts one
AuditEvent row per transaction, as the router does; the router side runs
`ping` as a known person: identity lookup, roles, community, tier, policy
override lookup, parse, handler, audit append (hash chain) and commit.
Target (issue 2): router >= 3,000/s and >= 0.5 x the raw rate.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from chatops import builtin, schema
from chatops.commands import Registry
from chatops.app import App
from chatops.db import atomic, connect, database
from chatops.invocation import Invocation
from chatops.models import AuditEvent, Identity, Person
from chatops.settings import Settings


def fresh(path: Path):
    db = connect(f"sqlite:///{path}")
    database.initialize(db)
    schema.upgrade(db)
    return db


def bench_raw(n: int, workdir: Path) -> float:
    fresh(workdir / "raw.db")
    args = json.dumps({}, sort_keys=True)
    prev = "0" * 64
    start = time.perf_counter()
    for seq in range(1, n + 1):
        created = datetime.now(timezone.utc).replace(tzinfo=None)
        digest = hashlib.sha256(f"{prev}{seq}".encode()).hexdigest()
        with atomic():
            AuditEvent.create(seq=seq, created_at=created, correlation_id="0123456789ab",
                              actor="console:bench (Bench)", actor_person_id=1, platform="console",
                              community="", command="ping", arguments=args, outcome="allowed", detail="",
                              prev_hash=prev, hash=digest)
        prev = digest
    return n / (time.perf_counter() - start)


def bench_raw_sql(n: int, workdir: Path) -> float:
    """The floor under both: the same row through a prepared INSERT and a commit, no ORM at all."""
    db = fresh(workdir / "rawsql.db")
    sql = ("INSERT INTO audit_event (seq, created_at, correlation_id, actor, actor_person_id, platform, community, "
           "command, arguments, outcome, detail, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)")
    prev = "0" * 64
    start = time.perf_counter()
    for seq in range(1, n + 1):
        digest = hashlib.sha256(f"{prev}{seq}".encode()).hexdigest()
        with atomic():
            db.execute_sql(sql, (seq, datetime.now(timezone.utc).replace(tzinfo=None), "0123456789ab",
                                 "console:bench (Bench)", 1, "console", "", "ping", "{}", "allowed", "", prev, digest))
        prev = digest
    return n / (time.perf_counter() - start)


def bench_router(n: int, workdir: Path, url: str | None = None) -> float:
    if url:
        db = connect(url)
        database.initialize(db)
        schema.upgrade(db)
    else:
        db = fresh(workdir / "router.db")
    registry = Registry()
    registry.include(builtin.commands)  # the router's cost, not the installed plugins'
    app = App(Settings(), db=db, registry=registry)
    person = Person.create(name="Bench")
    Identity.create(platform="console", user_id="bench", person=person, display_name="Bench")
    for _ in range(50):  # warm up caches and the statement paths
        app.router.handle(Invocation(platform="console", user_id="bench", text="ping"))
    start = time.perf_counter()
    for _ in range(n):
        reply = app.router.handle(Invocation(platform="console", user_id="bench", text="ping"))
    elapsed = time.perf_counter() - start
    assert "pong" in reply.plain_text(), reply.plain_text()
    return n / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--database-url", default=None,
                        help="only the router, on this (empty or chatops) database instead of fresh SQLite files")
    args = parser.parse_args()
    if args.database_url:
        with tempfile.TemporaryDirectory(prefix="chatops-bench-") as tmp:
            routed = bench_router(args.n, Path(tmp), args.database_url)
        print(f"audited router invocations: {routed:9.0f} /s   ({args.database_url.split('@')[-1]})")
        return
    with tempfile.TemporaryDirectory(prefix="chatops-bench-") as tmp:
        workdir = Path(tmp)
        raw = bench_raw(args.n, workdir)
        raw_sql = bench_raw_sql(args.n, workdir)
        routed = bench_router(args.n, workdir)
        from chatops import audit
        ok = audit.verify().ok
    ratio = routed / raw
    print(f"raw peewee audit inserts : {raw:9.0f} /s")
    print(f"raw SQL audit inserts     : {raw_sql:9.0f} /s   (no ORM: the floor under both)")
    print(f"audited router invocations: {routed:9.0f} /s")
    print(f"ratio router/raw          : {ratio:9.2f}   (target >= 0.50)")
    print(f"ratio router/raw SQL      : {routed / raw_sql:9.2f}")
    print(f"audit chain verifies      : {ok}")
    print(f"targets met               : {routed >= 3000 and ratio >= 0.5}")


if __name__ == "__main__":
    main()
