"""Time the admin list views on a large database: 1,000,000 audit events and 100,000 tickets.

    python bench/admin_lists.py                                   # a temporary SQLite file
    python bench/admin_lists.py --database-url postgresql://postgres@127.0.0.1:5432/chatops_bench
    python bench/admin_lists.py --events 200000 --tickets 20000   # smaller

Rows are inserted in bulk straight into the tables: the audit events' hashes
are random, so the chain does NOT verify (this is a timing bench, not a chain).
Each page is requested through the real Flask app with a signed-in viewer;
the figure is the median of --repeat requests after one warm-up.
"""
from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def seed(db, events: int, tickets: int) -> None:
    from chatops.models import AuditEvent, Community, Person, Tier
    from chatops.support.models import Ticket

    rng = random.Random(7)
    start = datetime(2025, 1, 1)
    commands = ["whoami", "help", "support", "payment-status", "change-email", "claim", "resolve", "ping",
                "admin.tier.update", "remove-seller-fee"]
    outcomes = ["allowed", "executed", "previewed", "denied", "failed"]
    actors = [f"slack:U{i:05d} (user {i})" for i in range(2000)]
    batch = 10_000
    t0 = time.perf_counter()
    for base in range(0, events, batch):
        rows = []
        for seq in range(base + 1, min(base + batch, events) + 1):
            rows.append({
                "seq": seq, "created_at": start + timedelta(seconds=seq * 30), "correlation_id": secrets.token_hex(6),
                "actor": rng.choice(actors), "actor_person_id": None, "platform": "slack", "community": "maker-dao",
                "command": rng.choice(commands), "arguments": '{"account": "acct_%d"}' % seq,
                "outcome": rng.choice(outcomes), "detail": "", "prev_hash": "0" * 64, "hash": secrets.token_hex(32),
            })
        with db.atomic():
            AuditEvent.insert_many(rows).execute()
    print(f"seeded {events:,} audit events in {time.perf_counter() - t0:.1f}s")
    tiers = [Tier.create(slug=s, name=s.title(), rank=r) for s, r in (("general", 0), ("premium", 10), ("internal", 100))]
    communities = [Community.create(slug=f"c{i}", name=f"Community {i}", tier=tiers[i % 3], permitted=True)
                   for i in range(20)]
    people = [Person.create(name=f"Person {i}") for i in range(500)]
    categories = ["internal_task", "internal_ops_problem", "external_ops_problem", "external_dev_inquiry",
                  "external_dev_problem"]
    states = ["open", "claimed", "waiting", "resolved", "closed"]
    t0 = time.perf_counter()
    for base in range(0, tickets, batch):
        rows = []
        for i in range(base, min(base + batch, tickets)):
            created = start + timedelta(minutes=i * 5)
            rows.append({
                "requester": rng.choice(people).id, "platform": "slack", "requester_user_id": "U1",
                "community": rng.choice(communities).id, "tier": rng.choice(tiers).id,
                "category": rng.choice(categories), "summary": f"Ticket {i}", "state": rng.choice(states),
                "assignee": rng.choice(people).id, "created_at": created,
                "sla_status": rng.choice(["ok", "ok", "ok", "at_risk", "breached"]),
            })
        with db.atomic():
            Ticket.insert_many(rows).execute()
    print(f"seeded {tickets:,} tickets in {time.perf_counter() - t0:.1f}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    opts = parser.parse_args()
    url = opts.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='chatops-bench-')}/bench.db"

    from adapters.web import create_app
    from admin.security import create_user
    from chatops import schema
    from chatops.app import App
    from chatops.builtin import commands as builtin
    from chatops.commands import Registry
    from chatops.db import connect
    from chatops.settings import Settings
    from chatops.testing import truncate_all

    db = connect(url)
    schema.upgrade(db)
    truncate_all(db)
    registry = Registry()
    registry.include(builtin)
    capp = App(Settings.from_env({"CHATOPS_SECRET_KEY": "bench"}), db=db, registry=registry)
    seed(db, opts.events, opts.tickets)
    if url.startswith("postgres"):
        db.execute_sql("ANALYZE")
    create_user("bench", "bench password 123", role="viewer", by="bench")
    app = create_app(capp)
    client = app.test_client()
    import re
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/admin/login").text).group(1)
    assert client.post("/admin/login", data={"csrf_token": token, "username": "bench",
                                             "password": "bench password 123"}).status_code == 302

    def filter_index(endpoint: str, name: str, operation: str = "equals") -> int:
        view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == endpoint)
        return next(i for i, f in enumerate(view._filters) if f.name == name and f.operation() == operation)

    a_cmd = filter_index("audit_event", "Command")
    a_out = filter_index("audit_event", "Outcome")
    a_actor = filter_index("audit_event", "Actor")
    t_tier = filter_index("ticket", "Tier")
    t_status = filter_index("ticket", "Status")
    t_sla = filter_index("ticket", "SLA")
    pages = [
        ("audit: first page", "/admin/audit_event/"),
        ("audit: filtered by command", f"/admin/audit_event/?flt0_{a_cmd}=change-email"),
        ("audit: filtered by actor", f"/admin/audit_event/?flt0_{a_actor}=slack:U00042 (user 42)"),
        ("audit: command + outcome", f"/admin/audit_event/?flt0_{a_cmd}=change-email&flt1_{a_out}=denied"),
        ("audit: deep page (keyset, seq < 1,000)", "/admin/audit_event/?before=1000"),
        ("audit: deep filtered page (keyset)", f"/admin/audit_event/?flt0_{a_cmd}=change-email&before=5000"),
        ("audit: deep page via OFFSET (page 15,000)", "/admin/audit_event/?sort=0&desc=1&page=15000"),
        ("tickets: first page", "/admin/ticket/"),
        ("tickets: tier + status", f"/admin/ticket/?flt0_{t_tier}=premium&flt1_{t_status}=open"),
        ("tickets: breached", f"/admin/ticket/?flt0_{t_sla}=breached"),
        ("tickets: deep page (page 1,500)", "/admin/ticket/?page=1500"),
    ]
    print(f"\n{'page':<46} {'median ms':>10} {'max ms':>8}  rows")
    for label, path in pages:
        resp = client.get(path)
        assert resp.status_code == 200, (path, resp.status_code)
        rows = resp.text.count('<td class="col-id">') or resp.text.count('<td class="col-seq">')
        times = []
        for _ in range(opts.repeat):
            t0 = time.perf_counter()
            client.get(path)
            times.append((time.perf_counter() - t0) * 1000)
        print(f"{label:<46} {statistics.median(times):>10.1f} {max(times):>8.1f}  {rows}")
    print(f"\ndatabase: {url.split('@')[-1]}  (audit hashes are random: `chatops audit verify` would fail)")


if __name__ == "__main__":
    main()
