"""What typing a ticket costs, with N typed tickets to learn from, against the keyword rules alone (the reference).

    .venv/bin/python bench/ticket_typing.py [--n 5000] [--queries 200] [--database-url postgresql://…]

Seeds the demo rules and N past tickets (the demo history, repeated with ids varied), then types
``--queries`` new texts and prints p50/p99 of: the keyword rules alone (``classify.classify``, what
`/support` did before), the full typing (rules + full-text neighbours + the learned model,
``classify.type_ticket``), and one knowledge-base search; plus the time to (re)train the model, which
happens once per change of the training set. Figures and the ratio, side by side, in one run.
"""
from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from chatops import schema
from chatops.db import atomic, connect, database
from chatops.models import Person
from chatops.support import classify, demo_data, kb, learned
from chatops.support import demo as support_demo
from chatops.support.models import Article, KeywordRule, Ticket
from chatops.testing import truncate_all


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--database-url", default=None)
    args = ap.parse_args()
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'typing.db'}"
    db = connect(url)
    database.initialize(db)
    schema.upgrade(db)
    if not url.startswith("sqlite"):
        truncate_all(db)
    rng = random.Random(7)
    now = datetime(2026, 12, 1, tzinfo=timezone.utc)
    person = Person.create(name="bench")
    for category, words in support_demo.KEYWORDS:
        KeywordRule.create(category=category, keywords=words)
    for a in demo_data.ARTICLES:
        Article.create(title=a["title"], body=a["body"], tags=a["tags"], ticket_types=a["ticket_types"], tiers=a["tiers"])
    history = demo_data.HISTORY
    with atomic():
        for i in range(args.n):
            category, summary, details, _answer = history[i % len(history)]
            Ticket.create(requester=person, platform="slack", requester_user_id="U1", category=category,
                          classified_by="staff", summary=summary.replace("_", f"_{i}")[:200],
                          details=f"{details} ref {rng.randint(1000, 99999)}", state="resolved",
                          created_at=now - timedelta(minutes=i), resolved_at=now - timedelta(minutes=i - 5))
    queries = [f"{s} {d}" for _c, s, d, _a in rng.sample(history, min(len(history), args.queries))]

    t0 = time.perf_counter()
    learned.forget()
    learned.model()
    train = time.perf_counter() - t0

    rules, full, search = [], [], []
    for q in queries:
        t = time.perf_counter()
        classify.classify(q)
        rules.append(time.perf_counter() - t)
        t = time.perf_counter()
        classify.type_ticket(q, internal=False)
        full.append(time.perf_counter() - t)
        t = time.perf_counter()
        kb.answers_for(q, None)
        search.append(time.perf_counter() - t)
    engine = "sqlite" if url.startswith("sqlite") else "postgresql"
    print(f"{engine}: {args.n} typed tickets, {len(queries)} queries; model trained on {learned.model().size} "
          f"tickets in {train * 1000:.0f} ms")
    print(f"  keyword rules alone (reference): p50 {pct(rules, .5):6.2f} ms  p99 {pct(rules, .99):6.2f} ms")
    print(f"  full typing:                     p50 {pct(full, .5):6.2f} ms  p99 {pct(full, .99):6.2f} ms  "
          f"ratio p50 {statistics.median(full) / statistics.median(rules):.1f}x")
    print(f"  knowledge-base answer search:    p50 {pct(search, .5):6.2f} ms  p99 {pct(search, .99):6.2f} ms")
    db.close()


if __name__ == "__main__":
    main()
