"""The ticket lifecycle: open → claimed → waiting on requester → resolved → closed, and reopen.

    who = Who.of(actor)
    t = tickets.open_ticket(Opening(...), who, now=now, correlation_id=cid, settings=s)
    tickets.claim(t, who, now=now, correlation_id=cid, settings=s)
    tickets.reply(t, who, "Fixed on our side", now=now, correlation_id=cid, settings=s)   # first response
    tickets.resolve(t, who, now=now, correlation_id=cid, settings=s)         # cred + CSAT prompt

Every transition writes a :class:`TicketEvent` and an audit event in the caller's transaction,
and recomputes the ticket's ``next_due`` (what the SLA sweeper's index looks at). Messages to
the ticket's channel and to the requester go through the outbox; a transition that is not
possible from the ticket's state raises :class:`~chatops.errors.Conflict`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chatops import audit, outbox
from chatops.context import create_action
from chatops.errors import Conflict, UsageError
from chatops.models import Community, Person, Tier
from chatops.reply import Button, Buttons, Destination, Fields, Reply, Text
from chatops.settings import Settings
from chatops.support import oncall, routing, sla
from chatops.support.classify import label as type_label
from chatops.support.models import CategoryWeight, Ticket, TicketEvent

SYSTEM = "system:sla-sweeper"


@dataclass(frozen=True)
class Who:
    """Who acts on a ticket: a person (None for the system), a label for the audit trail, and where."""

    person: Person | None
    label: str
    platform: str = ""
    community: str = ""
    is_staff: bool = False

    @classmethod
    def of(cls, actor: Any) -> "Who":
        return cls(actor.person, actor.label, actor.platform,
                   actor.community.slug if actor.community else "", actor.is_staff)


SYSTEM_WHO = Who(None, SYSTEM)


@dataclass(frozen=True)
class Opening:
    requester: Person
    platform: str
    user_id: str
    origin_channel_id: str | None
    community: Community | None
    tier: Tier | None
    category: str | None
    classified_by: str
    urgency: str
    summary: str
    details: str
    typed_why: str = ""  # why typing chose the category (or triage), shown on the card


def event(ticket: Ticket, kind: str, who: Who, *, now: datetime, correlation_id: str, body: str = "",
          internal: bool = False, detail: str = "", **data: Any) -> TicketEvent:
    """Record a transition on the ticket and in the audit trail (same transaction)."""
    ev = TicketEvent.create(ticket=ticket.id, kind=kind, actor=who.person.id if who.person else None,
                            actor_label=who.label, body=body, internal=internal, data=data, created_at=now)
    audit.record(correlation_id=correlation_id or ticket.correlation_id, actor=who.label,
                 actor_person_id=who.person.id if who.person else None, platform=who.platform or ticket.platform,
                 community=who.community, command=f"ticket:{kind}",
                 arguments={"ticket": ticket.id, **{k: v for k, v in data.items() if v is not None}},
                 outcome="executed", detail=detail or (body[:200] if not internal else "internal note"), at=now)
    return ev


def _save(ticket: Ticket, settings: Settings) -> None:
    ticket.next_due = sla.next_due(ticket, settings)
    ticket.save()


def card(ticket: Ticket, *, headline: str | None = None) -> Reply:
    """The ticket's message in its channel, with its buttons."""
    tier = Tier.get_or_none(Tier.id == ticket.tier_id) if ticket.tier_id else None
    community = Community.get_or_none(Community.id == ticket.community_id) if ticket.community_id else None
    assignee = Person.get_or_none(Person.id == ticket.assignee_id) if ticket.assignee_id else None
    items = [
        ("Type", type_label(ticket.category) + (f" ({ticket.typed_why})" if ticket.typed_why and ticket.classified_by
                                                in ("keywords", "similar", "learned", "triage") else "")),
        ("Tier", tier.name if tier else "none"),
        ("Community", community.name if community else "none"),
        ("Urgency", ticket.urgency),
        ("State", ticket.state + (f" — {assignee.name}" if assignee else "")),
        ("Requester", oncall.handle(Person.get_by_id(ticket.requester_id), ticket.platform)),
    ]
    if ticket.first_response_due and ticket.first_response_at is None:
        items.append(("First response due", f"{ticket.first_response_due:%Y-%m-%d %H:%M} UTC"))
    if ticket.resolution_due and ticket.state in ("open", "claimed", "waiting"):
        items.append(("Resolution due", f"{ticket.resolution_due:%Y-%m-%d %H:%M} UTC"))
    blocks: list = [Text(headline or f"Ticket {ticket.ref}: {ticket.summary}"), Fields(tuple(items))]
    if ticket.needs_triage:
        blocks.append(Text("Needs triage: no routing rule matched or the type is unknown.", "warning"))
    if ticket.details and ticket.details != ticket.summary:
        blocks.append(Text(ticket.details[:1500]))
    if ticket.action_token:
        token = ticket.action_token
        if ticket.state in ("open", "waiting"):
            buttons = [Button("Claim", f"{token}.claim", "primary"), Button("Resolve", f"{token}.resolve")]
        elif ticket.state == "claimed":
            buttons = [Button("Waiting on requester", f"{token}.wait"), Button("Resolve", f"{token}.resolve", "primary"),
                       Button("Unclaim", f"{token}.unclaim")]
        elif ticket.state == "resolved":
            buttons = [Button("Close", f"{token}.close"), Button("Reopen", f"{token}.reopen")]
        else:
            buttons = [Button("Reopen", f"{token}.reopen")]
        blocks.append(Buttons(tuple(buttons)))
    return Reply(tuple(blocks))


def post_card(ticket: Ticket, *, now: datetime, headline: str | None = None, dedupe_key: str | None = None,
              new_thread: bool = False) -> None:
    """Post the ticket's card to its channel; ``new_thread`` asks Discord for a conversation thread on it."""
    if ticket.platform in ("slack", "discord") and ticket.channel_id:
        thread = "new" if new_thread and ticket.platform == "discord" else None
        outbox.enqueue(Destination(ticket.platform, ticket.channel_id), card(ticket, headline=headline), now=now,
                       dedupe_key=dedupe_key, correlation_id=ticket.correlation_id, thread_id=thread)


def refresh_card(ticket: Ticket, *, now: datetime) -> None:
    """Show the ticket's new state on the card posted when it opened (edited in place by the sender:
    state, assignee, buttons for what can happen next)."""
    if ticket.platform in ("slack", "discord") and ticket.channel_id:
        outbox.enqueue(Destination(ticket.platform, ticket.channel_id), card(ticket), now=now,
                       correlation_id=ticket.correlation_id, edits=card_key(ticket))


def tell_requester(ticket: Ticket, reply: Reply, *, now: datetime, dedupe_key: str | None = None) -> bool:
    """Post to the channel (or DM) the requester asked from, mentioning them."""
    if ticket.platform not in ("slack", "discord") or not ticket.origin_channel_id:
        return False
    outbox.enqueue(Destination(ticket.platform, ticket.origin_channel_id), reply, now=now, dedupe_key=dedupe_key,
                   correlation_id=ticket.correlation_id)
    return True


# ---- transitions ----------------------------------------------------------------------

def open_ticket(o: Opening, who: Who, *, now: datetime, correlation_id: str, settings: Settings) -> Ticket:
    match = routing.route(platform=o.platform, tier=o.tier, community=o.community, category=o.category,
                          settings=settings)
    team = (match.route.team if match.route and match.route.team_id else None) or oncall.default_team(settings)
    fr_due, res_due = sla.targets(o.tier, now)
    ticket = Ticket.create(
        requester=o.requester, platform=o.platform, requester_user_id=o.user_id,
        origin_channel_id=o.origin_channel_id, community=o.community, tier=o.tier, category=o.category,
        classified_by=o.classified_by, typed_why=o.typed_why[:200], urgency=o.urgency, summary=o.summary[:200],
        details=o.details, state="open", needs_triage=match.flagged or o.category is None, route=match.route, team=team,
        channel_id=match.channel_id, correlation_id=correlation_id, created_at=now,
        first_response_due=fr_due, resolution_due=res_due,
    )
    ticket.action_token = create_action("ticket", payload={"ticket_id": ticket.id}, requester_id=o.requester.id,
                                        correlation_id=correlation_id, now=now, command="support").token
    _save(ticket, settings)
    event(ticket, "opened", who, now=now, correlation_id=correlation_id, body=o.summary,
          category=o.category, classified_by=o.classified_by, why=o.typed_why or None,
          route=match.route.id if match.route else None,
          channel=match.channel_id, flagged=ticket.needs_triage)
    post_card(ticket, now=now, dedupe_key=f"ticket:{ticket.id}:opened", new_thread=True)
    return ticket


def _need(ticket: Ticket, states: tuple[str, ...], doing: str) -> None:
    if ticket.state not in states:
        raise Conflict(f"Ticket {ticket.ref} is {ticket.state}; it can't be {doing}.")


def claim(ticket: Ticket, who: Who, *, now: datetime, correlation_id: str, settings: Settings) -> Ticket:
    if ticket.state == "claimed" and ticket.assignee_id == (who.person.id if who.person else None):
        raise Conflict(f"You already have ticket {ticket.ref}.")
    if ticket.state == "claimed":
        owner = Person.get_by_id(ticket.assignee_id)
        raise Conflict(f"Ticket {ticket.ref} is claimed by {owner.name}; ask them, or use `ticket-transfer`.")
    _need(ticket, ("open", "waiting"), "claimed")
    ticket.state, ticket.assignee, ticket.claimed_at = "claimed", who.person, ticket.claimed_at or now
    ticket.waiting_since = None
    _save(ticket, settings)
    event(ticket, "claimed", who, now=now, correlation_id=correlation_id)
    refresh_card(ticket, now=now)
    return ticket


def unclaim(ticket: Ticket, who: Who, *, now: datetime, correlation_id: str, settings: Settings) -> Ticket:
    _need(ticket, ("claimed",), "unclaimed")
    ticket.state, ticket.assignee = "open", None
    _save(ticket, settings)
    event(ticket, "unclaimed", who, now=now, correlation_id=correlation_id)
    refresh_card(ticket, now=now)
    return ticket


def transfer(ticket: Ticket, who: Who, to: Person, *, now: datetime, correlation_id: str,
             settings: Settings) -> Ticket:
    _need(ticket, ("open", "claimed", "waiting"), "transferred")
    previous = ticket.assignee_id
    ticket.state, ticket.assignee, ticket.claimed_at = "claimed", to, ticket.claimed_at or now
    ticket.waiting_since = None
    _save(ticket, settings)
    event(ticket, "transferred", who, now=now, correlation_id=correlation_id, to=to.id, previous=previous,
          detail=f"to {to.name}")
    refresh_card(ticket, now=now)
    return ticket


def wait(ticket: Ticket, who: Who, *, now: datetime, correlation_id: str, settings: Settings) -> Ticket:
    _need(ticket, ("open", "claimed"), "set to wait on the requester")
    if ticket.assignee_id is None and who.person is not None:
        ticket.assignee, ticket.claimed_at = who.person, now
    ticket.state, ticket.waiting_since = "waiting", now
    _save(ticket, settings)
    event(ticket, "waiting", who, now=now, correlation_id=correlation_id)
    refresh_card(ticket, now=now)
    return ticket


def reply(ticket: Ticket, who: Who, text: str, *, now: datetime, correlation_id: str, settings: Settings,
          signature: str = "") -> Ticket:
    """A reply the requester sees. A support person's first one is the first response.

    ``signature``: a name the message to the requester ends with ("— Sam Support": the panel's desk replies
    from the bot on a person's behalf); the ticket keeps the text as written."""
    _need(ticket, ("open", "claimed", "waiting"), "answered (reopen it first)")
    from_requester = who.person is not None and who.person.id == ticket.requester_id
    if from_requester:
        if ticket.state == "waiting":
            ticket.state, ticket.waiting_since = ("claimed" if ticket.assignee_id else "open"), None
        _save(ticket, settings)
        event(ticket, "reply", who, now=now, correlation_id=correlation_id, body=text, from_requester=True)
        post_card(ticket, now=now, headline=f"Ticket {ticket.ref}: the requester wrote: {text[:500]}")
        return ticket
    first = ticket.first_response_at is None
    if first:
        ticket.first_response_at = now
    _save(ticket, settings)
    event(ticket, "reply", who, now=now, correlation_id=correlation_id, body=text, first_response=first)
    requester = Person.get_by_id(ticket.requester_id)
    told = Reply.of(f"{oncall.handle(requester, ticket.platform)} About your ticket {ticket.ref} "
                    f"({ticket.summary[:80]}): {text}" + (f"\n— {signature}" if signature else "")
                    ).with_(mentions=oncall.ping(requester, ticket.platform))
    tell_requester(ticket, told, now=now)
    return ticket


def note(ticket: Ticket, who: Who, text: str, *, now: datetime, correlation_id: str) -> TicketEvent:
    """An internal note: kept on the ticket for the team, never sent to the requester."""
    return event(ticket, "note", who, now=now, correlation_id=correlation_id, body=text, internal=True)


def resolve(ticket: Ticket, who: Who, *, now: datetime, correlation_id: str, settings: Settings,
            text: str = "") -> Ticket:
    _need(ticket, ("open", "claimed", "waiting"), "resolved")
    if ticket.assignee_id is None and who.person is not None and who.person.id != ticket.requester_id:
        ticket.assignee, ticket.claimed_at = who.person, ticket.claimed_at or now
    ticket.state, ticket.resolved_at, ticket.waiting_since = "resolved", now, None
    _save(ticket, settings)
    event(ticket, "resolved", who, now=now, correlation_id=correlation_id, body=text)
    refresh_card(ticket, now=now)
    from chatops.support import cred, csat

    cred.award(ticket, now=now, correlation_id=correlation_id, who=who)
    csat.ask(ticket, now=now, correlation_id=correlation_id)
    return ticket


def close(ticket: Ticket, who: Who, *, now: datetime, correlation_id: str, settings: Settings) -> Ticket:
    _need(ticket, ("resolved", "open", "claimed", "waiting"), "closed")
    ticket.state, ticket.closed_at = "closed", now
    _save(ticket, settings)
    event(ticket, "closed", who, now=now, correlation_id=correlation_id)
    refresh_card(ticket, now=now)
    return ticket


def reopen(ticket: Ticket, who: Who, *, now: datetime, correlation_id: str, settings: Settings) -> Ticket:
    _need(ticket, ("resolved", "closed"), "reopened")
    ticket.cycle += 1
    ticket.state = "claimed" if ticket.assignee_id else "open"
    ticket.resolved_at = ticket.closed_at = None
    tier = Tier.get_or_none(Tier.id == ticket.tier_id) if ticket.tier_id else None
    _, ticket.resolution_due = sla.targets(tier, now)
    ticket.res_stage, ticket.sla_status = 0, "ok"
    ticket.save()
    event(ticket, "reopened", who, now=now, correlation_id=correlation_id)  # clock_start reads this event
    refresh_card(ticket, now=now)
    _save(ticket, settings)
    post_card(ticket, now=now, headline=f"Ticket {ticket.ref} was reopened: {ticket.summary}",
              dedupe_key=f"ticket:{ticket.id}:reopened:{ticket.cycle}")
    return ticket


def set_type(ticket: Ticket, who: Who, category: str, *, now: datetime, correlation_id: str,
             settings: Settings) -> Ticket:
    """Triage or a correction: a support person sets the type, and routing runs again for it.

    The ticket goes where the new type is routed (an external dev problem into the bug queue, a ticket
    retyped away from it back to its tier's channel): route, team and channel change, its card is posted
    in the new channel and the old channel is told where it went. ``needs_triage`` stays only when no
    rule matches the new type. One ``typed`` event, audited "moved from #x to #y" when it moved. A closed
    or resolved ticket is re-routed without posting (a reopen posts its card in the new channel).
    """
    from chatops.support.classify import TYPES

    if category not in TYPES:
        raise UsageError(f"Name the ticket type: `ticket type {ticket.id} TYPE`, one of {', '.join(TYPES)}.")
    previous, old_channel = ticket.category, ticket.channel_id
    match = routing.for_ticket(ticket, category=category, settings=settings)
    new_channel = match.channel_id or old_channel  # no rule and no triage channel set: it stays where it is
    moved = new_channel != old_channel
    team = (match.route.team if match.route and match.route.team_id else None) or oncall.default_team(settings)
    previous_route = ticket.route_id
    ticket.category, ticket.classified_by, ticket.needs_triage = category, "staff", match.flagged
    ticket.typed_why = f"typed by {who.person.name if who.person else who.label}"[:200]  # typing learns from it
    ticket.route, ticket.team, ticket.channel_id = match.route, team, new_channel
    _save(ticket, settings)
    before = routing.channel_name(ticket.platform, old_channel)
    after = routing.channel_name(ticket.platform, new_channel)
    summary = f"{type_label(previous)} → {type_label(category)}"
    refresh_card(ticket, now=now)  # the card it has now shows the new type
    live = ticket.state in ("open", "claimed", "waiting")
    key = f"ticket:{ticket.id}:moved:{len(_moved_cards(ticket)) + 1}" if moved and live else None
    event(ticket, "typed", who, now=now, correlation_id=correlation_id, category=category, previous=previous,
          route=match.route.id if match.route else None, previous_route=previous_route,
          team=team.id if team else None, channel=new_channel, previous_channel=old_channel if moved else None,
          moved=moved, flagged=match.flagged, card=key,
          detail=f"{summary}; moved from {before} to {after}" if moved else f"{summary}; stays in {after}")
    if key is not None:
        by = who.person.name if who.person else who.label
        post_card(ticket, now=now, dedupe_key=key, new_thread=True,
                  headline=f"Ticket {ticket.ref} moved here from {_mention(ticket.platform, old_channel)} "
                           f"(typed {type_label(category)} by {by}): {ticket.summary}")
        if ticket.platform in ("slack", "discord") and old_channel:
            outbox.enqueue(Destination(ticket.platform, old_channel),
                           Reply.of(f"Ticket {ticket.ref} is now {type_label(category)}: it moved to "
                                    f"{_mention(ticket.platform, new_channel)}. Work on it there."),
                           now=now, dedupe_key=f"{key}:from", correlation_id=ticket.correlation_id)
    return ticket


def type_weight(category: str | None) -> float:
    row = CategoryWeight.get_or_none(CategoryWeight.category == (category or ""))
    return row.weight if row is not None else 1.0


# ---- retyping (set_type) ---------------------------------------------------------------

def _moved_cards(ticket: Ticket) -> list[str]:
    """Dedupe keys of the cards posted when retyping moved the ticket, oldest first."""
    rows = TicketEvent.select(TicketEvent.data).where((TicketEvent.ticket == ticket.id) & (TicketEvent.kind == "typed"))
    return [ev.data["card"] for ev in rows.order_by(TicketEvent.id)
            if isinstance(ev.data, dict) and ev.data.get("card")]


def card_key(ticket: Ticket) -> str:
    """The dedupe key of the ticket's current card: the one posted when it opened, or, once retyping moved
    it, the one posted in its new channel (what :func:`refresh_card` should edit)."""
    moved = _moved_cards(ticket)
    return moved[-1] if moved else f"ticket:{ticket.id}:opened"


def _mention(platform: str, channel_id: str) -> str:
    if channel_id and platform in ("slack", "discord"):
        return f"<#{channel_id}>"
    return routing.channel_name(platform, channel_id)


__all__ = ["Opening", "Who", "SYSTEM", "SYSTEM_WHO", "card", "refresh_card", "claim", "close", "event", "note", "open_ticket",
           "reopen", "reply", "resolve", "set_type", "transfer", "unclaim", "wait"]
