"""The Inbox end to end in a real headless Chromium (Debian's chromium, driven by Playwright): sign in, open
the inbox, claim a ticket, reply, see the reply in the conversation (and in the outbox, to the requester's
channel), see the requester's answer appear without a reload (admin/static/desk.js polling), add an internal
note (never sent), re-route it to the bug queue, resolve it (the CSAT question goes to the requester).
Screenshots at 1366 and 390 px go to CHATOPS_TEST_ARTIFACTS (default: the test's temporary folder)."""
from __future__ import annotations

import json
import os
import shutil

import pytest

from chatops.db import atomic
from chatops.models import OutboundMessage
from chatops.support import tickets
from chatops.support.models import SupportRoute, Ticket

from .conftest import PASSWORD
from .test_desk import desk_panel, editor, open_ticket  # noqa: F401 - the fixture
from .test_e2e_browser import ARGS, CHROMIUM


@pytest.fixture
def live_desk(desk_panel):
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, desk_panel.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield desk_panel, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


def test_browser_inbox_claim_reply_and_polling(live_desk, tmp_path):
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{CHROMIUM} is required in CI (apt-get install -y chromium)")
        pytest.skip(f"no Chromium at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api")
    panel, base = live_desk
    SupportRoute.create(name="bugs", category="external_dev_problem", slack_channel="C0BUGS")
    t = open_ticket(panel, "Payout <late>", origin="C0CORA")
    artifacts = os.environ.get("CHATOPS_TEST_ARTIFACTS") or str(tmp_path)
    os.makedirs(artifacts, exist_ok=True)
    editor(panel, "ana")  # an editor linked to Sam Support
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(15_000)
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(f"{base}/admin/desk/")
            page.fill("#username", "ana")
            page.fill("#password", PASSWORD)
            page.click("#sign-in")
            page.wait_for_url(f"{base}/admin/desk/")
            page.click("#queue-unassigned")
            page.click(f"tr[data-ticket='{t.id}'] a.ticket-link")
            page.wait_for_selector("#ticket-title")
            assert "Payout <late>" in page.inner_text("#ticket-title")
            # desk.js counts down on the server's clock (frozen here, months before the browser's)
            assert page.inner_text("#ticket-fields time[data-due]") == "in 1 d"
            page.click("#desk-claim")
            page.wait_for_selector("text=You claimed ticket")
            page.fill("#reply-text", "Your payout left today.")
            page.click("#desk-reply")
            page.wait_for_selector("text=Reply sent to the requester")
            conversation = page.inner_text("#conversation")
            assert "Your payout left today." in conversation and "Sam Support" in conversation
            assert "claimed" in conversation
            assert Ticket.get_by_id(t.id).assignee_id == panel.sam.id
            told = OutboundMessage.select().where(OutboundMessage.channel_id == "C0CORA").order_by(
                OutboundMessage.id.desc()).first()
            assert "Your payout left today." in json.dumps(told.reply)
            with atomic():  # the requester answers in chat while the page is open
                tickets.reply(Ticket.get_by_id(t.id), tickets.Who(panel.cora, "slack:U0CORACUST (Cora)", "slack"),
                              "Thanks, <b>got it</b>", now=panel.runner.clock(), correlation_id="c9",
                              settings=panel.runner.app.settings)
            page.wait_for_selector("#new-events:not(.d-none)")
            assert "Thanks, <b>got it</b>" in page.inner_text("#conversation")  # shown as text, not markup
            assert page.locator("#conversation b").count() == 0
            page.fill("#note-text", "internal: bank says Tuesday")
            page.click("#desk-note")
            page.wait_for_selector("text=Internal note added")
            page.select_option("#type-category", "external_dev_problem")
            page.click("#desk-type")
            page.wait_for_selector("text=is now external dev problem")
            assert Ticket.get_by_id(t.id).channel_id == "C0BUGS"
            for width in (1366, 390):
                page.set_viewport_size({"width": width, "height": 900})
                page.screenshot(path=os.path.join(artifacts, f"desk-ticket-{width}.png"), full_page=True)
            page.click("#desk-resolve")
            page.wait_for_selector("text=resolved.")
            assert Ticket.get_by_id(t.id).state == "resolved"
            sent = [json.dumps(m.reply) for m in OutboundMessage.select().where(OutboundMessage.channel_id == "C0CORA")]
            assert any("How did we do?" in m for m in sent)                      # CSAT asked where they asked
            assert not any("bank says Tuesday" in json.dumps(m.reply) for m in OutboundMessage.select())
            assert not [e for e in errors if "Content Security Policy" in e], errors
            open_ticket(panel, "A second request with a rather long summary " * 3, tier="general")
            page.goto(f"{base}/admin/desk/?queue=open")
            for width in (1366, 390):
                page.set_viewport_size({"width": width, "height": 900})
                page.screenshot(path=os.path.join(artifacts, f"desk-inbox-{width}.png"), full_page=True)
                scroll = page.evaluate("document.documentElement.scrollWidth")
                assert scroll <= width, (width, scroll)   # wide tables scroll inside their box, not the page
            page.set_viewport_size({"width": 1366, "height": 900})
            for url in ("/admin/ticket/", "/admin/audit_event/", "/admin/opspolicy/", "/admin/outbox/"):
                page.goto(f"{base}{url}")
                scroll = page.evaluate("document.documentElement.scrollWidth")
                assert scroll <= 1366, (url, scroll)
            page.wait_for_load_state("networkidle")
            page.close()
        finally:
            browser.close()
