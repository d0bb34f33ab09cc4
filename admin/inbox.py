"""The support desk in the panel: queues sorted by SLA deadline, a ticket page with the whole conversation,
and the actions staff take in chat (claim, assign, reply, note, type, urgency, resolve, reopen, merge).

    GET  /admin/desk/?queue=mine&team=&tier=&type=      a queue (mine, unassigned, at_risk, breached, bugs, open)
    GET  /admin/desk/?queue=open&after=412.2026-01-05T10:00:00   the next page: the tickets after ticket 412
                                                        (due then) in the queue's order; ``after=412``: after
                                                        ticket 412, which has no SLA target; ``prior=…``: the
                                                        page before that ticket
    GET  /admin/desk/ticket/12                          the ticket and its conversation
    GET  /admin/desk/ticket/12/events?after=340         JSON: events after id 340 (admin/static/desk.js polls it)
    POST /admin/desk/ticket/12/<action>                 claim | assign | reply | note | type | urgency | resolve
                                                        | reopen | merge   (editors; CSRF; a linked person)

Everything goes through the functions the chat commands use (:mod:`chatops.support.tickets`, and
:mod:`chatops.support.desk` for urgency and merge), inside one transaction with the ticket row locked, so
the ticket event and its audit event are written exactly as in chat. A queue pages by keyset on its own order,
(SLA deadline, ticket id) with tickets without a target last (:func:`queue_page`): every page costs what the
first costs, and none repeats or skips a ticket. The panel user acts as the chat
Person linked to them (``AdminUser.person``), labelled ``admin:<username> (<name>)`` on the platform
``admin``; a panel user without a linked person reads but cannot act. Viewers read; editors act.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

import peewee
from flask import abort, flash, jsonify, redirect, request, url_for
from flask_admin import BaseView, expose

from admin.auditing import PanelAccessMixin
from admin.auth import CsrfForm, current_user, state
from admin.formatting import ago, iso, when, words
from admin.keyset import _format_value, _parse_value
from admin.params import INTEGER, _shown, int_param
from admin.security import has_role
from chatops.db import atomic, for_update
from chatops.errors import UserError
from chatops.models import Person, Tier
from chatops.support import desk, tickets
from chatops.support.classify import TYPES, URGENCIES
from chatops.support.models import SupportTeam, Ticket

MAX_TICKET_ID = 2 ** 31 - 1
MAX_TEXT = 4000
POLL_SECONDS = 5
LINK_FIRST = ("Your panel user is not linked to a chat person, so the desk can't act for you: an admin links "
              "one in Panel users (or `chatops admin link-person USER PERSON_ID`). You can still read.")
ACTIONS = ("claim", "assign", "reply", "note", "type", "urgency", "resolve", "reopen", "merge")


@dataclass(frozen=True)
class QueueCursor:
    """Where a queue page starts: after (or, ``prior``, before) ticket ``ticket_id`` whose deadline is ``due``
    (None: no SLA target)."""

    direction: str            # "after" | "prior"
    ticket_id: int
    due: datetime | None


@dataclass(frozen=True)
class QueuePage:
    rows: list[Ticket]
    after: str | None         # the cursor of the next page (None: this is the last)
    prior: str | None         # the cursor of the page before (None: this is the first)


def cursor_of(ticket: Ticket) -> str:
    """``<id>.<deadline>``, or ``<id>`` for a ticket without an SLA target (admin/keyset.py's format)."""
    due = desk.due_at(ticket)
    return str(ticket.id) if due is None else f"{ticket.id}.{_format_value(due)}"


def cursor_param() -> QueueCursor | None:
    """``after=`` / ``prior=`` from the request, checked: 400 when it is not a ticket id and a time."""
    given = [(p, request.args.get(p)) for p in ("after", "prior") if (request.args.get(p) or "").strip()]
    if not given:
        return None
    if len(given) > 1:
        abort(400, "after and prior must not be given together.")
    name, raw = given[0]
    head, dot, rest = raw.strip().partition(".")
    if not (INTEGER.fullmatch(head) and 1 <= int(head) <= MAX_TICKET_ID):
        abort(400, f"{name} must be a ticket number, then \".\" and its SLA deadline, not {_shown(raw)}.")
    return QueueCursor(name, int(head), _parse_value(name, Ticket.first_response_due, rest) if dot else None)


def _seek(cursor: QueueCursor) -> peewee.Expression:
    """Tickets after (``prior``: before) the cursor's in the queue's order: deadline ascending, NULLs last,
    ties by id."""
    deadline = desk.deadline_sql()
    if cursor.direction == "after":
        if cursor.due is None:
            return deadline.is_null() & (Ticket.id > cursor.ticket_id)
        return ((deadline > cursor.due) | ((deadline == cursor.due) & (Ticket.id > cursor.ticket_id))
                | deadline.is_null())
    if cursor.due is None:
        return deadline.is_null(False) | (deadline.is_null() & (Ticket.id < cursor.ticket_id))
    return deadline.is_null(False) & ((deadline < cursor.due)
                                      | ((deadline == cursor.due) & (Ticket.id < cursor.ticket_id)))


def queue_page(name: str, *, person_id: int | None = None, team: str | None = None, tier: str | None = None,
               category: str | None = None, cursor: QueueCursor | None = None,
               size: int = desk.QUEUE_LIMIT) -> QueuePage:
    """One page of queue ``name``: :func:`chatops.support.desk.queue`'s tickets and order (the deadline of the
    running SLA clock, overdue first, no target last, ties by id), ``size`` rows after (or before) ``cursor``.

    One indexed query per page, whatever its depth: the cursor is a WHERE on (deadline, id), never an
    OFFSET. A page knows whether one follows by asking for one row more."""
    if name not in desk.QUEUES:
        abort(400, f"queue must be one of {', '.join(desk.QUEUES)}.")
    query, forward = desk.queue_query(name, person_id=person_id, team=team, tier=tier, category=category)
    no_due, deadline, _ = forward
    backward = (no_due.desc(), deadline.desc(), Ticket.id.desc())
    if cursor is not None:
        query = query.where(_seek(cursor))
    if cursor is None or cursor.direction == "after":
        rows = list(query.order_by(*forward).limit(size + 1))
        more, rows = len(rows) > size, rows[:size]
        return QueuePage(rows, cursor_of(rows[-1]) if more else None,
                         cursor_of(rows[0]) if cursor is not None and rows else None)
    rows = list(query.order_by(*backward).limit(size + 1))
    if len(rows) <= size:  # back at the start: the first page, full
        return queue_page(name, person_id=person_id, team=team, tier=tier, category=category, size=size)
    rows = rows[:size][::-1]
    return QueuePage(rows, cursor_of(rows[-1]), cursor_of(rows[0]))


def ticket_id_param(raw: str | None, name: str = "ticket") -> int:
    value = int_param(name, raw, 1, MAX_TICKET_ID)
    if value is None:
        abort(400, f"{name} must be a ticket number.")
    return value


def _text(name: str, required: bool = True) -> str:
    text = (request.form.get(name) or "").strip()
    if required and not text:
        raise UserError(f"Write the {name} first.")
    if len(text) > MAX_TEXT:
        raise UserError(f"The {name} is {len(text)} characters long; at most {MAX_TEXT} fit.")
    return text


class DeskView(PanelAccessMixin, BaseView):
    """The inbox (every signed-in role reads it; editors with a linked person act)."""

    page_size = desk.QUEUE_LIMIT  # tickets on a queue page; "Next ›" pages on by keyset

    # ---- who acts ---------------------------------------------------------------------------------
    @staticmethod
    def linked_person() -> Person | None:
        user = current_user()
        if user is None or user.person_id is None:
            return None
        return Person.get_or_none(Person.id == user.person_id)

    def who(self, person: Person) -> tickets.Who:
        return tickets.Who(person, f"admin:{current_user().username} ({person.name})", platform="admin",
                           is_staff=True)

    # ---- pages --------------------------------------------------------------------------------------
    @expose("/")
    def index(self):
        args = request.args
        name = args.get("queue") or "mine"
        if name not in desk.QUEUES:
            abort(400, f"queue must be one of {', '.join(desk.QUEUES)}.")
        team, tier, category = (args.get("team") or None), (args.get("tier") or None), (args.get("type") or None)
        if category is not None and category not in TYPES:
            abort(400, f"type must be one of {', '.join(TYPES)}.")
        person = self.linked_person()
        page = queue_page(name, person_id=person.id if person else None, team=team, tier=tier, category=category,
                          cursor=cursor_param(), size=self.page_size)
        now = state().clock()
        return self.render(
            "chatops_admin/desk_inbox.html", rows=page.rows, page=page, page_size=self.page_size, queue=name,
            queues=desk.QUEUES, now=now,
            chosen={"team": team or "", "tier": tier or "", "type": category or ""},
            teams=list(SupportTeam.select().order_by(SupportTeam.slug)), tiers=list(Tier.select().order_by(Tier.rank)),
            types=TYPES, person=person, due_at=desk.due_at, countdown=desk.countdown, when=when, words=words, iso=iso,
        )

    def _ticket_page(self, ticket: Ticket, *, error: str | None = None, status: int = 200):
        person = self.linked_person()
        entries = desk.conversation(ticket)
        now = state().clock()
        last = max((e.event_id for e in entries if e.event_id is not None), default=0)
        related = {
            "requester": Person.get_or_none(Person.id == ticket.requester_id),
            "assignee": Person.get_or_none(Person.id == ticket.assignee_id) if ticket.assignee_id else None,
            "tier": Tier.get_or_none(Tier.id == ticket.tier_id) if ticket.tier_id else None,
            "team": SupportTeam.get_or_none(SupportTeam.id == ticket.team_id) if ticket.team_id else None,
        }
        return self.render(
            "chatops_admin/desk_ticket.html", ticket=ticket, entries=entries, last_event=last, now=now,
            person=person, may_act=has_role(current_user(), "editor"), link_first=LINK_FIRST, error=error,
            staff=desk.staff_people(), types=TYPES, urgencies=URGENCIES, merged_into=desk.merged_into(ticket),
            due=desk.due_at(ticket), countdown=desk.countdown, when=when, words=words, ago=ago, iso=iso,
            csrf_form=CsrfForm(), poll_seconds=POLL_SECONDS, **related,
        ), status

    @expose("/ticket/<ticket_id>")
    def ticket(self, ticket_id):
        ticket = Ticket.get_or_none(Ticket.id == ticket_id_param(ticket_id))
        if ticket is None:
            abort(404, "There is no such ticket.")
        return self._ticket_page(ticket)

    @expose("/ticket/<ticket_id>/events")
    def events(self, ticket_id):
        ticket = Ticket.get_or_none(Ticket.id == ticket_id_param(ticket_id))
        if ticket is None:
            abort(404)
        after = int_param("after", request.args.get("after"), 0, MAX_TICKET_ID, default=0)
        entries = desk.events_after(ticket, after)
        return jsonify({
            "ticket": ticket.id, "state": ticket.state, "assignee_id": ticket.assignee_id,
            "last": max([after] + [e.event_id for e in entries]),
            "events": [{"id": e.event_id, "kind": e.kind, "label": e.label, "actor": e.actor, "body": e.body,
                        "internal": e.internal, "at": when(e.at), "iso": iso(e.at),
                        "ago": ago(e.at, state().clock())} for e in entries],
        })

    # ---- actions ------------------------------------------------------------------------------------
    @expose("/ticket/<ticket_id>/<action>", methods=("POST",))
    def act(self, ticket_id, action):
        if not has_role(current_user(), "editor"):
            abort(403)
        if action not in ACTIONS:
            abort(404)
        if not CsrfForm(request.form).validate():
            abort(400, "missing or expired CSRF token")
        ticket_id = ticket_id_param(ticket_id)
        ticket = Ticket.get_or_none(Ticket.id == ticket_id)
        if ticket is None:
            abort(404, "There is no such ticket.")
        person = self.linked_person()
        if person is None:
            return self._ticket_page(ticket, error=LINK_FIRST, status=403)
        who = self.who(person)
        settings = state().chatops_app.settings
        try:
            with atomic():
                locked = for_update(Ticket.select().where(Ticket.id == ticket_id)).get()
                done = getattr(self, f"_do_{action}")(locked, who, now=state().clock(),
                                                     correlation_id=secrets.token_hex(6), settings=settings)
        except UserError as exc:
            return self._ticket_page(Ticket.get_by_id(ticket_id), error=str(exc), status=409)
        flash(done, "success")
        return redirect(url_for(".ticket", ticket_id=ticket_id) + "#conversation")

    # Each returns the sentence flashed on success; a UserError (Conflict, NotFound, …) is shown instead.
    def _do_claim(self, t, who, **kw):
        tickets.claim(t, who, **kw)
        return f"You claimed ticket {t.ref}."

    def _do_assign(self, t, who, **kw):
        raw = request.form.get("person_id")
        pid = int_param("person_id", raw, 1, MAX_TICKET_ID)
        to = Person.get_or_none(Person.id == pid) if pid else None
        if to is None or not desk.is_staff_person(to):
            raise UserError("Pick a staff member to assign the ticket to.")
        tickets.transfer(t, who, to, **kw)
        return f"Ticket {t.ref} is now with {to.name}."

    def _do_reply(self, t, who, **kw):
        tickets.reply(t, who, _text("reply"), signature=who.person.name, **kw)
        return f"Reply sent to the requester of {t.ref}."

    def _do_note(self, t, who, settings, **kw):
        tickets.note(t, who, _text("note"), **kw)
        return f"Internal note added to {t.ref}."

    def _do_type(self, t, who, **kw):
        category = request.form.get("category") or ""
        if category not in TYPES:
            raise UserError(f"Pick a ticket type: {', '.join(TYPES)}.")
        # set_type re-runs routing when it takes the settings (a dev problem moves to the bug queue).
        tickets.set_type(t, who, category, **kw)
        return f"Ticket {t.ref} is now {words(category)}."

    def _do_urgency(self, t, who, **kw):
        desk.set_urgency(t, who, request.form.get("urgency") or "", **kw)
        return f"Ticket {t.ref} urgency is now {t.urgency}."

    def _do_resolve(self, t, who, **kw):
        tickets.resolve(t, who, text=_text("text", required=False), **kw)
        return f"Ticket {t.ref} resolved."

    def _do_reopen(self, t, who, **kw):
        tickets.reopen(t, who, **kw)
        return f"Ticket {t.ref} reopened."

    def _do_merge(self, t, who, **kw):
        into_id = int_param("into", request.form.get("into"), 1, MAX_TICKET_ID)
        into = for_update(Ticket.select().where(Ticket.id == into_id)).first() if into_id else None
        if into is None:
            raise UserError("Give the number of the ticket to merge this one into.")
        desk.merge(t, into, who, **kw)
        return f"Ticket {t.ref} merged into {into.ref} and closed; its requester was told."


def add_views(admin) -> None:
    admin.add_view(DeskView(name="Inbox", endpoint="desk", url="/admin/desk", category=None))
