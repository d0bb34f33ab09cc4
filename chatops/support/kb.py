"""The knowledge base: articles searched with the database's full-text engine, offered before a ticket.

    kb callbacks                     search (web-search syntax: words, "phrases", or, -word)
    kb 3  ·  kb KB-3                 read one article
    kb-from-ticket 12 [title]        staff: turn a resolved ticket's answer into an article

``/support`` and a DM to the bot show the best matching articles first (see :func:`answers_for`):
"That answers it" counts as a deflection; "I still need help" opens the ticket with the articles
noted on it. Articles are edited in the panel (Support → Knowledge base); ``tiers`` limits who sees
one (staff see all).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from chatops.commands import Category, CommandGroup
from chatops.context import Context
from chatops.converters import FreeText
from chatops.errors import Conflict, NotFound, UsageError
from chatops.policy import staff
from chatops.identity import Actor
from chatops.reply import Fields, Reply, Text
from chatops.text import clip
from chatops.support import search
from chatops.support.models import Article, Ticket, TicketEvent

commands = CommandGroup("kb")

ANSWER_COVERAGE = 0.5
"""An article is offered as an answer when it holds at least this share of the question's words (and at
least two of them, unless the question has only one): below it, the ticket opens without an offer."""


@dataclass(frozen=True)
class Hit:
    article: Article
    rank: float
    coverage: float


def _csv(value: str) -> list[str]:
    return [v.strip().lower() for v in (value or "").split(",") if v.strip()]


def visible(article: Article, actor: Actor | None) -> bool:
    """Published, and for the asker's tier (articles with no tiers are for everyone; staff see all)."""
    if not article.published:
        return False
    if actor is None or actor.is_staff:
        return True
    tiers = _csv(article.tiers)
    return not tiers or (actor.tier is not None and actor.tier.slug.lower() in tiers)


def _text(article: Article) -> str:
    return " ".join((article.title, article.tags.replace(",", " "), article.body))


def search_articles(query: str, actor: Actor | None, *, mode: str = "all", limit: int = 5,
                    category: str | None = None) -> list[Hit]:
    """Articles for ``query`` that ``actor`` may see, best first (``category``: skip articles for other types)."""
    words = search.terms(query)
    ids = search.article_hits(query, mode=mode, limit=max(limit * 4, 20))
    if not ids:
        return []
    rows = {a.id: a for a in Article.select().where(Article.id.in_([i for i, _ in ids]))}
    hits: list[Hit] = []
    for article_id, rank in ids:
        a = rows.get(article_id)
        if a is None or not visible(a, actor):
            continue
        types = _csv(a.ticket_types)
        if category and types and category not in types:
            continue
        hits.append(Hit(a, rank, search.coverage(words, _text(a))))
        if len(hits) >= limit:
            break
    return hits


def answers_for(text: str, actor: Actor | None, *, category: str | None = None, limit: int = 2) -> list[Hit]:
    """The articles that look like they answer a support question (see :data:`ANSWER_COVERAGE`)."""
    words = search.terms(text)
    need = min(2, len(words))
    kept = []
    for hit in search_articles(text, actor, mode="any", limit=8, category=category):
        matched = round(hit.coverage * len(words))
        if matched >= need and hit.coverage >= ANSWER_COVERAGE:
            kept.append(hit)
    kept.sort(key=lambda h: (-h.coverage, -h.rank))
    return kept[:limit]


def excerpt(article: Article, limit: int = 280) -> str:
    body = " ".join(article.body.split())
    return clip(body, limit, at_word=True)


def offered(hits: list[Hit]) -> list[dict]:
    return [{"id": h.article.id, "title": h.article.title} for h in hits]


def count_feedback(article_ids: list[int], *, answered: bool) -> None:
    """One more "that answered it" (or "not enough") for each article offered."""
    if not article_ids:
        return
    field = Article.answered if answered else Article.not_answered
    Article.update({field: field + 1}).where(Article.id.in_([int(i) for i in article_ids])).execute()


def render(article: Article) -> Reply:
    blocks: list = [Text(f"*{article.ref}: {clip(article.title, 150, one_line=True)}*"), Text(clip(article.body, 2800))]
    meta = []
    if article.tags:
        meta.append(("Tags", clip(article.tags, 200)))
    if article.ticket_types:
        meta.append(("For", clip(article.ticket_types.replace("_", " "), 200)))
    if meta:
        blocks.append(Fields(tuple(meta)))
    blocks.append(Text("Not what you needed? Ask with `support …` and a person will answer."))
    return Reply(tuple(blocks), ephemeral=True)


def from_ticket(ticket: Ticket, who, *, now: datetime, correlation_id: str, title: str | None = None) -> Article:
    """A new published article from a resolved ticket: its question and what the team answered."""
    if ticket.state not in ("resolved", "closed"):
        raise Conflict(f"Ticket {ticket.ref} is {ticket.state}: resolve it first, so the article holds the answer "
                       "that worked.")
    answers = [e for e in TicketEvent.select().where((TicketEvent.ticket == ticket.id) & (TicketEvent.internal == False)  # noqa: E712
                                                     & TicketEvent.kind.in_(("reply", "resolved"))).order_by(TicketEvent.id)
               if e.body.strip() and not (e.data or {}).get("from_requester")]
    if not answers:
        raise Conflict(f"Ticket {ticket.ref} has no answer from the team to keep (no reply and no resolution text). "
                       "Write the article in the panel instead.")
    question = (ticket.details or ticket.summary).strip()
    body = "Question:\n" + question + "\n\nAnswer:\n" + "\n\n".join(e.body.strip() for e in answers)
    tags = ", ".join(search.terms(ticket.summary)[:6])
    article = Article.create(title=clip((title or ticket.summary).strip() or f"Ticket {ticket.ref}", 200, one_line=True),
                             body=body[:20000], tags=tags[:300], ticket_types=ticket.category or "",
                             tiers="", published=True, source_ticket=ticket.id, author=who.label[:200],
                             created_at=now, updated_at=now)
    from chatops.support import tickets

    tickets.event(ticket, "kb_article", who, now=now, correlation_id=correlation_id, article=article.id,
                  detail=f"article {article.ref} written from the ticket")
    return article


# ---- commands -----------------------------------------------------------------------------

_REF = re.compile(r"^\s*(?:kb-?|#)?(\d{1,9})\s*$", re.I)


@commands.command(category=Category.SUPPORT, private=True)
def kb(ctx: Context, query: FreeText | None = None) -> Reply:
    """Search the knowledge base, or read an article: `kb callbacks`, `kb "device id" android`, `kb 3`.

    Web-search syntax: every word must match, "quoted phrases", `or`, and `-word` to leave one out.

    Args:
        query: what you are looking for, or an article number
    """
    ctx.audit_outcome = "allowed"
    query = query or ""
    ref = _REF.match(query)
    if ref:
        article = Article.get_or_none(Article.id == int(ref.group(1)))
        if article is None or not visible(article, ctx.actor):
            raise NotFound(f"There is no article KB-{int(ref.group(1))} you can read. Search with `kb WORDS`.")
        ctx.audit_detail = f"read {article.ref}"
        return render(article)
    if not search.terms(query):
        raise UsageError("Search with a few words, for example `kb callbacks` or `kb test cards`.")
    hits = search_articles(query, ctx.actor, mode="all")
    partial = False
    if not hits:
        hits, partial = search_articles(query, ctx.actor, mode="any"), True
    ctx.audit_detail = f"{len(hits)} article(s) found"
    if not hits:
        return Reply.text(f"No article matches `{clip(query, 80, quoted=True)}`. Ask with `support {clip(query, 80, quoted=True)}` "
                          "and a person will answer.", ephemeral=True)
    head = "Articles with some of those words:" if partial else "Articles:"
    items = tuple((f"{h.article.ref}: {clip(h.article.title, 100, one_line=True)}", excerpt(h.article, 200)) for h in hits)
    return Reply((Text(head), Fields(items), Text("Read one with `kb NUMBER`.")), ephemeral=True)


@commands.command(name="kb-from-ticket", category=Category.SUPPORT, policy=staff, private=True)
def kb_from_ticket(ctx: Context, ticket_id: int, title: FreeText | None = None) -> Reply:
    """Staff: keep a resolved ticket's answer as a knowledge-base article (edit it later in the panel).

    Args:
        ticket_id: the resolved ticket
        title: the article's title (default: the ticket's summary)
    """
    from chatops.support import tickets

    ticket = Ticket.get_or_none(Ticket.id == ticket_id)
    if ticket is None:
        raise NotFound(f"There is no ticket #{ticket_id}.")
    article = from_ticket(ticket, tickets.Who.of(ctx.actor), now=ctx.now, correlation_id=ctx.correlation_id,
                          title=title)
    ctx.audit_outcome, ctx.audit_detail = "executed", f"{article.ref} from ticket {ticket.ref}"
    return Reply((Text(f"Article {article.ref} is published: {article.title}", "success"),
                  Text("Edit it in the panel (Support → Knowledge base); `kb "
                       f"{article.id}` shows it.")), ephemeral=True)


def ticket_note(article_ids: list[dict]) -> str:
    return "Offered before the ticket opened, not enough: " + ", ".join(
        f"KB-{a['id']} “{clip(str(a.get('title', '')), 60, one_line=True)}”" for a in article_ids)


__all__ = ["Hit", "answers_for", "commands", "count_feedback", "from_ticket", "render", "search_articles", "visible"]
