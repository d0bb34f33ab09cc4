"""The SLA sweeper: finds tickets whose next SLA stage is due and climbs their escalation ladder.

    report = sweep(now=clock(), settings=settings)      # SweepReport(examined=…, notified=…)

Cheap when nothing is due: one indexed range query on ``ticket.next_due``. Exactly-once, also
with several sweepers at once and across restarts, because the database decides: each stage of
each clock in each cycle inserts a :class:`SlaNotification` row under a unique key, in the same
transaction as its outbox message (with a dedupe key of the same name), its ticket event and its
audit event (actor ``system:sla-sweeper``). A sweeper that loses the race on that key does
nothing for that stage. On PostgreSQL the ticket row is also locked ``FOR UPDATE SKIP LOCKED``,
so concurrent sweepers share the work instead of queueing on the same rows.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import peewee

from chatops import outbox
from chatops.db import atomic, is_sqlite
from chatops.models import OutboundMessage, Person
from chatops.reply import Destination, Reply, Text
from chatops.settings import Settings
from chatops.support import oncall, sla, tickets
from chatops.support.models import SlaNotification, SupportTeam, Ticket

CLOCK_LABEL = {"first_response": "first response", "resolution": "resolution"}


@dataclass
class SweepReport:
    examined: int = 0
    notified: int = 0
    skipped: int = 0  # stages another sweeper had already done
    stages: list[tuple[int, str, str]] = field(default_factory=list)


def due_ids(now: datetime, limit: int, after_id: int = 0) -> list[int]:
    return [r[0] for r in Ticket.select(Ticket.id).where((Ticket.next_due <= now) & (Ticket.id > after_id))
            .order_by(Ticket.id).limit(limit).tuples()]


def sweep(*, now: datetime, settings: Settings, batch: int = 500) -> SweepReport:
    """One pass over every ticket due at ``now`` (by id, in batches); each in its own transaction."""
    report = SweepReport()
    after = 0
    while True:
        ids = due_ids(now, batch, after)
        for ticket_id in ids:
            _sweep_one(ticket_id, now, settings, report)
        if len(ids) < batch:
            return report
        after = ids[-1]


def _locked(ticket_id: int, now: datetime) -> Ticket | None:
    query = Ticket.select().where((Ticket.id == ticket_id) & (Ticket.next_due <= now))
    if not is_sqlite():
        query = query.for_update(skip_locked=True)
    return query.first()


def _sweep_one(ticket_id: int, now: datetime, settings: Settings, report: SweepReport) -> None:
    with atomic():
        ticket = _locked(ticket_id, now)
        if ticket is None:
            return  # handled (or being handled) by another sweeper, or no longer due
        report.examined += 1
        for clock in sla.CLOCKS:
            if not sla.clock_active(ticket, clock):
                continue
            attr = "fr_stage" if clock == "first_response" else "res_stage"
            steps = sla.ladder(ticket, clock, settings)
            done = getattr(ticket, attr)
            while done < len(steps) and steps[done][1] <= now:
                stage = steps[done][0]
                if _notify(ticket, clock, stage, now, settings):
                    report.notified += 1
                    report.stages.append((ticket.id, clock, stage))
                else:
                    report.skipped += 1
                if stage == "at_risk" and ticket.sla_status == "ok":
                    ticket.sla_status = "at_risk"
                elif stage == "breached":
                    ticket.sla_status = "breached"
                done += 1
            setattr(ticket, attr, done)
        ticket.next_due = sla.next_due(ticket, settings)
        ticket.save()


def _notify(ticket: Ticket, clock: str, stage: str, now: datetime, settings: Settings) -> bool:
    """Do one stage once: the unique SlaNotification row decides who does it."""
    team = SupportTeam.get_or_none(SupportTeam.id == ticket.team_id) if ticket.team_id else None
    team = team or oncall.default_team(settings)
    recipient, channel, text, mentions = _message(ticket, clock, stage, team, now)
    try:
        with atomic():
            SlaNotification.create(ticket=ticket.id, clock=clock, cycle=ticket.cycle, stage=stage,
                                   recipient=recipient, created_at=now)
    except peewee.IntegrityError:
        return False
    key = f"sla:{ticket.id}:{clock}:{ticket.cycle}:{stage}"
    if channel and ticket.platform in ("slack", "discord"):
        outbox.enqueue(Destination(ticket.platform, channel), Reply((Text(text, "warning"),), mentions=mentions), now=now,
                       dedupe_key=key, correlation_id=ticket.correlation_id)
    tickets.event(ticket, f"sla_{stage}", tickets.SYSTEM_WHO, now=now, correlation_id=ticket.correlation_id,
                  body=text, internal=True, clock=clock, stage=stage, recipient=recipient, cycle=ticket.cycle,
                  detail=f"{CLOCK_LABEL[clock]} {stage}: {recipient}")
    return True


def _message(ticket: Ticket, clock: str, stage: str, team: SupportTeam | None, now: datetime
             ) -> tuple[str, str, str, tuple[str, ...]]:
    """(recipient label, channel id, text, who it notifies) for one stage."""
    what = CLOCK_LABEL[clock]
    due = ticket.first_response_due if clock == "first_response" else ticket.resolution_due
    about = f"ticket {ticket.ref} ({ticket.summary[:80]})"
    claimer = Person.get_or_none(Person.id == ticket.assignee_id) if ticket.assignee_id else None
    who = oncall.handle(claimer, ticket.platform) if claimer else "Unclaimed:"
    pings = oncall.ping(claimer, ticket.platform)
    if stage == "at_risk":
        return (claimer.name if claimer else "channel", ticket.channel_id,
                f"{who} {what} SLA at risk for {about}: due {due:%Y-%m-%d %H:%M} UTC.", pings)
    if stage == "breached":
        return (claimer.name if claimer else "channel", ticket.channel_id,
                f"{who} {what} SLA breached for {about}: it was due {due:%Y-%m-%d %H:%M} UTC.", pings)
    if stage == "oncall":
        person = oncall.current(team, now)
        return (f"on-call {person.name}" if person else "on-call: nobody", ticket.channel_id,
                f"{oncall.handle(person, ticket.platform)} (on call) escalation: {what} SLA breached for {about}.",
                oncall.ping(person, ticket.platform))
    if stage == "lead":
        lead = Person.get_or_none(Person.id == team.lead_id) if team and team.lead_id else None
        return (f"lead {lead.name}" if lead else "lead: nobody", ticket.channel_id,
                f"{oncall.handle(lead, ticket.platform)} (lead) escalation: {what} SLA still breached for {about}.",
                oncall.ping(lead, ticket.platform))
    channel = team.channel(ticket.platform) if team else ""
    return (f"internal channel {channel or '(none)'}", channel,
            f"Escalation to the team: {what} SLA breached for {about}, in <#{ticket.channel_id}>; "
            f"claimed by {claimer.name if claimer else 'nobody'}.", ())


UNDELIVERED_LOOKBACK = timedelta(days=2)  # failed messages older than this were reported (or are moot)


def report_undelivered(*, now: datetime, batch: int = 200) -> int:
    """Tell staff, in the ticket's channel, about each message to a requester that could not be delivered
    for good (the platform refused it, and the adapter's fallback too: a DM the bot may not send), once per
    message (dedupe key ``undelivered:<id>``). Returns how many were reported."""
    since = now - UNDELIVERED_LOOKBACK
    reported = 0
    failed = (OutboundMessage.select()
              .where((OutboundMessage.state == "failed") & (OutboundMessage.created_at >= since)
                     & (OutboundMessage.correlation_id != "") & OutboundMessage.edits.is_null())
              .order_by(OutboundMessage.id).limit(batch))
    for message in failed:
        ticket = Ticket.get_or_none((Ticket.correlation_id == message.correlation_id)
                                    & (Ticket.origin_channel_id == message.channel_id))
        if ticket is None or not ticket.channel_id or ticket.channel_id == message.channel_id:
            continue  # not a message to a requester, or nowhere else to say it
        text = (f"Could not reach the requester of ticket {ticket.ref} ({ticket.summary[:80]}) on "
                f"{message.platform}: {(message.error or 'refused')[:200]}. They have not seen the last message "
                "sent to them; reach them another way.")
        with atomic():
            if outbox.enqueue(Destination(ticket.platform, ticket.channel_id), Reply((Text(text, "warning"),)),
                              now=now, dedupe_key=f"undelivered:{message.id}",
                              correlation_id=ticket.correlation_id) is not None:
                tickets.event(ticket, "undelivered", tickets.SYSTEM_WHO, now=now,
                              correlation_id=ticket.correlation_id, body=text, internal=True)
                reported += 1
    return reported
