"""The ticket lifecycle through commands and buttons: claim, replies, notes, waiting, resolve, cred, CSAT, reopen."""
from __future__ import annotations

import csv
import io
import json
import re

from chatops.models import Person
from chatops.reply import Reply
from chatops.support import cred
from chatops.support.models import CredEvent, CsatRating, TicketEvent

from .helpers import CORA, LEE, MAX, SAM, audited, events, last_ticket, outbox_to


def _open(sup):
    sup.invoke("support how do callbacks work", channel_id="C0MAKERDAO", **CORA)
    return last_ticket()


def _card_buttons(channel: str) -> dict[str, str]:
    return Reply.from_dict(outbox_to(channel)[-1].reply).button_ids()


def test_claim_button_is_for_staff_and_the_requester_gets_a_redirect(sup):
    t = _open(sup)
    buttons = _card_buttons("C0MAKERDAO")
    denied = sup.press(buttons["Claim"], **MAX)
    assert denied.is_error and "support team" in denied.text and denied.reply.ephemeral
    ok = sup.press(buttons["Claim"], **SAM)
    assert not ok.is_error, ok.text
    t = last_ticket()
    assert t.state == "claimed" and t.assignee.name == "Sam Support"
    again = sup.press(buttons["Claim"], **LEE)
    assert again.is_error and "claimed by Sam Support" in again.text


def test_full_lifecycle_with_first_response_notes_cred_and_csat(sup, clock):
    t = _open(sup)
    sup.invoke(f"ticket claim {t.id}", **SAM)
    clock.advance(minutes=7)
    sup.invoke(f"ticket note {t.id} probably the webhook secret", **SAM)
    r = sup.invoke(f"ticket reply {t.id} Callbacks are POSTs signed with your secret.", **SAM)
    assert not r.is_error, r.text
    t = last_ticket()
    assert t.first_response_at == clock() and t.next_due is not None
    to_requester = outbox_to("C0MAKERDAO")[-1]
    assert "<@U0CORACUST>" in str(to_requester.reply) and "signed with your secret" in str(to_requester.reply)
    assert "webhook secret" not in " ".join(str(m.reply) for m in outbox_to("C0MAKERDAO"))  # notes stay internal
    # the requester sees replies, not notes
    seen = sup.invoke(f"ticket show {t.id}", **CORA).text
    assert "signed with your secret" in seen and "webhook secret" not in seen
    assert "webhook secret" in sup.invoke(f"ticket show {t.id}", **SAM).text
    sup.invoke(f"ticket wait {t.id}", **SAM)
    assert last_ticket().state == "waiting"
    sup.invoke(f"ticket reply {t.id} thanks, trying now", **CORA)
    assert last_ticket().state == "claimed"
    sup.invoke(f"ticket reply {t.id} also check the retries", **LEE)
    clock.advance(hours=1)
    r = sup.invoke(f"ticket resolve {t.id}", **SAM)
    assert not r.is_error, r.text
    t = last_ticket()
    assert t.state == "resolved" and t.next_due is None
    # cred: claimer and the other helper, premium (2.0) × external dev inquiry (1.5); not the requester
    awards = {(e.person.name, e.role, e.amount) for e in CredEvent.select()}
    assert awards == {("Sam Support", "claimer", 3.0), ("Lee Lead", "replier", 3.0)}
    # CSAT asked where the requester asked, answered once, by the requester only
    ask = Reply.from_dict(outbox_to("C0MAKERDAO")[-1].reply)
    assert "How did we do" in ask.plain_text()
    assert sup.press(ask.button_ids()["5"], **SAM).is_error
    assert not sup.press(ask.button_ids()["4"], **CORA).is_error
    assert sup.press(ask.button_ids()["5"], **CORA).is_error
    assert [r.rating for r in CsatRating.select()] == [4]
    sup.invoke(f"ticket close {t.id}", **SAM)
    assert events(last_ticket()) == ["opened", "claimed", "note", "reply", "waiting", "reply", "reply", "resolved",
                                     "cred", "cred", "csat", "closed"]
    # every transition is in the audit trail too
    for kind in ("opened", "claimed", "note", "reply", "waiting", "resolved", "csat", "closed"):
        assert audited(f"ticket:{kind}"), kind
    digest = sup.invoke("support-digest", **SAM).text
    assert "4.0/5 from 1" in digest and "7 min" in digest


def test_reopen_starts_a_new_cycle_and_can_earn_again(sup, clock):
    t = _open(sup)
    sup.invoke(f"ticket claim {t.id}", **SAM)
    sup.invoke(f"ticket resolve {t.id}", **SAM)
    r = sup.invoke(f"ticket reopen {t.id}", **CORA)
    assert not r.is_error, r.text
    t = last_ticket()
    assert (t.state, t.cycle, t.res_stage) == ("claimed", 1, 0) and t.next_due is not None
    assert sup.invoke(f"ticket reopen {t.id}", **CORA).is_error  # not resolved now
    sup.invoke(f"ticket resolve {t.id}", **SAM)
    assert CredEvent.select().count() == 2


def test_unclaim_and_transfer(sup):
    t = _open(sup)
    sup.invoke(f"ticket claim {t.id}", **SAM)
    sup.invoke(f"ticket unclaim {t.id}", **SAM)
    assert last_ticket().state == "open" and last_ticket().assignee is None
    r = sup.invoke(f"ticket-transfer {t.id} slack:U0LEELEAD", **SAM)
    assert not r.is_error, r.text
    assert last_ticket().assignee.name == "Lee Lead"
    assert TicketEvent.get(TicketEvent.kind == "transferred").data["to"] == Person.get(Person.name == "Lee Lead").id
    assert sup.invoke(f"ticket-transfer {t.id} slack:U0SAMSUPP", **CORA).is_error


def test_triage_sets_the_type(sup):
    sup.invoke("support something odd happened", **MAX)
    t = last_ticket()
    sup.invoke(f"ticket type {t.id} external_ops_problem", **SAM)
    t = last_ticket()
    assert (t.category, t.classified_by, t.needs_triage) == ("external_ops_problem", "staff", False)


def test_cred_exports(sup):
    t = _open(sup)
    sup.invoke(f"ticket claim {t.id}", **SAM)
    sup.invoke(f"ticket resolve {t.id}", **SAM)
    buf = io.StringIO()
    assert cred.export_csv(buf) == 1
    rows = list(csv.DictReader(io.StringIO(buf.getvalue())))
    assert rows[0]["person"] == "Sam Support" and float(rows[0]["amount"]) == 3.0
    graph = cred.sourcecred_graph("chatops")
    assert graph[0] == {"type": "sourcecred/weightedGraph", "version": "0.1.0"}
    g = graph[1]["graphJSON"]
    assert g[0] == {"type": "sourcecred/graph", "version": "0.8.0"}
    addresses = g[1]["sortedNodeAddresses"]
    assert addresses == sorted(addresses, key=lambda a: "\0".join(a))
    [edge] = g[1]["edges"]
    assert addresses[edge["srcIndex"]][:3] == ["external", "chatops", "PARTICIPANT"]
    assert addresses[edge["dstIndex"]][:3] == ["external", "chatops", "CONTRIBUTION"]
    weights = graph[1]["weightsJSON"][1]["nodeWeights"]
    assert weights["N\0" + "\0".join(addresses[edge["dstIndex"]]) + "\0"] == 3.0
    json.dumps(graph)
    assert "Your cred from support: 3" in sup.invoke("cred", **SAM).text
    # identityProposals.json: each helper an identity, aliased to their participant node in that graph
    out = io.StringIO()
    assert cred.export_identities(out, "chatops") == 1
    [proposal] = json.loads(out.getvalue())
    assert proposal["pluginName"] == "chatops" and proposal["type"] == "USER"
    assert re.fullmatch(r"[A-Za-z0-9-]{1,39}", proposal["name"]) and proposal["name"].startswith("Sam-Support-")
    assert proposal["alias"]["address"] == addresses[edge["srcIndex"]]
    assert "Sam Support" in proposal["alias"]["description"]
