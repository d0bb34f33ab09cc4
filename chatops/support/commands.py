"""Support commands: `/support` (form, text or DM), ticket work, the digest, on-call and cred.

    support my payout is late                         text: classified by keyword rules
    support category=external_dev_problem urgency=high the .NET SDK throws on init
    ticket claim 12 · ticket reply 12 Fixed it · ticket note 12 internal only · ticket resolve 12
    ticket-transfer 12 @sam · support-digest · oncall · oncall add @sam 8 · cred
"""
from __future__ import annotations

from datetime import timedelta
from typing import Literal

from chatops.commands import Category, CommandGroup
from chatops.context import ActionPress, Context
from chatops.converters import FreeText, UserRef
from chatops.errors import ActionUnavailable, Conflict, NotFound, PermissionDenied, UsageError
from chatops.identity import Actor, find_identity
from chatops.models import Person
from chatops.policy import staff
from chatops.reply import Fields, Reply, Text, Timeline, Step
from chatops.support import classify, cred, csat, digest, entitlement, intake, kb, oncall, tickets
from chatops.support.classify import TicketType
from chatops.support.models import Deflection, Ticket, TicketEvent

commands = CommandGroup("support")


def _partner_info(settings) -> str:
    return settings.support.partner_info


def _staff(actor: Actor, what: str, settings) -> None:
    entitlement.require_staff(actor, what, _partner_info(settings))


@commands.command(category=Category.SUPPORT, private=True)
def support(ctx: Context, details: FreeText | None = None, *, category: TicketType | None = None,
            urgency: Literal["low", "normal", "high", "urgent"] = "normal", summary: str | None = None) -> Reply:
    """Ask for help: you get a self-serve answer or a ticket routed to the right people.

    Type your question after the command (`support my payout is late`); options go first as
    `category=…` (internal_task, internal_ops_problem, external_ops_problem, external_dev_inquiry,
    external_dev_problem), `urgency=low|normal|high|urgent` and `summary="…"` (or anywhere in the text).

    Args:
        details: what happened, what you expected, ids involved
        category: the kind of request, if you know it (else we classify it)
        urgency: how much it hurts: low, normal, high or urgent
        summary: one line that sums it up
    """
    actor = ctx.actor
    intake.check_channel(actor, ctx.settings)
    # Options typed inside the text (`... urgency=high`) count too; the rest stays verbatim.
    inline = intake.parse_text(details or "")
    form = intake.Form(
        text=inline.text.strip(),
        category=category.value if category is not None else inline.category,
        urgency=urgency if "urgency" in ctx.raw_arguments else inline.urgency,
        summary=(summary or inline.summary or "").strip(),
    )
    intake.require_text(form)
    repeat = intake.already_asked(actor, form, now=ctx.now, platform=ctx.invocation.platform)
    if repeat is not None:
        ctx.audit_detail = f"asked again: ticket {repeat.ref} is {repeat.state}; no second ticket"
        return intake.asked_again_reply(repeat)
    alike = intake.similar_open(actor, form, now=ctx.now, platform=ctx.invocation.platform)
    if alike is not None:
        ctx.audit_detail = f"like ticket {alike.ref}: offered to add it there"
        return intake.add_to_offer(alike, form, new_action=ctx.new_action)
    suggestions = classify.suggest(" ".join([form.summary, form.text]), runnable=lambda name: _runnable(ctx, name),
                                   id_formats=getattr(ctx.backend, "id_formats", None))
    articles = kb.answers_for(" ".join([form.summary, form.text]), actor, category=form.category)
    if suggestions or articles:
        offered = [s.command for s in suggestions[:3]] + [h.article.ref for h in articles]
        ctx.audit_detail = f"deflection offered: {', '.join(offered)}"
        return intake.offer(actor, form, suggestions, now=ctx.now, new_action=ctx.new_action, articles=articles)
    ticket = intake.open_from_form(actor, form, now=ctx.now, correlation_id=ctx.correlation_id,
                                   settings=ctx.settings, origin_channel_id=ctx.invocation.channel_id,
                                   user_id=ctx.invocation.user_id, platform=ctx.invocation.platform)
    ctx.audit_outcome, ctx.audit_detail = "executed", f"ticket {ticket.ref} opened"
    return intake.opened_reply(ticket)


def _runnable(ctx: Context, name: str) -> bool:
    """The command is installed and the asker's policy (a stored override included) allows it."""
    cmd = ctx.router.registry.get(name)
    return ctx.router.allows(cmd, ctx.actor)


@commands.action("deflection", "solved", "open")
def deflection_button(press: ActionPress) -> Reply:
    if press.actor.person.id != press.action.requester_id:
        raise PermissionDenied("only the person who asked can answer this", "Ask with `support` yourself.")
    payload = press.payload
    row = Deflection.get_or_none(Deflection.id == payload.get("deflection_id"))
    articles = payload.get("articles") or []
    if press.verb == "solved":
        if row is not None:
            row.outcome = "solved"
            row.save()
        kb.count_feedback([a["id"] for a in articles], answered=True)
        press.finish()
        press.detail = "deflected: solved without a ticket"
        return Reply.text("Glad that worked. No ticket was opened.", style="success", ephemeral=True)
    form = intake.Form(text=payload.get("text", ""), category=payload.get("category"),
                       urgency=payload.get("urgency", "normal"), summary=payload.get("summary", ""))
    origin = press.action.invocation or {}
    repeat = intake.already_asked(press.actor, form, now=press.now, platform=press.invocation.platform)
    if repeat is not None:
        press.finish()
        press.detail = f"asked again: ticket {repeat.ref} is {repeat.state}; no second ticket"
        return intake.asked_again_reply(repeat)
    ticket = intake.open_from_form(press.actor, form, now=press.now, correlation_id=press.correlation_id,
                                   settings=press.router.settings,
                                   origin_channel_id=origin.get("channel_id") or press.invocation.channel_id,
                                   user_id=press.invocation.user_id, platform=press.invocation.platform)
    if row is not None:
        row.outcome, row.ticket = "opened", ticket.id
        row.save()
    if articles:
        kb.count_feedback([a["id"] for a in articles], answered=False)
        tickets.note(ticket, tickets.Who(None, "system:knowledge-base"), kb.ticket_note(articles), now=press.now,
                     correlation_id=press.correlation_id)
    press.finish()
    press.detail = f"ticket {ticket.ref} opened after deflection"
    return intake.opened_reply(ticket)


@commands.action("repeat", "add", "open", requester_only=True)
def repeat_button(press: ActionPress) -> Reply:
    """"Add this to #12?": the question goes onto the open ticket as the requester's message, or opens its own."""
    payload = press.payload
    form = intake.Form(text=payload.get("text", ""), category=payload.get("category"),
                       urgency=payload.get("urgency", "normal"), summary=payload.get("summary", ""))
    existing = Ticket.get_or_none(Ticket.id == payload.get("ticket_id"))
    if press.verb == "add" and existing is not None and existing.state in ("open", "claimed", "waiting"):
        tickets.reply(existing, tickets.Who.of(press.actor), (form.summary + "\n" + form.text).strip(),
                      now=press.now, correlation_id=press.correlation_id, settings=press.router.settings)
        press.finish()
        press.detail = f"added to ticket {existing.ref}"
        return Reply.text(f"Added to ticket {existing.ref}. The team sees it there; no second ticket was opened.",
                          style="success", ephemeral=True)
    origin = press.action.invocation or {}
    ticket = intake.open_from_form(press.actor, form, now=press.now, correlation_id=press.correlation_id,
                                   settings=press.router.settings,
                                   origin_channel_id=origin.get("channel_id") or press.invocation.channel_id,
                                   user_id=press.invocation.user_id, platform=press.invocation.platform)
    press.finish()
    press.detail = f"ticket {ticket.ref} opened" + ("" if press.verb == "open" else
                                                    f" ({existing.ref if existing else 'the ticket'} was closed)")
    reply = intake.opened_reply(ticket)
    if press.verb == "add":  # the ticket it was meant for was resolved or closed meanwhile
        reply = reply.with_(blocks=(Text(f"That ticket is no longer open, so this one was opened."),) + reply.blocks)
    return reply


def _ticket(ticket_id: int) -> Ticket:
    ticket = Ticket.get_or_none(Ticket.id == ticket_id)
    if ticket is None:
        raise NotFound(f"There is no ticket #{ticket_id}.")
    return ticket


def _visible_ticket(actor: Actor, ticket_id: int) -> Ticket:
    """The ticket, if ``actor`` may see it: staff any, others their own. Missing and not-yours read the
    same, so ticket numbers can't be probed."""
    ticket = Ticket.get_or_none(Ticket.id == ticket_id)
    if ticket is None or not (actor.is_staff or _is_requester(actor, ticket)):
        raise NotFound(f"You have no ticket #{ticket_id}.",
                       hint="Your tickets' numbers are in the bot's answers when you opened them.")
    return ticket


def _is_requester(actor: Actor, ticket: Ticket) -> bool:
    return actor.person.id == ticket.requester_id


def show(ticket: Ticket, actor: Actor) -> Reply:
    staff = actor.is_staff
    steps = []
    for ev in TicketEvent.select().where(TicketEvent.ticket == ticket.id).order_by(TicketEvent.id):
        if ev.internal and not staff:
            continue
        detail = ev.body[:300] if ev.body else None
        steps.append(Step(f"{ev.kind.replace('_', ' ')} — {ev.actor_label}", at=ev.created_at, detail=detail,
                          status="info" if ev.internal else "done"))
    card = tickets.card(ticket)
    blocks = [b for b in card.blocks if staff or not hasattr(b, "buttons")]
    return Reply((*blocks, Timeline(tuple(steps[-30:]), title="History")), ephemeral=True)


VERBS = Literal["show", "claim", "unclaim", "wait", "reply", "note", "resolve", "close", "reopen", "type"]
REQUESTER_VERBS = ("show", "reply", "resolve", "reopen")  # on their own tickets; the rest is for staff


@commands.command(category=Category.SUPPORT, private=True)
def ticket(ctx: Context, verb: VERBS, ticket_id: int, text: FreeText | None = None) -> Reply:
    """Work on a ticket: show, claim, unclaim, wait, reply, note, resolve, close, reopen or type.

    Requesters may show, reply to, resolve and reopen their own tickets; the rest is for the team.

    Args:
        verb: what to do
        ticket_id: the ticket number
        text: the reply or note (for `type`, the ticket type)
    """
    actor = ctx.actor
    t = _visible_ticket(actor, ticket_id)
    if not (actor.is_staff or verb in REQUESTER_VERBS):
        _staff(actor, f"`ticket {verb}`", ctx.settings)
    who = tickets.Who.of(actor)
    kw = dict(now=ctx.now, correlation_id=ctx.correlation_id)
    ctx.audit_outcome = "allowed" if verb == "show" else "executed"
    if verb == "show":
        return show(t, actor)
    if verb in ("reply", "note") and not (text or "").strip():
        raise UsageError(f"Write the {verb} after the ticket number: `ticket {verb} {t.id} …`")
    if verb == "claim":
        tickets.claim(t, who, settings=ctx.settings, **kw)
    elif verb == "unclaim":
        tickets.unclaim(t, who, settings=ctx.settings, **kw)
    elif verb == "wait":
        tickets.wait(t, who, settings=ctx.settings, **kw)
    elif verb == "reply":
        tickets.reply(t, who, text.strip(), settings=ctx.settings, **kw)
    elif verb == "note":
        tickets.note(t, who, text.strip(), **kw)
    elif verb == "resolve":
        tickets.resolve(t, who, settings=ctx.settings, text=(text or "").strip(), **kw)
    elif verb == "close":
        tickets.close(t, who, settings=ctx.settings, **kw)
    elif verb == "reopen":
        tickets.reopen(t, who, settings=ctx.settings, **kw)
    elif verb == "type":
        tickets.set_type(t, who, intake.normalise_category(text) or "", settings=ctx.settings, **kw)
    where = f" It is in <#{t.channel_id}>." if verb == "type" and t.channel_id and t.platform in ("slack", "discord") else ""
    return Reply.text(f"Ticket {t.ref}: {verb} done. It is {t.state}" +
                      (f", with {Person.get_by_id(t.assignee_id).name}." if t.assignee_id else ".") + where,
                      style="success", ephemeral=True)


@commands.command(name="ticket-transfer", category=Category.SUPPORT, policy=staff, private=True)
def ticket_transfer(ctx: Context, ticket_id: int, to: UserRef) -> Reply:
    """Hand a ticket to another support person.

    Args:
        ticket_id: the ticket number
        to: who takes it over (a mention)
    """
    t = _ticket(ticket_id)
    ident = find_identity(to.platform, to.user_id)
    if ident is None:
        raise NotFound(f"{to} has never used the bot; they need to say hello to it first.")
    tickets.transfer(t, tickets.Who.of(ctx.actor), ident.person, now=ctx.now, correlation_id=ctx.correlation_id,
                     settings=ctx.settings)
    ctx.audit_outcome = "executed"
    return Reply.text(f"Ticket {t.ref} is now with {ident.person.name}.", style="success", ephemeral=True)


@commands.action("ticket", "claim", "unclaim", "wait", "resolve", "close", "reopen")
def ticket_button(press: ActionPress) -> Reply:
    t = _ticket(int(press.payload["ticket_id"]))
    own = _is_requester(press.actor, t)
    if not (press.actor.is_staff or (own and press.verb in ("resolve", "reopen"))):
        _staff(press.actor, f"the {press.verb} button", press.router.settings)
    who = tickets.Who.of(press.actor)
    kw = dict(now=press.now, correlation_id=press.correlation_id, settings=press.router.settings)
    getattr(tickets, {"claim": "claim", "unclaim": "unclaim", "wait": "wait", "resolve": "resolve",
                      "close": "close", "reopen": "reopen"}[press.verb])(t, who, **kw)
    press.detail = f"ticket {t.ref} {press.verb}"
    return tickets.card(t).with_(in_place=True)  # the card the button was on shows the new state


@commands.action("csat", *csat.VERBS)
def csat_button(press: ActionPress) -> Reply:
    if press.actor.person.id != press.action.requester_id:
        raise ActionUnavailable("Only the person who asked can rate this ticket.")
    t = _ticket(int(press.payload["ticket_id"]))
    rating = int(press.verb[1:])
    csat.rate(t, tickets.Who.of(press.actor), rating, int(press.payload.get("cycle", 0)), now=press.now,
              correlation_id=press.correlation_id)
    press.finish()
    press.detail = f"ticket {t.ref} rated {rating}"
    return Reply.text(f"Thank you for rating ticket {t.ref}: {rating}/5.", style="success", ephemeral=True)


@commands.command(name="support-digest", category=Category.SUPPORT, policy=staff, private=True)
def support_digest(ctx: Context) -> Reply:
    """The standup digest: open tickets by tier and type, at risk, breached, oldest, times, load, CSAT."""
    return digest.build(now=ctx.now).with_(ephemeral=True)


@commands.command(category=Category.SUPPORT, policy=staff, private=True)
def oncall_(ctx: Context, verb: Literal["show", "add"] = "show", who: UserRef | None = None,
            hours: int = 8) -> Reply:
    """Who is on call now, and who leads; `oncall add @someone 8` puts someone on call from now.

    Args:
        verb: show, or add a shift
        who: the person to put on call
        hours: the shift's length from now
    """
    team = oncall.default_team(ctx.settings)
    if team is None:
        raise NotFound("No support team is set up yet (an admin adds one in the panel).")
    if verb == "add":
        if not ({"lead", "admin"} & ctx.actor.roles):
            raise PermissionDenied("only a lead or an admin can change the rotation", "Ask your team lead.")
        if who is None:
            raise UsageError("Name the person: `oncall add @someone 8`.")
        ident = find_identity(who.platform, who.user_id)
        if ident is None:
            raise NotFound(f"{who} has never used the bot; they need to say hello to it first.")
        if not oncall.holds_staff_role(ident.person):
            raise Conflict(f"{ident.person.name} is not on the support team (no staff role), so they can't be "
                           "put on call.", hint="An admin grants a staff role (support, lead or admin) first.")
        if not 1 <= hours <= 24 * 14:
            raise UsageError("A shift is 1 to 336 hours long.")
        oncall.add_shift(team, ident.person, ctx.now, ctx.now + timedelta(hours=hours))
        ctx.audit_outcome, ctx.audit_detail = "executed", f"{ident.person.name} on call for {hours} h"
    now_on = oncall.current(team, ctx.now)
    lead = Person.get_or_none(Person.id == team.lead_id) if team.lead_id else None
    return Reply((Fields((("Team", team.name), ("On call now", now_on.name if now_on else "nobody"),
                          ("Lead", lead.name if lead else "nobody"))),), ephemeral=True)


@commands.command(name="cred", category=Category.SUPPORT, private=True)
def cred_(ctx: Context) -> Reply:
    """Cred earned by helping on support tickets: the top helpers and your own total."""
    rows = cred.ledger()
    mine = next(((total, n) for p, total, n in rows if p.id == ctx.actor.person.id), (0.0, 0))
    items = tuple((p.name, f"{total:g} ({n} ticket{'s' if n != 1 else ''})") for p, total, n in rows[:10])
    blocks: list = [Text(f"Your cred from support: {mine[0]:g} over {mine[1]} ticket(s).")]
    if items:
        blocks.append(Fields(items, title="Top helpers"))
    return Reply(tuple(blocks), ephemeral=True)


def home_section(ctx: Context) -> list:
    """``my``: the tickets you opened that are not done, and (staff) the ones you hold."""
    person = ctx.actor.person
    live = Ticket.state.in_(("open", "claimed", "waiting"))
    mine = list(Ticket.select().where((Ticket.requester == person.id) & live).order_by(Ticket.id.desc()).limit(10))
    lines = [f"{t.ref} {t.state}: {t.summary[:80]}" for t in mine]
    blocks: list = [Text("*Your tickets*\n" + ("\n".join(lines) if lines else "None open. `support` asks for help."))]
    if ctx.actor.is_staff:
        held = list(Ticket.select().where((Ticket.assignee == person.id) & live).order_by(Ticket.id).limit(10))
        lines = [f"{t.ref} {t.state}: {t.summary[:80]}" for t in held]
        blocks.append(Text("*Tickets you hold*\n" + ("\n".join(lines) if lines else "None.")))
    return blocks
