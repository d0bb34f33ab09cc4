"""Demo support data over chatops/demo.py's communities (the SourceCred seed). Idempotent.

Channels: a public general channel, a premium partner channel, one per partner community
(meta-game, maker-dao, gitcoin, 1hive), a tithing channel, an internal team channel, the
support-owned bug queue and a triage channel. Routes, keyword rules for the five ticket types,
deflection rules, cred weights, business hours for partners, the support team, its lead and
an on-call rotation.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from chatops.db import atomic
from chatops.models import Community, Identity, Tier
from chatops.support.models import (CategoryWeight, DeflectionRule, KeywordRule, OnCallShift, SlaCalendar,
                                    SupportChannel, SupportRoute, SupportTeam)

# name, slack id, discord id, tiers, community, staff only
CHANNELS = [
    ("tech-support", "C0TECHSUP", "300000000000000001", "", None, False),
    ("premium-tech-support", "C0PREMIUM", "300000000000000002", "premium,tithing", None, False),
    ("meta-game-ts", "C0METAGAME", "300000000000000003", "", "meta-game", False),
    ("maker-dao-ts", "C0MAKERDAO", "300000000000000004", "", "maker-dao", False),
    ("gitcoin-ts", "C0GITCOIN", "300000000000000005", "", "gitcoin", False),
    ("1hive-ts", "C01HIVE", "300000000000000006", "", "1hive", False),
    ("tithing-ts", "C0TITHING", "300000000000000007", "tithing", None, False),
    ("internal-tech-support", "C0INTERNAL", "300000000000000008", "", None, True),
    ("support-bug-queue", "C0BUGQUEUE", "300000000000000009", "", None, True),
    ("support-triage", "C0TRIAGE", "300000000000000010", "", None, True),
]

# name, tier, community, category, channel name
ROUTES = [
    ("general", "general", None, None, "tech-support"),
    ("premium", "premium", None, None, "premium-tech-support"),
    ("tithing", "tithing", None, None, "tithing-ts"),
    ("meta-game", "premium", "meta-game", None, "meta-game-ts"),
    ("maker-dao", "premium", "maker-dao", None, "maker-dao-ts"),
    ("gitcoin", "premium", "gitcoin", None, "gitcoin-ts"),
    ("1hive", "premium", "1hive", None, "1hive-ts"),
    ("internal", "internal", None, None, "internal-tech-support"),
    ("internal tasks", None, None, "internal_task", "internal-tech-support"),
    ("internal ops problems", None, None, "internal_ops_problem", "internal-tech-support"),
    ("bug queue", None, None, "external_dev_problem", "support-bug-queue"),
]

KEYWORDS = [
    ("internal_task", "change email, change my email, remove seller fee, seller fee, update email, reset 2fa"),
    ("internal_ops_problem", "batch, not processed, disbursed, disbursement, funds have not"),
    ("external_ops_problem", "declined, payment_pending, payment pending, payout, refund, chargeback"),
    ("external_dev_inquiry", "how do, how does, how to, callbacks, webhook, documentation, device id"),
    ("external_dev_problem", "sdk, error, errors, exception, endpoint, not working, test cards, prelive, 500"),
]

DEFLECTIONS = [
    ("change email, change my email, update email", "change-email", "change-email ACCOUNT NEW_EMAIL",
     "You can change an account's e-mail yourself, with a preview first."),
]

WEIGHTS = [("internal_task", 0.5), ("internal_ops_problem", 1.0), ("external_ops_problem", 1.0),
           ("external_dev_inquiry", 1.5), ("external_dev_problem", 2.0)]


def _person(key: str):
    platform, user_id = key.split(":", 1)
    ident = Identity.get_or_none((Identity.platform == platform) & (Identity.user_id == user_id))
    return ident.person if ident else None


def seed(echo=print) -> int:
    created = 0
    with atomic():
        team, made = SupportTeam.get_or_create(slug="support", defaults=dict(
            name="Support", lead=_person("slack:U0LEELEAD"), slack_channel="C0INTERNAL",
            discord_channel="300000000000000008"))
        created += made
        sam = _person("slack:U0SAMSUPP")
        if sam is not None and not OnCallShift.select().where(OnCallShift.team == team).exists():
            now = datetime.now(timezone.utc)
            OnCallShift.create(team=team, person=sam, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=30))
            created += 1
        channels = {}
        for name, slack, discord, tiers, community, staff_only in CHANNELS:
            comm = Community.get_or_none(Community.slug == community) if community else None
            for platform, cid in (("slack", slack), ("discord", discord)):
                row, made = SupportChannel.get_or_create(platform=platform, channel_id=cid, defaults=dict(
                    name=name, tiers=tiers, community=comm, staff_only=staff_only))
                created += made
            channels[name] = (slack, discord)
        if not SupportRoute.select().exists():
            for name, tier, community, category, channel in ROUTES:
                slack, discord = channels[channel]
                SupportRoute.create(name=name, tier=Tier.get_or_none(Tier.slug == tier) if tier else None,
                                    community=Community.get_or_none(Community.slug == community) if community else None,
                                    category=category, slack_channel=slack, discord_channel=discord, team=team)
                created += 1
        if not KeywordRule.select().exists():
            for category, words in KEYWORDS:
                KeywordRule.create(category=category, keywords=words)
                created += 1
        if not DeflectionRule.select().exists():
            for words, command, example, why in DEFLECTIONS:
                DeflectionRule.create(keywords=words, command=command, example=example, why=why)
                created += 1
        for category, weight in WEIGHTS:
            created += CategoryWeight.get_or_create(category=category, defaults={"weight": weight})[1]
        for slug in ("premium", "tithing"):
            tier = Tier.get_or_none(Tier.slug == slug)
            if tier is not None:
                # Partners are answered 08:00-20:00 New York time every day: with their shorter targets that is
                # sooner than the public's around-the-clock ones for a ticket opened at any hour of the week
                # (weekdays only would put a Friday-night partner ticket behind a public one: sla.inversions).
                created += SlaCalendar.get_or_create(tier=tier, defaults=dict(
                    timezone="America/New_York", day_start="08:00", day_end="20:00",
                    weekdays="mon,tue,wed,thu,fri,sat,sun"))[1]
    echo(f"Support demo: team, channels, routes, rules and on-call ready ({created} new row(s)). "
         "Triage channel: set CHATOPS_SUPPORT_TRIAGE_SLACK_CHANNEL=C0TRIAGE.")
    return created


# ---- history: past tickets (typing learns from them; the dashboard and inbox show them) and articles ----

HISTORY_MARK = "demo-history"
# requester key, community slug, tier slug — internal tickets come from the team, external ones from customers
_INTERNAL_ASKERS = [("slack:U0LEELEAD", "internal", "internal"), ("slack:U0ANAADMIN", "internal", "internal")]
_EXTERNAL_ASKERS = [("slack:U0CORACUST", "maker-dao", "premium"), ("slack:U0MAXMEMB", "general", "general"),
                    ("slack:U0PATPART", "meta-game", "premium"), ("discord:200000000000000007", "tithers", "tithing"),
                    ("discord:200000000000000005", "general", "general")]
OPEN_RECENT = 8  # the newest history tickets stay open, so the inbox and the SLA sweep have work to show
DEFLECTIONS_SEEDED = 60


def history_rows(*sets: list) -> list:
    """The demo's past tickets from two independently written sets, interleaved (oldest first)."""
    out: list = []
    for i in range(max(len(x) for x in sets)):
        out.extend(x[i] for x in sets if i < len(x))
    return out


def seed_history(echo=print, *, now: datetime | None = None) -> int:
    """30 days of past tickets (typed by the team, answered, most resolved, rated) and the knowledge-base
    articles, from :mod:`chatops.support.demo_data`. Idempotent: nothing happens once they exist."""
    import random

    from chatops.support import demo_data, demo_data_more, routing, sla
    from chatops.support.models import Article, CsatRating, Ticket, TicketEvent
    from chatops.settings import Settings

    now = now or datetime.now(timezone.utc)
    created = 0
    rng = random.Random(20261201)
    with atomic():
        if not Article.select().exists():
            for a in demo_data.ARTICLES:
                Article.create(title=a["title"], body=a["body"], tags=a.get("tags", ""),
                               ticket_types=a.get("ticket_types", ""), tiers=a.get("tiers", ""), published=True,
                               author="demo", created_at=now - timedelta(days=40), updated_at=now - timedelta(days=40))
                created += 1
        if Ticket.select().where(Ticket.correlation_id.startswith(HISTORY_MARK)).exists():
            echo(f"Support demo history: already there ({created} new row(s)).")
            return created
        settings = Settings.from_env({})
        team = SupportTeam.get_or_none(SupportTeam.slug == "support")
        sam = _person("slack:U0SAMSUPP")
        lee = _person("slack:U0LEELEAD")
        span = timedelta(days=30).total_seconds()
        history = history_rows(demo_data.HISTORY, demo_data_more.HISTORY)
        count = len(history)
        for i, (category, summary, details, answer) in enumerate(history):
            key, community_slug, tier_slug = rng.choice(_INTERNAL_ASKERS if category.startswith("internal")
                                                        else _EXTERNAL_ASKERS)
            requester = _person(key)
            if requester is None:
                continue
            platform, user_id = key.split(":", 1)
            community = Community.get_or_none(Community.slug == community_slug)
            tier = Tier.get_or_none(Tier.slug == tier_slug)
            opened = now - timedelta(seconds=span * (count - i) / count) + timedelta(minutes=rng.randint(0, 50))
            match = routing.route(platform=platform, tier=tier, community=community, category=category,
                                  settings=settings)
            fr_due, res_due = sla.targets(tier, opened)
            still_open = i >= count - OPEN_RECENT
            helper = sam if (i % 3) else (lee or sam)
            first = opened + timedelta(minutes=rng.randint(4, 150))
            done = first + timedelta(minutes=rng.randint(10, 1800))
            ticket = Ticket.create(
                requester=requester, platform=platform, requester_user_id=user_id,
                origin_channel_id=match.channel_id or None, community=community, tier=tier, category=category,
                classified_by="staff", typed_why="typed by the team", urgency=rng.choice(("low", "normal", "normal", "high")),
                summary=summary[:200], details=details, state="open" if still_open else rng.choice(("resolved", "closed")),
                route=match.route, team=team, channel_id=match.channel_id, assignee=None if still_open else helper,
                correlation_id=f"{HISTORY_MARK}-{i}", created_at=opened,
                claimed_at=None if still_open else first, first_response_at=None if still_open else first,
                resolved_at=None if still_open else done, closed_at=None,
                first_response_due=fr_due, resolution_due=res_due)
            if ticket.state == "closed":
                ticket.closed_at = done + timedelta(hours=1)
            if not still_open and ((fr_due and first > fr_due) or (res_due and done > res_due)):
                ticket.sla_status = "breached"  # some past tickets missed their SLA, as real ones do
            ticket.next_due = sla.next_due(ticket, settings) if still_open else None
            ticket.save()
            events = [("opened", requester, summary, False, opened)]
            if not still_open:
                events += [("claimed", helper, "", False, first), ("reply", helper, answer, False, first),
                           ("resolved", helper, "", False, done)]
            for kind, who, body, internal, at in events:
                TicketEvent.create(ticket=ticket, kind=kind, actor=who, actor_label=f"{platform}:{user_id}"
                                   if who == requester else "slack:U0SAMSUPP" if who == sam else "slack:U0LEELEAD",
                                   body=body, internal=internal, data={"category": category} if kind == "opened" else {},
                                   created_at=at)
            if not still_open and rng.random() < 0.6:
                CsatRating.create(ticket=ticket, cycle=0, person=requester, rating=rng.choice((3, 4, 4, 5, 5, 5)),
                                  created_at=done + timedelta(minutes=30))
            created += 1
        from chatops.support.models import Deflection

        articles = list(Article.select(Article.id).order_by(Article.id))
        for i in range(DEFLECTIONS_SEEDED):  # self-serve answers over the month: commands and articles
            key, _community, _tier = rng.choice(_EXTERNAL_ASKERS)
            person = _person(key)
            if person is None:
                continue
            kb_offer = articles and i % 2 == 0
            command = f"kb:{articles[i % len(articles)].id}" if kb_offer else rng.choice(
                ("change-email", "payment-status", "card-decline", "disbursement-status"))
            Deflection.create(person=person, text="(demo) asked for help", command=command,
                              outcome="solved" if rng.random() < 0.7 else "opened",
                              created_at=now - timedelta(minutes=rng.randint(30, 30 * 24 * 60)))
            created += 1
        from chatops.support.bugs import BugLink

        bug = (Ticket.select().where((Ticket.category == "external_dev_problem") & (Ticket.state == "open")
                                     & Ticket.correlation_id.startswith(HISTORY_MARK)).order_by(Ticket.id).first())
        if bug is not None and not BugLink.select().where(BugLink.ticket == bug.id).exists():
            BugLink.create(ticket=bug, url="https://github.com/acme/dotnet-sdk/issues/481", tracker="github",
                           external_id="acme/dotnet-sdk#481", state="open", linked_by=sam,
                           created_at=now - timedelta(days=1), updated_at=now - timedelta(days=1))
            created += 1
    echo(f"Support demo history: {created} past ticket(s) and articles over the last 30 days.")
    return created
