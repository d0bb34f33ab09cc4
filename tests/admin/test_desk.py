"""The Inbox (admin/inbox.py, chatops/support/desk.py): queues sorted by SLA deadline, the conversation, and
every desk action through the chat commands' own functions — audited, CSRF-checked, editors only, as the
panel user's linked chat person."""
from __future__ import annotations

import json
import re
import secrets
from datetime import timedelta

import pytest
from click.testing import CliRunner

from admin.cli import admin as admin_cli
from admin.inbox import ACTIONS
from admin.models import AdminUser
from chatops import audit
from chatops.db import atomic
from chatops.models import AuditEvent, OutboundMessage, Person
from chatops.settings import Settings
from chatops.support import desk, tickets
from chatops.support.models import SupportTeam, Ticket, TicketEvent

from .conftest import Panel, page_token
from .test_csp_and_headers import assert_strict_page

ENV = {"CHATOPS_SECRET_KEY": "test-secret", "CHATOPS_SUPPORT_TRIAGE_SLACK_CHANNEL": "C0TRIAGE",
       "CHATOPS_SUPPORT_TRIAGE_DISCORD_CHANNEL": "300000000000000010"}


@pytest.fixture
def desk_panel(make_runner):
    """A panel over a runner with every installed command (support included) and two staff people."""
    runner = make_runner(settings=Settings.from_env(ENV))
    panel = Panel(runner)
    runner.tier("general", rank=0, first_response_minutes=24 * 60, resolution_minutes=7 * 24 * 60)
    runner.tier("premium", rank=10, first_response_minutes=60, resolution_minutes=8 * 60)
    runner.tier("internal", rank=100)
    panel.sam = runner.person("Sam Support", roles=["support"], identities=["slack:U0SAMSUPP"])
    panel.lee = runner.person("Lee Lead", roles=["lead"], identities=["slack:U0LEELEAD"])
    panel.cora = runner.person("Cora Customer", roles=["customer"], identities=["slack:U0CORACUST"])
    return panel


def open_ticket(panel, summary="Payout late", *, tier="general", category="external_ops_problem", details="",
                person=None, user_id="U0CORACUST", origin="C0GENERAL") -> Ticket:
    runner = panel.runner
    person = person or panel.cora
    opening = tickets.Opening(requester=person, platform="slack", user_id=user_id, origin_channel_id=origin,
                              community=None, tier=runner.tier(tier), category=category, classified_by="requester",
                              urgency="normal", summary=summary, details=details or summary)
    with atomic():
        return tickets.open_ticket(opening, tickets.Who(person, f"slack:{user_id} ({person.name})", "slack"),
                                   now=runner.clock(), correlation_id=secrets.token_hex(6),
                                   settings=runner.app.settings)


def editor(panel, username="ed", person=None):
    client = panel.login(username, "editor")
    user = AdminUser.get(AdminUser.username == username)
    user.person = person if person is not None else panel.sam
    user.save()
    return client


def queue_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-ticket="(\d+)"', html)]


def post(client, ticket, action, **data):
    token = page_token(client, f"/admin/desk/ticket/{ticket.id}")
    return client.post(f"/admin/desk/ticket/{ticket.id}/{action}", data={"csrf_token": token, **data})


def events(ticket) -> list[TicketEvent]:
    return list(TicketEvent.select().where(TicketEvent.ticket == ticket.id).order_by(TicketEvent.id))


def audit_of(kind: str) -> list[AuditEvent]:
    return list(AuditEvent.select().where(AuditEvent.command == f"ticket:{kind}").order_by(AuditEvent.seq))


# ---- queues -------------------------------------------------------------------------------------------

def test_queues_filter_and_sort_by_sla_deadline(desk_panel):
    panel, clock = desk_panel, desk_panel.runner.clock
    late = open_ticket(panel, "general, opened first")                       # due in 24 h
    clock.advance(minutes=10)
    soon = open_ticket(panel, "premium, due in an hour", tier="premium")      # due in 60 min: sorts first
    bug = open_ticket(panel, "SDK throws", category="external_dev_problem")
    mine = open_ticket(panel, "held by Sam")
    breached = open_ticket(panel, "breached one")
    done = open_ticket(panel, "resolved one")
    team = SupportTeam.create(slug="payments", name="Payments")
    with atomic():
        who = tickets.Who(panel.sam, "sam", "slack", is_staff=True)
        kw = dict(now=clock(), correlation_id="c", settings=panel.runner.app.settings)
        tickets.claim(mine, who, **kw)
        tickets.resolve(done, who, **kw)
    Ticket.update(sla_status="breached", first_response_due=clock() - timedelta(hours=1)).where(
        Ticket.id == breached.id).execute()
    Ticket.update(sla_status="at_risk").where(Ticket.id == soon.id).execute()
    Ticket.update(team=team).where(Ticket.id == bug.id).execute()
    client = panel.login("vic", "viewer")
    page = client.get("/admin/desk/?queue=open").text
    ids = queue_ids(page)
    assert ids[:2] == [breached.id, soon.id] and done.id not in ids          # overdue, then soonest due
    assert ids.index(soon.id) < ids.index(late.id)
    assert "1 h overdue" in page and "in 1 h" in page                       # the countdowns
    assert queue_ids(client.get("/admin/desk/?queue=unassigned").text) == [
        i for i in ids if i != mine.id]
    assert queue_ids(client.get("/admin/desk/?queue=at_risk").text) == [breached.id, soon.id]
    assert queue_ids(client.get("/admin/desk/?queue=breached").text) == [breached.id]
    assert queue_ids(client.get("/admin/desk/?queue=bugs").text) == [bug.id]
    assert queue_ids(client.get("/admin/desk/?queue=open&tier=premium").text) == [soon.id]
    assert queue_ids(client.get("/admin/desk/?queue=open&type=external_dev_problem").text) == [bug.id]
    assert queue_ids(client.get("/admin/desk/?queue=open&team=payments").text) == [bug.id]
    assert queue_ids(client.get("/admin/desk/?queue=mine").text) == []       # vic has no linked person
    sam = editor(panel)
    assert queue_ids(sam.get("/admin/desk/?queue=mine").text) == [mine.id]
    assert client.get("/admin/desk/?queue=nope").status_code == 400
    assert client.get("/admin/desk/?type=bogus").status_code == 400


# ---- actions --------------------------------------------------------------------------------------------

def test_each_desk_action_writes_its_event_and_audit_as_the_linked_person(desk_panel):
    panel = desk_panel
    t = open_ticket(panel, "Payout late", origin="C0CORA")
    other = open_ticket(panel, "Payout still late", origin="C0CORA")
    client = editor(panel)
    label = "admin:ed (Sam Support)"

    def check(action, kind, **data):
        before = len(events(t))
        resp = post(client, t, action, **data)
        assert resp.status_code == 302, (action, resp.text[:500])
        new = events(t)[before:]
        assert kind in [e.kind for e in new], (action, [e.kind for e in new])
        ev = next(e for e in new if e.kind == kind)
        assert ev.actor_id == panel.sam.id and ev.actor_label == label
        row = audit_of(kind)[-1]
        assert row.actor == label and row.actor_person_id == panel.sam.id and row.platform == "admin"
        assert json.loads(row.arguments)["ticket"] == t.id
        return ev

    check("claim", "claimed")
    assert Ticket.get_by_id(t.id).assignee_id == panel.sam.id
    note = check("note", "note", note="internal: the bank says Tuesday")
    assert note.internal and note.body == "internal: the bank says Tuesday"
    sent_before = OutboundMessage.select().where(OutboundMessage.channel_id == "C0CORA").count()
    reply = check("reply", "reply", reply="Your payout left today.")
    assert reply.body == "Your payout left today." and not reply.internal   # the ticket keeps the text as written
    told = (OutboundMessage.select().where(OutboundMessage.channel_id == "C0CORA").order_by(OutboundMessage.id.desc())
            .first())
    assert OutboundMessage.select().where(OutboundMessage.channel_id == "C0CORA").count() == sent_before + 1
    text = json.dumps(told.reply)
    assert told.platform == "slack"
    assert "Your payout left today.\n— Sam Support" in told.reply["blocks"][0]["text"]  # signed, from the bot
    assert "the bank says Tuesday" not in json.dumps([m.reply for m in OutboundMessage.select()])
    assert Ticket.get_by_id(t.id).first_response_at is not None
    check("urgency", "urgency", urgency="urgent")
    assert Ticket.get_by_id(t.id).urgency == "urgent"
    check("assign", "transferred", person_id=str(panel.lee.id))
    assert Ticket.get_by_id(t.id).assignee_id == panel.lee.id
    typed = check("type", "typed", category="external_dev_problem")
    assert typed.data["category"] == "external_dev_problem"
    assert Ticket.get_by_id(t.id).category == "external_dev_problem"
    check("resolve", "resolved", text="paid")
    assert Ticket.get_by_id(t.id).state == "resolved"
    check("reopen", "reopened")
    assert Ticket.get_by_id(t.id).state in ("open", "claimed")
    # merge: the other ticket is the duplicate
    resp = post(client, other, "merge", into=str(t.id))
    assert resp.status_code == 302, resp.text[:500]
    dup = Ticket.get_by_id(other.id)
    assert dup.state == "closed" and desk.merged_into(dup) == t.id
    assert [e.kind for e in events(other)][-2:] == ["merged", "closed"]
    assert any(e.kind == "note" and f"#{other.id}" in e.body for e in events(t))
    assert audit_of("merged")[-1].actor == label
    told = OutboundMessage.get(OutboundMessage.dedupe_key == f"ticket:{other.id}:merged:0")
    assert told.channel_id == "C0CORA" and f"#{t.id}" in json.dumps(told.reply)
    assert audit.verify().ok


def test_a_refused_transition_is_shown_and_changes_nothing(desk_panel):
    panel = desk_panel
    t = open_ticket(panel)
    client = editor(panel)
    assert post(client, t, "claim").status_code == 302
    before = len(events(t))
    resp = post(client, t, "claim")
    assert resp.status_code == 409 and "You already have ticket" in resp.text
    resp = post(client, t, "assign", person_id=str(panel.cora.id))             # not staff
    assert resp.status_code == 409 and "staff member" in resp.text
    resp = post(client, t, "merge", into=str(t.id))
    assert resp.status_code == 409 and "into itself" in resp.text
    resp = post(client, t, "urgency", urgency="whenever")
    assert resp.status_code == 409 and "Urgency is one of" in resp.text
    assert post(client, t, "reply", reply="   ").status_code == 409
    assert len(events(t)) == before


def test_viewer_gets_403_on_every_desk_post(desk_panel):
    panel = desk_panel
    t = open_ticket(panel)
    client = panel.login("vic", "viewer")
    user = AdminUser.get(AdminUser.username == "vic")
    user.person = panel.sam  # even linked: viewers read only
    user.save()
    page = client.get(f"/admin/desk/ticket/{t.id}").text
    assert 'id="read-only"' in page and 'id="desk-claim"' not in page
    token = page_token(client, f"/admin/desk/ticket/{t.id}")
    before = len(events(t))
    for action in ACTIONS:
        resp = client.post(f"/admin/desk/ticket/{t.id}/{action}",
                           data={"csrf_token": token, "reply": "x", "note": "x", "category": "internal_task",
                                 "urgency": "high", "person_id": str(panel.sam.id), "into": "1"})
        assert resp.status_code == 403, action
    assert len(events(t)) == before


def test_a_panel_user_without_a_linked_person_reads_but_may_not_act(desk_panel):
    panel = desk_panel
    t = open_ticket(panel)
    client = panel.login("ned", "editor")
    page = client.get(f"/admin/desk/ticket/{t.id}").text
    assert 'id="link-first"' in page and 'id="desk-claim"' not in page
    before = len(events(t))
    resp = post(client, t, "claim")
    assert resp.status_code == 403 and "not linked to a chat person" in resp.text
    assert len(events(t)) == before and Ticket.get_by_id(t.id).state == "open"


def test_a_desk_post_without_csrf_is_refused(desk_panel):
    panel = desk_panel
    t = open_ticket(panel)
    client = editor(panel)
    assert client.post(f"/admin/desk/ticket/{t.id}/claim", data={}).status_code == 400
    assert client.post(f"/admin/desk/ticket/{t.id}/claim", data={"csrf_token": "forged"}).status_code == 400
    assert Ticket.get_by_id(t.id).state == "open" and [e.kind for e in events(t)] == ["opened"]


def test_ticket_ids_and_unknown_actions(desk_panel):
    client = editor(desk_panel)
    assert client.get("/admin/desk/ticket/99999999999999999999").status_code == 400
    assert client.get("/admin/desk/ticket/42").status_code == 404
    t = open_ticket(desk_panel)
    token = page_token(client, f"/admin/desk/ticket/{t.id}")
    assert client.post(f"/admin/desk/ticket/{t.id}/delete", data={"csrf_token": token}).status_code == 404


# ---- the conversation and polling -----------------------------------------------------------------------

def test_the_conversation_shows_messages_notes_events_and_linked_audit(desk_panel):
    panel = desk_panel
    t = open_ticket(panel, "Payout late", details="It is item_42")
    audit.record(correlation_id=t.correlation_id, actor="slack:U0CORACUST (Cora)", platform="slack",
                 command="support", arguments={}, outcome="executed", detail="ticket opened from chat",
                 at=panel.runner.clock())
    client = editor(panel)
    post(client, t, "note", note="checking with the bank")
    page = client.get(f"/admin/desk/ticket/{t.id}")
    assert_strict_page(page, "desk ticket")
    html = page.text
    assert "checking with the bank" in html and "internal" in html
    assert "ticket opened from chat" in html and "support (executed)" in html   # the audit event, linked
    assert 'src="/admin/_assets/desk.js"' in html
    assert_strict_page(client.get("/admin/desk/?queue=open"), "desk inbox")


def test_the_polling_endpoint_returns_events_after_an_id(desk_panel):
    panel = desk_panel
    t = open_ticket(panel)
    client = panel.login("vic", "viewer")
    first = client.get(f"/admin/desk/ticket/{t.id}/events").get_json()
    assert [e["kind"] for e in first["events"]] == ["message"] and first["state"] == "open"
    last = first["last"]
    assert client.get(f"/admin/desk/ticket/{t.id}/events?after={last}").get_json()["events"] == []
    with atomic():  # the requester writes in chat
        tickets.reply(t, tickets.Who(panel.cora, "slack:U0CORACUST (Cora)", "slack"), "any news?",
                      now=panel.runner.clock(), correlation_id="c2", settings=panel.runner.app.settings)
    new = client.get(f"/admin/desk/ticket/{t.id}/events?after={last}").get_json()
    assert [(e["kind"], e["body"]) for e in new["events"]] == [("message", "any news?")]
    assert new["events"][0]["ago"] in ("just now", "1 min ago") and "UTC" in new["events"][0]["at"]  # age, exact on hover
    assert new["last"] > last
    assert client.get(f"/admin/desk/ticket/{t.id}/events?after=-1").status_code == 400
    assert client.get(f"/admin/desk/ticket/{t.id}/events?after=99999999999999999").status_code == 400


def test_hostile_text_in_tickets_is_escaped(desk_panel):
    panel = desk_panel
    evil = '<script>alert(1)</script><img src=x onerror=alert(2)>'
    t = open_ticket(panel, f"Help {evil}", details=f"details {evil}")
    with atomic():
        tickets.reply(t, tickets.Who(panel.cora, f"slack:U0CORACUST ({evil})", "slack"), f"reply {evil}",
                      now=panel.runner.clock(), correlation_id="c3", settings=panel.runner.app.settings)
    client = editor(panel)
    for url in ("/admin/desk/?queue=open", f"/admin/desk/ticket/{t.id}", f"/admin/ticket/?search=Help"):
        html = client.get(url).text
        assert "<script>alert(1)" not in html and "<img src=x" not in html, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url
    data = client.get(f"/admin/desk/ticket/{t.id}/events").get_json()
    assert any(evil in e["body"] for e in data["events"])  # JSON carries text; desk.js sets it as text only


# ---- linking a panel user to a person ---------------------------------------------------------------------

def test_link_person_from_the_cli_and_the_panel_users_view(desk_panel):
    panel = desk_panel
    panel.user("ana", "editor")
    cli = CliRunner()
    obj = {"app": panel.runner.app}
    result = cli.invoke(admin_cli, ["link-person", "ana", str(panel.sam.id)], obj=obj)
    assert result.exit_code == 0, result.output
    assert AdminUser.get(AdminUser.username == "ana").person_id == panel.sam.id
    assert cli.invoke(admin_cli, ["link-person", "ana", "999999"], obj=obj).exit_code == 1
    assert cli.invoke(admin_cli, ["link-person", "nobody", "1"], obj=obj).exit_code == 1
    event = AuditEvent.get(AuditEvent.command == "admin.admin_user.link-person")
    assert json.loads(event.arguments)["changes"]["person"] == {"old": None, "new": panel.sam.id}
    assert cli.invoke(admin_cli, ["link-person", "ana", "--unlink"], obj=obj).exit_code == 0
    assert AdminUser.get(AdminUser.username == "ana").person_id is None
    # in the panel: an admin sets the person on the user's form
    admin = panel.login("root", "admin")
    ana = AdminUser.get(AdminUser.username == "ana")
    token = page_token(admin, f"/admin/adminuser/edit/?id={ana.id}")
    resp = admin.post(f"/admin/adminuser/edit/?id={ana.id}", data={
        "csrf_token": token, "username": "ana", "role": "editor", "person": str(panel.lee.id), "active": "y"})
    assert resp.status_code == 302, resp.text[:400]
    assert AdminUser.get_by_id(ana.id).person_id == panel.lee.id
    update = AuditEvent.select().where(AuditEvent.command == "admin.admin_user.update").order_by(
        AuditEvent.seq.desc()).first()
    assert json.loads(update.arguments)["changes"]["person"] == {"old": None, "new": panel.lee.id}


def test_desk_core_countdown_and_due():
    from datetime import datetime, timezone

    now = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
    assert desk.countdown(now + timedelta(minutes=65), now) == "in 1 h 5 min"
    assert desk.countdown(now - timedelta(minutes=12), now) == "12 min overdue"
    assert desk.countdown(now + timedelta(days=2, hours=3), now) == "in 2 d 3 h"
    assert desk.countdown(None, now) == ""
    assert desk.staff_people.__doc__ and Person  # the picker's source is documented


def test_changing_the_type_reroutes_a_dev_problem_into_the_bug_queue(desk_panel):
    from chatops.support.models import SupportRoute

    panel = desk_panel
    SupportRoute.create(name="bugs", category="external_dev_problem", slack_channel="C0BUGS")
    t = open_ticket(panel, "The SDK throws on init", category="external_dev_inquiry")
    client = editor(panel)
    assert queue_ids(client.get("/admin/desk/?queue=bugs").text) == []
    assert post(client, t, "type", category="external_dev_problem").status_code == 302
    moved = Ticket.get_by_id(t.id)
    assert moved.category == "external_dev_problem" and moved.channel_id == "C0BUGS"
    assert queue_ids(client.get("/admin/desk/?queue=bugs").text) == [t.id]
    assert OutboundMessage.select().where(OutboundMessage.channel_id == "C0BUGS").exists()  # the card moved
    assert post(client, t, "type", category="bogus").status_code == 409
