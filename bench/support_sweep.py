"""SLA sweep cost: 100,000 open tickets with none due, then 1,000 of them due (each escalated once).

    .venv/bin/python bench/support_sweep.py [--n 100000] [--due 1000] [--database-url sqlite:////tmp/x.db]

Targets (issue 4): the idle sweep well under 200 ms; the due sweep notifies each due ticket exactly
once (a second sweep notifies nothing).
"""
from __future__ import annotations

import argparse
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from chatops import schema
from chatops.db import atomic, connect, database
from chatops.models import Person, Tier
from chatops.settings import Settings
from chatops.support import sweeper
from chatops.support.models import SlaNotification, SupportTeam, Ticket
from chatops.testing import truncate_all


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--due", type=int, default=1_000)
    ap.add_argument("--database-url", default=None)
    args = ap.parse_args()
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'sweep.db'}"
    db = connect(url)
    database.initialize(db)
    schema.upgrade(db)
    if not url.startswith("sqlite"):
        truncate_all(db)
    now = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
    tier = Tier.create(slug="general", name="General", first_response_minutes=60, resolution_minutes=600)
    team = SupportTeam.create(slug="support", name="Support", slack_channel="C_INTERNAL")
    person = Person.create(name="bench")
    base = dict(requester=person.id, platform="slack", requester_user_id="U1", tier=tier.id, summary="bench",
                state="open", channel_id="C_QUEUE", team=team.id, created_at=now,
                first_response_due=now + timedelta(minutes=60), resolution_due=now + timedelta(minutes=600))
    t0 = time.perf_counter()
    with atomic():
        for start in range(0, args.n, 5000):
            Ticket.insert_many([dict(base, next_due=now + timedelta(minutes=50 + (i % 500)))
                                for i in range(start, min(args.n, start + 5000))]).execute()
    print(f"inserted {args.n} open tickets in {time.perf_counter() - t0:.1f} s ({url.split(':')[0]})")
    settings = Settings()
    runs = []
    for _ in range(5):
        t0 = time.perf_counter()
        report = sweeper.sweep(now=now, settings=settings)
        runs.append((time.perf_counter() - t0) * 1000)
        assert report.notified == 0
    print(f"idle sweep over {args.n} open tickets, none due: best {min(runs):.2f} ms, worst {max(runs):.2f} ms")
    ids = [r[0] for r in Ticket.select(Ticket.id).order_by(Ticket.id).limit(args.due).tuples()]
    at = now + timedelta(minutes=48)  # 80 %: the at-risk stage only
    Ticket.update(next_due=at).where(Ticket.id.in_(ids)).execute()
    t0 = time.perf_counter()
    report = sweeper.sweep(now=at, settings=settings)
    ms = (time.perf_counter() - t0) * 1000
    again = sweeper.sweep(now=at, settings=settings)
    rows = SlaNotification.select().count()
    print(f"due sweep: {args.due} due → {report.notified} notification(s) in {ms:.0f} ms "
          f"({ms / max(1, args.due):.2f} ms each); second sweep: {again.notified}; rows: {rows}")
    assert report.notified == args.due == rows and again.notified == 0


if __name__ == "__main__":
    main()
