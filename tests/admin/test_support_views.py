"""Ticket views: the timeline on the detail page, filters by tier, type, status and breached, read-only."""
from __future__ import annotations

import re
from datetime import timedelta

from chatops.support.models import Ticket, TicketEvent

from .conftest import page_token


def test_ticket_list_filters_and_timeline(panel):
    runner = panel.runner
    runner.tier("premium", rank=10)
    runner.tier("general")
    person = runner.person("Cora", identities=["slack:U1"])
    now = runner.clock()
    breached = Ticket.create(requester=person, platform="slack", requester_user_id="U1", tier=runner.tier("premium"),
                             category="external_ops_problem", summary="Payout <late>", state="open",
                             sla_status="breached", created_at=now)
    Ticket.create(requester=person, platform="slack", requester_user_id="U1", tier=runner.tier("general"),
                  category="external_dev_inquiry", summary="How do I", state="resolved", created_at=now)
    TicketEvent.create(ticket=breached, kind="opened", actor_label="slack:U1 (Cora)", body="help <b>me</b>",
                       created_at=now)
    TicketEvent.create(ticket=breached, kind="claimed", actor_label="slack:U2 (Sam)", created_at=now + timedelta(minutes=5))
    client = panel.login("vic", "viewer")
    view = next(v for v in panel.app.extensions["admin"][0]._views if v.endpoint == "ticket")
    index = {f.name: i for i, f in enumerate(view._filters)}
    for name, value in (("Tier", "premium"), ("Type", "external_ops_problem"), ("Status", "open"), ("SLA", "breached")):
        page = client.get(f"/admin/ticket/?flt0_{index[name]}={value}").text
        assert "Payout &lt;late&gt;" in page and "How do I" not in page, name
    detail = client.get(f"/admin/ticket/details/?id={breached.id}").text
    assert re.search(r"opened.*slack:U1 \(Cora\).*help &lt;b&gt;me&lt;/b&gt;.*claimed", detail, re.S)
    editor = panel.login("ed", "editor")
    token = page_token(editor, "/admin/ticket/")
    editor.post("/admin/ticket/delete/", data={"csrf_token": token, "id": breached.id})
    editor.post(f"/admin/ticket/edit/?id={breached.id}", data={"csrf_token": token, "summary": "x"})
    assert Ticket.get_by_id(breached.id).summary == "Payout <late>"
