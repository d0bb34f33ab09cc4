"""Permission checks as composable predicates.

    from chatops.policy import has_role, staff, tier_at_least, in_channel, anyone
    @group.command(policy=staff | (tier_at_least("premium") & in_channel("C_PREMIUM")))

``staff`` is the one staff rule: the person holds a role marked ``is_staff`` in the data (the
admin panel edits it), directly or through a platform role mapping. Every staff check — command
policies, ownership, ticket work, entitlement — asks ``actor.is_staff``; nothing lists role slugs.

A predicate answers ``check(actor) -> Denial | None``; a denial carries the
reason shown to the user and a remedy (what to do instead). ``&``, ``|`` and
``~`` combine them. A stored :class:`~chatops.models.CommandPolicy` row replaces
a command's code default (see :func:`policy_from_row`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from chatops import messages

if TYPE_CHECKING:
    from chatops.identity import Actor
    from chatops.models import CommandPolicy


@dataclass(frozen=True)
class Denial:
    reason: str
    remedy: str | None = None


class Predicate:
    """A named test over an :class:`~chatops.identity.Actor`."""

    def __init__(self, test: Callable[["Actor"], bool], describe: str, *, reason: str, remedy: str | None = None):
        self._test = test
        self.describe = describe
        self._reason = reason
        self._remedy = remedy

    def check(self, actor: "Actor") -> Denial | None:
        return None if self._test(actor) else Denial(self._reason, self._remedy)

    def allows(self, actor: "Actor") -> bool:
        return self.check(actor) is None

    def __and__(self, other: "Predicate") -> "Predicate":
        return _All((self, other))

    def __or__(self, other: "Predicate") -> "Predicate":
        return _Any((self, other))

    def __invert__(self) -> "Predicate":
        return Predicate(lambda a: not self.allows(a), f"not ({self.describe})",
                         reason=f"this is not open to those who match: {self.describe}")

    def __repr__(self) -> str:
        return f"<policy {self.describe}>"


class _All(Predicate):
    def __init__(self, parts: tuple[Predicate, ...]):
        flat: list[Predicate] = []
        for p in parts:
            flat.extend(p.parts if isinstance(p, _All) else (p,))
        self.parts = tuple(flat)
        self.describe = " and ".join(f"({p.describe})" if isinstance(p, _Any) else p.describe for p in self.parts)

    def check(self, actor: "Actor") -> Denial | None:
        for part in self.parts:
            denial = part.check(actor)
            if denial:
                return denial
        return None


class _Any(Predicate):
    def __init__(self, parts: tuple[Predicate, ...]):
        flat: list[Predicate] = []
        for p in parts:
            flat.extend(p.parts if isinstance(p, _Any) else (p,))
        self.parts = tuple(flat)
        self.describe = " or ".join(f"({p.describe})" if isinstance(p, _All) else p.describe for p in self.parts)

    def check(self, actor: "Actor") -> Denial | None:
        denials = []
        for part in self.parts:
            denial = part.check(actor)
            if denial is None:
                return None
            denials.append(denial)
        remedies = [d.remedy for d in denials if d.remedy]
        return Denial(f"it needs {self.describe}", remedies[0] if remedies else None)


# ---- building blocks --------------------------------------------------------------

anyone = Predicate(lambda a: True, "anyone", reason="")
nobody = Predicate(lambda a: False, "nobody", reason="this command is switched off",
                   remedy=messages.REMEDY_SWITCHED_OFF)


def has_role(*roles: str) -> Predicate:
    """The actor holds at least one of ``roles`` (role slugs, stored as data)."""
    wanted = frozenset(roles)
    names = " or ".join(roles)
    return Predicate(
        lambda a: bool(wanted & a.roles), f"role {names}",
        reason=f"it needs the {names} role",
        remedy=messages.REMEDY_ROLE,
    )


def tier_at_least(slug: str, rank: int | None = None) -> Predicate:
    """The actor's tier ranks at least as high as the tier ``slug``.

    The rank is looked up at check time (tiers are data) unless given.
    """
    def test(a: "Actor") -> bool:
        needed = rank if rank is not None else a.tier_rank_of(slug)
        return needed is not None and a.tier is not None and a.tier.rank >= needed

    return Predicate(
        test, f"tier {slug} or higher",
        reason=f"it is for the {slug} tier and above",
        remedy=messages.REMEDY_TIER,
    )


def in_community(*slugs: str) -> Predicate:
    wanted = frozenset(slugs)
    return Predicate(
        lambda a: a.community is not None and a.community.slug in wanted, f"community {', '.join(slugs)}",
        reason=f"it is only for members of {', '.join(slugs)}",
    )


def in_channel(*channel_ids: str, dm_too: bool = False) -> Predicate:
    """Only in these channels. ``dm_too``: a direct message to the bot is allowed too, and the denial
    says so (without it, it must not suggest one: the command is turned off in DMs)."""
    wanted = frozenset(channel_ids)
    here = Predicate(
        lambda a: a.channel_id in wanted, "the designated channel",
        reason="it can't be used in this channel" if not dm_too else "it can't be used here",
        remedy=messages.REMEDY_CHANNEL_OR_DM if dm_too else messages.REMEDY_CHANNEL,
    )
    return here | direct_message if dm_too else here


direct_message = Predicate(lambda a: a.is_direct, "a direct message",
                           reason="it only works in a direct message to the bot",
                           remedy=messages.REMEDY_DIRECT)

staff = Predicate(
    lambda a: a.is_staff, "a staff role",
    reason="it is for staff (a role marked as staff)",
    remedy=messages.REMEDY_STAFF,
)
admins = has_role("admin")


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").replace("\n", ",").split(",") if v.strip()]


def policy_from_row(row: "CommandPolicy") -> Predicate:
    """The predicate a stored CommandPolicy row describes (it replaces the code default)."""
    if not row.enabled:
        return nobody
    parts: list[Predicate] = []
    if roles := _split(row.roles):
        parts.append(has_role(*roles))
    if row.min_tier_id is not None:
        tier = row.min_tier
        parts.append(tier_at_least(tier.slug, tier.rank))
    if communities := _split(row.communities):
        parts.append(in_community(*communities))
    if channels := _split(row.channels):
        parts.append(in_channel(*channels, dm_too=row.allow_dm))
    if not parts:
        return anyone
    result = parts[0]
    for p in parts[1:]:
        result = result & p
    return result
