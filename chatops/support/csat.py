"""CSAT: after a resolution the requester is asked for a 1–5 rating (buttons), stored once per cycle.

    csat.ask(ticket, now=now, correlation_id=cid)        # posts the question where they asked
    csat.rate(ticket, who, 5, ticket.cycle, now=now, correlation_id=cid)
"""
from __future__ import annotations

from datetime import datetime, timedelta

import peewee

from chatops.context import create_action
from chatops.db import atomic
from chatops.errors import Conflict
from chatops.models import Person
from chatops.reply import Button, Buttons, Reply, Text
from chatops.support import oncall
from chatops.support.models import CsatRating, Ticket

VERBS = ("r1", "r2", "r3", "r4", "r5")


def ask(ticket: Ticket, *, now: datetime, correlation_id: str) -> bool:
    handle = create_action("csat", payload={"ticket_id": ticket.id, "cycle": ticket.cycle},
                           requester_id=ticket.requester_id, correlation_id=correlation_id or ticket.correlation_id,
                           now=now, command="support", ttl=timedelta(days=14))
    requester = Person.get_by_id(ticket.requester_id)
    reply = Reply((Text(f"{oncall.handle(requester, ticket.platform)} Your ticket {ticket.ref} "
                        f"({ticket.summary[:80]}) is resolved. How did we do? 1 = poor, 5 = great."),
                   Buttons(tuple(Button(str(i), f"{handle.token}.r{i}", "primary" if i == 5 else "default")
                                 for i in range(1, 6)))), mentions=oncall.ping(requester, ticket.platform))
    from chatops.support.tickets import tell_requester

    return tell_requester(ticket, reply, now=now, dedupe_key=f"csat:{ticket.id}:{ticket.cycle}")


def rate(ticket: Ticket, who, rating: int, cycle: int, *, now: datetime, correlation_id: str) -> CsatRating:
    from chatops.support.tickets import event

    if not 1 <= rating <= 5:
        raise ValueError("a rating is 1 to 5")
    try:
        with atomic():
            row = CsatRating.create(ticket=ticket.id, cycle=cycle, person=who.person.id, rating=rating,
                                    created_at=now)
    except peewee.IntegrityError:
        raise Conflict(f"Ticket {ticket.ref} was already rated. Thank you!") from None
    event(ticket, "csat", who, now=now, correlation_id=correlation_id, rating=rating, cycle=cycle)
    return row
