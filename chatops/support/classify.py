"""Ticket types, typing (keyword rules + tickets like this one) and deflection suggestions — rules kept as data.

    typed = type_ticket("the .NET SDK throws on init", internal=False)
    typed.category, typed.how, typed.why    # "external_dev_problem", "similar", "dev problem: like #12, #40; …"
    category, how = classify("my CC is getting declined", chosen=None)   # the keyword rules alone

Typing splits the decision the way the dev-support seed does: *who* asks (``internal``: staff or the
internal tier) decides internal vs external; *what* is asked decides task, ops problem, dev inquiry or
dev problem. Two kinds of evidence: the admin's :class:`KeywordRule` rows (weights honoured) and the
tickets a person typed, retyped or worked to the end (:data:`chatops.support.search.TRAINING_SQL`),
found with the database's full-text ranking — so a retype is a correction typing learns from. Below
:data:`CONFIDENCE` the ticket goes to triage instead of guessing; every typing says why.

Deflection merges the ops area's ``chatops.ops.deflection.suggest(text)`` (when installed) and the
admin-edited :class:`~chatops.support.models.DeflectionRule` rows, keeping only commands the asker
can run.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from chatops.commands import TicketType  # the one taxonomy (chatops.commands.Category shares its values)
from chatops.support.models import DeflectionRule, KeywordRule


TYPES = tuple(t.value for t in TicketType)
URGENCIES = ("low", "normal", "high", "urgent")


def label(category: str | None) -> str:
    return category.replace("_", " ") if category else "unclassified (triage)"


def _keywords(text: str) -> list[str]:
    return [k.strip().lower() for k in text.replace("\n", ",").split(",") if k.strip()]


def _matches(keyword: str, text: str) -> bool:
    return re.search(r"(?<!\w)" + re.escape(keyword) + r"(?!\w)", text) is not None


def classify(text: str, chosen: str | None = None) -> tuple[str | None, str]:
    """(category, how): the requester's choice, else the best-scoring keyword rule, else triage."""
    if chosen:
        return chosen, "requester"
    low = text.lower()
    scores: dict[str, tuple[int, int]] = {}
    for rule in KeywordRule.select().where(KeywordRule.enabled == True).order_by(KeywordRule.id):  # noqa: E712
        hits = sum(1 for k in _keywords(rule.keywords) if _matches(k, low))
        if hits:
            score, first = scores.get(rule.category, (0, rule.id))
            scores[rule.category] = (score + hits * rule.weight, first)
    if not scores:
        return None, "triage"
    best = max(scores.items(), key=lambda kv: (kv[1][0], -kv[1][1]))
    return best[0], "keywords"


# ---- typing: who asks × what is asked ---------------------------------------------------

KIND = {"internal_task": "task", "internal_ops_problem": "ops_problem", "external_ops_problem": "ops_problem",
        "external_dev_inquiry": "dev_inquiry", "external_dev_problem": "dev_problem"}
"""What is asked, whoever asks it."""
AS_INTERNAL = {"task": "internal_task", "ops_problem": "internal_ops_problem", "dev_problem": "internal_ops_problem",
               "dev_inquiry": "internal_task"}
AS_EXTERNAL = {"task": "external_ops_problem", "ops_problem": "external_ops_problem",
               "dev_inquiry": "external_dev_inquiry", "dev_problem": "external_dev_problem"}

CONFIDENCE = 0.6
"""The share of the evidence the best type needs; below it the ticket goes to triage."""
NEIGHBOURS = 8
MIN_SIMILAR = 0.3  # a past ticket counts as "like this one" when it holds at least this share of its words
# How much each kind of evidence counts when it speaks (normalised over those that do):
WEIGHT_MODEL = 0.8  # the classifier learned from the typed tickets (chatops.support.learned)
WEIGHT_RULES = 0.1  # the admin's keyword rules
WEIGHT_SIMILAR = 0.1  # the nearest typed tickets by full-text ranking


@dataclass(frozen=True)
class Typing:
    category: str | None
    how: str          # requester | keywords | similar | learned | triage
    why: str
    confidence: float = 0.0


def _side(category: str, internal: bool | None) -> str:
    if internal is None:
        return category
    return (AS_INTERNAL if internal else AS_EXTERNAL)[KIND[category]]


def _kind_side(kind: str, internal: bool | None) -> list[str]:
    if internal is None:
        return [c for c, k in KIND.items() if k == kind]
    return [(AS_INTERNAL if internal else AS_EXTERNAL)[kind]]


def rule_hits(text: str) -> dict[str, tuple[float, list[str]]]:
    """Per category: the weighted keyword score of the enabled rules, and the keywords that hit."""
    low = text.lower()
    found: dict[str, tuple[float, list[str]]] = {}
    for rule in KeywordRule.select().where(KeywordRule.enabled == True).order_by(KeywordRule.id):  # noqa: E712
        hits = [k for k in _keywords(rule.keywords) if _matches(k, low)]
        if hits and rule.category in KIND:
            score, words = found.get(rule.category, (0.0, []))
            found[rule.category] = (score + len(hits) * max(rule.weight, 0), words + hits)
    return found


def _normalised(scores: dict[str, float]) -> dict[str, float]:
    total = sum(scores.values())
    return {k: v / total for k, v in scores.items()} if total > 0 else {}


def evidence(text: str, *, internal: bool | None = None, exclude: int | None = None,
             learned_probabilities=None) -> dict[str, Any]:
    """The three kinds of evidence, each a distribution over the types ``internal`` allows, with what explains them."""
    from chatops.support import learned, search

    rules: dict[str, float] = {}
    rule_words: dict[str, list[str]] = {}
    for category, (score, hits) in rule_hits(text).items():
        side = _side(category, internal)
        rules[side] = rules.get(side, 0.0) + score
        rule_words.setdefault(side, []).extend(hits)
    words = search.terms(text)
    similar: dict[str, float] = {}
    like: dict[str, list[int]] = {}
    for ticket_id, category, body, _rank in search.ticket_hits(text, limit=NEIGHBOURS * 3, exclude=exclude):
        share = search.coverage(words, body)
        if category not in KIND or share < MIN_SIMILAR:
            continue
        side = _side(category, internal)
        similar[side] = similar.get(side, 0.0) + share
        like.setdefault(side, []).append(ticket_id)
        if sum(map(len, like.values())) >= NEIGHBOURS:
            break
    kinds = (learned_probabilities or learned.probabilities)(text)
    model: dict[str, float] = {}
    for kind, p in (kinds or {}).items():
        for category in _kind_side(kind, internal):
            model[category] = model.get(category, 0.0) + p
    return {"rules": _normalised(rules), "rule_words": rule_words, "similar": _normalised(similar), "like": like,
            "model": _normalised(model)}


def type_ticket(text: str, chosen: str | None = None, *, internal: bool | None = None,
                exclude: int | None = None, learned_probabilities=None) -> Typing:
    """The ticket type for ``text`` asked by staff (``internal=True``), an outsider (False) or unknown (None).

    ``exclude``: a ticket not to learn from by similarity (itself, when re-typing or testing leave-one-out).
    """
    if chosen:
        return Typing(chosen, "requester", "chosen by the requester", 1.0)
    ev = evidence(text, internal=internal, exclude=exclude, learned_probabilities=learned_probabilities)
    parts = [(WEIGHT_MODEL, ev["model"], "learned"), (WEIGHT_RULES, ev["rules"], "keywords"),
             (WEIGHT_SIMILAR, ev["similar"], "similar")]
    speaking = [(w, d, how) for w, d, how in parts if d]
    asker = {True: "asked by staff", False: "asked from outside", None: ""}[internal]
    if not speaking:
        return Typing(None, "triage", "; ".join(x for x in ("nothing like it typed before, no rule matched", asker) if x))
    total_weight = sum(w for w, _, _ in speaking)
    combined: dict[str, float] = {}
    for w, dist, _ in speaking:
        for category, p in dist.items():
            combined[category] = combined.get(category, 0.0) + p * w / total_weight
    best, confidence = max(combined.items(), key=lambda kv: (kv[1], kv[0]))
    reasons = []
    if ev["model"].get(best):
        reasons.append(f"learned {ev['model'][best]:.0%}")
    if ev["like"].get(best):
        reasons.append("like " + ", ".join(f"#{i}" for i in ev["like"][best][:3]))
    if ev["rule_words"].get(best):
        reasons.append(("rule " + ", ".join(f"'{w}'" for w in dict.fromkeys(ev["rule_words"][best])))[:80])
    if asker:
        reasons.append(asker)
    if confidence < CONFIDENCE:
        runner = sorted(combined.items(), key=lambda kv: -kv[1])
        doubt = " or ".join(label(c) for c, _ in runner[:2])
        return Typing(None, "triage", (f"not sure ({doubt}, {confidence:.0%}): " + "; ".join(reasons))[:200], confidence)
    how = max(speaking, key=lambda part: part[0] * part[1].get(best, 0.0))[2]
    return Typing(best, how, (f"{label(best)}: " + "; ".join(reasons))[:200], confidence)


@dataclass(frozen=True)
class Suggestion:
    command: str
    example: str
    why: str


def suggest(text: str, runnable: Callable[[str], bool] | None = None, limit: int = 3, *,
            id_formats: dict[str, tuple[str, str]] | None = None) -> list[Suggestion]:
    """Self-serve commands that may answer ``text``, best first, at most ``limit``.

    Both sources count: the ops hook (``chatops.ops.deflection.suggest``) when installed, then the
    admin-edited :class:`DeflectionRule` rows; a command appears once. With ``runnable``, only
    suggestions whose command it accepts are kept (the ``support`` command passes "is installed
    and the asker's policy allows it").
    """
    found: list[Suggestion] = []
    try:
        from chatops.ops.deflection import suggest as ops_suggest
    except ImportError:
        ops_suggest = None
    if ops_suggest is not None:
        found.extend(Suggestion(s.command, s.example, s.why) for s in ops_suggest(text, id_formats=id_formats))
    low = text.lower()
    for rule in DeflectionRule.select().where(DeflectionRule.enabled == True).order_by(DeflectionRule.id):  # noqa: E712
        if any(_matches(k, low) for k in _keywords(rule.keywords)):
            found.append(Suggestion(rule.command.strip(), rule.example, rule.why))
    seen: set[str] = set()
    kept: list[Suggestion] = []
    for s in found:
        if s.command in seen or (runnable is not None and not runnable(s.command)):
            continue
        seen.add(s.command)
        kept.append(s)
    return kept[:limit]
