"""Keyset pagination (admin/keyset.py): every row exactly once, in order, forward and back, no OFFSET."""
from __future__ import annotations

import html
import logging
import re
from datetime import timedelta

import pytest

from admin.keyset import MAX_OFFSET_ROWS
from chatops import audit
from chatops.support.models import Ticket

NEXT = re.compile(r'<li class="page-item">\s*<a class="page-link" href="([^"]+)">&gt;</a>')
PREV = re.compile(r'<li class="page-item">\s*<a class="page-link" href="([^"]+)">&lt;</a>')
ROW_ID = re.compile(r'>#(\d+)</a>')


@pytest.fixture
def tickets(panel):
    runner = panel.runner
    person = runner.person("Cora", identities=["slack:U1"])
    now = runner.clock()
    rows = []
    for i in range(250):
        rows.append(Ticket.create(requester=person, platform="slack", requester_user_id="U1", summary=f"T{i}",
                                  state="open" if i % 3 else "resolved",
                                  created_at=now - timedelta(minutes=(i * 7) % 60)))  # many ties on created_at
    return rows


class Queries(logging.Handler):
    """Every SQL statement peewee runs (its "peewee" logger, DEBUG)."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.sql: list[str] = []

    def emit(self, record):
        if isinstance(record.msg, tuple):
            self.sql.append(record.msg[0])

    def selects(self, table: str) -> list[str]:
        return [s for s in self.sql if s.startswith("SELECT") and f'FROM "{table}"' in s and "LIMIT" in s]


@pytest.fixture
def queries():
    logger, handler = logging.getLogger("peewee"), Queries()
    level, propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)
    logger.propagate = propagate


def walk(client, url, link=NEXT, limit=40):
    """Follow the pager's link from ``url``; the row ids of every page, and the last page's html."""
    pages = []
    while True:
        text = client.get(url).text
        pages.append([int(i) for i in ROW_ID.findall(text)])
        found = link.search(text)
        if not found or not pages[-1] or len(pages) > limit:
            return pages, url
        url = html.unescape(found.group(1))


@pytest.mark.parametrize("sort", ["", "&sort=1&desc=1", "&sort=1", "&sort=0"])
def test_every_row_once_in_order_forward_and_back_without_offset(panel, tickets, queries, sort):
    client = panel.login("vic", "viewer")
    if not sort:
        expected = sorted(tickets, key=lambda t: -t.id)
    else:
        desc = "desc=1" in sort
        key = (lambda t: (t.created_at, t.id)) if "sort=1" in sort else (lambda t: t.id)
        expected = sorted(tickets, key=key, reverse=desc)
    expected = [t.id for t in expected]
    pages, last_url = walk(client, f"/admin/ticket/?page_size=20{sort}")
    seen = [i for page in pages for i in page]
    assert seen == expected  # every row exactly once, in order
    assert all(len(p) == 20 for p in pages[:-1]) and len(pages) == 13
    assert "after=" in last_url
    selects = queries.selects("ticket")
    assert selects and not [s for s in selects if "OFFSET" in s]
    # … and back: the "‹" links from the last page reach the first page through the same rows
    back, first_url = walk(client, last_url, link=PREV)
    assert [i for page in reversed(back) for i in page] == expected
    assert "prior=" in first_url
    assert not [s for s in queries.selects("ticket") if "OFFSET" in s]


def test_ties_on_created_at_are_broken_by_id(panel, tickets):
    client = panel.login("vic", "viewer")
    pages, _ = walk(client, "/admin/ticket/?page_size=20&sort=1&desc=1")
    seen = [i for page in pages for i in page]
    by_id = {t.id: t for t in tickets}
    assert len(set(seen)) == 250
    pairs = [(by_id[i].created_at, i) for i in seen]
    assert pairs == sorted(pairs, reverse=True)
    assert len({t.created_at for t in tickets}) < 100  # there were ties to break


def test_a_filter_combined_with_paging(panel, tickets):
    client = panel.login("vic", "viewer")
    view = next(v for v in panel.app.extensions["admin"][0]._views if v.endpoint == "ticket")
    status = next(i for i, f in enumerate(view._filters) if f.name == "Status")
    pages, _ = walk(client, f"/admin/ticket/?page_size=20&sort=1&desc=1&flt0_{status}=open")
    seen = [i for page in pages for i in page]
    expected = [t.id for t in sorted((t for t in tickets if t.state == "open"), key=lambda t: (t.created_at, t.id),
                                     reverse=True)]
    assert seen == expected and len(pages) > 2


def test_search_combined_with_paging(panel, tickets):
    client = panel.login("vic", "viewer")
    pages, _ = walk(client, "/admin/ticket/?page_size=20&search=T1")
    seen = [i for page in pages for i in page]
    assert seen == [t.id for t in sorted(tickets, key=lambda t: -t.id) if "T1" in t.summary]


@pytest.mark.parametrize("query", [
    "after=abc", "after=99999999999999999999", "prior=1.5", "sort=1&desc=1&after=12.not-a-time",
    "sort=1&desc=1&after=x.2026-01-01T00:00:00", "after=1&prior=2", "sort=1&after=2147483648.2026-01-01T00:00:00",
])
def test_a_bad_cursor_is_400(panel, tickets, query):
    panel.app.config.update(TESTING=False, PROPAGATE_EXCEPTIONS=False)
    client = panel.login("vic", "viewer")
    resp = client.get(f"/admin/ticket/?{query}")
    assert resp.status_code == 400 and "must" in resp.text, (query, resp.status_code)


def test_hand_typed_pages_work_shallow_and_are_refused_deep(panel, tickets):
    panel.app.config.update(TESTING=False, PROPAGATE_EXCEPTIONS=False)
    client = panel.login("vic", "viewer")
    text = client.get("/admin/ticket/?page=2&page_size=20").text
    assert [int(i) for i in ROW_ID.findall(text)] == sorted((t.id for t in tickets), reverse=True)[40:60]
    deepest = MAX_OFFSET_ROWS // 50
    assert client.get(f"/admin/ticket/?page={deepest}").status_code == 200
    resp = client.get(f"/admin/ticket/?page={deepest + 1}")
    assert resp.status_code == 400 and "› link" in resp.text
    # a page number with a cursor is only a counter: any depth
    assert client.get(f"/admin/ticket/?page=5000&after={tickets[10].id}").status_code == 200


def test_the_audit_log_pages_by_seq_sorted_too(panel, queries):
    for i in range(120):
        audit.record(correlation_id=f"c{i}", actor="slack:U1", command="ping", outcome="allowed")
    client = panel.login("vic", "viewer")
    seqs = [e.seq for e in audit.AuditEvent.select().order_by(audit.AuditEvent.seq.desc())]
    for sort in ("sort=0&desc=1", "sort=0"):
        url = f"/admin/audit_event/?page_size=20&{sort}"
        seen = []
        for _ in range(20):
            text = client.get(url).text
            seen += [int(s) for s in re.findall(r'<td class="col-seq">\s*(\d+)', text)]
            found = NEXT.search(text)
            if not found:
                break
            url = html.unescape(found.group(1))
        assert seen == (seqs if "desc" in sort else seqs[::-1])
    selects = queries.selects("audit_event")
    assert selects and not [s for s in selects if "OFFSET" in s]
    # the log's own ?before= cursor still works
    text = client.get(f"/admin/audit_event/?before={seqs[10]}").text
    assert [int(s) for s in re.findall(r'<td class="col-seq">\s*(\d+)', text)][:3] == seqs[11:14]


def test_sort_and_filter_links_do_not_carry_a_cursor(panel, tickets):
    client = panel.login("vic", "viewer")
    text = client.get(f"/admin/ticket/?page=1&after={tickets[200].id}").text
    hrefs = [html.unescape(h) for h in re.findall(r'href="(/admin/ticket/\?[^"]*)"', text)]
    sort_links = [h for h in hrefs if "sort=" in h]
    assert sort_links and not [h for h in sort_links if "after=" in h or "prior=" in h]
    assert [h for h in hrefs if "after=" in h]  # the pager's own "›" link has one


def test_every_sorted_list_pages_by_keyset(panel, tickets):
    """Every model view, every sortable column (both directions) and the default order: a keyset plan,
    and the first page and the one after its first row answer 200."""
    from admin.keyset import KeysetMixin

    client = panel.login("root", "admin")
    fallback, failures, checked = [], [], 0
    for view in panel.app.extensions["admin"][0]._views:
        if not isinstance(view, KeysetMixin):
            continue
        columns = [name for name, _ in view._list_columns]
        sorts = [(None, None)] + [(columns.index(c), d) for c in view._sortable_columns if c in columns
                                  for d in (0, 1)]
        for idx, desc in sorts:
            name = columns[idx] if idx is not None else None
            plan = view.keyset_plan(name, bool(desc))
            if plan is None:
                fallback.append((view.endpoint, name))
                continue
            base = f"/admin/{view.endpoint}/?page_size=20" + (f"&sort={idx}&desc={desc}" if idx is not None else "")
            resp = client.get(base)
            checked += 1
            if resp.status_code != 200:
                failures.append((resp.status_code, base))
                continue
            row = view.get_query().order_by(*view._ordering(plan, reverse=False)).first()
            if row is not None:
                url = f"{base}&page=1&after={view.row_cursor(plan, row)}"
                if client.get(url).status_code != 200:
                    failures.append(("after", url))
    assert checked > 40 and not failures, failures
    assert not fallback, fallback
