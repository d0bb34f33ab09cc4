"""The bug queue as a queue: retyping re-runs routing (into and out of the bug queue, audited), `bug-queue`
lists it for staff, `bug-link` ties a bug to its issue and tells the requester once when it is fixed, and
the digest shows the bug queue apart from the rest."""
from __future__ import annotations

import json

import pytest

from chatops.models import OutboundMessage
from chatops.reply import Reply
from chatops.support import bugs, digest, sweeper, tickets
from chatops.support.bugs import BugLink
from chatops.support.models import SupportRoute, SupportTeam, Ticket, TicketEvent

from .helpers import CORA, MAX, SAM, audited, events, last_ticket, outbox_to

BUG_QUEUE, MAKER_DAO, TRIAGE, GENERAL = "C0BUGQUEUE", "C0MAKERDAO", "C0TRIAGE", "C0TECHSUP"
ISSUE = "https://github.com/acme/sdk/issues/481"


def _texts(messages: list[OutboundMessage]) -> list[str]:
    return [Reply.from_dict(m.reply).plain_text() for m in messages]


def _open(sup, text: str, who=CORA, **fields) -> Ticket:
    fields.setdefault("channel_id", MAKER_DAO if who is CORA else GENERAL)
    r = sup.invoke(f"support {text}", **who, **fields)
    if "I still need help" in r.buttons:  # past a self-serve offer
        r = sup.press("I still need help", result=r, **who)
    assert "is open" in r.text, r.text
    return last_ticket()


def _bug(sup, text: str, who=CORA, **fields) -> Ticket:
    t = _open(sup, f"category=external_dev_problem {text}", who, **fields)
    assert t.channel_id == BUG_QUEUE
    return t


# ---- retyping re-runs routing ---------------------------------------------------------------------------

def test_retyping_into_the_bug_queue_moves_it_posts_the_card_there_and_audits_it(sup):
    t = _open(sup, "the frobnicator widget wobbles on checkout")
    assert (t.category, t.needs_triage, t.channel_id) == (None, True, MAKER_DAO)
    assert tickets.card_key(t) == f"ticket:{t.id}:opened"
    r = sup.invoke(f"ticket type {t.id} external_dev_problem", **SAM)
    assert not r.is_error, r.text
    t = Ticket.get_by_id(t.id)
    route = SupportRoute.get_by_id(t.route_id)
    assert (t.category, t.channel_id, route.name, t.needs_triage) == ("external_dev_problem", BUG_QUEUE, "bug queue",
                                                                      False)
    assert t.team_id == SupportTeam.get(SupportTeam.slug == "support").id
    # the card in the bug queue, with its buttons; the old channel hears where it went
    cards = [m for m in outbox_to(BUG_QUEUE) if m.dedupe_key == f"ticket:{t.id}:moved:1"]
    assert len(cards) == 1 and cards[0].thread_id is None  # Slack: no thread request
    card = Reply.from_dict(cards[0].reply)
    assert f"Ticket #{t.id} moved here from <#{MAKER_DAO}>" in card.plain_text()
    assert "external dev problem" in card.plain_text() and card.button_ids()
    assert any(f"moved to <#{BUG_QUEUE}>" in text for text in _texts(outbox_to(MAKER_DAO)))
    assert t.id in [b.id for b in bugs.open_bugs()]
    # one event and its audit event, naming both channels
    ev = _typed(t)
    assert ev.data["moved"] is True and ev.data["previous_channel"] == MAKER_DAO and ev.data["channel"] == BUG_QUEUE
    assert ev.data["previous"] is None and ev.data["category"] == "external_dev_problem"
    assert ev.data["card"] == tickets.card_key(t) == f"ticket:{t.id}:moved:1"  # the card to keep current now
    (audit_ev,) = audited("ticket:typed")
    assert "moved from #maker-dao-ts to #support-bug-queue" in audit_ev.detail
    assert audit_ev.actor.startswith("slack:U0SAMSUPP")


def _typed(t: Ticket) -> TicketEvent:
    return (TicketEvent.select().where((TicketEvent.ticket == t.id) & (TicketEvent.kind == "typed"))
            .order_by(TicketEvent.id.desc()).first())


def test_retyping_out_of_the_bug_queue_moves_it_back_to_its_tiers_channel(sup):
    t = _bug(sup, "the .NET SDK throws on init")
    sup.invoke(f"ticket claim {t.id}", **SAM)
    r = sup.invoke(f"ticket type {t.id} external_dev_inquiry", **SAM)
    assert not r.is_error, r.text
    t = Ticket.get_by_id(t.id)
    assert (t.category, t.channel_id, SupportRoute.get_by_id(t.route_id).name) == ("external_dev_inquiry", MAKER_DAO,
                                                                                   "maker-dao")
    assert t.state == "claimed" and t.assignee.name == "Sam Support"  # moving keeps who has it
    assert any(f"Ticket #{t.id} moved here from <#{BUG_QUEUE}>" in x for x in _texts(outbox_to(MAKER_DAO)))
    assert any(f"moved to <#{MAKER_DAO}>" in x for x in _texts(outbox_to(BUG_QUEUE)))
    assert t.id not in [b.id for b in bugs.open_bugs()]
    assert "moved from #support-bug-queue to #maker-dao-ts" in audited("ticket:typed")[-1].detail
    assert tickets.card_key(t) == f"ticket:{t.id}:moved:1"  # the first move of this one (it opened in the queue)


def test_retyping_to_a_type_no_rule_routes_goes_to_triage_and_stays_flagged(sup):
    t = _bug(sup, "the .NET SDK throws on init", MAX, channel_id=GENERAL)
    SupportRoute.delete().where(SupportRoute.name == "general").execute()  # nothing routes the general tier now
    sup.invoke(f"ticket type {t.id} external_ops_problem", **SAM)
    t = Ticket.get_by_id(t.id)
    assert (t.channel_id, t.route_id, t.needs_triage) == (TRIAGE, None, True)
    assert "Needs triage" in _texts(outbox_to(TRIAGE))[-1]
    # typed again to what the bug queue takes: routed, no longer flagged
    sup.invoke(f"ticket type {t.id} external_dev_problem", **SAM)
    t = Ticket.get_by_id(t.id)
    assert (t.channel_id, t.needs_triage) == (BUG_QUEUE, False)


def test_retyping_within_the_same_channel_posts_nothing_new_and_an_unknown_type_is_refused(sup):
    t = _bug(sup, "the SDK throws on init")
    before = OutboundMessage.select().count()
    sup.invoke(f"ticket type {t.id} external_dev_problem", **SAM)
    assert [m.edits for m in OutboundMessage.select().order_by(OutboundMessage.id)][before:] == [
        f"ticket:{t.id}:opened"]  # only the card's edit
    assert "stays in #support-bug-queue" in audited("ticket:typed")[-1].detail
    bad = sup.invoke(f"ticket type {t.id} bugz", **SAM)
    assert bad.is_error and "bugz" in bad.text and "external_dev_problem" in bad.text
    empty = sup.invoke(f"ticket type {t.id}", **SAM)
    assert empty.is_error and "Name the ticket type" in empty.text
    assert Ticket.get_by_id(t.id).category == "external_dev_problem"


def test_a_resolved_ticket_is_rerouted_quietly_and_its_reopen_posts_in_the_new_channel(sup):
    t = _open(sup, "the frobnicator widget wobbles on checkout")
    sup.invoke(f"ticket resolve {t.id}", **SAM)
    before = len(outbox_to(BUG_QUEUE))
    sup.invoke(f"ticket type {t.id} external_dev_problem", **SAM)
    assert Ticket.get_by_id(t.id).channel_id == BUG_QUEUE
    assert [m.edits for m in outbox_to(BUG_QUEUE)[before:]] == [f"ticket:{t.id}:opened"]  # the first card's edit only
    sup.invoke(f"ticket reopen {t.id}", **SAM)
    assert any("was reopened" in x for x in _texts(outbox_to(BUG_QUEUE)))


# ---- bug-queue ------------------------------------------------------------------------------------------

def test_bug_queue_lists_age_sla_and_assignee_soonest_deadline_first(sup, clock):
    assert "The bug queue is empty" in sup.invoke("bug-queue", **SAM).text
    first = _bug(sup, "the SDK throws on init")
    clock.advance(hours=1)
    second = _bug(sup, "the endpoint returns 500 on refunds")
    _open(sup, "category=external_ops_problem my payout is late")  # not a bug: not listed
    r = sup.invoke("bug-queue", **SAM)
    assert not r.is_error and r.outcome == "allowed", r.text
    assert "Bug queue: 2 open" in r.text and "payout" not in r.text
    lines = r.text.splitlines()
    row = next(x for x in lines if f"#{first.id} " in x)
    assert "60 min old" in row and "first response due" in row and "on time" in row and "unclaimed" in row
    assert r.text.index(f"#{first.id} ") < r.text.index(f"#{second.id} ")  # first response due sooner
    # answered: the first one now races its (later) resolution deadline, so the second comes first
    sup.invoke(f"ticket claim {first.id}", **SAM)
    sup.invoke(f"ticket reply {first.id} Looking at it", **SAM)
    r = sup.invoke("bug-queue", **SAM)
    row = next(x for x in r.text.splitlines() if f"#{first.id} " in x)
    assert "resolution due" in row and "Sam Support" in row
    assert r.text.index(f"#{second.id} ") < r.text.index(f"#{first.id} ")
    assert [t.id for t in bugs.open_bugs()] == [second.id, first.id]


def test_bug_queue_is_for_staff(sup):
    _bug(sup, "the SDK throws on init")
    r = sup.invoke("bug-queue", **CORA)
    assert r.is_error and r.outcome == "denied" and "it is for staff" in r.text
    assert "`bug-queue" not in sup.invoke("help", **CORA).text
    assert "`bug-queue" in sup.invoke("help", **SAM).text


def test_bug_queue_output_is_bounded(sup, clock):
    for i in range(bugs.SHOWN + 2):
        _bug(sup, f"crash{i} alpha{i} beta{i} gamma{i} the SDK throws")  # different questions: no "add it to #1" offer
        clock.advance(minutes=1)
    r = sup.invoke("bug-queue", **SAM)
    assert f"Bug queue: {bugs.SHOWN + 2} open" in r.text and "2 more not shown" in r.text
    assert sum(1 for x in r.text.splitlines() if x.lstrip().startswith("#")) == bugs.SHOWN


def test_bug_queue_shows_breaches_and_links(sup, clock):
    t = _bug(sup, "the SDK throws on init")
    sup.invoke(f"bug-link {t.id} {ISSUE}", **SAM)
    clock.advance(days=3)
    sweeper.sweep(now=clock(), settings=sup.router.settings)
    row = next(x for x in sup.invoke("bug-queue", **SAM).text.splitlines() if f"#{t.id} " in x)
    assert "breached" in row and "was due" in row and "acme/sdk#481 (open)" in row


# ---- bug-link -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("url, problem", [
    ("javascript:alert(document.cookie)", "`javascript:` address; only http:// and https:// links are accepted"),
    ("ftp://files.example.com/bug.txt", "`ftp:` address; only http:// and https://"),
    ("data:text/html,hi", "`data:` address"),
    ("garbage", "not a link to an issue: it is not a web address"),
    ("github.com/acme/sdk/issues/1", "it needs https:// in front"),
    ("https://", "not a link to an issue"),
    ("https://intranet/issue/1", "has no host name"),
    ("https://me:secret@github.com/acme/sdk/issues/1", "user name or password"),
])
def test_bug_link_refuses_what_is_not_an_http_link_and_says_why(sup, url, problem):
    t = _bug(sup, "the SDK throws on init")
    r = sup.invoke(f"bug-link {t.id} {url}", **SAM)
    assert r.is_error and r.outcome == "invalid", r.text
    assert problem in r.text and "url" in r.text
    assert BugLink.select().count() == 0 and "bug_linked" not in events(t)


@pytest.mark.parametrize("url, tracker, external_id", [
    (ISSUE, "github", "acme/sdk#481"),
    ("https://github.com/acme/sdk/pull/77/files", "github", "acme/sdk#77"),
    ("https://gitlab.com/acme/mobile/android-sdk/-/issues/12", "gitlab", "acme/mobile/android-sdk#12"),
    ("https://git.acme.dev/team/sdk/-/merge_requests/3", "gitlab", "team/sdk#3"),
    ("https://acme.atlassian.net/browse/SDK-7", "jira", "SDK-7"),
    ("https://jira.acme.com/secure/RapidBoard.jspa?rapidView=1&selectedIssue=PAY-1042", "jira", "PAY-1042"),
    ("http://bugs.acme.com/show_bug.cgi?id=5", "other", ""),
    (f"<{ISSUE}|acme/sdk#481>", "github", "acme/sdk#481"),  # Slack's escaped link
])
def test_bug_link_reads_the_issue_id_from_the_address(sup, url, tracker, external_id):
    t = _bug(sup, "the SDK throws on init")
    r = sup.invoke(f"bug-link {t.id} {url}", **SAM)
    assert not r.is_error and r.outcome == "executed", r.text
    link = BugLink.get(BugLink.ticket == t.id)
    assert (link.tracker, link.external_id, link.state) == (tracker, external_id, "open")
    assert link.url.startswith("http") and link.linked_by.name == "Sam Support"
    assert (external_id or "bugs.acme.com") in r.text
    (ev,) = audited("ticket:bug_linked")
    assert json.loads(ev.arguments)["ticket"] == t.id and json.loads(ev.arguments)["tracker"] == tracker


def test_bug_link_is_for_staff_and_needs_a_ticket(sup):
    t = _bug(sup, "the SDK throws on init")
    r = sup.invoke(f"bug-link {t.id} {ISSUE}", **CORA)
    assert r.is_error and r.outcome == "denied"
    assert "There is no ticket #999" in sup.invoke(f"bug-link 999 {ISSUE}", **SAM).text
    bad = sup.invoke(f"bug-link {t.id} {ISSUE} done", **SAM)
    assert bad.is_error and "done" in bad.text and "wontfix" in bad.text
    assert BugLink.select().count() == 0


def test_marking_fixed_tells_the_requester_once(sup):
    t = _bug(sup, "the SDK throws on init", channel_id="D0CORADM")
    assert sup.invoke(f"bug-link {t.id} {ISSUE}", **SAM).outcome == "executed"
    assert outbox_to("D0CORADM") == []  # linking is not news for the requester
    r = sup.invoke(f"bug-link {t.id} {ISSUE} fixed", **SAM)
    assert not r.is_error and "requester was told" in r.text, r.text
    (told,) = outbox_to("D0CORADM")
    text = Reply.from_dict(told.reply).plain_text()
    assert f"ticket #{t.id}" in text and "fixed" in text and "acme/sdk#481" in text and ISSUE in text
    assert "<@U0CORACUST>" in text
    assert told.dedupe_key == f"bug-link:{BugLink.get().id}:fixed"
    # the same command again, a delivery repeated with its idempotency key, a regression and a second fix: no news
    again = sup.invoke(f"bug-link {t.id} {ISSUE} fixed", **SAM)
    assert "told already" in again.text and "Nothing changed" in again.text and again.outcome == "allowed"
    for _ in range(2):
        sup.invoke(f"bug-link {t.id} {ISSUE} fixed", idempotency_key="slack:retry:1", **SAM)
    sup.invoke(f"bug-link {t.id} {ISSUE} open", **SAM)
    sup.invoke(f"bug-link {t.id} {ISSUE} fixed", **SAM)
    assert len(outbox_to("D0CORADM")) == 1
    assert events(t).count("bug_fixed") == 1 and len(audited("ticket:bug_fixed")) == 1
    assert events(t).count("bug_state") == 3  # open → fixed → open → fixed
    link = BugLink.get()
    assert link.state == "fixed" and link.requester_told_at is not None and link.fixed_at is not None


def test_linking_straight_to_fixed_and_wontfix(sup):
    t = _bug(sup, "the SDK throws on init", channel_id="D0CORADM")
    sup.invoke(f"bug-link {t.id} https://github.com/acme/sdk/issues/1 wontfix", **SAM)
    assert outbox_to("D0CORADM") == [] and BugLink.get().state == "wontfix"
    sup.invoke(f"bug-link {t.id} https://github.com/acme/sdk/issues/2 fixed", **SAM)
    assert len(outbox_to("D0CORADM")) == 1  # each link is news once
    assert events(t).count("bug_linked") == 2 and events(t).count("bug_fixed") == 1


# ---- digest ---------------------------------------------------------------------------------------------

def _field(section: str, label: str) -> str:
    return next(line.strip()[len(label):].strip() for line in section.splitlines()
                if line.strip().startswith(label + " "))


def _section(text: str, title: str) -> str:
    start = text.index(title)
    nxt = [i for i in (text.find("\nBug queue", start + 1), text.find("\nTeam", start + 1)) if i > 0]
    return text[start:min(nxt) if nxt else len(text)]


def test_the_digest_shows_the_bug_queue_apart_from_the_rest(sup, clock):
    old_bug = _bug(sup, "the SDK throws on init")
    clock.advance(hours=2)
    _bug(sup, "the endpoint returns 500 on refunds")
    other = _open(sup, "category=external_ops_problem my payout is late")
    clock.advance(days=3)
    sweeper.sweep(now=clock(), settings=sup.router.settings)
    text = sup.invoke("support-digest", **SAM).text
    rest, bug_part = _section(text, "Support queue"), _section(text, "Bug queue")
    assert _field(rest, "Open") == "1"
    assert "external ops problem 1" in rest and "external dev problem" not in rest
    assert f"#{other.id}" in rest and f"#{old_bug.id}" not in rest
    assert _field(bug_part, "Open") == "2 (2 unclaimed)"
    assert _field(bug_part, "Oldest").startswith(f"#{old_bug.id} (")
    assert _field(bug_part, "Breached").startswith("2: ") and f"#{old_bug.id}" in _field(bug_part, "Breached")
    assert _field(rest, "Breached") == f"1: #{other.id}"
    # the daily post carries the same sections, and its audit event counts the open bugs
    assert digest.post_daily(now=clock(), settings=sup.router.settings) == 2
    posted = _texts(outbox_to("C0INTERNAL"))[-1]
    assert "Bug queue" in posted and "2 (2 unclaimed)" in posted
    assert json.loads(audited("support-digest")[-1].arguments)["open_bugs"] == 2


def test_an_empty_bug_queue_in_the_digest(sup):
    _open(sup, "category=external_ops_problem my payout is late")
    bug_part = _section(sup.invoke("support-digest", **SAM).text, "Bug queue")
    assert _field(bug_part, "Open") == "0" and _field(bug_part, "Oldest") == "none"


# ---- the table --------------------------------------------------------------------------------------------

def test_the_migration_makes_the_table_the_model_describes(sup):
    db = sup.db
    columns = {c.name for c in db.get_columns("bug_link")}
    assert columns == {f.column_name for f in BugLink._meta.sorted_fields}
    unique = [i for i in db.get_indexes("bug_link") if i.unique]
    assert any(set(i.columns) == {"ticket_id", "url"} for i in unique)
    nullable = {c.name for c in db.get_columns("bug_link") if c.null}
    assert nullable == {f.column_name for f in BugLink._meta.sorted_fields if f.null}
