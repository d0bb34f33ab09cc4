"""Full-text search with the database's own engine: SQLite FTS5 (porter stemming, bm25) or PostgreSQL
``tsvector`` (``websearch_to_tsquery`` ranked by ``ts_rank_cd``; any-word queries, which match many
articles or tickets, by the cheaper ``ts_rank``; both over the stored ``search_doc`` column). Used by the knowledge base and by typing
("tickets like this one were …"). Schema: ``chatops/migrations/203_knowledge_base.py``.

    terms("How do callbacks work?")            # ['callbacks', 'work'] (stop words dropped)
    article_hits("callbacks", mode="all")      # [(article_id, rank), ...] best first
    ticket_hits("the SDK throws", limit=10)    # [(ticket_id, rank), ...] among tickets a person typed

Ranks order results within one query; how well a text covers another is :func:`coverage`, which is
the same on both engines (so a decision such as "does this article answer it?" does not depend on
which database runs it).

>>> terms("How do I send the device-id via the Android SDK??")
['send', 'device', 'id', 'android', 'sdk']
>>> round(coverage(terms("callbacks work"), "How callbacks work: retries and signatures"), 2)
1.0
>>> stem("callbacks") == stem("callback"), stem("declined") == stem("decline")
(True, True)
"""
from __future__ import annotations

import re

from chatops.db import is_sqlite
from chatops.models import database

MAX_TERMS = 24
ANY_TERMS = 10  # an any-word query (a support question against the articles) uses its longest words only

STOP = frozenset("""
a about above after again against all am an and any are aren as at be because been before being below between both
but by can cannot could did didn do does doesn doing don down during each few for from further had has have having he
her here hers herself him himself his how i if in into is isn it its itself just let me more most my myself no nor not
of off on once only or other our ours ourselves out over own same she should so some such than that the their theirs
them themselves then there these they this those through to too under until up very was wasn we were what when where
which while who whom why will with won would you your yours yourself yourselves hi hello hey thanks thank please pls
im ive get got getting us also still anyone someone help need want know tell way like via
""".split())

_WORD = re.compile(r"[a-z0-9]+")


def terms(text: str) -> list[str]:
    """The words of ``text`` that say something (lower case, no stop words, each once, at most 24)."""
    seen: list[str] = []
    for w in _WORD.findall((text or "").lower()):
        if w in STOP or (len(w) < 2 and not w.isdigit()) or w in seen:
            continue
        seen.append(w)
        if len(seen) >= MAX_TERMS:
            break
    return seen


def stem(word: str) -> str:
    """A light suffix strip, the same on both engines (only :func:`coverage` uses it)."""
    w = word.lower()
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if len(w) > len(suffix) + 2 and w.endswith(suffix):
            w = w[: -len(suffix)] + keep
            break
    return w.rstrip("e") if len(w) > 4 else w


def coverage(query_terms: list[str], text: str) -> float:
    """The share of ``query_terms`` that occur in ``text`` (stemmed both sides); 0.0 without terms."""
    if not query_terms:
        return 0.0
    words = {stem(w) for w in _WORD.findall((text or "").lower())}
    return sum(1 for t in query_terms if stem(t) in words) / len(query_terms)


# ---- queries ------------------------------------------------------------------------------


def _fts5_any(words: list[str]) -> str:
    return " OR ".join(f'"{w}"' for w in words)


def _fts5_websearch(query: str) -> str:
    """PostgreSQL's websearch syntax for FTS5: words (all must match), "quoted phrases", ``or``, ``-word``.

    >>> _fts5_websearch('callbacks "device id" -ios or webhooks')
    '"callbacks" AND "device id" NOT "ios" OR "webhooks"'
    """
    out: list[str] = []
    for m in re.finditer(r'(-?)"([^"]*)"|(-?)(\S+)', query or ""):
        quoted = m.group(2) is not None
        neg = bool(m.group(1) or m.group(3))
        raw = m.group(2) if quoted else m.group(4)
        if not quoted and not neg and raw.lower() == "or":
            if out and out[-1] != "OR":
                out.append("OR")
            continue
        words = [w for w in _WORD.findall(raw.lower()) if quoted or w not in STOP]
        if not words:
            continue
        phrase = '"' + " ".join(words) + '"'
        if neg:
            if out and out[-1] != "OR":  # FTS5's NOT is binary: it needs something on its left
                out.extend(("NOT", phrase))
            continue
        if out and out[-1] != "OR":
            out.append("AND")
        out.append(phrase)
    while out and out[-1] in ("OR", "AND", "NOT"):
        out.pop()
    return " ".join(out)


def article_hits(query: str, *, mode: str = "any", limit: int = 20) -> list[tuple[int, float]]:
    """Published articles matching ``query``, best first: ``mode="all"`` is a web-search query (every word,
    "phrases", ``or``, ``-not``); ``"any"`` matches any of its words (how a support question is compared)."""
    words = terms(query)
    if not words:
        return []
    words = sorted(words, key=len, reverse=True)[:ANY_TERMS]  # an any-word match ranks by the telling words
    if is_sqlite():
        match = _fts5_websearch(query) if mode == "all" else _fts5_any(words)
        if not match:
            return []
        sql = ("SELECT a.id, -bm25(kb_article_fts, 10.0, 5.0, 1.0) FROM kb_article_fts JOIN kb_article a "
               "ON a.id = kb_article_fts.rowid WHERE kb_article_fts MATCH ? AND a.published "
               "ORDER BY bm25(kb_article_fts, 10.0, 5.0, 1.0) LIMIT ?")
        rows = database.execute_sql(sql, (match, limit)).fetchall()
    else:
        q = "websearch_to_tsquery('english', %s)" if mode == "all" else "to_tsquery('english', %s)"
        arg = query if mode == "all" else " | ".join(words)
        rank = "ts_rank_cd" if mode == "all" else "ts_rank"  # an any-word query matches many: the cheaper rank
        sql = (f"SELECT a.id, {rank}(a.search_doc, q, 1) AS r FROM kb_article a, {q} q "
               f"WHERE a.search_doc @@ q AND a.published ORDER BY r DESC, a.id LIMIT %s")
        rows = database.execute_sql(sql, (arg, limit)).fetchall()
    return [(int(r[0]), float(r[1])) for r in rows]


TRAINING_SQL = "t.category IS NOT NULL AND (t.classified_by = 'staff' OR t.state IN ('resolved', 'closed'))"
"""Tickets typing learns from: typed (or retyped) by a person on the team, or worked to the end with their type."""


def ticket_hits(text: str, *, limit: int = 10, exclude: int | None = None) -> list[tuple[int, str, str, float]]:
    """(id, category, summary + details, rank) of the learned-from tickets most like ``text``, best first."""
    words = terms(text)
    if not words:
        return []
    skip = -1 if exclude is None else int(exclude)
    if is_sqlite():
        sql = ("SELECT t.id, t.category, t.summary || ' ' || t.details, -bm25(ticket_fts) FROM ticket_fts "
               f"JOIN ticket t ON t.id = ticket_fts.rowid WHERE ticket_fts MATCH ? AND {TRAINING_SQL} AND t.id != ? "
               "ORDER BY bm25(ticket_fts) LIMIT ?")
        rows = database.execute_sql(sql, (_fts5_any(words), skip, limit)).fetchall()
    else:
        sql = (f"SELECT t.id, t.category, t.summary || ' ' || t.details, ts_rank(t.search_doc, q, 1) AS r "
               f"FROM ticket t, to_tsquery('english', %s) q WHERE t.search_doc @@ q AND {TRAINING_SQL} "
               "AND t.id != %s ORDER BY r DESC, t.id DESC LIMIT %s")
        rows = database.execute_sql(sql, (" | ".join(words), skip, limit)).fetchall()
    return [(int(r[0]), r[1], r[2] or "", float(r[3])) for r in rows]
