"""The support desk's queries and the two ticket transitions chat has no command for: urgency and merge.

    rows = desk.queue("mine", person_id=sam.id)              # open tickets, soonest SLA due first
    rows = desk.queue("bugs", tier="premium")                # the support bug queue
    desk.set_urgency(ticket, who, "urgent", now=now, correlation_id=cid, settings=s)
    desk.merge(duplicate, into, who, now=now, correlation_id=cid, settings=s)
    desk.conversation(ticket)                                           # ticket events + linked audit events

Platform-neutral like the rest of ``chatops/`` (the admin panel's inbox calls it; a chat command could).
Every change writes its :class:`TicketEvent` and audit event through :func:`tickets.event`, in the
caller's transaction; the other transitions (claim, transfer, reply, note, resolve, reopen, type) are
:mod:`chatops.support.tickets`' own, called as they are.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import peewee

from chatops.errors import Conflict, NotFound, UsageError
from chatops.models import AuditEvent, Person, PersonRole, Role, Tier
from chatops.reply import Reply
from chatops.settings import Settings
from chatops.support import oncall, tickets
from chatops.support.classify import TYPES, URGENCIES
from chatops.support.models import OPEN_STATES, SupportTeam, Ticket, TicketEvent

BUG_CATEGORY = "external_dev_problem"  # the support bug queue: open tickets of this type
QUEUES = {
    "mine": "Mine",
    "unassigned": "Unassigned",
    "at_risk": "At risk",
    "breached": "Breached",
    "bugs": "Bug queue",
    "open": "All open",
}
QUEUE_LIMIT = 200


def due_at(ticket: Ticket) -> datetime | None:
    """The deadline of the ticket's running SLA clock: the first-response target until the first response,
    then the resolution target (``next_due`` is when the sweeper next escalates, earlier than this)."""
    if ticket.first_response_at is None and ticket.first_response_due is not None:
        return ticket.first_response_due
    return ticket.resolution_due


def deadline_sql():
    """:func:`due_at` in SQL: the queue's sort key (ORDER BY, and the panel's keyset pages)."""
    return peewee.Case(None, ((Ticket.first_response_at.is_null() & Ticket.first_response_due.is_null(False),
                               Ticket.first_response_due),), Ticket.resolution_due)


def countdown(due: datetime | None, now: datetime) -> str:
    """``"in 1 h 5 min"``, ``"12 min overdue"``, ``""`` when there is no target."""
    if due is None:
        return ""
    seconds = int((due - now).total_seconds())
    minutes = abs(seconds) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = ([f"{days} d"] if days else []) + ([f"{hours} h"] if hours else []) + ([f"{mins} min"] if not days and (mins or not hours) else [])
    text = " ".join(parts) or "0 min"
    return f"{text} overdue" if seconds < 0 else f"in {text}"


def queue_query(name: str, *, person_id: int | None = None, team: str | None = None, tier: str | None = None,
                category: str | None = None) -> tuple[peewee.ModelSelect, tuple]:
    """The open tickets of queue ``name`` (:data:`QUEUES`), optionally by team, tier and type (slugs), and the
    queue's sort key: (no target last, the running SLA clock's deadline, id). :func:`queue` reads its first
    rows; the panel pages through it by keyset on the same key."""
    if name not in QUEUES:
        raise UsageError(f"There is no queue {name!r}; the queues are {', '.join(QUEUES)}.")
    query = (Ticket.select(Ticket, Tier, SupportTeam, Person)
             .join(Tier, peewee.JOIN.LEFT_OUTER, on=(Ticket.tier == Tier.id), attr="tier")
             .switch(Ticket).join(SupportTeam, peewee.JOIN.LEFT_OUTER, on=(Ticket.team == SupportTeam.id), attr="team")
             .switch(Ticket).join(Person, peewee.JOIN.LEFT_OUTER, on=(Ticket.assignee == Person.id), attr="assignee")
             .switch(Ticket)
             .where(Ticket.state.in_(OPEN_STATES)))
    if name == "mine":
        query = query.where(Ticket.assignee == (person_id or 0))
    elif name == "unassigned":
        query = query.where(Ticket.assignee.is_null())
    elif name == "at_risk":
        query = query.where(Ticket.sla_status.in_(("at_risk", "breached")))
    elif name == "breached":
        query = query.where(Ticket.sla_status == "breached")
    elif name == "bugs":
        query = query.where(Ticket.category == BUG_CATEGORY)
    if team:
        query = query.where(SupportTeam.slug == team)
    if tier:
        query = query.where(Tier.slug == tier)
    if category:
        query = query.where(Ticket.category == category)
    deadline = deadline_sql()
    no_due = peewee.Case(None, ((deadline.is_null(), 1),), 0)
    return query, (no_due, deadline, Ticket.id)


def queue(name: str, *, person_id: int | None = None, team: str | None = None,
          tier: str | None = None, category: str | None = None, limit: int = QUEUE_LIMIT) -> list[Ticket]:
    """Open tickets of queue ``name`` (:data:`QUEUES`), optionally by team, tier and type (slugs), sorted by
    the SLA due time, soonest (most overdue) first; tickets without a target last."""
    query, key = queue_query(name, person_id=person_id, team=team, tier=tier, category=category)
    return list(query.order_by(*key).limit(limit))


def staff_people() -> list[Person]:
    """Active people holding a staff role (a ``Role`` with ``is_staff``): who a ticket may be assigned to."""
    return list(Person.select().join(PersonRole).join(Role)
                .where((Role.is_staff == True) & (Person.active == True))  # noqa: E712
                .distinct().order_by(Person.name, Person.id))


def is_staff_person(person: Person) -> bool:
    return (PersonRole.select().join(Role)
            .where((PersonRole.person == person.id) & (Role.is_staff == True)).exists())  # noqa: E712


@dataclass(frozen=True)
class Entry:
    """One line of a ticket's conversation on the desk: a ticket event or a linked audit event."""

    id: str            # "e<ticket event id>" or "a<audit seq>"
    at: datetime
    kind: str          # message (from the requester) | reply | note | event | audit
    actor: str
    body: str
    internal: bool     # never shown to the requester
    label: str
    event_id: int | None = None  # the ticket event's id (what the polling endpoint counts from)


def _entry(ev: TicketEvent, requester_id: int) -> Entry:
    data = ev.data or {}
    if ev.kind == "reply":
        kind = "message" if data.get("from_requester") or ev.actor_id == requester_id else "reply"
    elif ev.kind == "opened":
        kind = "message"
    elif ev.kind == "note":
        kind = "note"
    else:
        kind = "event"
    return Entry(id=f"e{ev.id}", at=ev.created_at, kind=kind, actor=ev.actor_label, body=ev.body or "",
                 internal=bool(ev.internal), label=ev.kind.replace("_", " "), event_id=ev.id)


def events_after(ticket: Ticket, after_id: int = 0, limit: int = 500) -> list[Entry]:
    """The ticket's events with an id above ``after_id``, oldest first (what a polling page asks for)."""
    rows = (TicketEvent.select().where((TicketEvent.ticket == ticket.id) & (TicketEvent.id > after_id))
            .order_by(TicketEvent.id).limit(limit))
    return [_entry(ev, ticket.requester_id) for ev in rows]


def conversation(ticket: Ticket, limit: int = 500) -> list[Entry]:
    """Everything on the ticket in time order: the requester's messages, staff replies, internal notes,
    transitions, and the audit events under the ticket's correlation id that are not ticket events
    themselves (the command that opened it, deflection, SLA alerts, approvals)."""
    entries = events_after(ticket, 0, limit)
    if ticket.correlation_id:
        audit_rows = (AuditEvent.select().where((AuditEvent.correlation_id == ticket.correlation_id)
                                                & ~AuditEvent.command.startswith("ticket:"))
                      .order_by(AuditEvent.seq).limit(limit))
        entries += [Entry(id=f"a{a.seq}", at=a.created_at, kind="audit", actor=a.actor,
                          body=a.detail or "", internal=True, label=f"{a.command} ({a.outcome})") for a in audit_rows]
    return sorted(entries, key=lambda e: (e.at, e.kind == "audit", e.id))


def merged_into(ticket: Ticket) -> int | None:
    """The ticket a duplicate was merged into, from its ``merged`` event."""
    ev = (TicketEvent.select().where((TicketEvent.ticket == ticket.id) & (TicketEvent.kind == "merged"))
          .order_by(TicketEvent.id.desc()).first())
    return (ev.data or {}).get("into") if ev else None


# ---- transitions chat has no command for ----------------------------------------------------------

def set_urgency(ticket: Ticket, who: tickets.Who, urgency: str, *, now: datetime, correlation_id: str,
                settings: Settings) -> Ticket:
    """Change the (informational) urgency; the card shows it. SLA targets depend on the tier only."""
    if urgency not in URGENCIES:
        raise UsageError(f"Urgency is one of {', '.join(URGENCIES)}, not {urgency!r}.")
    previous = ticket.urgency
    if previous == urgency:
        raise Conflict(f"Ticket {ticket.ref} is already {urgency}.")
    ticket.urgency = urgency
    ticket.save()
    tickets.event(ticket, "urgency", who, now=now, correlation_id=correlation_id, urgency=urgency, previous=previous,
                  detail=f"urgency {previous} → {urgency}")
    tickets.refresh_card(ticket, now=now)
    return ticket


def merge(duplicate: Ticket, into: Ticket, who: tickets.Who, *, now: datetime, correlation_id: str,
          settings: Settings) -> Ticket:
    """Merge ``duplicate`` into ``into``: an internal note on the kept ticket, a ``merged`` event pointing
    at it on the duplicate, the duplicate closed, and its requester told where the work continues."""
    if duplicate.id == into.id:
        raise Conflict("A ticket can't be merged into itself.")
    if duplicate.state == "closed":
        raise Conflict(f"Ticket {duplicate.ref} is closed already; reopen it to merge it.")
    if into.state == "closed":
        raise Conflict(f"Ticket {into.ref} is closed; merge into an open ticket (or reopen it first).")
    pointer = merged_into(into)
    if pointer is not None:
        raise Conflict(f"Ticket {into.ref} was itself merged into #{pointer}; merge into that one.")
    tickets.note(into, who, f"Ticket {duplicate.ref} ({duplicate.summary[:120]}) was merged into this one.",
                 now=now, correlation_id=correlation_id)
    tickets.event(duplicate, "merged", who, now=now, correlation_id=correlation_id, into=into.id,
                  body=f"Merged into ticket {into.ref}: {into.summary[:120]}", detail=f"merged into {into.ref}")
    tickets.close(duplicate, who, now=now, correlation_id=correlation_id, settings=settings)
    requester = Person.get_by_id(duplicate.requester_id)
    tickets.tell_requester(
        duplicate,
        Reply.of(f"{oncall.handle(requester, duplicate.platform)} Your ticket {duplicate.ref} "
                 f"({duplicate.summary[:80]}) is the same request as ticket {into.ref}: we closed {duplicate.ref} "
                 f"and continue on {into.ref}.").with_(mentions=oncall.ping(requester, duplicate.platform)),
        now=now, dedupe_key=f"ticket:{duplicate.id}:merged:{duplicate.cycle}")
    return duplicate


def ticket_or_404(ticket_id: int) -> Ticket:
    ticket = Ticket.get_or_none(Ticket.id == ticket_id)
    if ticket is None:
        raise NotFound(f"There is no ticket #{ticket_id}.")
    return ticket


__all__ = ["BUG_CATEGORY", "QUEUES", "TYPES", "URGENCIES", "Entry", "conversation", "countdown", "due_at",
           "events_after", "is_staff_person", "merge", "merged_into", "queue", "set_urgency", "staff_people",
           "ticket_or_404"]
