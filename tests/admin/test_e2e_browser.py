"""End to end in a real headless Chromium (Debian's chromium, driven by Playwright):
sign in, change a tier's SLA, run a command in the playground, press its button,
and find both actions in the audit log view."""
from __future__ import annotations

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from chatops.models import Tier

from .conftest import PASSWORD

CHROMIUM = os.environ.get("CHATOPS_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


@pytest.fixture
def live_panel(panel):
    server = make_server("127.0.0.1", 0, panel.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield panel, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


def test_browser_sign_in_edit_playground_audit(live_panel):
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{CHROMIUM} is required in CI (apt-get install -y chromium)")
        pytest.skip(f"no Chromium at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api")
    panel, base = live_panel
    tier = panel.runner.tier("premium", rank=10, first_response_minutes=240)
    panel.runner.person("Sam Support", roles=["support"], identities=["slack:U0SAMSUPP"])
    panel.user("ana", "editor")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(10_000)
            page.goto(f"{base}/admin/tier/")
            assert "/admin/login" in page.url
            page.fill("#username", "ana")
            page.fill("#password", PASSWORD)
            page.click("#sign-in")
            page.wait_for_url(f"{base}/admin/tier/")
            page.goto(f"{base}/admin/tier/edit/?id={tier.id}")
            page.fill("#first_response_minutes", "90")
            page.click("input[type=submit][value=Save]")
            page.wait_for_url(f"{base}/admin/tier/**")
            assert Tier.get_by_id(tier.id).first_response_minutes == 90

            page.goto(f"{base}/admin/playground/")
            page.select_option("#as", "slack:U0SAMSUPP")
            page.fill("#command-text", "rename-thing t1 Bolt")
            page.click("#run-command")
            page.wait_for_selector("text=Rename t1")
            page.click("button.reply-button:has-text('Confirm')")
            page.wait_for_selector("text=Renamed t1 to Bolt")

            page.goto(f"{base}/admin/audit_event/")
            body = page.inner_text("table.model-list")
            assert "admin.tier.update" in body and "admin:ana" in body
            assert "admin.playground.press" in body and "rename-thing" in body
            page.click("#verify-chain")
            page.wait_for_selector("text=Audit chain intact")
            page.wait_for_load_state("networkidle")  # no request cut off as the browser closes
            page.close()
        finally:
            browser.close()
