"""Intake: the `/support` form or text → a deflection offer or a routed, classified ticket.

    form = parse_text("category=external_ops_problem urgency=high my payout is late")
    reply = offer(actor, form, suggestions, now=now, new_action=ctx.new_action)   # self-serve first
    ticket = open_from_form(actor, form, now=now, correlation_id=cid, settings=s,
                            origin_channel_id=channel, user_id=user, platform="slack")
    reply = opened_reply(ticket)               # how chatops.support.commands puts them together
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from chatops import parser
from chatops.errors import BadArgument, UsageError
from chatops.identity import Actor
from chatops.reply import Buttons, Fields, Reply, Text
from chatops.settings import Settings
from chatops.support import classify, entitlement, tickets
from chatops.support.models import Deflection, Ticket

_OPTION = re.compile(r"(?:^|\s)(category|type|urgency|summary)=(\"[^\"]*\"|'[^']*'|\S+)", re.I)


@dataclass(frozen=True)
class Form:
    text: str = ""
    category: str | None = None
    urgency: str = "normal"
    summary: str = ""

    def to_payload(self) -> dict[str, Any]:
        return asdict(self)


def normalise_category(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    key = value.strip().lower().replace(" ", "_").replace("-", "_")
    if key not in classify.TYPES:
        raise BadArgument("category", f"must be one of {', '.join(classify.TYPES)}; `{value[:40]}` is not.")
    return key


def normalise_urgency(value: str | None) -> str:
    key = (value or "normal").strip().lower()
    if key not in classify.URGENCIES:
        raise BadArgument("urgency", f"must be one of {', '.join(classify.URGENCIES)}; `{value[:40]}` is not.")
    return key


def parse_text(text: str) -> Form:
    """``[category=…] [urgency=…] [summary="…"] free text`` — options anywhere, the rest verbatim."""
    options: dict[str, str] = {}

    def take(m: re.Match) -> str:
        options["category" if m.group(1).lower() == "type" else m.group(1).lower()] = m.group(2).strip("\"'")
        return " "

    rest = _OPTION.sub(take, text).strip()
    return Form(text=rest, category=normalise_category(options.get("category")),
                urgency=normalise_urgency(options.get("urgency")), summary=options.get("summary", "").strip())


def text_after_command(raw: str) -> str:
    """The invocation text without its command name (``support …`` → ``…``)."""
    normal = parser.normalise(raw)
    parts = normal.split(None, 1)
    return parts[1] if len(parts) > 1 else ""


def offer(actor: Actor, form: Form, suggestions: list[classify.Suggestion], *, now: datetime,
          new_action, articles: list | None = None) -> Reply:
    """Offer answers first — knowledge-base articles (``kb.Hit``), then self-serve commands: "That answers it"
    (no ticket, counted as a deflection) or "I still need help" (the ticket opens, with the offer noted)."""
    from chatops.support import kb

    articles = list(articles or [])
    first = suggestions[0].command if suggestions else f"kb:{articles[0].article.id}"
    row = Deflection.create(person=actor.person.id, text=(form.summary + " " + form.text).strip()[:4000],
                            command=first[:64], created_at=now)
    handle = new_action("deflection", {**form.to_payload(), "deflection_id": row.id,
                                       "articles": kb.offered(articles)})
    blocks: list = []
    if articles:
        blocks.append(Text("This may answer it:"))
        blocks.append(Fields(tuple((f"{h.article.ref}: {h.article.title}", kb.excerpt(h.article))
                                   for h in articles)))
        blocks.append(Text("Read a whole article with `kb NUMBER`."))
    if suggestions:
        blocks.append(Text("You may be able to do this yourself right now:"))
        blocks.append(Fields(tuple((f"`{s.example}`", s.why or s.command) for s in suggestions[:3])))
    solved = "That answers it" if articles and not suggestions else "That solved it"
    blocks.append(Buttons((handle.button(solved, "solved", "primary"), handle.button("I still need help", "open"))))
    return Reply(tuple(blocks), ephemeral=True)


def open_from_form(actor: Actor, form: Form, *, now: datetime, correlation_id: str, settings: Settings,
                   origin_channel_id: str | None, user_id: str, platform: str) -> Ticket:
    body = (form.text or form.summary).strip()
    internal = bool(actor.is_staff or (actor.tier is not None and actor.tier.slug == "internal"))
    typed = classify.type_ticket(" ".join([form.summary, form.text]), form.category, internal=internal)
    category, how = typed.category, typed.how
    summary = form.summary or (body.splitlines()[0] if body else "")
    opening = tickets.Opening(
        requester=actor.person, platform=platform, user_id=user_id, origin_channel_id=origin_channel_id,
        community=actor.community, tier=actor.tier, category=category, classified_by=how,
        urgency=form.urgency, summary=summary[:200], details=form.text, typed_why=typed.why,
    )
    return tickets.open_ticket(opening, tickets.Who.of(actor), now=now, correlation_id=correlation_id,
                               settings=settings)


REPEAT_WINDOW_DAYS = 7  # the same question asked again within this: the open ticket answers it


def _normal(text: str) -> str:
    return " ".join((text or "").lower().split())


def already_asked(actor: Actor, form: Form, *, now: datetime, platform: str) -> Ticket | None:
    """The requester's ticket for this same question (same words, on the same platform, still open, asked in
    the last week), so asking twice does not open two tickets."""
    body = _normal(form.text or form.summary)
    if not body:
        return None
    since = now - timedelta(days=REPEAT_WINDOW_DAYS)
    live = (Ticket.requester == actor.person.id) & (Ticket.platform == platform) & Ticket.state.in_(("open", "claimed", "waiting")) & (
        Ticket.created_at >= since)
    for ticket in Ticket.select().where(live).order_by(Ticket.id.desc()).limit(50):
        if _normal(ticket.details or ticket.summary) == body:
            return ticket
    return None


SIMILAR_SHARE = 0.6  # an open ticket of theirs holding this share of the new question's words is "the same thing"


def similar_open(actor: Actor, form: Form, *, now: datetime, platform: str) -> Ticket | None:
    """The requester's open ticket from the last week that is most like this question (not the same words:
    see :func:`already_asked`), when it holds at least :data:`SIMILAR_SHARE` of its words."""
    from chatops.support import search

    words = search.terms(" ".join([form.summary, form.text]))
    if len(words) < 2:
        return None
    since = now - timedelta(days=REPEAT_WINDOW_DAYS)
    live = (Ticket.requester == actor.person.id) & (Ticket.platform == platform) & Ticket.state.in_(
        ("open", "claimed", "waiting")) & (Ticket.created_at >= since)
    best, best_share = None, 0.0
    for ticket in Ticket.select().where(live).order_by(Ticket.id.desc()).limit(50):
        share = search.coverage(words, f"{ticket.summary} {ticket.details}")
        if share >= SIMILAR_SHARE and share > best_share:
            best, best_share = ticket, share
    return best


def add_to_offer(ticket: Ticket, form: Form, *, new_action) -> Reply:
    """"This looks like your ticket #12: add this to it?" — Add it (a message on #12) or open a new ticket."""
    handle = new_action("repeat", {**form.to_payload(), "ticket_id": ticket.id})
    return Reply((Text(f"This looks like your ticket {ticket.ref}, still {ticket.state}: {ticket.summary}"),
                  Text(f"Add this to {ticket.ref}? The team working on it sees it there."),
                  Buttons((handle.button(f"Add it to {ticket.ref}", "add", "primary"),
                           handle.button("It's something else: open a new ticket", "open")))), ephemeral=True)


def asked_again_reply(ticket: Ticket) -> Reply:
    where = f"<#{ticket.channel_id}>" if ticket.channel_id and ticket.platform in ("slack", "discord") else "the queue"
    return Reply((Text(f"You asked this already: ticket {ticket.ref} is {ticket.state} ({ticket.summary}). "
                       f"No second ticket was opened; it is with the team in {where}. To add something, reply on it "
                       f"with `ticket reply {ticket.id} …`."),), ephemeral=True)


def opened_reply(ticket: Ticket) -> Reply:
    where = f"<#{ticket.channel_id}>" if ticket.channel_id and ticket.platform in ("slack", "discord") else "the queue"
    items = [("Type", classify.label(ticket.category)), ("Sent to", where), ("Urgency", ticket.urgency)]
    if ticket.first_response_due:
        items.append(("First response by", f"{ticket.first_response_due:%Y-%m-%d %H:%M} UTC"))
    text = f"Ticket {ticket.ref} is open: {ticket.summary}"
    if ticket.needs_triage:
        text += "\nA support person will triage it first."
    return Reply((Text(text, "success"), Fields(tuple(items))), ephemeral=True)


def require_text(form: Form) -> None:
    if not (form.text or form.summary):
        raise UsageError("Tell us what you need, for example `support my payout is late`.",
                         hint="Options: category=… urgency=low|normal|high|urgent summary=\"…\"")


def check_channel(actor: Actor, settings: Settings) -> None:
    entitlement.check_channel(actor, settings.support.partner_info)
