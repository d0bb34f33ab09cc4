"""The inbox's queues page by keyset on their own order — (SLA deadline, ticket id), tickets without a target
last — with "Later due ›" / "‹ Sooner due" links: deep pages cost what the first costs, and walking them
shows every ticket of the queue once, in order, none repeated or missing (ties and NULL deadlines too)."""
from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest

from admin import inbox
from chatops.support import desk
from chatops.support.models import Ticket

from .test_desk import desk_panel, editor, open_ticket, queue_ids  # noqa: F401 - desk_panel is a fixture

NEXT = re.compile(r'id="queue-next" rel="next" href="([^"]+)"')
PRIOR = re.compile(r'id="queue-prior" rel="prev" href="([^"]+)"')


def link(pattern: re.Pattern, page: str) -> str | None:
    match = pattern.search(page)
    return html.unescape(match.group(1)) if match else None


def walk(client, url: str) -> list[list[int]]:
    """Every page from ``url`` on, following "Later due ›"."""
    pages = []
    while url:
        resp = client.get(url)
        assert resp.status_code == 200, resp.text
        pages.append(queue_ids(resp.text))
        url = link(NEXT, resp.text)
        assert len(pages) < 100
    return pages


@pytest.fixture
def varied(desk_panel):
    """Eleven open tickets: overdue, due soon, ties on one deadline, answered ones (their resolution deadline
    counts), tickets with no target at all; and a resolved one (in no queue)."""
    panel, clock = desk_panel, desk_panel.runner.clock
    now = clock()
    made = [open_ticket(panel, f"ticket {i}", tier="premium" if i % 2 else "general") for i in range(11)]
    due = {0: now + timedelta(hours=2), 1: now - timedelta(hours=1), 2: now + timedelta(hours=2),
           3: now + timedelta(hours=2), 4: None, 5: now + timedelta(minutes=5), 6: None,
           7: now + timedelta(days=3), 8: None, 9: now + timedelta(hours=2), 10: now + timedelta(minutes=5)}
    for i, t in enumerate(made):
        Ticket.update(first_response_due=due[i], resolution_due=None if due[i] is None else now + timedelta(days=9),
                      first_response_at=None).where(Ticket.id == t.id).execute()
    # Answered: the resolution deadline is the running clock (and may tie with a first-response one).
    Ticket.update(first_response_at=now, resolution_due=now + timedelta(hours=2)).where(Ticket.id == made[7].id).execute()
    done = open_ticket(panel, "resolved")
    Ticket.update(state="resolved").where(Ticket.id == done.id).execute()
    return panel, made, done


def test_walking_a_queue_page_by_page_shows_every_ticket_once_in_order(varied, monkeypatch):
    panel, made, done = varied
    monkeypatch.setattr(inbox.DeskView, "page_size", 3)
    expected = [t.id for t in desk.queue("open")]
    assert len(expected) == 11 and done.id not in expected
    client = panel.login("vic", "viewer")
    pages = walk(client, "/admin/desk/?queue=open")
    assert [len(p) for p in pages] == [3, 3, 3, 2]
    assert [i for p in pages for i in p] == expected                     # none repeated, none missing
    # The order itself: overdue first, due soon, the 2 h ties by id (the answered one among them), no target last.
    by_id = {t.id: i for i, t in enumerate(made)}
    assert [by_id[i] for i in expected] == [1, 5, 10, 0, 2, 3, 7, 9, 4, 6, 8]
    # The last page has no "Later due ›"; the first has no "‹ Sooner due".
    first = client.get("/admin/desk/?queue=open").text
    assert link(PRIOR, first) is None and 'id="queue-first"' not in first
    # Walking back from the last page with "‹ Sooner due" gives the same pages.
    url = "/admin/desk/?queue=open"
    for _ in range(3):
        url = link(NEXT, client.get(url).text)
    back, page = [], client.get(url).text
    while True:
        back.append(queue_ids(page))
        prior = link(PRIOR, page)
        if prior is None:
            break
        page = client.get(prior).text
    assert back[::-1] == pages


def test_the_cursor_of_a_ticket_without_a_target_pages_among_those_without_one(varied, monkeypatch):
    panel, made, _ = varied
    monkeypatch.setattr(inbox.DeskView, "page_size", 2)
    client = panel.login("vic", "viewer")
    pages = walk(client, f"/admin/desk/?queue=open&after={made[4].id}")   # after the first one with no target
    assert [i for p in pages for i in p] == [made[6].id, made[8].id]
    page = client.get(f"/admin/desk/?queue=open&after={made[4].id}").text
    assert 'id="queue-first"' in page and link(PRIOR, page)


def test_links_keep_the_queue_and_its_filters(varied, monkeypatch):
    panel, made, _ = varied
    monkeypatch.setattr(inbox.DeskView, "page_size", 2)
    client = panel.login("vic", "viewer")
    first = client.get("/admin/desk/?queue=unassigned&tier=premium").text
    url = link(NEXT, first)
    assert "queue=unassigned" in url and "tier=premium" in url and "after=" in url
    pages = walk(client, "/admin/desk/?queue=unassigned&tier=premium")
    assert [i for p in pages for i in p] == [t.id for t in desk.queue("unassigned", tier="premium")]
    assert {made.index(Ticket.get_by_id(i)) % 2 for p in pages for i in p} == {1}


def test_deep_pages_of_200_with_nothing_repeated_or_missing(desk_panel):
    panel, clock = desk_panel, desk_panel.runner.clock
    template = open_ticket(panel, "template")
    row = {k: v for k, v in template.__data__.items() if k != "id"}
    now = clock()
    rows = []
    for i in range(449):  # deadlines in 7 groups of ties, every 9th without a target
        due = None if i % 9 == 0 else now + timedelta(minutes=(i % 7) * 30)
        rows.append({**row, "summary": f"bulk {i}", "correlation_id": f"bulk{i}", "first_response_due": due,
                     "resolution_due": None if due is None else now + timedelta(days=9)})
    with panel.runner.app.db.atomic():
        for start in range(0, len(rows), 100):
            Ticket.insert_many(rows[start:start + 100]).execute()
    expected = [t.id for t in desk.queue("open", limit=10_000)]
    assert len(expected) == 450
    client = panel.login("vic", "viewer")
    pages = walk(client, "/admin/desk/?queue=open")
    assert [len(p) for p in pages] == [200, 200, 50]
    flat = [i for p in pages for i in p]
    assert flat == expected and len(set(flat)) == 450
    assert pages[0] == [t.id for t in desk.queue("open")]                 # page 1 is what desk.queue shows


def test_every_queue_first_page_is_desk_queue(varied):
    """The inbox's pages are chatops.support.desk.queue's tickets, in its order (no drift between the two)."""
    panel, made, _ = varied
    sam = panel.sam
    Ticket.update(assignee=sam.id, state="claimed").where(Ticket.id.in_([made[2].id, made[6].id])).execute()
    Ticket.update(sla_status="at_risk").where(Ticket.id == made[3].id).execute()
    Ticket.update(sla_status="breached").where(Ticket.id == made[1].id).execute()
    Ticket.update(category="external_dev_problem").where(Ticket.id == made[5].id).execute()
    for name in desk.QUEUES:
        for filters in ({}, {"tier": "premium"}, {"category": "external_ops_problem"}):
            for size in (2, 200):
                want = [t.id for t in desk.queue(name, person_id=sam.id, limit=size, **filters)]
                got = [t.id for t in inbox.queue_page(name, person_id=sam.id, size=size, **filters).rows]
                assert got == want, (name, filters, size)


@pytest.mark.parametrize("query,message", [
    ("after=abc", "after must be a ticket number"),
    ("after=12.yesterday", "after must be a time like"),
    ("prior=-3", "prior must be a ticket number"),
    ("after=99999999999", "after must be a ticket number"),
    ("after=1&prior=2", "after and prior must not be given together"),
])
def test_a_cursor_that_is_not_a_ticket_and_a_time_is_400(desk_panel, query, message):
    client = desk_panel.login("vic", "viewer")
    resp = client.get(f"/admin/desk/?queue=open&{query}")
    assert resp.status_code == 400 and message in resp.text, resp.text


def test_pages_carry_the_server_clock_and_the_ticking_script(desk_panel):
    """Ages and countdowns tick in the page (admin/static/clock.js, a file: the CSP allows no inline script),
    counted from the panel's clock; every time in the markup is marked UTC, so any browser zone reads it right."""
    panel = desk_panel
    t = open_ticket(panel, "ticking")
    client = panel.login("vic", "viewer")
    for url in ("/admin/", "/admin/desk/?queue=open", f"/admin/desk/ticket/{t.id}", "/admin/ticket/",
                "/admin/audit_event/"):
        page = client.get(url).text
        assert '<meta name="chatops-server-now" content="2026-01-05T09:00:00+00:00">' in page, url
        assert '<script src="/admin/_assets/clock.js"></script>' in page, url
    inbox_page = client.get("/admin/desk/?queue=open").text
    assert 'data-due="2026-01-06T09:00:00+00:00"' in inbox_page                       # general tier: 24 h
    ticket_page = client.get(f"/admin/desk/ticket/{t.id}").text
    assert re.search(r'<time class="text-muted small" datetime="2026-01-05T09:00:00\+00:00" '
                     r'title="2026-01-05 09:00 UTC" data-ago>just now</time>', ticket_page)
    assert 'data-ago>' in client.get("/admin/ticket/").text                              # list cells tick too
    polled = client.get(f"/admin/desk/ticket/{t.id}/events?after=0").get_json()
    assert polled["events"] and all(e["iso"].endswith("+00:00") for e in polled["events"])
    script = client.get("/admin/_assets/clock.js")
    assert script.status_code == 200 and "chatops-server-now" in script.text
    script.close()


def test_a_page_left_empty_by_tickets_resolved_meanwhile_still_leads_back_to_the_first(varied, monkeypatch):
    panel, made, _ = varied
    monkeypatch.setattr(inbox.DeskView, "page_size", 2)
    client = panel.login("vic", "viewer")
    first = client.get("/admin/desk/?queue=open").text
    assert 'id="queue-first"' not in first  # the first page needs no way back
    later = link(NEXT, first)
    Ticket.update(state="resolved").where(Ticket.id.in_([t.id for t in made])).execute()  # all of them, meanwhile
    empty = client.get(later).text
    assert queue_ids(empty) == [] and link(NEXT, empty) is None and link(PRIOR, empty) is None
    assert re.search(r'id="queue-first" href="[^"]*queue=open', empty)
