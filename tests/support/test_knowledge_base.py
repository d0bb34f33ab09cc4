"""The knowledge base: full-text search on the database's own engine, `kb`, articles offered by `/support`
before a ticket, and a resolved ticket's answer kept as an article. Runs on SQLite (FTS5) and PostgreSQL
(tsvector) alike."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from chatops.support import kb, search
from chatops.support.models import Article, Deflection, Ticket, TicketEvent

from .helpers import CORA, MAX, SAM, audited, events, last_ticket

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)


def _article(title, body, tags="", types="", tiers="", published=True) -> Article:
    return Article.create(title=title, body=body, tags=tags, ticket_types=types, tiers=tiers, published=published,
                          created_at=NOW, updated_at=NOW)


@pytest.fixture
def articles(sup):
    a = _article("How callbacks work", "A callback is an HTTP POST we send to your URL when a payment changes state. "
                 "We retry with backoff until you answer 2xx.", tags="callbacks, webhooks, notifications",
                 types="external_dev_inquiry")
    b = _article("Sending the device id with the Android SDK", "Call setDeviceId at init with the id from "
                 "Settings.Secure; the SDK sends it with every payment.", tags="android, device id, sdk",
                 types="external_dev_inquiry")
    c = _article("Dedicated prelive environments", "Partners get their own prelive host.", tags="prelive, partners",
                 tiers="premium")
    d = _article("Draft about refunds", "not ready", tags="refunds", published=False)
    return sup, (a, b, c, d)


def test_search_uses_the_engine_stemming_and_ranking(articles):
    sup, (a, b, c, d) = articles
    hits = [i for i, _ in search.article_hits("callback", mode="all")]  # singular finds "callbacks": stemming
    assert hits[0] == a.id
    assert [i for i, _ in search.article_hits("android device", mode="all")] == [b.id]
    assert search.article_hits("android callbacks", mode="all") == []          # every word must match
    assert {i for i, _ in search.article_hits("android callbacks", mode="any")} == {a.id, b.id}
    assert search.article_hits("refunds", mode="all") == []                    # unpublished is never found


def test_the_index_follows_edits_and_deletes(articles):
    sup, (a, *_rest) = articles
    a.title, a.tags, a.body = "Payment notifications", "notifications", "We POST to your URL."
    a.save()
    assert search.article_hits("callbacks", mode="all") == []
    assert [i for i, _ in search.article_hits("notifications", mode="all")] == [a.id]
    a.delete_instance()
    assert search.article_hits("notifications", mode="all") == []


@pytest.mark.parametrize("query", ['"', 'NEAR(callbacks', 'callbacks)', '*', '-', 'callbacks AND OR NOT',
                                   "'; DROP TABLE kb_article; --", "device\x00id", "é\u202e callbacks", "x" * 5000])
def test_hostile_search_text_gets_an_answer_not_an_error(articles, query):
    sup, _ = articles
    r = sup.invoke(f"kb {query}", **MAX)
    assert "went wrong" not in r.text.lower() and "traceback" not in r.text.lower()
    assert Article.select().count() == 4


def test_kb_command_searches_reads_and_respects_tiers(articles):
    sup, (a, b, c, d) = articles
    r = sup.invoke("kb callbacks", **MAX)
    assert f"KB-{a.id}: How callbacks work" in r.text and "Android" not in r.text
    r = sup.invoke(f"kb {b.id}", **MAX)
    assert "setDeviceId" in r.text
    assert "no article" in sup.invoke(f"kb KB-{c.id}", **MAX).text.lower()   # premium only: general may not
    assert "own prelive host" in sup.invoke(f"kb KB-{c.id}", **CORA).text   # a premium partner may
    assert "own prelive host" in sup.invoke(f"kb {c.id}", **SAM).text       # staff see all
    assert "no article" in sup.invoke(f"kb {d.id}", **SAM).text.lower()      # unpublished: nobody
    r = sup.invoke('kb "device id" -ios', **MAX)
    assert f"KB-{b.id}" in r.text
    r = sup.invoke("kb callbacks android", **MAX)                           # no article has both: partial
    assert "some of those words" in r.text and f"KB-{a.id}" in r.text and f"KB-{b.id}" in r.text
    assert "no article matches" in sup.invoke("kb quantum entanglement", **MAX).text.lower()


def test_support_offers_the_article_first_and_that_answers_it_counts_as_a_deflection(articles):
    sup, (a, *_rest) = articles
    offer = sup.invoke("support How do callbacks work?", channel_id="C0MAKERDAO", **CORA)
    assert f"KB-{a.id}: How callbacks work" in offer.text and "That answers it" in offer.text
    assert Ticket.select().count() == 0
    done = sup.press("That answers it", result=offer, **CORA)
    assert "No ticket was opened" in done.text
    assert Ticket.select().count() == 0
    assert Deflection.get().outcome == "solved" and Deflection.get().command == f"kb:{a.id}"
    assert Article.get_by_id(a.id).answered == 1


def test_still_need_help_opens_the_ticket_with_the_articles_noted(articles):
    sup, (a, *_rest) = articles
    offer = sup.invoke("support How do callbacks work?", channel_id="C0MAKERDAO", **CORA)
    r = sup.press("I still need help", result=offer, **CORA)
    assert "Ticket #1 is open" in r.text
    t = last_ticket()
    assert events(t) == ["opened", "note"]
    note = TicketEvent.get((TicketEvent.ticket == t.id) & (TicketEvent.kind == "note"))
    assert note.internal and f"KB-{a.id}" in note.body and "How callbacks work" in note.body
    assert Article.get_by_id(a.id).not_answered == 1 and Article.get_by_id(a.id).answered == 0


def test_an_unrelated_question_is_not_offered_an_article(articles):
    sup, _ = articles
    r = sup.invoke("support my payout from last week is late", channel_id="C0MAKERDAO", **CORA)
    assert "This may answer it" not in r.text and not re.search(r"KB-\d+:", r.text)


def test_a_tier_limited_article_is_not_offered_to_other_tiers(articles):
    sup, (a, b, c, d) = articles
    r = sup.invoke("support do partners get a dedicated prelive environment", **MAX)
    assert f"KB-{c.id}" not in r.text
    r = sup.invoke("support do partners get a dedicated prelive environment", channel_id="C0MAKERDAO", **CORA)
    assert f"KB-{c.id}" in r.text


def test_a_resolved_tickets_answer_becomes_an_article_in_one_step(sup):
    sup.invoke("support the webhook signature check fails for every event we get", channel_id="C0MAKERDAO", **CORA)
    t = last_ticket()
    assert "resolve it first" in sup.invoke(f"kb-from-ticket {t.id}", **SAM).text
    sup.invoke(f"ticket reply {t.id} Compute the HMAC over the raw body, not the parsed JSON.", **SAM)
    sup.invoke(f"ticket resolve {t.id}", **SAM)
    assert sup.invoke(f"kb-from-ticket {t.id}", **CORA).is_error               # staff only
    r = sup.invoke(f"kb-from-ticket {t.id} Webhook signatures fail", **SAM)
    assert not r.is_error, r.text
    article = Article.get()
    assert article.title == "Webhook signatures fail" and article.source_ticket_id == t.id
    assert "HMAC over the raw body" in article.body and "signature check fails" in article.body
    assert article.ticket_types == t.category
    assert "kb_article" in events(t) and audited("ticket:kb_article")
    assert f"KB-{article.id}" in sup.invoke("kb webhook signature", **MAX).text   # searchable at once


def test_answers_for_needs_most_of_the_question(articles):
    sup, (a, b, *_rest) = articles
    assert [h.article.id for h in kb.answers_for("how do callbacks work", None)] == [a.id]
    assert kb.answers_for("android payout late refund chargeback", None) == []   # one word of five


def test_emptying_a_sqlite_database_keeps_the_full_text_index_sound(tmp_path):
    """chatops.testing.truncate_all leaves FTS5's tables to their triggers: inserts and searches work after it."""
    from chatops import schema
    from chatops.db import connect, database
    from chatops.models import Person
    from chatops.testing import truncate_all

    db = connect(f"sqlite:///{tmp_path / 't.db'}")
    database.initialize(db)
    schema.upgrade(db)
    person = Person.create(name="p")
    Ticket.create(requester=person, platform="slack", requester_user_id="U1", summary="old", details="x",
                  created_at=NOW)
    _article("How callbacks work", "We POST.")
    truncate_all(db)
    person = Person.create(name="p")
    Ticket.create(requester=person, platform="slack", requester_user_id="U1", summary="new", details="y",
                  created_at=NOW)
    a = _article("Webhook signatures", "HMAC.")
    assert [i for i, _ in search.article_hits("webhook", mode="all")] == [a.id]
    assert search.article_hits("callbacks", mode="all") == []
    db.close()
