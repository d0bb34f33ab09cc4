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
