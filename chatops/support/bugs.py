"""The bug queue: open tickets of type external dev problem, and the issues they are tracked under.

    bug-queue                                                  staff: the queue, SLA due first
    bug-link 12 https://github.com/acme/sdk/issues/481         staff: link ticket #12 to its issue
    bug-link 12 https://github.com/acme/sdk/issues/481 fixed   the fix shipped: the requester is told, once

    rows = open_bugs()                                  # peewee select, soonest SLA deadline first
    issue = parse_issue("https://acme.atlassian.net/browse/SDK-7")   # Issue(url, "jira", "SDK-7")

A ticket gets into the queue by its type (typed at intake, or retyped with `ticket type 12
external_dev_problem`: routing runs again and moves it to the bug-queue channel). A link names the
issue in another tracker (GitHub, GitLab, Jira or any http(s) address); its state is open, fixed or
wontfix. When a link becomes fixed the requester is told where they asked, exactly once per link
(a ``BugLink`` column and the outbox's dedupe key), and the ticket gets a ``bug_fixed`` event.
Every change is a ticket event and an audit event (:func:`chatops.support.tickets.event`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import parse_qs, urlsplit

import peewee

from chatops.commands import Category, CommandGroup
from chatops.context import Context
from chatops.db import atomic
from chatops.errors import BadArgument, NotFound
from chatops.models import BaseModel, Person, UTCDateTimeField
from chatops.policy import staff
from chatops.reply import Fields, Reply, Text
from chatops.support import oncall, tickets
from chatops.support.classify import label as type_label
from chatops.support.models import OPEN_STATES, Ticket
from chatops.text import clip

commands = CommandGroup("bugs")

CATEGORY = "external_dev_problem"
"""The ticket type whose open tickets make up the bug queue (the demo routes it to #support-bug-queue)."""
STATES = ("open", "fixed", "wontfix")
SHOWN = 15  # tickets `bug-queue` lists; the rest are counted ("N more")
MAX_URL = 500


class BugLink(BaseModel):
    """A ticket's issue in an external tracker: the address, the id read from it, and its state."""

    ticket = peewee.ForeignKeyField(Ticket, backref="bug_links", on_delete="CASCADE")
    url = peewee.CharField(max_length=MAX_URL)
    tracker = peewee.CharField(max_length=16, default="other")  # github | gitlab | jira | other
    external_id = peewee.CharField(max_length=200, default="", help_text="Read from the address: acme/sdk#481, SDK-7.")
    state = peewee.CharField(max_length=16, default="open")  # open | fixed | wontfix
    linked_by = peewee.ForeignKeyField(Person, null=True, on_delete="SET NULL")
    created_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()
    fixed_at = UTCDateTimeField(null=True)
    requester_told_at = UTCDateTimeField(null=True, help_text="When the requester was told it is fixed (once).")

    class Meta:
        indexes = ((("ticket", "url"), True),)

    @property
    def name(self) -> str:
        return self.external_id or urlsplit(self.url).hostname or self.url


# ---- the queue ------------------------------------------------------------------------------

def _due_expr():
    """The deadline the ticket is racing now: first response until there is one, then resolution."""
    return peewee.Case(None, [((Ticket.first_response_at.is_null() & Ticket.first_response_due.is_null(False)),
                               Ticket.first_response_due)], Ticket.resolution_due)


def open_bugs() -> peewee.ModelSelect:
    """Open tickets of the bug queue's type, the soonest SLA deadline first (none last), then oldest."""
    due = _due_expr()
    return (Ticket.select().where((Ticket.category == CATEGORY) & Ticket.state.in_(OPEN_STATES))
            .order_by(peewee.Case(None, [(due.is_null(), 1)], 0), due, Ticket.created_at, Ticket.id))


def sla_due(ticket: Ticket) -> tuple[str, datetime | None]:
    """(which clock, its deadline) the ticket is racing now."""
    if ticket.first_response_at is None and ticket.first_response_due is not None:
        return "first response", ticket.first_response_due
    return "resolution", ticket.resolution_due


def age(delta: timedelta) -> str:
    minutes = max(0.0, delta.total_seconds() / 60)
    if minutes < 120:
        return f"{minutes:.0f} min"
    if minutes < 48 * 60:
        return f"{minutes / 60:.1f} h"
    return f"{minutes / 1440:.1f} d"


def _sla_text(ticket: Ticket, now: datetime) -> str:
    clock, due = sla_due(ticket)
    if due is None:
        return "no SLA"
    status = {"ok": "on time", "at_risk": "at risk", "breached": "breached"}.get(ticket.sla_status, ticket.sla_status)
    if due <= now and ticket.sla_status != "breached":
        status = "past due"
    when = f"due {due:%Y-%m-%d %H:%M} UTC" if due > now else f"was due {due:%Y-%m-%d %H:%M} UTC"
    paused = ", paused while waiting on the requester" if ticket.state == "waiting" and clock == "resolution" else ""
    return f"{clock} {when} ({status}{paused})"


def links_of(ticket_ids: list[int]) -> dict[int, list[BugLink]]:
    out: dict[int, list[BugLink]] = {}
    for link in BugLink.select().where(BugLink.ticket.in_(ticket_ids or [0])).order_by(BugLink.id):
        out.setdefault(link.ticket_id, []).append(link)
    return out


def queue_reply(now: datetime, *, limit: int = SHOWN) -> Reply:
    total = open_bugs().count()
    if total == 0:
        return Reply.text("The bug queue is empty: no open external dev problems.", ephemeral=True)
    rows = list(open_bugs().limit(limit))
    people = {p.id: p.name for p in Person.select(Person.id, Person.name)
              .where(Person.id.in_([t.assignee_id for t in rows if t.assignee_id] or [0]))}
    links = links_of([t.id for t in rows])
    items = []
    for t in rows:
        parts = [f"{age(now - t.created_at)} old", _sla_text(t, now),
                 people.get(t.assignee_id, "unclaimed") if t.assignee_id else "unclaimed"]
        parts += [f"{link.name} ({link.state})" for link in links.get(t.id, [])]
        items.append((f"{t.ref} {clip(t.summary, 60, one_line=True)}", " · ".join(parts)))
    blocks: list = [Text(f"Bug queue: {total} open, the soonest SLA deadline first."), Fields(tuple(items))]
    if total > len(rows):
        blocks.append(Text(f"{total - len(rows)} more not shown (the panel's inbox lists them all)."))
    return Reply(tuple(blocks), ephemeral=True)


# ---- links to issue trackers ----------------------------------------------------------------

@dataclass(frozen=True)
class Issue:
    url: str
    tracker: str  # github | gitlab | jira | other
    external_id: str


_GITHUB = re.compile(r"^/([^/]+)/([^/]+)/(?:issues|pull)/(\d+)(?:/|$)")
_GITLAB = re.compile(r"^/(.+?)/-/(?:issues|merge_requests|work_items)/(\d+)(?:/|$)")
_JIRA_KEY = re.compile(r"^[A-Z][A-Z0-9_]{0,30}-\d{1,9}$")
_JIRA_PATH = re.compile(r"/browse/([A-Z][A-Z0-9_]{0,30}-\d{1,9})(?:/|$)")
EXAMPLE = "https://github.com/acme/sdk/issues/481"


def parse_issue(raw: str) -> Issue:
    """The issue an address names, or :class:`BadArgument` naming what is wrong with it.

    >>> parse_issue("https://github.com/acme/sdk/issues/481")
    Issue(url='https://github.com/acme/sdk/issues/481', tracker='github', external_id='acme/sdk#481')
    >>> parse_issue("https://gitlab.com/acme/mobile/sdk/-/issues/12").external_id
    'acme/mobile/sdk#12'
    >>> parse_issue("https://acme.atlassian.net/browse/SDK-7").external_id
    'SDK-7'
    """
    text = (raw or "").strip()
    if text.startswith("<") and text.endswith(">"):  # Slack wraps links: <https://…> or <https://…|label>
        text = text[1:-1].split("|", 1)[0].strip()
    if not text:
        raise BadArgument("url", f"is missing: give the issue's address, like {EXAMPLE}")
    if len(text) > MAX_URL:
        raise BadArgument("url", f"is too long ({len(text)} characters; at most {MAX_URL})")
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in text):
        raise BadArgument("url", "has spaces or control characters in it; an address has none", value=text)
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme and scheme not in ("http", "https") and "." not in scheme:
        raise BadArgument("url", f"is a `{scheme}:` address; only http:// and https:// links are accepted", value=text)
    if scheme not in ("http", "https") or not parts.netloc:
        hint = "it needs https:// in front" if "." in text.split("/", 1)[0] else "it is not a web address"
        raise BadArgument("url", f"is not a link to an issue: {hint}; give the full address, like {EXAMPLE}",
                          value=text)
    host = (parts.hostname or "").lower()
    if "." not in host.strip("."):
        raise BadArgument("url", "has no host name, like github.com, in it", value=text)
    if parts.username or parts.password:
        raise BadArgument("url", "carries a user name or password; give the address without them", value=text)
    return Issue(text, *_identify(host, parts.path, parts.query))


def _identify(host: str, path: str, query: str) -> tuple[str, str]:
    if (host in ("github.com", "www.github.com") or host.startswith("github.")) and (m := _GITHUB.match(path)):
        return "github", f"{m.group(1)}/{m.group(2)}#{m.group(3)}"
    if m := _GITLAB.match(path):  # gitlab.com and self-hosted GitLab both use /-/issues/N
        return "gitlab", f"{m.group(1)}#{m.group(2)}"
    if m := _JIRA_PATH.search(path):
        return "jira", m.group(1)
    selected = parse_qs(query).get("selectedIssue", [""])[0]
    if _JIRA_KEY.match(selected):
        return "jira", selected
    return "other", ""


def link(ticket: Ticket, who: tickets.Who, issue: Issue, state: str | None, *, now: datetime,
         correlation_id: str) -> tuple[BugLink, list[str]]:
    """Link ``ticket`` to ``issue`` (or change the state of its link to it); (link, what changed).

    A new link is ``open`` unless ``state`` says otherwise. Becoming ``fixed`` tells the requester
    (once per link, whatever is repeated) and writes a ``bug_fixed`` event."""
    if state is not None and state not in STATES:
        raise BadArgument("state", f"must be one of {', '.join(STATES)}", value=state)
    row = BugLink.get_or_none((BugLink.ticket == ticket.id) & (BugLink.url == issue.url))
    changed: list[str] = []
    if row is None:
        try:
            with atomic():  # a savepoint: a lost race leaves the caller's transaction usable
                row = BugLink.create(ticket=ticket.id, url=issue.url, tracker=issue.tracker,
                                     external_id=issue.external_id, state=state or "open",
                                     linked_by=who.person.id if who.person else None, created_at=now, updated_at=now)
        except peewee.IntegrityError:  # linked by someone else at the same moment: take theirs
            row = BugLink.get((BugLink.ticket == ticket.id) & (BugLink.url == issue.url))
        else:
            changed.append("linked")
            tickets.event(ticket, "bug_linked", who, now=now, correlation_id=correlation_id, link=row.id,
                          url=issue.url, tracker=issue.tracker, issue=issue.external_id or None, state=row.state,
                          detail=f"linked to {row.name} ({row.state})")
    if state is not None and state != row.state:
        previous = row.state
        row.state, row.updated_at = state, now
        row.save()
        changed.append(state)
        tickets.event(ticket, "bug_state", who, now=now, correlation_id=correlation_id, link=row.id,
                      url=row.url, state=state, previous=previous, detail=f"{row.name}: {previous} → {state}")
    if row.state == "fixed" and row.fixed_at is None:
        row.fixed_at = now
        row.save()
    if row.state == "fixed" and row.requester_told_at is None:
        _tell_fixed(ticket, row, who, now=now, correlation_id=correlation_id)
        changed.append("requester told")
    return row, changed


def _tell_fixed(ticket: Ticket, row: BugLink, who: tickets.Who, *, now: datetime, correlation_id: str) -> None:
    """Once per link: the requester hears the bug is fixed. The UPDATE … WHERE requester_told_at IS NULL
    decides between two at once; the outbox's dedupe key is the second lock."""
    won = (BugLink.update(requester_told_at=now)
           .where((BugLink.id == row.id) & BugLink.requester_told_at.is_null()).execute())
    row.requester_told_at = now
    if not won:
        return
    requester = Person.get_by_id(ticket.requester_id)
    told = Reply.of(f"{oncall.handle(requester, ticket.platform)} Good news about your ticket {ticket.ref} "
                    f"({clip(ticket.summary, 80, one_line=True)}): the bug behind it is fixed ({row.name}, {row.url}). "
                    f"If it still happens, say so with `ticket reply {ticket.id} …`.").with_(
        mentions=oncall.ping(requester, ticket.platform))
    sent = tickets.tell_requester(ticket, told, now=now, dedupe_key=f"bug-link:{row.id}:fixed")
    tickets.event(ticket, "bug_fixed", who, now=now, correlation_id=correlation_id, link=row.id, url=row.url,
                  issue=row.external_id or None, told=sent,
                  detail=f"{row.name} fixed; requester " + ("told" if sent else "not reachable in chat"))


# ---- commands -------------------------------------------------------------------------------

@commands.command(name="bug-queue", category=Category.SUPPORT, policy=staff, private=True)
def bug_queue(ctx: Context) -> Reply:
    """Staff: the bug queue (open external dev problems), the soonest SLA deadline first, with age and assignee."""
    ctx.audit_outcome = "allowed"
    reply = queue_reply(ctx.now)
    ctx.audit_detail = f"{open_bugs().count()} open bug(s)"
    return reply


@commands.command(name="bug-link", category=Category.SUPPORT, policy=staff, private=True)
def bug_link(ctx: Context, ticket_id: int, url: str,
             state: Literal["open", "fixed", "wontfix"] | None = None) -> Reply:
    """Staff: link a ticket to its issue in a tracker, or set the link's state (fixed tells the requester).

    `bug-link 12 https://github.com/acme/sdk/issues/481` links it (open); run it again with `fixed` or
    `wontfix` when that changes. GitHub, GitLab and Jira addresses give the issue's id.

    Args:
        ticket_id: the ticket number
        url: the issue's address (http or https)
        state: open, fixed or wontfix (a new link is open)
    """
    ticket = Ticket.get_or_none(Ticket.id == ticket_id)
    if ticket is None:
        raise NotFound(f"There is no ticket #{ticket_id}.")
    issue = parse_issue(url)
    row, changed = link(ticket, tickets.Who.of(ctx.actor), issue, state, now=ctx.now,
                        correlation_id=ctx.correlation_id)
    ctx.audit_outcome = "executed" if changed else "allowed"
    ctx.audit_detail = f"ticket {ticket.ref} → {row.name} ({row.state})" + (f": {', '.join(changed)}" if changed
                                                                              else ": nothing changed")
    lines = [f"Ticket {ticket.ref} is linked to {row.name} ({row.tracker}): {row.state}."]
    if "requester told" in changed:
        lines.append("Its requester was told the bug is fixed.")
    elif row.state == "fixed" and row.requester_told_at is not None:
        lines.append("Its requester was told already.")
    if not changed:
        lines.append("Nothing changed.")
    if ticket.category != CATEGORY:
        lines.append(f"Note: the ticket is {type_label(ticket.category)}, not in the bug queue "
                     f"(`ticket type {ticket.id} {CATEGORY}` moves it there).")
    return Reply.text(" ".join(lines), style="success", ephemeral=True)


__all__ = ["BugLink", "CATEGORY", "Issue", "commands", "link", "open_bugs", "parse_issue", "queue_reply", "sla_due"]
