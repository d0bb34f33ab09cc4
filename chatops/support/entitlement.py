"""Who may ask where: support channels set aside for tiers, communities or the team, and the redirect.

    check_channel(actor, partner_info)       # raises the redirect when the actor may not ask here
    raise redirect(actor, "this channel is for partner communities", partner_info)   # PermissionDenied

A channel not listed in :class:`~chatops.support.models.SupportChannel` is open to everyone; a
listed one admits staff always, and others when their tier is among its ``tiers`` (empty: any)
and, if it names a community, they belong to it. Whoever is refused is told where to go instead
and how a community becomes a partner — a PermissionDenied, which the router shows ephemerally.
"""
from __future__ import annotations

from chatops.errors import PermissionDenied
from chatops.identity import Actor
from chatops.support.models import SupportChannel


def _tiers(row: SupportChannel) -> set[str]:
    return {t.strip() for t in row.tiers.split(",") if t.strip()}


def allows(row: SupportChannel, actor: Actor) -> bool:
    if actor.is_staff:
        return True
    if row.staff_only:
        return False
    tiers = _tiers(row)
    if tiers and (actor.tier is None or actor.tier.slug not in tiers):
        return False
    if row.community_id is not None and (actor.community is None or actor.community.id != row.community_id):
        return False
    return True


def channel_of(actor: Actor) -> SupportChannel | None:
    if not actor.channel_id or actor.is_direct:
        return None
    return SupportChannel.get_or_none((SupportChannel.platform == actor.platform)
                                      & (SupportChannel.channel_id == actor.channel_id))


def where_to_go(actor: Actor) -> list[SupportChannel]:
    """The listed channels on the actor's platform they may use (partner channels first)."""
    rows = SupportChannel.select().where(SupportChannel.platform == actor.platform).order_by(SupportChannel.id)
    usable = [r for r in rows if allows(r, actor) and not r.staff_only]
    return sorted(usable, key=lambda r: (r.community_id is None, not r.tiers))


def redirect(actor: Actor, reason: str, partner_info: str) -> PermissionDenied:
    places = where_to_go(actor)
    if places:
        remedy = "Ask in " + " or ".join(f"<#{r.channel_id}> ({r.name})" for r in places[:3]) + " instead"
    else:
        remedy = "Send `support` with your question to the bot in a direct message instead"
    remedy += ", or send `support` to the bot in a direct message."
    if not (actor.community is not None and actor.community.partner and actor.community.permitted):
        remedy += f" {partner_info}"
    return PermissionDenied(reason, remedy)


def check_channel(actor: Actor, partner_info: str) -> None:
    """Raise the redirect when the actor may not ask in this channel."""
    row = channel_of(actor)
    if row is None or allows(row, actor):
        return
    if row.staff_only:
        reason = f"#{row.name} is for the team only"
    elif row.community_id is not None:
        reason = f"#{row.name} is for members of {row.community.name}"
    else:
        reason = f"#{row.name} is for the {', '.join(sorted(_tiers(row)))} tier"
    raise redirect(actor, reason, partner_info)


def require_staff(actor: Actor, what: str, partner_info: str) -> None:
    """Staff-only commands and buttons: everyone else gets the redirect."""
    if not actor.is_staff:
        raise redirect(actor, f"{what} is for the support team", partner_info)
