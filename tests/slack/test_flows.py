"""Whole flows from Slack through the real Bolt app and the fake Web API: an ops change with the
two-person rule, and support deflection ("That solved it" / "I still need help")."""
from __future__ import annotations

from chatops import demo as core_demo
from chatops.models import AuditEvent, OutboundMessage
from chatops.ops import demo as ops_demo
from chatops.ops.demo_backend import DemoEvent, DemoSeller
from chatops.support import demo as support_demo
from chatops.support.models import Deflection, Ticket

from tests.slack.conftest import buttons_of

APPROVALS = "C0APPROVALS"
REQUEST = "sel_2001 long-standing seller, goodwill after outage"


def _answer(fake, rid: str) -> dict:
    return fake.wait_for("response:" + rid)[0].body


def _posted_to(fake, channel: str, count: int = 1) -> list[dict]:
    """The chat.postMessage calls the outbox sender made to ``channel`` (waiting for ``count``)."""
    def mine():
        return [c.body for c in fake.called("chat.postMessage") if c.body.get("channel") == channel]
    total = len(fake.called("chat.postMessage"))
    while len(mine()) < count:
        total += 1
        fake.wait_for("chat.postMessage", total)
    return mine()[:count]


# ---- ops: remove-seller-fee with a second person's approval ---------------------------------

def _ops(make_slack):
    slack = make_slack(CHATOPS_OPS_APPROVALS_SLACK_CHANNEL=APPROVALS)
    r = slack.runner
    ops_demo.seed(lambda _: None, now=r.clock())
    r.person("Sam Support", roles=["support"], identities=["slack:U0SAM"])
    r.person("Lee Lead", roles=["lead"], identities=["slack:U0LEE"])
    r.person("Liv Lead", roles=["lead"], identities=["slack:U0LIV"])
    return slack


def test_an_ops_change_is_approved_in_the_approvals_channel_and_runs_exactly_once(make_slack, fake):
    slack = _ops(make_slack)
    response, rid = slack.command("remove-seller-fee", REQUEST, user="U0SAM", channel="C0SUPPORT")
    assert response.status_code == 200 and response.data == b""
    preview = _answer(fake, rid)
    assert preview["response_type"] == "ephemeral"
    assert "Approval" in preview["text"] or "approves in" in str(preview["blocks"])
    assert f"<#{APPROVALS}>" in str(preview["blocks"])          # says where the approval will happen

    _, confirm_id = slack.press(buttons_of(preview["blocks"])["Confirm"], user="U0SAM", channel="C0SUPPORT",
                                ephemeral=True)
    sent = _answer(fake, confirm_id)
    assert sent["replace_original"] is True                       # the preview becomes "sent for approval"
    assert f"Sent for approval to <#{APPROVALS}>" in sent["text"]
    assert set(buttons_of(sent["blocks"])) == {"Withdraw"}
    assert DemoSeller.get_by_id("sel_2001").fee_bps == 300      # nothing changed yet

    [card] = _posted_to(fake, APPROVALS)                          # delivered by the outbox sender
    assert "Approval needed" in card["text"] and "U0SAM" in card["text"]
    approve = buttons_of(card["blocks"])["Approve"]
    assert set(buttons_of(card["blocks"])) == {"Approve", "Reject"}

    _, own_id = slack.press(approve, user="U0SAM", channel=APPROVALS)   # the requester may not approve
    own = _answer(fake, own_id)
    assert own["response_type"] == "ephemeral" and own["replace_original"] is False
    assert "a second person must approve" in own["text"]
    assert DemoSeller.get_by_id("sel_2001").fee_bps == 300

    _, first_id = slack.press(approve, user="U0LEE", channel=APPROVALS)   # a lead double-clicks
    _, second_id = slack.press(approve, user="U0LEE", channel=APPROVALS)
    done, again = sorted((_answer(fake, first_id), _answer(fake, second_id)),
                         key=lambda a: "already" in a["text"])
    assert done["replace_original"] is True                       # the card now shows the outcome
    assert "Approved by slack:U0LEE" in done["text"] and "now pays 0%" in done["text"]
    assert again["response_type"] == "ephemeral" and "already approved" in again["text"]

    _, late_id = slack.press(approve, user="U0LIV", channel=APPROVALS)   # another lead, later
    assert "already approved" in _answer(fake, late_id)["text"]

    [told] = _posted_to(fake, "C0SUPPORT")                        # the requester hears the verdict
    assert "approved by slack:U0LEE" in told["text"]
    assert slack.adapter.wait_idle()
    assert DemoSeller.get_by_id("sel_2001").fee_bps == 0
    assert DemoEvent.select().where(DemoEvent.label == "Seller fee removed").count() == 1
    events = list(AuditEvent.select().where(AuditEvent.command == "remove-seller-fee").order_by(AuditEvent.seq))
    # The double click's second press may be refused while the change is still being made: order aside,
    # the change is intent then outcome, once, and both extra presses are refused.
    assert [e.outcome for e in events if e.outcome != "refused"] == ["previewed", "pending_approval", "attempted",
                                                                      "executed"]
    executed = next(e for e in events if e.outcome == "executed")
    assert executed.actor.startswith("slack:U0SAM") and "approved by slack:U0LEE" in executed.detail
    assert sorted(e.actor[:11] for e in events if e.outcome == "refused") == ["slack:U0LEE", "slack:U0LIV"]
    assert AuditEvent.select().where(AuditEvent.outcome == "approved").count() == 1
    assert AuditEvent.select().where(AuditEvent.outcome == "denied").count() == 1   # the requester's own press
    slack.adapter.sender.stop()                                   # let it record what it delivered
    posted = OutboundMessage.get(OutboundMessage.channel_id == APPROVALS)
    assert posted.state == "sent" and posted.external_id


def test_a_rejected_ops_change_changes_nothing(make_slack, fake):
    slack = _ops(make_slack)
    _, rid = slack.command("remove-seller-fee", REQUEST, user="U0SAM", channel="C0SUPPORT")
    _, cid = slack.press(buttons_of(_answer(fake, rid)["blocks"])["Confirm"], user="U0SAM", ephemeral=True)
    _answer(fake, cid)
    [card] = _posted_to(fake, APPROVALS)
    _, bid = slack.press(buttons_of(card["blocks"])["Reject"], user="U0LIV", channel=APPROVALS)
    rejected = _answer(fake, bid)
    assert rejected["replace_original"] is True and "Rejected by slack:U0LIV" in rejected["text"]
    _, late = slack.press(buttons_of(card["blocks"])["Approve"], user="U0LEE", channel=APPROVALS)
    assert "already rejected" in _answer(fake, late)["text"]
    assert slack.adapter.wait_idle()
    assert DemoSeller.get_by_id("sel_2001").fee_bps == 300
    assert not DemoEvent.select().where(DemoEvent.label == "Seller fee removed").exists()


# ---- support: deflection --------------------------------------------------------------------

CORA = dict(user="U0CORACUST", team="T0MAKERDAO", channel="C0MAKERDAO")   # a partner's customer (demo seed)
QUESTION = "please change my email to new@example.com"


def _support(make_slack):
    slack = make_slack(CHATOPS_SUPPORT_TRIAGE_SLACK_CHANNEL="C0TRIAGE")
    core_demo.seed()
    support_demo.seed(lambda *_: None)
    return slack


def _offer(slack, fake) -> dict:
    response, rid = slack.command("support", QUESTION, **CORA)
    assert response.status_code == 200 and response.data == b""
    offer = _answer(fake, rid)
    assert offer["response_type"] == "ephemeral" and "change-email" in str(offer["blocks"])
    assert set(buttons_of(offer["blocks"])) == {"That solved it", "I still need help"}
    return buttons_of(offer["blocks"])


def test_support_deflection_that_solved_it_opens_no_ticket(make_slack, fake):
    slack = _support(make_slack)
    buttons = _offer(slack, fake)
    _, bid = slack.press(buttons["That solved it"], user=CORA["user"], team=CORA["team"], channel=CORA["channel"],
                         ephemeral=True)
    answer = _answer(fake, bid)
    assert answer["replace_original"] is True and "No ticket was opened" in answer["text"]
    _, again = slack.press(buttons["I still need help"], user=CORA["user"], team=CORA["team"],
                           channel=CORA["channel"], ephemeral=True)
    assert "already" in _answer(fake, again)["text"]                # the offer is used up
    assert slack.adapter.wait_idle()
    assert Ticket.select().count() == 0
    assert Deflection.get().outcome == "solved"


def test_support_deflection_still_need_help_opens_one_ticket_for_the_asker_only(make_slack, fake):
    slack = _support(make_slack)
    buttons = _offer(slack, fake)
    _, other = slack.press(buttons["I still need help"], user="U0MAXMEMB", team="T0GENERAL", channel=CORA["channel"],
                           ephemeral=True)
    refused = _answer(fake, other)
    assert refused["response_type"] == "ephemeral" and "only the person who asked" in refused["text"]

    _, first = slack.press(buttons["I still need help"], user=CORA["user"], team=CORA["team"],
                           channel=CORA["channel"], ephemeral=True)
    _, second = slack.press(buttons["I still need help"], user=CORA["user"], team=CORA["team"],
                            channel=CORA["channel"], ephemeral=True)       # a double click
    opened, again = sorted((_answer(fake, first), _answer(fake, second)), key=lambda a: "already" in a["text"])
    assert opened["replace_original"] is True and "Ticket #1 is open" in opened["text"]
    assert "already" in again["text"] and again["response_type"] == "ephemeral"
    assert slack.adapter.wait_idle()
    [ticket] = list(Ticket.select())
    assert ticket.origin_channel_id == "C0MAKERDAO" and ticket.platform == "slack"
    assert Deflection.get().outcome == "opened" and Deflection.get().ticket_id == ticket.id
    [card] = _posted_to(fake, ticket.channel_id)                  # the ticket card reaches its queue channel
    assert {"Claim"} <= set(buttons_of(card["blocks"]))
