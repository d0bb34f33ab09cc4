"""What typing a ticket costs, with N typed tickets to learn from, against the keyword rules alone (the reference);
knowledge-base search over many articles; the learned model's batch throughput trained on 10,000 tickets.

    .venv/bin/python bench/ticket_typing.py [--n 10000] [--articles 10000] [--queries 200] [--database-url postgresql://…]

Targets (issue 14): knowledge-base search over 10,000 articles p95 < 50 ms on SQLite and PostgreSQL;
classification of 10,000 ticket texts per second with the learning part trained on 10,000 tickets.

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
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--articles", type=int, default=10000)
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
    words = " ".join(a["body"] for a in demo_data.ARTICLES).split()
    with atomic():
        for i in range(args.articles):
            a = demo_data.ARTICLES[i % len(demo_data.ARTICLES)]
            start = rng.randrange(0, max(1, len(words) - 120))
            Article.create(title=f"{a['title']} ({i})" if i >= len(demo_data.ARTICLES) else a["title"],
                           body=a["body"] if i < len(demo_data.ARTICLES) else " ".join(words[start:start + 120]),
                           tags=a["tags"], ticket_types=a["ticket_types"], tiers=a["tiers"])
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
    kb_search = []
    for q in queries:
        t = time.perf_counter()
        kb.search_articles(q[:60], None, mode="all")
        kb_search.append(time.perf_counter() - t)
    # the learned part alone, trained on --n tickets (production caps training at learned.MAX_TRAINING), in a batch
    texts = [f"{s} {d}" for _c, s, d, _a in (history[i % len(history)] for i in range(args.n))]
    kinds = [classify.KIND[history[i % len(history)][0]] for i in range(args.n)]
    t = time.perf_counter()
    big = learned.build(texts, kinds)
    big_train = time.perf_counter() - t
    batch = texts[:10000]
    t = time.perf_counter()
    big.predict_proba(batch)
    batch_rate = len(batch) / (time.perf_counter() - t)
    engine = "sqlite" if url.startswith("sqlite") else "postgresql"
    print(f"{engine}: {args.n} typed tickets, {len(queries)} queries; model trained on {learned.model().size} "
          f"tickets in {train * 1000:.0f} ms")
    print(f"  keyword rules alone (reference): p50 {pct(rules, .5):6.2f} ms  p99 {pct(rules, .99):6.2f} ms")
    print(f"  full typing:                     p50 {pct(full, .5):6.2f} ms  p99 {pct(full, .99):6.2f} ms  "
          f"ratio p50 {statistics.median(full) / statistics.median(rules):.1f}x")
    print(f"  knowledge-base answer search:    p50 {pct(search, .5):6.2f} ms  p99 {pct(search, .99):6.2f} ms "
          f"({args.articles} articles, /support's any-word match)")
    print(f"  kb search (web-search syntax):   p50 {pct(kb_search, .5):6.2f} ms  p95 {pct(kb_search, .95):6.2f} ms "
          f"(target p95 < 50 ms)")
    print(f"  learned model trained on {args.n} tickets in {big_train:.1f} s; batch classification "
          f"{batch_rate:,.0f} texts/s (target 10,000/s); full typing one at a time "
          f"{1 / statistics.median(full):,.0f} texts/s")
    db.close()


if __name__ == "__main__":
    main()
