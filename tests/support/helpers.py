from __future__ import annotations

from chatops.models import AuditEvent, OutboundMessage
from chatops.support.models import Ticket, TicketEvent

# (identity, workspace, channel) of the demo people
CORA = dict(as_="slack:U0CORACUST", community_id="T0MAKERDAO")   # maker-dao partner, premium
MAX = dict(as_="slack:U0MAXMEMB", community_id="T0GENERAL")      # general public
PAT = dict(as_="slack:U0PATPART", community_id="T0METAGAME")     # meta-game partner
TIA = dict(as_="slack:U0TIATITH", community_id="T0TITHERS")      # tithing partner
PIA = dict(as_="slack:U0PIAPROS", community_id="T0PROSPECT")     # prospect, not permitted
SAM = dict(as_="slack:U0SAMSUPP", community_id="T0INTERNAL")     # support staff
LEE = dict(as_="slack:U0LEELEAD", community_id="T0INTERNAL")     # support lead


def last_ticket() -> Ticket:
    return Ticket.select().order_by(Ticket.id.desc()).first()


def outbox_to(channel: str) -> list[OutboundMessage]:
    return list(OutboundMessage.select().where(OutboundMessage.channel_id == channel).order_by(OutboundMessage.id))


def events(ticket: Ticket) -> list[str]:
    return [e.kind for e in TicketEvent.select().where(TicketEvent.ticket == ticket.id).order_by(TicketEvent.id)]


def audited(command: str) -> list[AuditEvent]:
    return list(AuditEvent.select().where(AuditEvent.command == command).order_by(AuditEvent.seq))
