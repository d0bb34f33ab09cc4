"""The dashboard: access, exact numbers from seeded tickets/deflections/audit events, the period selector,
an empty database, escaping, and Chart.js served from local static files (no CDN)."""
from __future__ import annotations

import html
import json
import os
import re
import shutil
from datetime import datetime, timezone

import pytest

from admin.dashboard import CHARTJS_VERSION, dashboard_data, parse_period
from chatops import audit
from chatops.support.models import Deflection, Ticket

from .conftest import PASSWORD
from .test_e2e_browser import ARGS, CHROMIUM, live_panel  # noqa: F401  (live_panel is a fixture)

DATA = re.compile(r'<script type="application/json" id="dashboard-data">(.*?)</script>', re.S)
TAG = re.compile(r"<[^>]+>")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def page_data(page: str) -> dict:
    match = DATA.search(page)
    assert match, "page carries no dashboard JSON"
    return json.loads(match.group(1))


def table_row(page: str, table_id: str, day: str) -> list[str]:
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', page, re.S)
    assert table, f"no table {table_id}"
    row = re.search(rf'<tr data-day="{day}">(.*?)</tr>', table.group(0), re.S)
    assert row, f"no row {day} in {table_id}"
    cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row.group(1), re.S)
    return [html.unescape(TAG.sub("", cell)).strip() for cell in cells]


def table_head(page: str, table_id: str) -> list[str]:
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', page, re.S).group(0)
    head = re.search(r"<thead>(.*?)</thead>", table, re.S).group(1)
    return [html.unescape(TAG.sub("", c)).strip() for c in re.findall(r"<th[^>]*>(.*?)</th>", head, re.S)]


def ticket(person, tier, category, created, *, fr=None, fr_due=None, res=None, res_due=None) -> Ticket:
    return Ticket.create(requester=person, platform="slack", requester_user_id="U1", tier=tier, category=category,
                         summary="s", created_at=at(created), first_response_at=fr and at(fr),
                         first_response_due=fr_due and at(fr_due), resolved_at=res and at(res),
                         resolution_due=res_due and at(res_due), state="resolved" if res else "open")


@pytest.fixture
def seeded(panel):
    """Known tickets, deflections and audit events; the clock stands at 2026-01-05 09:00 UTC."""
    runner = panel.runner
    assert runner.clock() == at("2026-01-05 09:00")
    premium = runner.tier("premium", rank=10)
    general = runner.tier("general")
    cora = runner.person("Cora", identities=["slack:U1"])
    # 2026-01-04: three tickets.
    ticket(cora, premium, "external_ops_problem", "2026-01-04 10:00", fr="2026-01-04 10:20", fr_due="2026-01-04 10:30",
           res="2026-01-04 16:00", res_due="2026-01-04 14:00")           # FR met (20 min), resolution missed (360)
    ticket(cora, premium, "external_dev_inquiry", "2026-01-04 11:00", fr="2026-01-04 11:45", fr_due="2026-01-04 11:30",
           res="2026-01-04 12:00", res_due="2026-01-05 11:00")           # FR missed (45 min), resolution met (60)
    ticket(cora, general, "external_ops_problem", "2026-01-04 12:00", fr_due="2026-01-04 13:00",
           res_due="2026-01-06 12:00")                                    # FR past due and open; resolution not due
    # 2026-01-05: two tickets.
    ticket(cora, general, None, "2026-01-05 08:00", fr_due="2026-01-05 10:00")    # FR not due yet
    ticket(cora, None, "external_ops_problem", "2026-01-05 08:30", fr="2026-01-05 08:40")  # no SLA; FR 10 min
    # Edges of the 7-day window (2025-12-30 00:00 to now).
    ticket(cora, general, None, "2025-12-30 00:00")                      # first instant: in
    ticket(cora, general, None, "2025-12-29 23:59:59")                   # a second before: out
    ticket(cora, premium, "internal_task", "2025-12-20 09:00", fr="2026-01-03 09:00")  # opened before, answered in
    # Deflections: 2 solved + 1 opened on 01-04, 1 solved on 01-05, 1 solved outside the window.
    for when, outcome in (("2026-01-04 09:00", "solved"), ("2026-01-04 09:30", "solved"),
                          ("2026-01-04 10:00", "opened"), ("2026-01-05 07:00", "solved"),
                          ("2025-12-28 12:00", "solved")):
        Deflection.create(person=cora, command="card-decline", outcome=outcome, created_at=at(when))
    # Self-serve command runs: only ops commands that ran count.
    for when, command, outcome in (("2026-01-04 10:00", "card-decline", "executed"),
                                   ("2026-01-04 10:05", "payment-status", "allowed"),
                                   ("2026-01-05 08:00", "change-email", "executed"),
                                   ("2026-01-05 08:01", "change-email", "denied"),
                                   ("2026-01-05 08:02", "help", "allowed"),
                                   ("2025-12-01 08:00", "card-decline", "executed")):
        audit.record(correlation_id="c", actor="slack:U1", command=command, outcome=outcome, at=at(when))
    return panel


def test_anonymous_is_sent_to_sign_in(panel):
    resp = panel.client().get("/admin/dashboard/")
    assert resp.status_code == 302 and "/admin/login" in resp.headers["Location"]


def test_viewer_sees_the_dashboard(panel):
    client = panel.login("vic", "viewer")
    page = client.get("/admin/dashboard/").text
    for canvas in ("chart-tier", "chart-type", "chart-sla", "chart-median", "chart-deflection"):
        assert f'<canvas id="{canvas}"' in page
    assert 'href="/admin/dashboard/"' in page  # in the menu
    assert len(page_data(page)["days"]) == 30


def test_numbers_are_exact(seeded):
    client = seeded.login("vic", "viewer")
    page = client.get("/admin/dashboard/?days=7").text
    data = page_data(page)
    days = data["days"]
    assert days == ["2025-12-30", "2025-12-31", "2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04", "2026-01-05"]
    i4, i5, i30 = days.index("2026-01-04"), days.index("2026-01-05"), days.index("2025-12-30")

    tiers = {s["label"]: s["data"] for s in data["volume"]["by_tier"]}
    assert [s["label"] for s in data["volume"]["by_tier"]] == ["Premium", "General", "no tier"]
    assert tiers == {"Premium": [0, 0, 0, 0, 0, 2, 0], "General": [1, 0, 0, 0, 0, 1, 1],
                     "no tier": [0, 0, 0, 0, 0, 0, 1]}
    types = {s["label"]: s["data"] for s in data["volume"]["by_type"]}
    assert types == {"external dev inquiry": [0, 0, 0, 0, 0, 1, 0], "external ops problem": [0, 0, 0, 0, 0, 2, 1],
                     "unclassified (triage)": [1, 0, 0, 0, 0, 0, 1]}
    assert data["volume"]["total"] == [1, 0, 0, 0, 0, 3, 2]

    fr, res = data["sla"]["first_response"], data["sla"]["resolution"]
    assert (fr["met"][i4], fr["missed"][i4], fr["breached_open"][i4], fr["pending"][i4], fr["percent"][i4]) == \
        (1, 1, 1, 0, 33.3)
    assert (fr["met"][i5], fr["missed"][i5], fr["breached_open"][i5], fr["pending"][i5], fr["percent"][i5]) == \
        (0, 0, 0, 1, None)
    assert fr["total"] == {"met": 1, "missed": 1, "breached_open": 1, "pending": 1, "percent": 33.3}
    assert (res["met"][i4], res["missed"][i4], res["breached_open"][i4], res["pending"][i4], res["percent"][i4]) == \
        (1, 1, 0, 1, 50.0)
    assert res["total"] == {"met": 1, "missed": 1, "breached_open": 0, "pending": 1, "percent": 50.0}
    assert fr["percent"][i30] is None

    med = data["medians"]
    assert med["first_response"]["minutes"] == [None, None, None, None, 20160.0, 32.5, 10.0]
    assert med["first_response"]["count"] == [0, 0, 0, 0, 1, 2, 1]
    assert med["first_response"]["overall"] == 32.5          # median of 10, 20, 45, 20160
    assert med["resolution"]["minutes"] == [None, None, None, None, None, 210.0, None]
    assert med["resolution"]["overall"] == 210.0

    defl = data["deflection"]
    assert defl["solved"] == [0, 0, 0, 0, 0, 2, 1]
    assert defl["offered"] == [0, 0, 0, 0, 0, 3, 1]
    assert defl["tickets_opened"] == [1, 0, 0, 0, 0, 3, 2]
    assert defl["self_serve_runs"] == [0, 0, 0, 0, 0, 2, 1]
    assert defl["percent"][i4] == 40.0 and defl["percent"][i5] == 33.3 and defl["percent"][1] is None
    assert defl["total"] == {"solved": 3, "offered": 4, "tickets_opened": 6, "self_serve_runs": 3, "percent": 33.3}

    # The same numbers in the tables (no JavaScript needed).
    assert table_head(page, "table-tier") == ["Day", "Premium", "General", "no tier", "Total"]
    assert table_row(page, "table-tier", "2026-01-04") == ["2026-01-04", "2", "1", "0", "3"]
    assert table_row(page, "table-type", "2026-01-05") == ["2026-01-05", "0", "1", "1", "2"]
    assert table_row(page, "table-sla", "2026-01-04") == ["2026-01-04", "1", "1", "1", "0", "33.3 %",
                                                          "1", "1", "0", "1", "50.0 %"]
    assert table_row(page, "table-sla", "2026-01-05")[5] == "—"
    assert table_row(page, "table-median", "2026-01-04") == ["2026-01-04", "32.5", "2", "210.0", "2"]
    assert table_row(page, "table-deflection", "2026-01-04") == ["2026-01-04", "3", "2", "3", "40.0 %", "2"]
    assert re.search(r'id="kpi-opened">6<', page)
    assert re.search(r'id="kpi-fr-median">32.5 min<', page)

    # 30 days reaches the ticket opened on 2025-12-20 and the deflection of 2025-12-28.
    wide = dashboard_data(now=seeded.runner.clock(), days=30)
    assert sum(wide["volume"]["total"]) == 8
    assert wide["deflection"]["total"]["solved"] == 4
    assert wide["deflection"]["total"]["self_serve_runs"] == 3  # 2025-12-01 is still outside


def test_period_selector(panel):
    client = panel.login("vic", "viewer")
    for raw, expected in (("7", 7), ("30", 30), ("90", 90)):
        resp = client.get(f"/admin/dashboard/?days={raw}")
        assert resp.status_code == 200 and len(page_data(resp.text)["days"]) == expected
        assert "period-error" not in resp.text
    for raw in ("365", "-1", "abc", "7.5", "%00", "1e9", "<b>x</b>"):
        resp = client.get("/admin/dashboard/", query_string={"days": raw})
        assert resp.status_code == 200, raw
        assert 'id="period-error"' in resp.text and "Showing the last 30 days" in resp.text
        assert len(page_data(resp.text)["days"]) == 30
    assert "<b>x</b>" not in client.get("/admin/dashboard/", query_string={"days": "<b>x</b>"}).text
    assert parse_period(None) == (30, None) and parse_period(" 90 ")[0] == 90


def test_empty_database_renders(panel):
    client = panel.login("vic", "viewer")
    resp = client.get("/admin/dashboard/?days=90")
    assert resp.status_code == 200
    data = page_data(resp.text)
    assert data["volume"] == {"by_tier": [], "by_type": [], "total": [0] * 90}
    assert data["sla"]["first_response"]["total"]["percent"] is None
    assert data["medians"]["resolution"]["overall"] is None
    assert data["deflection"]["total"]["solved"] == 0
    assert re.search(r'id="kpi-fr-median"><span class="text-muted" title="no data">—', resp.text)


def test_hostile_tier_name_is_escaped(panel):
    runner = panel.runner
    hostile = runner.tier("evil", name='</script><script>alert("x")</script>&')
    person = runner.person("Cora", identities=["slack:U1"])
    ticket(person, hostile, "internal_task", "2026-01-05 08:00")
    page = panel.login("vic", "viewer").get("/admin/dashboard/").text
    assert "<script>alert(" not in page
    assert "&lt;/script&gt;&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;" in page  # the table header
    assert "\\u003c/script\\u003e\\u003cscript\\u003ealert" in page                      # the JSON
    assert [s["label"] for s in page_data(page)["volume"]["by_tier"]] == ['</script><script>alert("x")</script>&']


def test_chartjs_is_served_locally(panel):
    client = panel.login("vic", "viewer")
    page = client.get("/admin/dashboard/").text
    scripts = re.findall(r'<script[^>]*\ssrc="([^"]*)"', page)
    links = re.findall(r'<link[^>]*\shref="([^"]*)"', page)
    assert scripts and links
    for url in scripts + links:
        assert url.startswith("/") and not url.startswith("//"), url
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    chart = [u for u in scripts if "chartjs" in u]
    assert chart == ["/admin/_assets/vendor/chartjs/chart.umd.min.js"]
    resp = client.get(chart[0])
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith(("application/javascript", "text/javascript"))
    assert f"Chart.js v{CHARTJS_VERSION}" in resp.get_data(as_text=True)[:200]
    resp.close()


def test_browser_draws_the_charts(live_panel):  # noqa: F811
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{CHROMIUM} is required in CI (apt-get install -y chromium)")
        pytest.skip(f"no Chromium at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api")
    panel, base = live_panel
    premium = panel.runner.tier("premium", rank=10)
    person = panel.runner.person("Cora", identities=["slack:U1"])
    ticket(person, premium, "internal_task", "2026-01-05 08:00", fr="2026-01-05 08:30")
    panel.user("vic", "viewer")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(10_000)
            outside = []
            page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(base) else None)
            page.goto(f"{base}/admin/dashboard/")
            page.fill("#username", "vic")
            page.fill("#password", PASSWORD)
            page.click("#sign-in")
            page.wait_for_url(f"{base}/admin/dashboard/")
            page.wait_for_selector("body[data-charts=ready]")
            assert page.evaluate("typeof window.Chart") == "function"
            assert page.evaluate("Chart.getChart('chart-tier').data.datasets[0].data.at(-1)") == 1
            assert page.evaluate("document.getElementById('chart-median').width") > 0
            assert not outside, outside
            page.wait_for_load_state("networkidle")  # no request cut off as the browser closes
            page.close()
        finally:
            browser.close()
