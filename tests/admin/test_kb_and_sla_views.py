"""The knowledge base in the panel (edits audited, index follows, choices checked, "from a ticket") and the SLA
warning when a higher tier would be answered later than a lower one."""
from __future__ import annotations

from chatops.models import AuditEvent
from chatops.support import search
from chatops.support.models import Article, SlaCalendar, Ticket, TicketEvent

from .conftest import page_token


def _form(client, url):
    return page_token(client, url)


def test_an_editor_writes_an_article_it_is_searchable_and_audited(panel):
    panel.runner.tier("premium", rank=10)
    client = panel.login("eve", "editor")
    token = _form(client, "/admin/kb_article/new/")
    resp = client.post("/admin/kb_article/new/", data={
        "csrf_token": token, "title": "How callbacks work", "body": "We POST to your URL and retry.",
        "tags": "callbacks, webhooks", "ticket_types": "external_dev_inquiry", "tiers": "", "published": "y"})
    assert resp.status_code == 302, resp.text
    article = Article.get()
    assert article.author == "admin:eve"
    assert [i for i, _ in search.article_hits("callbacks", mode="all")] == [article.id]
    assert AuditEvent.select().where(AuditEvent.command == "admin.kb_article.create").count() == 1


def test_unknown_types_and_tiers_are_refused_with_the_known_ones_named(panel):
    panel.runner.tier("premium", rank=10)
    client = panel.login("eve", "editor")
    token = _form(client, "/admin/kb_article/new/")
    page = client.post("/admin/kb_article/new/", data={
        "csrf_token": token, "title": "T", "body": "B", "ticket_types": "external_dev_inquiri", "tiers": "premum"}).text
    assert "unknown ticket type(s): external_dev_inquiri" in page and "unknown tier(s): premum" in page
    assert Article.select().count() == 0


def test_viewers_read_but_do_not_write(panel):
    client = panel.login("vic", "viewer")
    assert client.get("/admin/kb_article/").status_code == 200
    token = page_token(client)
    assert client.post("/admin/kb_article/from-ticket/", data={"csrf_token": token, "ticket_id": "1"}).status_code == 403


def test_from_a_resolved_ticket_in_one_step(panel):
    runner = panel.runner
    person = runner.person("Cora", identities=["slack:U1"])
    now = runner.clock()
    t = Ticket.create(requester=person, platform="slack", requester_user_id="U1", category="external_dev_inquiry",
                      summary="How do I send the device id", details="Android SDK, where does the device id go?",
                      state="resolved", created_at=now)
    TicketEvent.create(ticket=t, kind="reply", actor_label="slack:U2 (Sam)", body="Call setDeviceId at init.",
                       created_at=now)
    open_one = Ticket.create(requester=person, platform="slack", requester_user_id="U1", summary="x", state="open",
                             created_at=now)
    client = panel.login("eve", "editor")
    token = page_token(client)
    assert client.post("/admin/kb_article/from-ticket/", data={"ticket_id": str(t.id)}).status_code == 400  # no CSRF
    assert client.post("/admin/kb_article/from-ticket/", data={"csrf_token": token, "ticket_id": "9" * 30}).status_code == 400
    resp = client.post("/admin/kb_article/from-ticket/", data={"csrf_token": token, "ticket_id": str(open_one.id)})
    assert resp.status_code == 302 and Article.select().count() == 0           # not resolved: refused, said why
    assert "resolve it first" in client.get(resp.headers["Location"]).text
    resp = client.post("/admin/kb_article/from-ticket/", data={"csrf_token": token, "ticket_id": str(t.id)})
    assert resp.status_code == 302
    article = Article.get()
    assert "setDeviceId" in article.body and article.source_ticket_id == t.id and article.author == "admin:eve"
    assert AuditEvent.select().where(AuditEvent.command == "ticket:kb_article").count() == 1


def test_the_panel_warns_when_partners_would_wait_longer(panel):
    runner = panel.runner
    general = runner.tier("general")
    general.first_response_minutes, general.resolution_minutes = 1440, 7 * 1440
    general.save()
    premium = runner.tier("premium", rank=10)
    premium.first_response_minutes, premium.resolution_minutes = 240, 2880
    premium.save()
    SlaCalendar.create(tier=premium, timezone="America/New_York", day_start="09:00", day_end="17:00",
                       weekdays="mon,tue,wed,thu,fri")
    client = panel.login("vic", "viewer")
    page = client.get("/admin/tier/").text
    assert "SLA warning" in page and "premium gets a later" in page
    check = client.get("/admin/sla_check/").text
    assert "partners would wait longer" in check and "<td>premium</td><td>general</td>" in check
    SlaCalendar.update(day_start="08:00", day_end="20:00", weekdays="mon,tue,wed,thu,fri,sat,sun").execute()
    premium.resolution_minutes = 600
    premium.save()
    assert "SLA warning" not in client.get("/admin/tier/").text            # the check follows the data
    assert "answered no later" in client.get("/admin/sla_check/").text


def test_the_desk_offers_keeping_a_resolved_tickets_answer(panel):
    runner = panel.runner
    person = runner.person("Cora", identities=["slack:U1"])
    t = Ticket.create(requester=person, platform="slack", requester_user_id="U1", summary="How do I page results",
                      details="cursor?", state="resolved", created_at=runner.clock())
    client = panel.login("eve", "editor")
    from admin.models import AdminUser
    sam = runner.person("Sam", roles=["support"], identities=["slack:U2"])
    AdminUser.update(person=sam.id).where(AdminUser.username == "eve").execute()   # a desk user acts as a person
    page = client.get(f"/admin/desk/ticket/{t.id}").text
    assert "Keep the answer as an article" in page and 'action="/admin/kb_article/from-ticket/"' in page
