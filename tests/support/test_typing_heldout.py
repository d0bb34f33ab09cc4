"""Typing on a held-out set: paraphrases of the five ticket types written by someone who saw neither the
keyword rules nor the demo tickets typing learns from (tests/support/data/README.md). Never tune on it.

The figures are recorded in BENCHMARKS.md; this test keeps them from getting worse. Triage ("not sure") is
not wrong: a person types it. Target (issue 14): ≥ 90% typed correctly, ≤ 5% typed wrongly.
"""
from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

from chatops.support import classify
from chatops.support import demo as support_demo

HELD_OUT = json.loads((Path(__file__).parent / "data" / "heldout_paraphrases.json").read_text())
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)

# The target; measured 94.4% correct, 1.1% wrong, 4.4% triage on SQLite and PostgreSQL (BENCHMARKS.md).
MIN_CORRECT = 0.90
MAX_WRONG = 0.05


def score() -> tuple[Counter, list[tuple[str, str, str | None, str]]]:
    counts: Counter = Counter()
    misses = []
    for item in HELD_OUT:
        typed = classify.type_ticket(item["text"], internal=item["asker"] == "staff")
        outcome = "triage" if typed.category is None else ("correct" if typed.category == item["type"] else "wrong")
        counts[outcome] += 1
        if outcome != "correct":
            misses.append((outcome, item["type"], typed.category, item["text"][:70] + " — " + typed.why[:80]))
    return counts, misses


def test_held_out_paraphrases_are_typed_well(sup, capsys):
    support_demo.seed_history(lambda *_: None, now=NOW)
    counts, misses = score()
    n = len(HELD_OUT)
    correct, wrong = counts["correct"] / n, counts["wrong"] / n
    with capsys.disabled():
        print(f"\nheld-out typing: {n} items, correct {correct:.1%}, wrong {wrong:.1%}, triage {counts['triage'] / n:.1%}")
    assert n >= 80
    assert correct >= MIN_CORRECT, misses
    assert wrong <= MAX_WRONG, misses


def test_without_history_only_the_rules_speak(sup):
    """The demo's past tickets are what typing learns from: without them it is the keyword rules alone."""
    without, _ = score()
    support_demo.seed_history(lambda *_: None, now=NOW)
    with_history, _ = score()
    assert with_history["correct"] > without["correct"]
