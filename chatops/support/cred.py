"""Cred for helpers: when a ticket is resolved, whoever helped (the claimer, those who replied)
earns ``tier cred weight × type weight``; a ledger per person; CSV and SourceCred exports.

    cred.award(ticket, now=now, correlation_id=cid, who=who)   # once per cycle; audited as the resolver
    cred.ledger()                                        # [(person, total, events)], highest first
    cred.export_csv(fp); cred.export_sourcecred(fp, name="chatops")

The SourceCred export is a ``graph.json`` for SourceCred's External plugin (plugin id
``external/<name>``): a ``sourcecred/weightedGraph`` 0.1.0 holding a ``sourcecred/graph`` 0.8.0
(participant and contribution nodes, ``PARTICIPATES_IN`` edges from each helper to the ticket)
and ``sourcecred/weights`` 0.2.0 giving each contribution node its cred amount as its weight and
participant nodes weight 0, following the External plugin's default declaration
(``external/<name>/PARTICIPANT``, ``…/CONTRIBUTION``, ``…/PARTICIPATES_IN``).
"""
from __future__ import annotations

import csv
import json
import re
from datetime import datetime
from typing import IO

import peewee

from chatops.text import safe_cell  # the one CSV cell function, shared with the panel
from chatops.db import atomic
from chatops.models import Identity, Person, Tier
from chatops.support.models import CredEvent, Ticket, TicketEvent


def helpers(ticket: Ticket) -> list[tuple[int, str]]:
    """(person id, role) of whoever helped in the current cycle: the claimer first, then repliers."""
    from chatops.support.sla import clock_start

    found: dict[int, str] = {}
    if ticket.assignee_id and ticket.assignee_id != ticket.requester_id:
        found[ticket.assignee_id] = "claimer"
    since = clock_start(ticket)
    rows = (TicketEvent.select(TicketEvent.actor).where(
        (TicketEvent.ticket == ticket.id) & (TicketEvent.kind == "reply") & (TicketEvent.created_at >= since)
        & TicketEvent.actor.is_null(False)).order_by(TicketEvent.id).tuples())
    for (person_id,) in rows:
        if person_id != ticket.requester_id:
            found.setdefault(person_id, "replier")
    return list(found.items())


def award(ticket: Ticket, *, now: datetime, correlation_id: str, who=None) -> list[CredEvent]:
    """Credit the cycle's helpers once; ``who`` (a tickets.Who) is the person whose resolve awards it,
    recorded as the actor of the cred events (the system only when no person resolved)."""
    from chatops.support.tickets import SYSTEM_WHO, event, type_weight

    who = who or SYSTEM_WHO

    tier = Tier.get_or_none(Tier.id == ticket.tier_id) if ticket.tier_id else None
    tier_w = tier.cred_weight if tier else 1.0
    type_w = type_weight(ticket.category)
    made = []
    for person_id, role in helpers(ticket):
        try:
            with atomic():
                row = CredEvent.create(person=person_id, ticket=ticket.id, cycle=ticket.cycle, role=role,
                                       tier_weight=tier_w, type_weight=type_w, amount=tier_w * type_w, created_at=now)
        except peewee.IntegrityError:
            continue  # already credited for this cycle
        made.append(row)
        event(ticket, "cred", who, now=now, correlation_id=correlation_id, person=person_id, role=role,
              amount=row.amount, detail=f"{row.amount:g} cred to person {person_id} ({role})")
    return made


def ledger() -> list[tuple[Person, float, int]]:
    rows = (CredEvent.select(CredEvent.person, peewee.fn.SUM(CredEvent.amount), peewee.fn.COUNT(CredEvent.id))
            .group_by(CredEvent.person).tuples())
    people = {p.id: p for p in Person.select().where(Person.id.in_([r[0] for r in rows] or [0]))}
    result = [(people[pid], float(total), int(n)) for pid, total, n in rows]
    return sorted(result, key=lambda r: (-r[1], r[0].name))


def _identities() -> dict[int, list[str]]:
    """``platform:user_id`` of everyone who earned cred, by person id: one query."""
    found: dict[int, list[str]] = {}
    earners = CredEvent.select(CredEvent.person).distinct()
    for person_id, platform, user_id in (Identity.select(Identity.person, Identity.platform, Identity.user_id)
                                         .where(Identity.person.in_(earners))
                                         .order_by(Identity.person, Identity.id).tuples()):
        found.setdefault(person_id, []).append(f"{platform}:{user_id}")
    return found




def export_csv(fp: IO[str]) -> int:
    writer = csv.writer(fp)
    writer.writerow(["created_at", "person_id", "person", "identities", "ticket", "cycle", "role",
                     "tier_weight", "type_weight", "amount"])
    n = 0
    names = {p.id: p.name for p in Person.select(Person.id, Person.name)}
    identities = _identities()
    for e in CredEvent.select().order_by(CredEvent.id):
        writer.writerow([safe_cell(v) for v in (
            e.created_at.isoformat(), e.person_id, names.get(e.person_id, ""),
            " ".join(identities.get(e.person_id, [])), e.ticket_id, e.cycle, e.role,
            e.tier_weight, e.type_weight, e.amount)])
        n += 1
    return n


def _address(kind: str, parts: list[str]) -> str:
    """SourceCred's string form of an address: ``N\\0part\\0part\\0`` (``E`` for edges)."""
    return kind + "\0" + "".join(p + "\0" for p in parts)


def sourcecred_graph(name: str = "chatops") -> list:
    """The WeightedGraphJSON for ``config/plugins/external/<name>/graph.json``."""
    prefix = ["external", name]
    nodes: dict[tuple[str, ...], dict] = {}
    edges: list[dict] = []
    weights: dict[str, float] = {}
    names = {p.id: p.name for p in Person.select(Person.id, Person.name)}
    identities = _identities()
    for e in CredEvent.select().order_by(CredEvent.id):
        ms = int(e.created_at.timestamp() * 1000)
        who = tuple(prefix + ["PARTICIPANT", "person", str(e.person_id)])
        what = tuple(prefix + ["CONTRIBUTION", "ticket", str(e.ticket_id), str(e.cycle), str(e.person_id)])
        nodes.setdefault(who, {"description": f"{names.get(e.person_id, e.person_id)} "
                                              f"({', '.join(identities.get(e.person_id, [])) or 'no identity'})",
                               "timestampMs": None})
        nodes[what] = {"description": f"Resolved support ticket #{e.ticket_id} as {e.role}", "timestampMs": ms}
        weights[_address("N", list(who))] = 0.0
        weights[_address("N", list(what))] = e.amount
        edges.append({"address": prefix + ["PARTICIPATES_IN", str(e.id)], "src": who, "dst": what,
                      "timestampMs": ms})
    order = sorted(nodes, key=lambda parts: _address("N", list(parts)))
    index = {parts: i for i, parts in enumerate(order)}
    graph = [{"type": "sourcecred/graph", "version": "0.8.0"}, {
        "sortedNodeAddresses": [list(p) for p in order],
        "nodes": [{"index": index[p], **nodes[p]} for p in order],
        "edges": [{"address": e["address"], "srcIndex": index[e["src"]], "dstIndex": index[e["dst"]],
                   "timestampMs": e["timestampMs"]}
                  for e in sorted(edges, key=lambda e: _address("E", e["address"]))],
    }]
    weights_json = [{"type": "sourcecred/weights", "version": "0.2.0"},
                    {"nodeWeights": dict(sorted(weights.items())), "edgeWeights": {}}]
    return [{"type": "sourcecred/weightedGraph", "version": "0.1.0"},
            {"graphJSON": graph, "weightsJSON": weights_json}]


def _sourcecred_name(text: str, person_id: int) -> str:
    """A SourceCred identity name: letters, digits and dashes, 1-39 characters (made unique by the id)."""
    base = re.sub(r"[^A-Za-z0-9-]+", "-", text).strip("-")[:30] or "person"
    return f"{base}-{person_id}"[:39]


def identity_proposals(name: str = "chatops") -> list[dict]:
    """``config/plugins/external/<name>/identityProposals.json``: one USER identity per person in the graph,
    aliased to their participant node, so SourceCred creates (or links) their account without hand work."""
    people = sorted({e.person_id for e in CredEvent.select(CredEvent.person_id)})
    names = {p.id: p.name for p in Person.select(Person.id, Person.name).where(Person.id.in_(people))}
    identities = _identities()
    return [{"pluginName": name, "name": _sourcecred_name(names.get(pid, ""), pid), "type": "USER",
             "alias": {"address": ["external", name, "PARTICIPANT", "person", str(pid)],
                       "description": f"{names.get(pid, pid)} ({', '.join(identities.get(pid, [])) or 'no identity'})"}}
            for pid in people]


def export_identities(fp: IO[str], name: str = "chatops") -> int:
    proposals = identity_proposals(name)
    json.dump(proposals, fp, ensure_ascii=False, indent=1)
    return len(proposals)


def export_sourcecred(fp: IO[str], name: str = "chatops") -> int:
    graph = sourcecred_graph(name)
    json.dump(graph, fp, ensure_ascii=False, sort_keys=False)
    return len(graph[1]["graphJSON"][1]["nodes"])
