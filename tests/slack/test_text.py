"""Text through the real Bolt app: Slack's escaping decoded once on the way in (events, slash commands; modal
values as typed), encoded once on the way out; files in DMs; DM threads; long answers split safely; and no
ping from anything a user typed (only the people the core names in Reply.mentions)."""
from __future__ import annotations

import json
import re
from datetime import timedelta

from chatops.models import Identity
from chatops.support import oncall, sweeper
from chatops.support.models import Ticket

from tests.slack import sample
from tests.slack.test_flows import CORA, _answer, _posted_to, _support

BOT = "U0BOTBOT"


def dm(text: str, *, user: str = "U0ANA", channel: str = "D0ANA", **extra):
    return {"type": "message", "channel_type": "im", "channel": channel, "user": user, "text": text,
            "ts": "1700000001.000100", **extra}


def _dm_answer(fake, channel: str, timeout: float = 10.0) -> str:
    """The text of the first post to ``channel`` (the requester's DM): the staff card goes to the team's
    channel through the outbox, and which of the two reaches Slack first is not fixed."""
    import time

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        for call in fake.called("chat.postMessage"):
            if call.body.get("channel") == channel:
                return call.body.get("text") or ""
        time.sleep(0.02)
    raise AssertionError(f"nothing posted to {channel}: {[c.body.get('channel') for c in fake.called('chat.postMessage')]}")


def _echoed() -> list[str]:
    return [c[1]["text"] for c in sample.CALLS if c[0] == "slk-echo"]


# What Slack sends for a user typing:  my payout & refund <3 https://pay.example/r?id=1&x=2 a@b.co @bob #ops
TYPED = ("my payout &amp; refund &lt;3 <https://pay.example/r?id=1&amp;x=2> <mailto:a@b.co|a@b.co> "
         "<@U0BOB|bob> <#C0OPS|ops>")
DECODED = "my payout & refund <3 https://pay.example/r?id=1&x=2 a@b.co <@U0BOB> <#C0OPS|ops>"
ENCODED = "my payout &amp; refund &lt;3 <https://pay.example/r?id=1&amp;x=2> a@b.co @U0BOB <#C0OPS|ops>"


# ---- 1. escaping: decoded once in, encoded once out --------------------------------------------------
def test_a_dm_reaches_the_core_decoded_and_is_answered_encoded_once(slack, fake):
    slack.event(dm("slk-echo 1 " + TYPED))
    answer = fake.wait_for("chat.postMessage")[0].body
    assert _echoed() == [DECODED]                       # entities decoded; a link is its URL, mailto the address
    assert answer["blocks"][0]["text"]["text"] == ENCODED  # the URL comes back as a link, & as &amp; (once)
    assert "&amp;amp;" not in json.dumps(answer) and "&lt;https" not in json.dumps(answer)


def test_a_slash_command_and_an_app_mention_are_decoded_the_same_way(slack, fake):
    # The manifest sets should_escape: Slack sends the text in the same markup as messages.
    _, rid = slack.command("slk-echo", "1 " + TYPED)
    assert _answer(fake, rid)["blocks"][0]["text"]["text"] == ENCODED
    slack.event({"type": "app_mention", "channel": "C0GENERAL", "user": "U0ANA", "ts": "1700000002.000200",
                 "text": f"<@{BOT}> slk-echo 1 Tom &amp; Jerry &gt; Itchy"})
    posted = fake.wait_for("chat.postMessage")[0].body
    assert posted["blocks"][0]["text"]["text"] == "Tom &amp; Jerry &gt; Itchy"
    assert _echoed() == [DECODED, "Tom & Jerry > Itchy"]


def test_modal_values_are_taken_as_typed(slack, fake):
    _, rid = slack.command("slk-echo", "", trigger="trig-echo-form")
    view = fake.wait_for("views.open")[0].body["view"]
    typed = "a & b <c> &amp; <https://x.example>"  # Slack does not escape input values
    slack.submit(view, {"p:times": {"value": {"type": "number_input", "value": "1"}},
                        "p:text": {"value": {"type": "plain_text_input", "value": typed}}})
    answer = _answer(fake, rid)
    assert _echoed() == [typed]
    assert answer["blocks"][0]["text"]["text"] == "a &amp; b &lt;c&gt; &amp;amp; &lt;<https://x.example>&gt;"


def test_a_ticket_from_a_dm_is_stored_and_shown_without_entities(make_slack, fake):
    slack = _support(make_slack)
    slack.event(dm("support the sdk widget &amp; export crash on init, see <https://pay.example/r?a=1&amp;b=2>",
                   user=CORA["user"], channel="D0CORA"), team=CORA["team"])
    assert "is open" in _dm_answer(fake, "D0CORA")
    assert slack.adapter.wait_idle()
    ticket = Ticket.get()
    assert "the sdk widget & export crash on init, see https://pay.example/r?a=1&b=2" in ticket.details
    assert "&amp;" not in ticket.details + ticket.summary
    [card] = _posted_to(fake, ticket.channel_id)
    shown = json.dumps(card["blocks"])
    assert "the sdk widget &amp; export crash" in shown and "<https://pay.example/r?a=1&amp;b=2>" in shown
    assert "&amp;amp;" not in shown


# ---- 2. files in a DM ----------------------------------------------------------------------------------
FILES = [{"id": "F0RCPT", "name": "receipt.pdf", "permalink": "https://acme.slack.com/files/U0ANA/F0RCPT/receipt.pdf"},
         {"id": "F0SHOT", "name": "screen  shot.png", "permalink": "https://acme.slack.com/files/U0ANA/F0SHOT/s.png"}]


def test_a_dm_with_files_is_answered_and_passes_each_file_along(slack, fake):
    slack.event(dm("slk-echo 1 see &amp; fix", subtype="file_share", files=FILES, upload=False))
    fake.wait_for("chat.postMessage")
    assert _echoed() == ["see & fix\n"
                         "Attached: receipt.pdf https://acme.slack.com/files/U0ANA/F0RCPT/receipt.pdf\n"
                         "Attached: screen shot.png https://acme.slack.com/files/U0ANA/F0SHOT/s.png"]


def test_a_file_sent_to_support_by_dm_is_on_the_ticket(make_slack, fake):
    slack = _support(make_slack)
    slack.event(dm("support the sdk crashes on init", subtype="file_share", files=FILES[:1], user=CORA["user"],
                   channel="D0CORA"), team=CORA["team"])
    assert "is open" in _dm_answer(fake, "D0CORA")
    assert slack.adapter.wait_idle()
    ticket = Ticket.get()
    assert "Attached: receipt.pdf https://acme.slack.com/files/U0ANA/F0RCPT/receipt.pdf" in ticket.details
    [card] = _posted_to(fake, ticket.channel_id)
    assert "<https://acme.slack.com/files/U0ANA/F0RCPT/receipt.pdf>" in json.dumps(card["blocks"])


def test_bot_posts_edits_and_deletions_are_still_ignored(slack, fake):
    ignored = [
        dm("slk-echo 1 a", subtype="file_share", files=FILES, bot_id="B0BOT"),   # a bot sharing a file
        dm("slk-echo 1 b", subtype="bot_message", files=FILES),
        dm("slk-echo 1 c", subtype="message_changed"),
        dm("slk-echo 1 d", subtype="message_deleted"),
        dm("slk-echo 1 e", subtype="thread_broadcast"),
        dm("slk-echo 1 f", subtype="channel_join"),
    ]
    for event in ignored:
        assert slack.event(event).status_code == 200
    assert slack.adapter.wait_idle()
    assert fake.calls == [] and _echoed() == []


# ---- 3. DM threads -------------------------------------------------------------------------------------
def test_a_command_typed_in_a_dm_thread_is_answered_in_that_thread(slack, fake):
    slack.event(dm("slk-greet Dora", ts="1700000009.000900", thread_ts="1700000005.000500"))
    call = fake.wait_for("chat.postMessage")[0].body
    assert call["channel"] == "D0ANA" and call["thread_ts"] == "1700000005.000500"
    slack.event(dm("slk-greet Eve", ts="1700000010.001000"))               # not in a thread: the DM itself
    second = fake.wait_for("chat.postMessage", 2)[1].body
    assert second["channel"] == "D0ANA" and "thread_ts" not in second


# ---- 4. long answers -------------------------------------------------------------------------------------
def _sections(answer: dict) -> list[str]:
    return [b["text"]["text"] for b in answer["blocks"] if b["type"] == "section"]


def _whole(chunk: str) -> bool:
    """No entity and no <…> cut in half."""
    return (not re.search(r"&(?!amp;|lt;|gt;)", chunk) and not re.search(r"<[^>]*$|^[^<]*>", chunk)
            and chunk.count("<") == chunk.count(">"))


def test_a_long_answer_is_split_between_entities_and_links_never_inside(slack, fake):
    # An entity across character 3000: "a"*996 + "&amp;" three times puts the third one at 2998-3003.
    _, rid = slack.command("slk-echo", "3 " + "a" * 996 + "&amp;")
    first = _sections(_answer(fake, rid))
    assert [len(c) for c in first] == [2998, 5] and first == ["a" * 996 + "&amp;" + "a" * 996 + "&amp;" + "a" * 996,
                                                         "&amp;"]
    assert all(_whole(c) for c in first)
    # A link across character 3000: the cut is at the space before it.
    unit = "b" * 1480 + " https://example.com/cccccccccc ."
    _, rid = slack.command("slk-echo", "2 " + unit)
    second = _sections(_answer(fake, rid))
    link = "<https://example.com/cccccccccc>"
    assert len(second) == 2 and all(len(c) <= 3000 and _whole(c) for c in second)
    assert second[1].startswith(link) and second[0].count(link) == 1


# ---- 8. no ping from user text -----------------------------------------------------------------------------
# As Slack delivers what a user typed: @channel @here @everyone, a user group (with and without its handle),
# a person, and the literal text "<!channel>" (escaped by Slack).
HOSTILE = ("<!channel> <!here> <!everyone> <!subteam^S0OPS|@ops-team> <!subteam^S0OPS> <@U0LEELEAD> "
           "&lt;!here&gt; the sdk crashes on init")
BROADCAST = re.compile(r"@(here|channel|everyone)\b", re.IGNORECASE)


def _everything_sent(fake) -> list[str]:
    """Every text and block the bot sent anywhere (posts, ephemerals, edits, response_urls)."""
    return [json.dumps({k: c.body.get(k) for k in ("text", "blocks")}, ensure_ascii=False)
            for c in fake.calls if c.method in ("chat.postMessage", "chat.postEphemeral", "chat.update")
            or c.method.startswith("response:")]


def test_nothing_a_user_types_pings_anyone_and_the_on_call_person_still_is(make_slack, fake):
    slack = _support(make_slack)
    runner = slack.runner
    # The demo's on-call shift follows the real time: put Sam on call on the test's clock.
    sam = Identity.get((Identity.platform == "slack") & (Identity.user_id == "U0SAMSUPP")).person
    oncall.add_shift(oncall.default_team(runner.app.settings), sam, runner.clock() - timedelta(hours=1),
                     runner.clock() + timedelta(days=60))

    slack.event(dm("support " + HOSTILE, user=CORA["user"], channel="D0CORA"), team=CORA["team"])  # a DM
    fake.wait_for("chat.postMessage")
    # a slash command, about more than the DM was (the same question again would be offered "add it to #1?")
    _, rid = slack.command("support", HOSTILE + " and now the webhook signature check, the refunds endpoint and the "
                           "payouts report fail for every merchant in production", **CORA)
    _answer(fake, rid)
    slack.event({"type": "app_mention", "channel": "C0GENERAL", "user": CORA["user"],             # a mention
                 "ts": "1700000003.000300", "text": f"<@{BOT}> slk-echo 1 {HOSTILE}"}, team=CORA["team"])
    assert slack.adapter.wait_idle()
    tickets = list(Ticket.select().order_by(Ticket.id))
    assert len(tickets) == 2 and "@channel @here @everyone @ops-team" in tickets[0].details
    cards = _posted_to(fake, tickets[0].channel_id, 2)                     # the staff cards show the text...
    assert all("the sdk crashes on init" in json.dumps(c["blocks"]) for c in cards)

    runner.clock.advance(days=20)                                           # ...and the SLA escalates
    assert sweeper.sweep(now=runner.clock(), settings=runner.app.settings).notified
    slack.adapter.sender.kick()
    while not any("(on call) escalation" in s for s in _everything_sent(fake)):
        fake.wait_for("chat.postMessage", len(fake.called("chat.postMessage")) + 1)
    sent = _everything_sent(fake)
    assert len(sent) >= 8
    for body in sent:
        assert "<!" not in body, body                          # no <!channel>, <!here>, <!everyone>, <!subteam^…>
        assert not BROADCAST.search(body), body                # no bare @here either (a word joiner follows the @)
        assert "<@U0LEELEAD>" not in body, body                # the person a user typed is named, not pinged
    escalation = next(s for s in sent if "(on call) escalation" in s)
    assert "<@U0SAMSUPP> (on call) escalation" in escalation   # the person the core names is pinged


def test_in_a_shared_channel_the_community_is_the_users_organisation_not_the_hosts():
    from adapters.slack import translate

    event = {"team_id": "THOST", "event_id": "Ev1", "event": {
        "type": "app_mention", "user": "UGUEST", "text": "<@UBOT> whoami", "channel": "CSHARED", "ts": "1.2",
        "team": "TGUEST", "user_team": "TGUEST", "source_team": "TGUEST"}}
    assert translate.from_message_event(event).community_id == "TGUEST"
    own = {"team_id": "THOST", "event": {"type": "app_mention", "user": "UHOME", "text": "<@UBOT> hi",
                                         "channel": "CSHARED", "ts": "1.3"}}
    assert translate.from_message_event(own).community_id == "THOST"  # no user team given: the workspace
    press = {"type": "block_actions", "team": {"id": "THOST"}, "user": {"id": "UGUEST", "team_id": "TGUEST"},
             "channel": {"id": "CSHARED"}, "actions": [{"action_id": "chatops:0", "value": "tok.claim"}]}
    _, inv = translate.from_block_action(press, press["actions"][0])
    assert inv.community_id == "TGUEST"
