"""The routing table: (tier?, community?, category?) → a channel per platform, as data.

    match = route(platform="discord", tier=t, community=c, category="external_dev_problem", settings=s)
    match.channel_id, match.flagged
    match = for_ticket(ticket, category="external_dev_problem", settings=s)   # a retype routes again
    channel_name("slack", "C0BUGQUEUE")                                       # "#support-bug-queue"

Among rules with a channel on the platform whose set fields all match, the most specific wins:
a matching category counts 4, a community 2, a tier 1 (so type rules such as "internal tasks go
to the internal channel" and "external dev problems go to the bug queue" beat tier and community
rules); ties go to the older rule. No match → the triage channel from settings, flagged.
"""
from __future__ import annotations

from dataclasses import dataclass

from chatops.models import Community, Tier
from chatops.settings import Settings
from chatops.support.models import SupportChannel, SupportRoute, Ticket


@dataclass(frozen=True)
class RouteMatch:
    route: SupportRoute | None
    channel_id: str
    flagged: bool  # no rule matched: it went to triage


def specificity(rule: SupportRoute) -> int:
    return (4 if rule.category else 0) + (2 if rule.community_id else 0) + (1 if rule.tier_id else 0)


def route(*, platform: str, tier: Tier | None, community: Community | None, category: str | None,
          settings: Settings) -> RouteMatch:
    best: SupportRoute | None = None
    for rule in SupportRoute.select().order_by(SupportRoute.id):
        if not rule.channel(platform):
            continue
        if rule.tier_id is not None and (tier is None or rule.tier_id != tier.id):
            continue
        if rule.community_id is not None and (community is None or rule.community_id != community.id):
            continue
        if rule.category is not None and rule.category != category:
            continue
        if best is None or specificity(rule) > specificity(best):
            best = rule
    if best is not None:
        return RouteMatch(best, best.channel(platform), False)
    triage = {"slack": settings.support.triage_slack_channel, "discord": settings.support.triage_discord_channel}
    return RouteMatch(None, triage.get(platform, ""), True)


def for_ticket(ticket: Ticket, *, category: str | None, settings: Settings) -> RouteMatch:
    """Where ``ticket`` belongs if its type were ``category`` (its platform, tier and community as they are)."""
    tier = Tier.get_or_none(Tier.id == ticket.tier_id) if ticket.tier_id else None
    community = Community.get_or_none(Community.id == ticket.community_id) if ticket.community_id else None
    return route(platform=ticket.platform, tier=tier, community=community, category=category, settings=settings)


def channel_name(platform: str, channel_id: str) -> str:
    """``#name`` of a channel the support tables know (SupportChannel), else ``#<id>``; "no channel" for none."""
    if not channel_id:
        return "no channel"
    row = SupportChannel.get_or_none((SupportChannel.platform == platform) & (SupportChannel.channel_id == channel_id))
    return f"#{row.name}" if row is not None and row.name else f"#{channel_id}"
