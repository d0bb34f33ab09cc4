"""The Inbox end to end, through the real path, in a real headless Chromium (Debian's chromium, driven by
Playwright) against a fake Slack on 127.0.0.1:

  Cora (a Slack user, a Person in the maker-dao community) types ``/support …`` in her DM with the bot: a
  signed slash command to the one Flask app → Bolt → the router → a ticket (its card goes to the team's
  channel, through the outbox and the Slack adapter's sender) → the ticket is in the inbox → a staff
  member claims it and replies in the panel → the Slack sender posts the reply, signed with the staff
  member's name, in Cora's DM at the fake Slack → Cora answers with ``/ticket reply`` and the answer appears
  on the open page (admin/static/desk.js polling) → an internal note (never reaches Slack) → re-routed to
  the bug queue (its card goes to the bug queue's channel) → resolved → the CSAT question reaches Cora's
  DM, she presses 5, the rating is stored and shows on the page.

Also: the SLA countdown and an age tick in the page (admin/static/clock.js) without a reload, no request
of the browser leaves 127.0.0.1, no Content-Security-Policy violation. Screenshots of the ticket and the
inbox at 1366 and 390 px go to CHATOPS_TEST_ARTIFACTS (default: the test's temporary folder)."""
from __future__ import annotations

import json
import os
import shutil
import threading
import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from admin.models import AdminUser
from chatops import demo as core_demo
from chatops.models import Identity, OutboundMessage
from chatops.settings import Settings
from chatops.support import demo as support_demo
from chatops.support.models import CsatRating, Ticket

from tests.slack.conftest import SECRET, TOKEN, SlackHarness, buttons_of
from tests.slack.fake_slack import FakeSlack

from .conftest import PASSWORD, Panel
from .test_desk import ENV
from .test_e2e_browser import ARGS, CHROMIUM, live_panel  # noqa: F401 - live_panel is a fixture

CORA = dict(user="U0CORACUST", team="T0MAKERDAO", channel="D0CORABOT")   # Cora's DM with the bot
BUG_QUEUE = "C0BUGQUEUE"      # chatops.support.demo: the route of external dev problems
MAKER_DAO = "C0MAKERDAO"      # … and of maker-dao's premium tickets
SIGNATURE = "— Sam Support"


def need_chromium():
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{CHROMIUM} is required in CI (apt-get install -y chromium)")
        pytest.skip(f"no Chromium at {CHROMIUM}")
    return pytest.importorskip("playwright.sync_api")


@pytest.fixture
def slack_desk(make_runner):
    """The one Flask app with the panel and Slack mounted (the real Bolt app and outbox sender, talking to a
    fake Slack on 127.0.0.1), served on 127.0.0.1; the demo's people, communities, channels and routes."""
    fake = FakeSlack().start()
    settings = Settings.from_env({**ENV, "SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET,
                                  "SLACK_API_URL": fake.url})
    runner = make_runner(settings=settings)
    core_demo.seed()
    support_demo.seed(lambda *_: None)
    panel = Panel(runner)
    slack = SlackHarness(runner, panel.app, fake)
    assert urlsplit(slack.adapter.client.base_url).hostname == "127.0.0.1"
    server = make_server("127.0.0.1", 0, panel.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield panel, slack, fake, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
        slack.close()
        fake.stop()
    assert not fake.limit_violations, fake.limit_violations


def posted(fake: FakeSlack, channel: str, containing: str, timeout: float = 15.0) -> dict:
    """The first chat.postMessage the fake Slack received in ``channel`` whose text holds ``containing``
    (waiting for the outbox sender, bounded)."""
    end = time.monotonic() + timeout
    while True:
        for call in fake.called("chat.postMessage"):
            if call.body.get("channel") == channel and containing in (call.body.get("text") or ""):
                return call.body
        if time.monotonic() > end:
            seen = [(c.body.get("channel"), (c.body.get("text") or "")[:80]) for c in fake.called("chat.postMessage")]
            raise AssertionError(f"nothing with {containing!r} posted in {channel}; posted: {seen}")
        time.sleep(0.05)


def answer(fake: FakeSlack, rid: str) -> dict:
    return fake.wait_for("response:" + rid, timeout=15)[0].body


def everything_sent(fake: FakeSlack) -> str:
    return json.dumps([c.body for c in fake.calls])


def test_a_ticket_from_slack_is_worked_in_the_browser_and_the_requester_hears_it_in_slack(slack_desk, tmp_path):
    sync_api = need_chromium()
    panel, slack, fake, base = slack_desk
    runner = panel.runner
    artifacts = os.environ.get("CHATOPS_TEST_ARTIFACTS") or str(tmp_path)
    os.makedirs(artifacts, exist_ok=True)

    # 1. Cora asks in Slack: the ticket is opened by the router, for her Person, in her community.
    response, rid = slack.command("support", "my payout is late since Monday", **CORA)
    assert response.status_code == 200
    offer = answer(fake, rid)                                  # a self-serve command is offered first
    assert "yourself" in offer["text"], offer
    _, bid = slack.press(buttons_of(offer["blocks"])["I still need help"], user=CORA["user"], team=CORA["team"],
                         channel=CORA["channel"], ephemeral=True)
    opened = answer(fake, bid)
    assert "is open" in opened["text"], opened
    assert slack.adapter.wait_idle()
    t = Ticket.get()
    cora = Identity.get((Identity.platform == "slack") & (Identity.user_id == "U0CORACUST")).person
    sam = Identity.get((Identity.platform == "slack") & (Identity.user_id == "U0SAMSUPP")).person
    assert (t.requester_id, t.platform, t.origin_channel_id) == (cora.id, "slack", CORA["channel"])
    assert t.community.slug == "maker-dao" and t.category == "external_ops_problem" and t.channel_id == MAKER_DAO
    card = posted(fake, MAKER_DAO, t.ref)                      # the staff card, by the Slack outbox sender
    assert "Claim" in buttons_of(card["blocks"])
    # Bounded ticking checks need deadlines near a boundary: the SLA due 1 h and 1 s away ("in 1 h", then
    # "in 59 min" a second or two later), opened 59 s ago ("just now", then "1 min ago").
    now = runner.clock()
    Ticket.update(first_response_due=now + timedelta(hours=1, seconds=1),
                  created_at=now - timedelta(seconds=59)).where(Ticket.id == t.id).execute()

    ana = panel.user("ana", "editor")
    AdminUser.update(person=sam.id).where(AdminUser.id == ana.id).execute()   # ana acts as Sam Support
    outside: list[str] = []

    def only_local(route):
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page()
            page.route("**/*", only_local)
            page.set_default_timeout(15_000)
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(f"{base}/admin/desk/")
            page.fill("#username", "ana")
            page.fill("#password", PASSWORD)
            page.click("#sign-in")
            page.wait_for_url(f"{base}/admin/desk/")
            page.click("#queue-unassigned")
            row = f"tr[data-ticket='{t.id}']"
            page.wait_for_selector(row)
            # 2. The countdown ticks in the page (on the server's clock: frozen here, months before the browser's).
            due = page.locator(f"{row} time[data-due]")
            assert due.inner_text() == "in 1 h"
            page.wait_for_function("el => el.textContent === 'in 59 min'", arg=due.element_handle(), timeout=10_000)
            assert due.get_attribute("title") == f"{(now + timedelta(hours=1, seconds=1)):%Y-%m-%d %H:%M} UTC"
            page.click(f"{row} a.ticket-link")
            page.wait_for_selector("#ticket-title")
            assert "my payout is late since Monday" in page.inner_text("#ticket-title")
            conversation = page.inner_text("#conversation")
            assert "support (allowed)" in conversation and "support:open (executed)" in conversation  # from chat
            opened_at = page.locator("#ticket-opened time")
            page.wait_for_function("el => el.textContent === '1 min ago'", arg=opened_at.element_handle(),
                                   timeout=10_000)

            # 3. Claim and reply: the reply reaches Cora's DM at the fake Slack, signed with Sam's name.
            page.click("#desk-claim")
            page.wait_for_selector("text=You claimed ticket")
            page.fill("#reply-text", "Your payout left today.")
            page.click("#desk-reply")
            page.wait_for_selector("text=Reply sent to the requester")
            assert "Your payout left today." in page.inner_text("#conversation")
            assert Ticket.get_by_id(t.id).assignee_id == sam.id
            told = posted(fake, CORA["channel"], "Your payout left today.")
            assert SIGNATURE in told["text"] and "<@U0CORACUST>" in told["text"], told

            # 4. Cora answers in Slack; the open page shows it without a reload, as text.
            response, rid = slack.command("ticket", f"reply {t.id} Thanks, &lt;b&gt;got it&lt;/b&gt;", **CORA)
            assert response.status_code == 200 and "ticket" in answer(fake, rid)["text"].lower()
            page.wait_for_selector("#new-events:not(.d-none)")
            page.wait_for_selector("#conversation >> text=got it")
            assert "Thanks, <b>got it</b>" in page.inner_text("#conversation")
            assert page.locator("#conversation b").count() == 0

            # 5. An internal note stays in the panel.
            page.fill("#note-text", "internal: bank says Tuesday")
            page.click("#desk-note")
            page.wait_for_selector("text=Internal note added")

            # 6. Re-routed to the bug queue: its card is posted in the bug queue's channel.
            page.select_option("#type-category", "external_dev_problem")
            page.click("#desk-type")
            page.wait_for_selector("text=is now external dev problem")
            assert Ticket.get_by_id(t.id).channel_id == BUG_QUEUE
            posted(fake, BUG_QUEUE, t.ref)
            for width in (1366, 390):
                page.set_viewport_size({"width": width, "height": 900})
                page.screenshot(path=os.path.join(artifacts, f"desk-ticket-{width}.png"), full_page=True)
            page.set_viewport_size({"width": 1366, "height": 900})

            # 7. Resolved: the CSAT question reaches Cora's DM; she presses 5; the page shows the rating.
            page.click("#desk-resolve")
            page.wait_for_selector("text=resolved.")
            assert Ticket.get_by_id(t.id).state == "resolved"
            question = posted(fake, CORA["channel"], "How did we do?")
            rating_buttons = buttons_of(question["blocks"])
            assert set(rating_buttons) == {"1", "2", "3", "4", "5"}
            _, bid = slack.press(rating_buttons["5"], user=CORA["user"], team=CORA["team"], channel=CORA["channel"])
            assert "Thank you for rating" in answer(fake, bid)["text"]
            assert slack.adapter.wait_idle()
            [rating] = list(CsatRating.select())
            assert (rating.ticket_id, rating.person_id, rating.rating) == (t.id, cora.id, 5)
            page.wait_for_selector("#conversation >> text=csat")

            # The note never reached Slack, nor the outbox; everything Slack got went to 127.0.0.1.
            assert "bank says Tuesday" not in everything_sent(fake)
            assert not any("bank says Tuesday" in json.dumps(m.reply) for m in OutboundMessage.select())
            assert not [e for e in errors if "Content Security Policy" in e], errors

            # The inbox at both widths: wide tables scroll inside their box, not the page.
            page.goto(f"{base}/admin/desk/?queue=open")
            for width in (1366, 390):
                page.set_viewport_size({"width": width, "height": 900})
                page.screenshot(path=os.path.join(artifacts, f"desk-inbox-{width}.png"), full_page=True)
                scroll = page.evaluate("document.documentElement.scrollWidth")
                assert scroll <= width, (width, scroll)
            page.set_viewport_size({"width": 1366, "height": 900})
            for url in ("/admin/ticket/", "/admin/audit_event/", "/admin/opspolicy/", "/admin/outbox/"):
                page.goto(f"{base}{url}")
                scroll = page.evaluate("document.documentElement.scrollWidth")
                assert scroll <= 1366, (url, scroll)
            page.wait_for_load_state("networkidle")
            page.close()
        finally:
            browser.close()
    assert outside == []
    for width in (1366, 390):
        for name in ("desk-ticket", "desk-inbox"):
            assert os.path.getsize(os.path.join(artifacts, f"{name}-{width}.png")) > 1000


DELTAS = [0, 1, 59, 60, 61, 119, 3599, 3600, 3601, 3661, 86399, 86400, 90061, 200000, -1, -59, -60, -61,
          -3600, -3661, -86400, -200000]


def test_the_page_clock_counts_like_the_server(live_panel):  # noqa: F811 - live_panel is a fixture
    """admin/static/clock.js's ages and countdowns are the server's own texts (admin.formatting.ago,
    chatops.support.desk.countdown) for the same times: what the page redraws is what a reload would show."""
    from datetime import datetime, timezone

    from admin.formatting import ago
    from chatops.support.desk import countdown

    sync_api = need_chromium()
    panel, base = live_panel
    panel.user("vic", "viewer")
    now = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
    want = [[ago(now + timedelta(seconds=-d), now), countdown(now + timedelta(seconds=d), now)] for d in DELTAS]
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{base}/admin/login")
            page.fill("#username", "vic")
            page.fill("#password", PASSWORD)
            page.click("#sign-in")
            page.wait_for_url(f"{base}/admin/")
            assert page.get_attribute("meta[name='chatops-server-now']", "content") == "2026-01-05T09:00:00+00:00"
            got = page.evaluate("""deltas => deltas.map(d => {
                const now = Date.parse('2026-01-05T09:00:00+00:00');
                return [window.chatopsClock.ago(now - d * 1000, now), window.chatopsClock.countdown(now + d * 1000, now)];
            })""", DELTAS)
            page.wait_for_load_state("networkidle")
            page.close()
        finally:
            browser.close()
    assert got == want
