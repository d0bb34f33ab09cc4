"""10-fold cross-validation of typing over the demo tickets only (never the held-out set), to choose the
weights of the evidence and the confidence threshold (chatops/support/classify.py).

    .venv/bin/python bench/typing_cv.py            # the current weights, then the best of a grid

Each fold's model is trained on the other nine folds (chatops.support.learned.build); the keyword rules
and the full-text neighbours (the ticket itself left out) come from ``classify.evidence``, the same code
typing runs.
"""
from __future__ import annotations

import itertools
from collections import Counter
from datetime import datetime, timezone

from sklearn.model_selection import StratifiedKFold

from chatops import demo
from chatops.support import classify, learned
from chatops.support import demo as support_demo
from chatops.support.models import Ticket
from chatops.testing import ChatOpsRunner


def main() -> None:
    runner = ChatOpsRunner()
    demo.seed()
    support_demo.seed(lambda *_: None)
    support_demo.seed_history(lambda *_: None, now=datetime(2026, 12, 1, tzinfo=timezone.utc))
    rows = list(Ticket.select().where(Ticket.correlation_id.startswith(support_demo.HISTORY_MARK)).order_by(Ticket.id))
    texts = [f"{t.summary} {t.details}" for t in rows]
    kinds = [classify.KIND[t.category] for t in rows]
    probs: list = [None] * len(rows)
    for train, test in StratifiedKFold(10, shuffle=True, random_state=1).split(texts, kinds):
        model = learned.build([texts[i] for i in train], [kinds[i] for i in train])
        for i, p in zip(test, model.predict_proba([texts[i] for i in test])):
            probs[i] = dict(zip(model.classes_, map(float, p)))
    evidence = [classify.evidence(texts[i], internal=rows[i].category.startswith("internal"), exclude=rows[i].id,
                                  learned_probabilities=lambda _t, i=i: probs[i]) for i in range(len(rows))]

    def score(wm: float, wr: float, ws: float, threshold: float) -> tuple[float, float]:
        c: Counter = Counter()
        for ev, t in zip(evidence, rows):
            parts = [(w, d) for w, d in ((wm, ev["model"]), (wr, ev["rules"]), (ws, ev["similar"])) if d and w > 0]
            if not parts:
                c["triage"] += 1
                continue
            total = sum(w for w, _ in parts)
            combined: dict[str, float] = {}
            for w, d in parts:
                for k, p in d.items():
                    combined[k] = combined.get(k, 0.0) + p * w / total
            best = max(combined, key=combined.get)
            c["triage" if combined[best] < threshold else ("correct" if best == t.category else "wrong")] += 1
        return c["correct"] / len(rows), c["wrong"] / len(rows)

    now = score(classify.WEIGHT_MODEL, classify.WEIGHT_RULES, classify.WEIGHT_SIMILAR, classify.CONFIDENCE)
    print(f"{len(rows)} demo tickets; current weights: correct {now[0]:.1%}, wrong {now[1]:.1%}")
    grid = [(score(*cfg), cfg) for cfg in itertools.product((0.6, 0.7, 0.8), (0.0, 0.1, 0.2), (0.0, 0.1, 0.2),
                                                            (0.5, 0.55, 0.6, 0.65))]
    for limit in (0.03, 0.05):
        ok = sorted((g for g in grid if g[0][1] <= limit), reverse=True)[:3]
        for (correct, wrong), (wm, wr, ws, th) in ok:
            print(f"  wrong <= {limit:.0%}: correct {correct:.1%} wrong {wrong:.1%}  model {wm} rules {wr} "
                  f"neighbours {ws} threshold {th}")
    runner.close()


if __name__ == "__main__":
    main()
