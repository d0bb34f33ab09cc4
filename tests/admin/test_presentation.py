"""Presentation (issue 13 item 4): times as "3 min ago" with the exact UTC minute on hover, and the playground
rendering chat markup as names and links (escaped, http(s) only) with every post the command made."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from markupsafe import Markup

from admin.formatting import DETAIL_TYPE_FORMATTERS, TYPE_FORMATTERS, ago, relative
from admin.playground import mrkdwn, safe_url
from chatops import audit
from chatops.models import OutboundMessage
from chatops.support.models import SupportChannel
from tests.support.conftest import seeded, support_settings

from .conftest import Panel, page_token

NOW = datetime(2026, 12, 2, 14, 8, 30, tzinfo=timezone.utc)
HOSTILE = ('<script>alert(1)</script> <@U1|<img src=x onerror=alert(2)>> <javascript:alert(3)|click me> '
           '<data:text/html,<b>x</b>|data> <JavaScript:alert(4)> <https://ok.example/a?b=1&c=2|fine "link">')


# ---- relative times -------------------------------------------------------------------------------------
@pytest.mark.parametrize("delta, text", [
    (timedelta(seconds=20), "just now"),
    (timedelta(minutes=3, seconds=30), "3 min ago"),
    (timedelta(minutes=59), "59 min ago"),
    (timedelta(hours=2, minutes=10), "2 h ago"),
    (timedelta(days=4, hours=3), "4 d ago"),
    (-timedelta(minutes=5, seconds=1), "in 5 min"),
    (-timedelta(seconds=10), "in under a minute"),
])
def test_ago_at_several_ages(delta, text):
    assert ago(NOW - delta, NOW) == text
    cell = relative(NOW - delta, NOW)
    assert isinstance(cell, Markup) and cell.endswith(f">{text}</time>")


def test_relative_time_has_the_exact_utc_minute_on_hover():
    at = datetime(2026, 12, 2, 14, 5, 12, 345678, tzinfo=timezone.utc)
    assert str(relative(at, NOW)) == ('<time datetime="2026-12-02T14:05:12+00:00" title="2026-12-02 14:05 UTC" '
                                      'data-ago>3 min ago</time>')
    # naive values are UTC; other zones are converted; None is empty
    assert 'title="2026-12-02 14:05 UTC"' in relative(at.replace(tzinfo=None), NOW)
    east = at.astimezone(timezone(timedelta(hours=5, minutes=30)))
    assert 'title="2026-12-02 14:05 UTC"' in relative(east, NOW) and "3 min ago" in relative(east, NOW)
    assert relative(None, NOW) == ""


def test_list_and_detail_formatters_are_relative_to_the_panel_clock(panel, clock):
    for formatters in (TYPE_FORMATTERS, DETAIL_TYPE_FORMATTERS):
        with panel.app.app_context():
            cell = formatters[datetime](None, clock() - timedelta(hours=2), "created_at")
        assert isinstance(cell, Markup) and ">2 h ago</time>" in cell and 'title="2026-01-05 07:00 UTC"' in cell


def test_audit_list_shows_ages_with_the_exact_time_on_hover(panel, clock):
    audit.record(correlation_id="c1", actor="slack:U1", command="whoami", outcome="allowed", at=clock())
    clock.advance(minutes=3)
    html = panel.login("root", "admin").get("/admin/audit_event/").text
    assert re.search(r'<time datetime="2026-01-05T09:00:00\+00:00" title="2026-01-05 09:00 UTC" data-ago>3 min ago</time>',
                     html), html


# ---- chat markup ------------------------------------------------------------------------------------------
class Names:
    def channel(self, platform, channel_id):
        return {"C0MAKERDAO": "maker-dao-ts", "C0EVIL": "<img src=x onerror=alert(5)>"}.get(channel_id)

    def user(self, platform, user_id):
        return {"U0CORACUST": "Cora Customer", "U0EVIL": "<script>alert(6)</script>"}.get(user_id)


def test_markup_becomes_names_code_bold_and_links():
    html = str(mrkdwn("Sent to <#C0MAKERDAO> for <@U0CORACUST>: `a <b>` *urgent* **now** "
                      "<https://docs.example/x?a=1&b=2|the docs> see https://ex.example/p).", "slack", Names()))
    assert '<span class="chat-channel" title="C0MAKERDAO">#maker-dao-ts</span>' in html
    assert '<span class="chat-mention" title="slack:U0CORACUST">@Cora Customer</span>' in html
    assert "<code>a &lt;b&gt;</code>" in html and "<strong>urgent</strong>" in html and "<strong>now</strong>" in html
    assert ('<a href="https://docs.example/x?a=1&amp;b=2" rel="noopener noreferrer nofollow" target="_blank">'
            'the docs</a>') in html
    assert ('<a href="https://ex.example/p" rel="noopener noreferrer nofollow" target="_blank">'
            'https://ex.example/p</a>).') in html
    assert "<#" not in html and "<@" not in html and "`" not in html
    # unknown ids fall back to the label, then the id; a label never overrides a known name
    assert "#general" in mrkdwn("<#C9|general>", "slack", Names()) and "@U9" in mrkdwn("<@U9>", "slack", Names())
    assert "#maker-dao-ts" in mrkdwn("<#C0MAKERDAO|fake>", "slack", Names())
    assert "snake_case_words" in mrkdwn("snake_case_words", "slack", Names())


def test_hostile_text_and_names_are_escaped_and_links_are_http_only():
    html = str(mrkdwn(HOSTILE + " <#C0EVIL> <@U0EVIL>", "slack", Names()))
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)" in html and "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "&lt;img src=x onerror=alert(5)&gt;" in html and "&lt;script&gt;alert(6)" in html
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert hrefs == ["https://ok.example/a?b=1&amp;c=2"], hrefs
    assert re.findall(r"<a [^>]*>", html) == [
        '<a href="https://ok.example/a?b=1&amp;c=2" rel="noopener noreferrer nofollow" target="_blank">']
    assert "fine &#34;link&#34;</a>" in html
    assert "&lt;javascript:alert(3)|click me&gt;" in html  # shown as the text it is, not a link
    assert "\ue000" not in mrkdwn("\ue0000\ue001 <@U0CORACUST>", "slack", Names())
    for bad in ("javascript:alert(1)", "JAVASCRIPT:alert(1)", "data:text/html,x", "https:alert(1)", "//evil.example",
                "http://a b", 'http://a"onmouseover="x', "vbscript:x", "mailto:a@b.example"):
        assert safe_url(bad) is None, bad
    assert safe_url("https://ok.example/") == "https://ok.example/" and safe_url("HTTP://ok.example")


# ---- the playground ------------------------------------------------------------------------------------------
@pytest.fixture
def support_panel(make_runner):
    runner = seeded(make_runner(settings=support_settings(CHATOPS_SECRET_KEY="test-secret")))
    return Panel(runner)


def run(client, text, as_="slack:U0CORACUST", community="maker-dao", channel="C0MAKERDAO"):
    token = page_token(client, "/admin/playground/")
    return client.post("/admin/playground/run", data={"csrf_token": token, "as": as_, "community": community,
                                                      "channel": channel, "text": text})


def posts_section(html: str) -> str:
    match = re.search(r'<section class="playground-posts".*?</section>', html, re.S)
    assert match, "no posts section"
    return match.group(0)


def test_playground_support_run_shows_the_ticket_card_posted_to_the_channel(support_panel):
    client = support_panel.login("ed", "editor")
    resp = run(client, "support how do callbacks work with `curl`?")
    assert resp.status_code == 200
    html = resp.text
    assert "&lt;#C" not in html and "<#C" not in html and "&lt;@U" not in html and "<@U" not in html
    reply_part, posts = html.split('<section class="playground-posts"', 1)
    assert "#maker-dao-ts" in reply_part and "<code>curl</code>" in reply_part  # "Sent to" in the reply itself
    posts = posts_section('<section class="playground-posts"' + posts)
    card = OutboundMessage.get(OutboundMessage.channel_id == "C0MAKERDAO")
    assert re.search(r"Posted to\s*<span class=\"chat-channel\"[^>]*>#maker-dao-ts</span>", posts), posts
    assert "Ticket #1: how do callbacks work with <code>curl</code>?" in posts
    assert "@Cora Customer" in posts and ">Claim</button>" in posts and ">Resolve</button>" in posts
    assert f'value="{card.reply["blocks"][-1]["buttons"][0]["action_id"]}"' in posts  # the card's own buttons
    assert card.correlation_id and f'data-correlation="{card.correlation_id}"' in html


def test_playground_press_shows_the_card_it_edited(support_panel):
    client = support_panel.login("ed", "editor")
    run(client, "support payouts are late")
    card = OutboundMessage.get(OutboundMessage.channel_id == "C0MAKERDAO")
    claim = next(b["action_id"] for b in card.reply["blocks"][-1]["buttons"] if b["label"] == "Claim")
    token = page_token(client, "/admin/playground/")
    resp = client.post("/admin/playground/press", data={"csrf_token": token, "as": "slack:U0SAMSUPP",
                                                        "action_ref": claim, "label": "Claim"})
    assert resp.status_code == 200
    posts = posts_section(resp.text)
    assert re.search(r"Edited its earlier post in\s*<span[^>]*>#maker-dao-ts</span>", posts), posts
    assert "claimed" in posts and "Sam Support" in posts
    assert "Ticket #1: payouts are late" in posts and ">Claim</button>" not in posts  # the run's card is not repeated


def test_playground_escapes_hostile_text_in_the_reply_and_the_posts(support_panel):
    (SupportChannel.update(name="<img src=x onerror=alert(7)>")
     .where(SupportChannel.channel_id == "C0MAKERDAO").execute())
    client = support_panel.login("ed", "editor")
    html = run(client, "support " + HOSTILE).text
    html = html[html.index('id="playground-form"'):]  # the page's own part (Flask-Admin's menus use javascript:void(0))
    posts = posts_section(html)
    assert "&lt;script&gt;alert(1)" in posts
    for part in (html, posts):
        assert "<script>alert" not in part and "<img src=x" not in part and "<b>x</b>" not in part
        assert not re.search(r'href="\s*(javascript|data|vbscript):', part, re.I)
    assert "Posted to" in posts and "#&lt;img src=x onerror=alert(7)&gt;" in posts
    assert re.findall(r'<a href="([^"]+)" rel="noopener', posts) == ["https://ok.example/a?b=1&amp;c=2"]


def test_detail_pages_show_times_as_their_age_with_the_exact_minute_on_hover(panel):
    from datetime import timedelta

    from chatops.support.models import Ticket

    runner = panel.runner
    person = runner.person("Cora", identities=["slack:U1"])
    t = Ticket.create(requester=person, platform="slack", requester_user_id="U1", summary="s", state="open",
                      created_at=runner.clock() - timedelta(minutes=3))
    client = panel.login("vic", "viewer")
    page = client.get(f"/admin/ticket/details/?id={t.id}").text
    assert "3 min ago" in page and "UTC" in page and "+00:00</td>" not in page
