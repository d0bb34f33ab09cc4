"""Intake, classification, routing, deflection and entitlement, driven through the router."""
from __future__ import annotations

import re

import pytest

from chatops.models import Community, PlatformRoleMapping, Tier
from chatops.support.models import Deflection, KeywordRule, SupportRoute, Ticket

from .helpers import CORA, MAX, PAT, PIA, SAM, TIA, audited, events, last_ticket, outbox_to


def test_text_intake_classifies_by_keywords_and_routes_dev_problems_to_the_bug_queue(sup):
    r = sup.invoke("support my .NET SDK is giving me errors", channel_id="C0MAKERDAO", **CORA)
    assert not r.is_error, r.text
    t = last_ticket()
    assert (t.category, t.classified_by, t.channel_id) == ("external_dev_problem", "keywords", "C0BUGQUEUE")
    assert t.tier.slug == "premium" and t.community.slug == "maker-dao" and not t.needs_triage
    assert r.reply.ephemeral and "Ticket #1 is open" in r.text
    [card] = outbox_to("C0BUGQUEUE")
    assert "Claim" in str(card.reply)
    assert events(t) == ["opened"] and audited("ticket:opened")[0].actor.startswith("slack:U0CORACUST")


def test_requester_choice_beats_keywords(sup):
    sup.invoke("support category=external_dev_inquiry urgency=high the SDK error docs are unclear",
               channel_id="C0MAKERDAO", **CORA)
    t = last_ticket()
    assert (t.category, t.classified_by, t.urgency) == ("external_dev_inquiry", "requester", "high")
    assert t.details == "the SDK error docs are unclear"


def test_form_fields_arrive_as_arguments(sup):
    r = sup.invoke(command="support", arguments=(("category", "external ops problem"), ("urgency", "urgent"),
                                                  ("summary", "Odd thing"), ("details", "odd behaviour since Monday")),
                   channel_id="C0MAKERDAO", **CORA)
    t = last_ticket()
    assert not r.is_error, r.text
    assert (t.category, t.urgency, t.summary, t.details) == ("external_ops_problem", "urgent", "Odd thing",
                                                              "odd behaviour since Monday")
    bad = sup.invoke(command="support", arguments=(("category", "gossip"), ("details", "x")), **CORA)
    assert bad.is_error and "category" in bad.text


def test_text_with_apostrophes_is_kept_verbatim(sup):
    r = sup.invoke('support summary="Login broken" it says error 500 when I log in', **CORA)
    assert not r.is_error, r.text
    assert last_ticket().summary == "Login broken"


def test_unclassified_text_is_flagged_for_triage_but_still_routed_by_tier(sup):
    sup.invoke("support something odd happened", channel_id="C0TECHSUP", **MAX)
    t = last_ticket()
    assert t.category is None and t.classified_by == "triage" and t.needs_triage
    assert t.channel_id == "C0TECHSUP"


def test_no_matching_route_goes_to_the_triage_channel_flagged(sup):
    SupportRoute.delete().where(SupportRoute.tier == Tier.get(Tier.slug == "general")).execute()
    sup.invoke("support how do callbacks work", **MAX)
    t = last_ticket()
    assert t.route is None and t.channel_id == "C0TRIAGE" and t.needs_triage
    assert "Needs triage" in str(outbox_to("C0TRIAGE")[0].reply)


@pytest.mark.parametrize("who, text, channel", [
    (MAX, "how do callbacks work", "C0TECHSUP"),                 # general tier
    (CORA, "how do callbacks work", "C0MAKERDAO"),               # partner community beats the premium tier
    (PAT, "how do callbacks work", "C0METAGAME"),
    (TIA, "how do callbacks work", "C0TITHING"),                 # tithing tier channel
    (PIA, "how do callbacks work", "C0TECHSUP"),                 # not permitted → general
    (CORA, "category=internal_task rename the team workspace", "C0INTERNAL"),  # type beats community
    (SAM, "how do callbacks work", "C0INTERNAL"),                # staff → internal tier
    (MAX, "the endpoint X is not working", "C0BUGQUEUE"),        # bug queue, not the product backlog
])
def test_most_specific_route_wins(sup, who, text, channel):
    r = sup.invoke(f"support {text}", **who)
    assert not r.is_error, r.text
    assert last_ticket().channel_id == channel


def test_discord_partner_role_grants_premium_routing(sup):
    premium = Tier.get(Tier.slug == "premium")
    PlatformRoleMapping.create(platform="discord", external_role="partner", tier=premium,
                               community=Community.get(Community.slug == "general"))
    sup.invoke("support how do callbacks work", as_="discord:555000000000000001",
               community_id="100000000000000001", platform_roles=frozenset({"partner"}))
    t = last_ticket()
    assert t.tier.slug == "premium" and t.channel_id == "300000000000000002"
    sup.invoke("support how do callbacks work", as_="discord:555000000000000002", community_id="100000000000000001")
    assert last_ticket().channel_id == "300000000000000001"


def test_keyword_rules_are_data(sup):
    sup.invoke("support the frobnicator jammed", **MAX)
    assert last_ticket().category is None
    KeywordRule.create(category="external_ops_problem", keywords="frobnicator")
    sup.invoke("support a frobnicator rattles", **MAX)  # (not the same words: that would offer "add it to #1")
    assert last_ticket().category == "external_ops_problem"


def test_direct_message_intake(sup):
    r = sup.invoke("support how do callbacks work", channel_id="D0CORA", is_direct=True, **CORA)
    assert not r.is_error, r.text
    t = last_ticket()
    assert t.origin_channel_id == "D0CORA" and t.channel_id == "C0MAKERDAO"


def test_empty_support_asks_for_text(sup):
    r = sup.invoke("support", **MAX)
    assert r.is_error and "Tell us what you need" in r.text
    assert Ticket.select().count() == 0


# ---- deflection --------------------------------------------------------------------

def test_deflection_offer_then_solved_opens_no_ticket_and_is_counted(sup):
    r = sup.invoke("support please change my email to new@example.com", **CORA)
    assert "change-email" in r.text and set(r.buttons) == {"That solved it", "I still need help"}
    assert Ticket.select().count() == 0
    sup.press("That solved it", **CORA)
    assert Ticket.select().count() == 0
    assert Deflection.get().outcome == "solved"
    digest = sup.invoke("support-digest", **SAM)
    assert re.search(r"Deflected \(7 d\)\s+1$", digest.text)


def test_deflection_still_need_help_opens_the_ticket_once(sup):
    offer = sup.invoke("support please change my email to new@example.com", channel_id="C0MAKERDAO", **CORA)
    assert sup.press("I still need help", result=offer, as_="slack:U0MAXMEMB").is_error  # not theirs
    r = sup.press("I still need help", result=offer, **CORA)
    assert "Ticket #1 is open" in r.text
    t = last_ticket()
    # a customer asks: the request is typed on the external side (who asks decides internal vs external)
    assert t.category == "external_ops_problem" and t.origin_channel_id == "C0MAKERDAO"
    assert Deflection.get().outcome == "opened" and Deflection.get().ticket_id == t.id
    assert sup.press("I still need help", result=offer, **CORA).is_error  # used up
    assert Ticket.select().count() == 1


# ---- entitlement × channel × command ----------------------------------------------

ACTORS = {"general": MAX, "maker-dao": CORA, "tithing": TIA, "prospect": PIA, "staff": SAM}
CHANNELS = {"public": "C0TECHSUP", "premium": "C0PREMIUM", "maker-dao": "C0MAKERDAO", "tithing": "C0TITHING",
            "internal": "C0INTERNAL"}
ALLOWED = {  # (actor, channel) → may use `support` there
    ("general", "public"), ("maker-dao", "public"), ("tithing", "public"), ("prospect", "public"),
    ("maker-dao", "premium"), ("tithing", "premium"), ("maker-dao", "maker-dao"), ("tithing", "tithing"),
    *(("staff", c) for c in CHANNELS),
}


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("command", ["support how do callbacks work", "support-digest", "ticket claim 1"])
def test_entitlement_table(sup, actor, channel, command):
    if command != "support how do callbacks work":
        sup.invoke("support how do callbacks work", **SAM)  # ticket 1 exists
    r = sup.invoke(command, channel_id=CHANNELS[channel], **ACTORS[actor])
    staff_command = not command.startswith("support how")
    allowed = actor == "staff" if staff_command else (actor, channel) in ALLOWED
    if allowed:
        assert not r.is_error, r.text
        return
    assert r.is_error and r.reply.ephemeral
    if command == "support-digest":  # a staff command by policy: the role denial
        assert r.outcome == "denied" and "it is for staff" in r.text
        return
    if command == "ticket claim 1":  # someone else's ticket reads like a missing one
        assert r.outcome == "invalid" and "You have no ticket #1." in r.text
        return
    assert "instead" in r.text  # says where to go
    assert r.outcome == "denied"
    if actor in ("general", "prospect"):
        assert "partners" in r.text  # and how a community becomes a partner
    if actor == "general":
        assert "<#C0TECHSUP>" in r.text and "<#C0PREMIUM>" not in r.text
    if actor == "maker-dao":
        assert "<#C0MAKERDAO>" in r.text


def test_urgency_is_shown_to_staff_and_does_not_change_sla_targets(sup):
    # docs/support.md: urgency is informational; targets come from the tier only.
    sup.invoke("support urgency=urgent something odd happened", channel_id="C0TECHSUP", **MAX)
    urgent = last_ticket()
    sup.invoke("support urgency=low another strange thing occurred", channel_id="C0TECHSUP", **MAX)
    low = last_ticket()
    assert (urgent.urgency, low.urgency) == ("urgent", "low")
    assert (urgent.first_response_due, urgent.resolution_due) == (low.first_response_due, low.resolution_due)
    card = outbox_to("C0TECHSUP")[0]
    assert "urgent" in str(card.reply)


def test_asking_the_same_question_twice_opens_one_ticket(sup, clock):
    from chatops.support.models import Ticket
    from .helpers import MAX

    first = sup.invoke("support how do callbacks work for refunds?", channel_id="C0TECHSUP", **MAX)
    assert "is open" in first.text
    again = sup.invoke("support How do  callbacks work for refunds?", channel_id="C0TECHSUP", **MAX)
    assert "You asked this already" in again.text and Ticket.select().count() == 1
    other = sup.invoke("support how do webhooks sign their payloads?", channel_id="C0TECHSUP", **MAX)
    assert "is open" in other.text and Ticket.select().count() == 2  # a different question is a new ticket
    clock.advance(days=8)
    later = sup.invoke("support how do callbacks work for refunds?", channel_id="C0TECHSUP", **MAX)
    assert "is open" in later.text and Ticket.select().count() == 3  # a week later it is asked anew


def test_a_second_ticket_about_the_same_thing_offers_to_add_it_to_the_first(sup, clock):
    from chatops.support.models import Ticket, TicketEvent
    from .helpers import MAX, outbox_to

    sup.invoke("support the payout for acct_1004 from monday never arrived in our bank", channel_id="C0TECHSUP", **MAX)
    first = last_ticket()
    offer = sup.invoke("support still no payout in our bank for acct_1004, monday's one", channel_id="C0TECHSUP", **MAX)
    assert f"This looks like your ticket #{first.id}" in offer.text and Ticket.select().count() == 1
    assert sup.press(f"Add it to #{first.id}", result=offer, **CORA).is_error          # not theirs to press
    staff_before = len(outbox_to(first.channel_id))
    added = sup.press(f"Add it to #{first.id}", result=offer, **MAX)
    assert f"Added to ticket #{first.id}" in added.text and Ticket.select().count() == 1
    msg = TicketEvent.select().where((TicketEvent.ticket == first.id) & (TicketEvent.kind == "reply")).get()
    assert "still no payout" in msg.body and msg.data["from_requester"]
    assert len(outbox_to(first.channel_id)) == staff_before + 1                     # the team sees it
    offer = sup.invoke("support no payout in our bank for acct_1004 again", channel_id="C0TECHSUP", **MAX)
    new = sup.press("It's something else: open a new ticket", result=offer, **MAX)
    assert "is open" in new.text and Ticket.select().count() == 2
    other = sup.invoke("support how do I rotate my API keys", channel_id="C0TECHSUP", **MAX)
    assert "This looks like" not in other.text                                     # a different question
