"""Under the Content-Security-Policy the panel still works in a real Chromium, and the browser reports no
violation: charts, the delete confirmation, bulk actions, filters (the date pickers too), the person
picker, forms and the playground's buttons."""
from __future__ import annotations

import os
import shutil

import pytest

from chatops.models import Tier

from .conftest import PASSWORD
from .test_e2e_browser import ARGS, CHROMIUM, live_panel  # noqa: F401  (live_panel is a fixture)

REPORT = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP-VIOLATION " + e.violatedDirective + " " + e.blockedURI + " " + (e.sample || ""));
});
"""


@pytest.fixture
def browser_page(live_panel):  # noqa: F811
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{CHROMIUM} is required in CI (apt-get install -y chromium)")
        pytest.skip(f"no Chromium at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api")
    panel, base = live_panel
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(10_000)
            messages: list[str] = []
            page.on("console", lambda m: messages.append(f"{m.type}: {m.text}"))
            page.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))
            page.add_init_script(REPORT)
            yield panel, base, page, messages
            # Let every request finish before the browser goes: a connection Chromium drops while the server
            # still sends a static file leaves that file open in werkzeug (a ResourceWarning at teardown).
            page.wait_for_load_state("networkidle")
            page.close()
        finally:
            browser.close()


def violations(messages: list[str]) -> list[str]:
    return [m for m in messages if "CSP-VIOLATION" in m or "Content Security Policy" in m or m.startswith("pageerror")]


def test_the_panel_works_under_its_policy(browser_page):
    panel, base, page, messages = browser_page
    runner = panel.runner
    for slug in ("alpha", "beta", "gamma"):
        runner.tier(slug)
    runner.person("Sam Support", roles=["support"], identities=["slack:U0SAMSUPP"])
    panel.user("root", "admin")

    page.goto(f"{base}/admin/login")
    page.fill("#username", "root")
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_url(f"{base}/admin/")
    visited = ["login", "home"]
    messages.append("--- after login, home")

    page.goto(f"{base}/admin/dashboard/")
    page.wait_for_selector("body[data-charts=ready]")  # Chart.js and dashboard.js ran
    visited.append("dashboard"); messages.append("--- after " + "dashboard")

    # A row's delete button asks first: dismissed, nothing is deleted; accepted, the row goes.
    alpha = Tier.get(Tier.slug == "alpha")
    page.goto(f"{base}/admin/tier/")
    row_delete = f"form[action='/admin/tier/delete/']:has(input[name=id][value='{alpha.id}']) button"
    asked: list[str] = []
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    page.click(row_delete)
    page.wait_for_timeout(300)
    assert asked and "Are you sure" in asked[0]
    assert Tier.select().where(Tier.id == alpha.id).exists()
    page.once("dialog", lambda d: d.accept())
    page.click(row_delete)
    page.wait_for_url(f"{base}/admin/tier/**")
    assert not Tier.select().where(Tier.id == alpha.id).exists()
    visited.append("row delete"); messages.append("--- after " + "row delete")

    # Bulk action: tick a row, "With selected" → Delete, confirm.
    beta = Tier.get(Tier.slug == "beta")
    page.check(f"input.action-checkbox[value='{beta.id}']")
    page.click("text=With selected")
    page.once("dialog", lambda d: d.accept())
    page.click("[data-model-action=delete]")
    page.wait_for_url(f"{base}/admin/tier/**")
    assert not Tier.select().where(Tier.id == beta.id).exists()
    visited.append("bulk delete"); messages.append("--- after " + "bulk delete")

    # A form: edit and save.
    gamma = Tier.get(Tier.slug == "gamma")
    page.goto(f"{base}/admin/tier/edit/?id={gamma.id}")
    page.fill("#first_response_minutes", "45")
    page.click("input[type=submit][value=Save]")
    page.wait_for_url(f"{base}/admin/tier/**")
    assert Tier.get_by_id(gamma.id).first_response_minutes == 45
    visited.append("edit form"); messages.append("--- after " + "edit form")

    # Filters: add one from the menu (the "javascript:" links must not navigate), a date range picker too.
    page.goto(f"{base}/admin/audit_event/")
    page.click("text=Add Filter")
    page.click(".field-filters a.filter:has-text('Date')")
    page.wait_for_selector("table.filters tr")
    operation = page.locator("table.filters select.filter-op").first
    between = [o for o in operation.locator("option").all_inner_texts() if "between" in o.lower()]
    assert between, "the audit log's Date filter has a between operation"
    operation.select_option(label=between[0], force=True)
    page.wait_for_selector("table.filters input[name$='_8'], table.filters input.filter-val[data-date-format]")
    page.locator("table.filters input.filter-val").first.click()  # opens the date range picker
    page.wait_for_selector(".daterangepicker >> visible=true")
    page.click("text=Add Filter")
    page.click(".field-filters a.filter:has-text('Actor')")
    page.locator("table.filters input.filter-val").last.fill("slack:U0SAMSUPP")
    page.click("#filter_form button[type=submit]")
    page.wait_for_url("**flt*")
    visited.append("filters"); messages.append("--- after " + "filters")

    # The person picker (select2 over XHR) on a create form.
    page.goto(f"{base}/admin/identity/new/")
    page.click("#s2id_person, .select2-container")
    page.keyboard.type("Sam")
    page.wait_for_selector("text=Sam Support")
    visited.append("person picker"); messages.append("--- after " + "person picker")

    # The playground: run, then press the reply's button.
    page.goto(f"{base}/admin/playground/")
    page.select_option("#as", "slack:U0SAMSUPP")
    page.fill("#command-text", "rename-thing t1 Bolt")
    page.click("#run-command")
    page.wait_for_selector("text=Rename t1")
    page.click("button.reply-button:has-text('Confirm')")
    page.wait_for_selector("text=Renamed t1 to Bolt")
    visited.append("playground"); messages.append("--- after " + "playground")

    assert not violations(messages), "\n".join(m for m in messages if m.startswith("---") or m in violations(messages))
