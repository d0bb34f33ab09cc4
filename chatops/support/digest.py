"""The standup digest: open tickets by tier and type, at risk, breached, the oldest; the bug queue
apart from the rest (open, oldest, at risk, breached, unclaimed); median first response and
resolution over 7 days, load per assignee, CSAT and deflections.

    reply = build(now=now)                      # for `/support-digest`
    post_daily(now=now, settings=settings)      # the scheduled one, once per team and day
"""
from __future__ import annotations

import statistics
from collections import Counter
from datetime import datetime, timedelta

import peewee

from chatops import audit, outbox
from chatops.models import Person, Tier
from chatops.reply import Destination, Fields, Reply, Text
from chatops.settings import Settings
from chatops.support.bugs import CATEGORY as BUG_CATEGORY
from chatops.support.classify import label
from chatops.support.models import OPEN_STATES, CsatRating, Deflection, SupportTeam, Ticket


def _minutes(delta: timedelta) -> str:
    m = delta.total_seconds() / 60
    return f"{m:.0f} min" if m < 120 else f"{m / 60:.1f} h"


def stats(now: datetime) -> dict:
    week = now - timedelta(days=7)
    tiers = {t.id: t.slug for t in Tier.select(Tier.id, Tier.slug)}
    open_rows = list(Ticket.select(Ticket.id, Ticket.tier, Ticket.category, Ticket.sla_status, Ticket.created_at,
                                   Ticket.assignee, Ticket.summary)
                     .where(Ticket.state.in_(OPEN_STATES)).order_by(Ticket.created_at))
    first = [t.first_response_at - t.created_at for t in Ticket.select(Ticket.created_at, Ticket.first_response_at)
             .where(Ticket.first_response_at >= week)]
    resolved = [t.resolved_at - t.created_at for t in Ticket.select(Ticket.created_at, Ticket.resolved_at)
                .where(Ticket.resolved_at >= week)]
    ratings = [r[0] for r in CsatRating.select(CsatRating.rating).where(CsatRating.created_at >= week).tuples()]
    deflected = (Deflection.select(peewee.fn.COUNT(Deflection.id))
                 .where((Deflection.created_at >= week) & (Deflection.outcome == "solved")).scalar() or 0)
    names = {p.id: p.name for p in Person.select(Person.id, Person.name)
             .where(Person.id.in_([t.assignee_id for t in open_rows if t.assignee_id] or [0]))}
    bugs = [t for t in open_rows if t.category == BUG_CATEGORY]  # the bug queue (chatops.support.bugs)
    rest = [t for t in open_rows if t.category != BUG_CATEGORY]
    return {
        "open": len(rest),
        "by_tier": Counter(tiers.get(t.tier_id, "none") for t in rest),
        "by_type": Counter(label(t.category) for t in rest),
        "at_risk": [t for t in rest if t.sla_status == "at_risk"],
        "breached": [t for t in rest if t.sla_status == "breached"],
        "oldest": rest[:3],
        "bugs": {"open": len(bugs), "oldest": bugs[:3], "at_risk": [t for t in bugs if t.sla_status == "at_risk"],
                 "breached": [t for t in bugs if t.sla_status == "breached"],
                 "unclaimed": sum(1 for t in bugs if not t.assignee_id)},
        "median_first_response": statistics.median(first) if first else None,
        "median_resolution": statistics.median(resolved) if resolved else None,
        "load": Counter(names.get(t.assignee_id, "unclaimed") if t.assignee_id else "unclaimed" for t in open_rows),
        "csat": (sum(ratings) / len(ratings), len(ratings)) if ratings else None,
        "deflected": deflected,
    }


def build(*, now: datetime) -> Reply:
    s = stats(now)
    fmt = lambda c: ", ".join(f"{k} {v}" for k, v in sorted(c.items())) or "none"  # noqa: E731
    refs = lambda rows: ", ".join(f"#{t.id}" for t in rows) or "none"  # noqa: E731
    oldest = lambda rows: ", ".join(f"#{t.id} ({_minutes(now - t.created_at)}) {t.summary[:40]}"  # noqa: E731
                                    for t in rows) or "none"
    queue = (
        ("Open", str(s["open"])),
        ("By tier", fmt(s["by_tier"])),
        ("By type", fmt(s["by_type"])),
        ("At risk", f"{len(s['at_risk'])}: {refs(s['at_risk'])}"),
        ("Breached", f"{len(s['breached'])}: {refs(s['breached'])}"),
        ("Oldest", oldest(s["oldest"])),
    )
    b = s["bugs"]
    bug_queue = (
        ("Open", f"{b['open']} ({b['unclaimed']} unclaimed)" if b["open"] else "0"),
        ("Oldest", oldest(b["oldest"])),
        ("At risk", f"{len(b['at_risk'])}: {refs(b['at_risk'])}"),
        ("Breached", f"{len(b['breached'])}: {refs(b['breached'])}"),
    )
    team = (
        ("Median first response (7 d)", _minutes(s["median_first_response"]) if s["median_first_response"] is not None
         else "no data"),
        ("Median resolution (7 d)", _minutes(s["median_resolution"]) if s["median_resolution"] is not None
         else "no data"),
        ("Load", fmt(s["load"])),
        ("CSAT (7 d)", f"{s['csat'][0]:.1f}/5 from {s['csat'][1]}" if s["csat"] else "no ratings"),
        ("Deflected (7 d)", str(s["deflected"])),
    )
    return Reply((Text(f"Support standup digest — {now:%Y-%m-%d %H:%M} UTC"),
                  Fields(queue, title="Support queue (without the bug queue)"),
                  Fields(bug_queue, title="Bug queue (external dev problems; `bug-queue` lists them)"),
                  Fields(team, title="Team")))


def post_daily(*, now: datetime, settings: Settings) -> int:
    """Post the digest to every team's internal channels, once per team, platform and day (the bug queue
    in its own section; its open count in the audit event)."""
    from chatops.db import atomic
    from chatops.support.bugs import open_bugs

    posted = 0
    reply = build(now=now)
    bugs = open_bugs().count()
    for team in SupportTeam.select().order_by(SupportTeam.id):
        for platform in ("slack", "discord"):
            channel = team.channel(platform)
            if not channel:
                continue
            key = f"digest:{team.slug}:{platform}:{now:%Y-%m-%d}"
            with atomic():
                if outbox.enqueue(Destination(platform, channel), reply, now=now, dedupe_key=key) is not None:
                    audit.record(correlation_id=f"digest-{now:%Y%m%d}", actor="system:digest", command="support-digest",
                                 arguments={"team": team.slug, "platform": platform, "open_bugs": bugs},
                                 outcome="executed", detail=f"posted to {channel} ({bugs} open bug(s))", at=now)
                    posted += 1
    return posted
