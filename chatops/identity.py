"""Who is asking: an Invocation's platform user → Person, roles, community and tier.

Community: the workspace the request came from (a Slack team id or Discord
guild id linked to a community), else the person's explicit membership.
Tier: a staff role → the staff tier; a permitted community → its tier;
anyone else → the default tier. First contact creates the Person and Identity.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import peewee

from chatops.db import RawQuery, atomic
from chatops.invocation import Invocation
from chatops.models import Community, Identity, Person, PlatformRoleMapping, Role, Tier
from chatops.settings import Settings


@dataclass(frozen=True)
class Actor:
    person: Person
    identity: Identity
    community: Community | None
    tier: Tier | None
    roles: frozenset[str]
    channel_id: str | None = None
    is_direct: bool = False
    platform: str = ""
    is_staff: bool = False
    _tier_ranks: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    @property
    def label(self) -> str:
        name = self.identity.display_name or self.person.name
        return f"{self.identity.platform}:{self.identity.user_id} ({name})"

    def tier_rank_of(self, slug: str) -> int | None:
        if slug not in self._tier_ranks:
            rank = Tier.select(Tier.rank).where(Tier.slug == slug).scalar()
            if rank is None:
                return None
            self._tier_ranks[slug] = rank
        return self._tier_ranks[slug]


# The per-request lookups, as plain SQL: they run on every invocation (see bench/core_router.py).
_IDENTITY = RawQuery('SELECT {cols0}, {cols1} FROM {table0} JOIN {table1} ON m1.id = m0.person_id '
                     'WHERE m0.platform = ? AND m0.user_id = ?', Identity, Person)
_ROLES = RawQuery('SELECT {cols} FROM "person_role" AS pr JOIN {table} ON m0.id = pr.role_id '
                  'WHERE pr.person_id = ?', Role)
_COMMUNITY_BY_LINK = RawQuery('SELECT {cols0}, {cols1} FROM "community_link" AS l '
                              'JOIN {table0} ON m0.id = l.community_id LEFT JOIN {table1} ON m1.id = m0.tier_id '
                              'WHERE l.platform = ? AND l.external_id = ?', Community, Tier)
_COMMUNITY_BY_MEMBERSHIP = RawQuery('SELECT {cols0}, {cols1} FROM "membership" AS mb '
                                    'JOIN {table0} ON m0.id = mb.community_id LEFT JOIN {table1} '
                                    'ON m1.id = m0.tier_id WHERE mb.person_id = ? ORDER BY m0.id LIMIT 1',
                                    Community, Tier)
_TIER_BY_SLUG = RawQuery("SELECT {cols} FROM {table} WHERE m0.slug = ?", Tier)


def find_identity(platform: str, user_id: str) -> Identity | None:
    found = _IDENTITY.one(platform, user_id)
    if found is None:
        return None
    identity, person = found
    identity.__rel__["person"] = person
    return identity


def get_or_create_identity(platform: str, user_id: str, display_name: str | None = None) -> Identity:
    identity = find_identity(platform, user_id)
    if identity is not None:
        return identity
    name = (display_name or f"{platform}:{user_id}")[:128]
    try:
        with atomic():
            person = Person.create(name=name)
            return Identity.create(platform=platform, user_id=user_id, person=person, display_name=display_name or "")
    except peewee.IntegrityError:  # created concurrently by another request
        found = find_identity(platform, user_id)
        if found is None:
            raise
        return found


def roles_of(person_id: int) -> frozenset[str]:
    return frozenset(role.slug for (role,) in _ROLES.all(person_id))


def _with_tier(found: tuple | None) -> Community | None:
    if found is None:
        return None
    community, tier = found
    if tier is not None:
        community.__rel__["tier"] = tier
    return community


def community_of(platform: str, workspace_id: str | None, person_id: int) -> Community | None:
    if workspace_id:
        community = _with_tier(_COMMUNITY_BY_LINK.one(platform, workspace_id))
        if community is not None:
            return community
    return _with_tier(_COMMUNITY_BY_MEMBERSHIP.one(person_id))


def tier_by_slug(slug: str) -> Tier | None:
    found = _TIER_BY_SLUG.one(slug)
    return found[0] if found else None


def staff_roles() -> frozenset[str]:
    return frozenset(r[0] for r in Role.select(Role.slug).where(Role.is_staff == True).tuples())  # noqa: E712


def tier_for(community: Community | None, is_staff: bool, settings: Settings) -> Tier | None:
    if is_staff:
        tier = tier_by_slug(settings.staff_tier)
        if tier is not None:
            return tier
    if community is not None and community.permitted and community.tier_id is not None:
        return community.tier
    return tier_by_slug(settings.default_tier)


def mapped_roles(platform: str, platform_roles: frozenset[str], community: Community | None
                 ) -> tuple[frozenset[str], Tier | None]:
    """Roles and the best tier that the person's platform roles map to (PlatformRoleMapping rows)."""
    scope = PlatformRoleMapping.community.is_null()
    if community is not None:
        scope = scope | (PlatformRoleMapping.community == community.id)
    rows = (PlatformRoleMapping.select()
            .where((PlatformRoleMapping.platform == platform)
                   & (PlatformRoleMapping.external_role.in_(list(platform_roles)[:200])) & scope))
    roles: set[str] = set()
    best: Tier | None = None
    for row in rows:
        if (row.community_id is None and platform == "discord" and not row.external_role.isdigit()):
            continue  # any guild can create a role *named* "partner": names only count within a community
        if row.role_id is not None:
            roles.add(row.role.slug)
        if row.tier_id is not None and (best is None or row.tier.rank > best.rank):
            best = row.tier
    return frozenset(roles), best


def resolve(invocation: Invocation, settings: Settings) -> Actor:
    identity = get_or_create_identity(invocation.platform, invocation.user_id, invocation.display_name)
    person = identity.person
    role_rows = [r for (r,) in _ROLES.all(person.id)]
    roles = frozenset(r.slug for r in role_rows)
    staff = {r.slug for r in role_rows if r.is_staff}
    community = community_of(invocation.platform, invocation.community_id, person.id)
    mapped_tier = None
    if invocation.platform_roles:
        extra_roles, mapped_tier = mapped_roles(invocation.platform, invocation.platform_roles, community)
        if extra_roles - roles:
            staff |= extra_roles & staff_roles()
        roles = roles | extra_roles
    is_staff = bool(staff)
    tier = tier_for(community, is_staff, settings)
    if mapped_tier is not None and (tier is None or mapped_tier.rank > tier.rank):
        tier = mapped_tier
    return Actor(
        person=person, identity=identity, community=community, tier=tier,
        roles=roles, channel_id=invocation.channel_id, is_direct=invocation.is_direct, platform=invocation.platform,
        is_staff=is_staff,
    )
