"""Typing: who asks decides internal vs external, what is asked decides the kind; keyword rules and the tickets
the team typed (a retype teaches it); every typing explains itself; unsure → triage."""
from __future__ import annotations

from chatops.support import classify
from chatops.support.models import KeywordRule, Ticket, TicketEvent

from .helpers import CORA, LEE, PAT, SAM, last_ticket


def test_who_asks_decides_the_side_what_is_asked_decides_the_kind(sup):
    offer = sup.invoke("support the batch was not processed for acct_7", **LEE)          # staff
    sup.press("I still need help", result=offer, **LEE)                                # past the self-serve offer
    staff = last_ticket()
    offer = sup.invoke("support the batch was not processed for my account", channel_id="C0MAKERDAO", **CORA)
    sup.press("I still need help", result=offer, **CORA)
    customer = last_ticket()
    assert customer.id != staff.id
    assert staff.category == "internal_ops_problem"
    assert customer.category == "external_ops_problem"      # same kind of problem, asked from outside
    assert "asked from outside" in customer.typed_why and "rule 'batch'" in customer.typed_why


def test_a_retype_is_a_correction_typing_learns_from(sup):
    sup.invoke("support the frobnicator widget wobbles on checkout", channel_id="C0MAKERDAO", **CORA)
    first = last_ticket()
    assert first.category is None and first.needs_triage and first.classified_by == "triage"
    sup.invoke(f"ticket type {first.id} external_dev_problem", **SAM)
    assert Ticket.get_by_id(first.id).classified_by == "staff"
    sup.invoke("support our frobnicator widget wobbles again", channel_id="C0METAGAME", **PAT)  # another customer
    second = last_ticket()
    assert second.category == "external_dev_problem" and second.classified_by == "similar"
    assert f"like #{first.id}" in second.typed_why
    opened = TicketEvent.get((TicketEvent.ticket == second.id) & (TicketEvent.kind == "opened"))
    assert opened.data["why"] == second.typed_why


def test_rules_weights_still_count_and_are_named(sup):
    t = classify.type_ticket("the sdk says error", internal=False)
    assert (t.category, t.how) == ("external_dev_problem", "keywords") and "'sdk'" in t.why
    KeywordRule.create(category="external_dev_inquiry", keywords="says", weight=10)
    t = classify.type_ticket("the sdk says error", internal=False)
    assert t.category == "external_dev_inquiry"


def test_unsure_goes_to_triage_with_the_reason(sup):
    # one rule for an ops problem, one for a dev problem, equal weight: 50/50 is below the confidence needed
    t = classify.type_ticket("refund exception", internal=False)
    assert t.category is None and t.how == "triage" and t.why.startswith("not sure (")
    assert t.confidence < classify.CONFIDENCE
    nothing = classify.type_ticket("hello there", internal=False)
    assert nothing.category is None and "no rule matched" in nothing.why


def test_the_requesters_choice_wins(sup):
    t = classify.type_ticket("the sdk says error", "external_dev_inquiry", internal=False)
    assert (t.category, t.how) == ("external_dev_inquiry", "requester")


def test_the_card_says_why(sup):
    sup.invoke("support my .NET SDK is giving me errors", channel_id="C0MAKERDAO", **CORA)
    t = last_ticket()
    from chatops.support import tickets
    assert t.typed_why in tickets.card(t).plain_text()


def test_the_model_learns_a_retype_in_the_background_without_making_anyone_wait(sup):
    import threading
    from datetime import datetime, timezone

    from chatops.support import demo as support_demo, learned

    support_demo.seed_history(lambda *_: None, now=datetime(2026, 12, 1, tzinfo=timezone.utc))
    learned.forget()
    first = learned.model()
    assert first is not None and first.size >= 400 and set(first.kinds) == {"task", "ops_problem", "dev_inquiry",
                                                                             "dev_problem"}
    t = Ticket.select().where(Ticket.state == "open", Ticket.category == "external_dev_inquiry").first()
    sup.invoke(f"ticket type {t.id} external_dev_problem", **SAM)
    assert learned.model() is first                      # still answering with the model it has
    for thread in [th for th in threading.enumerate() if th.name == "chatops-typing-train"]:
        thread.join(60)
    second = learned.model()
    assert second is not first and second.key != first.key
    texts, kinds = learned._training()
    assert kinds[texts.index(f"{t.summary} {t.details}")] == "dev_problem"   # the correction is in what it learned
