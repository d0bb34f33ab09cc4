"""Ticket types, keyword classification and deflection suggestions — rules kept as data.

    category, how = classify("my CC is getting declined", chosen=None)
    # ("external_ops_problem", "keywords"); no rule matches → (None, "triage")

Deflection merges the ops area's ``chatops.ops.deflection.suggest(text)`` (when installed) and the
admin-edited :class:`~chatops.support.models.DeflectionRule` rows, keeping only commands the asker
can run.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

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
