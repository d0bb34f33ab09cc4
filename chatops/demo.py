"""Demo data from the SourceCred seed: tiers, communities, roles and people. Idempotent.

    chatops demo --seed-only

Tiers: general (public), premium (partner communities), tithing (a partner
channel weighted differently), internal (the team). Communities: the public
general community, the partners meta-game, maker-dao, gitcoin and 1hive, a
tithing partner, and the internal team. People hold each role.
"""
from __future__ import annotations

from dataclasses import dataclass

from chatops.db import atomic
from chatops.models import Community, CommunityLink, Identity, Membership, Person, PersonRole, Role, Tier

TIERS = [
    # slug, name, rank, first response min, resolution min, cred weight, description
    ("general", "General", 0, 1440, 7 * 1440, 1.0, "Public tech support, best effort."),
    ("premium", "Premium partners", 10, 240, 2 * 1440, 2.0, "Partner communities that tithe or share revenue."),
    ("tithing", "Tithing partners", 10, 240, 2 * 1440, 3.0, "The tithing channel, weighted differently."),
    ("internal", "Internal team", 100, 60, 1440, 1.0, "Team-only: internal tasks and ops problems."),
]

COMMUNITIES = [
    # slug, name, tier, permitted, partner, slack team, discord guild
    ("general", "General public", "general", True, False, "T0GENERAL", "100000000000000001"),
    ("meta-game", "MetaGame", "premium", True, True, "T0METAGAME", "100000000000000002"),
    ("maker-dao", "MakerDAO", "premium", True, True, "T0MAKERDAO", "100000000000000003"),
    ("gitcoin", "Gitcoin", "premium", True, True, "T0GITCOIN", "100000000000000004"),
    ("1hive", "1Hive", "premium", True, True, "T01HIVE", "100000000000000005"),
    ("tithers", "Tithing partners", "tithing", True, True, "T0TITHERS", "100000000000000006"),
    ("prospect-dao", "Prospect DAO (not yet a partner)", "premium", False, False, "T0PROSPECT", "100000000000000007"),
    ("internal", "SourceCred team", "internal", True, False, "T0INTERNAL", "100000000000000008"),
]

ROLES = [
    # slug, name, staff, description
    ("member", "Member", False, "A community member."),
    ("customer", "Customer", False, "A customer of the payments company; may act on their own records."),
    ("support", "Support", True, "Support staff: claims tickets, runs ops tasks."),
    ("lead", "Support lead", True, "Leads the support team; escalation target."),
    ("admin", "Admin", True, "Manages chatops itself."),
]

PEOPLE = [
    # name, roles, community memberships, identities
    ("Local admin", ["admin"], ["internal"], ["console:local"]),
    ("Ana Admin", ["admin"], ["internal"], ["slack:U0ANAADMIN", "discord:200000000000000001"]),
    ("Sam Support", ["support"], ["internal"], ["slack:U0SAMSUPP", "discord:200000000000000002"]),
    ("Lee Lead", ["lead"], ["internal"], ["slack:U0LEELEAD", "discord:200000000000000003"]),
    ("Cora Customer", ["customer"], ["maker-dao"], ["slack:U0CORACUST", "discord:200000000000000004"]),
    ("Max Member", ["member"], ["general"], ["slack:U0MAXMEMB", "discord:200000000000000005"]),
    ("Pat Partner", ["member"], ["meta-game"], ["slack:U0PATPART", "discord:200000000000000006"]),
    ("Tia Tither", ["member"], ["tithers"], ["slack:U0TIATITH", "discord:200000000000000007"]),
    ("Pia Prospect", ["member"], ["prospect-dao"], ["slack:U0PIAPROS", "discord:200000000000000008"]),
]


@dataclass
class SeedReport:
    created: int = 0

    def bump(self, created: bool) -> None:
        self.created += int(created)


def seed() -> SeedReport:
    report = SeedReport()
    with atomic():
        tiers = {}
        for slug, name, rank, frm, res, weight, desc in TIERS:
            tier, created = Tier.get_or_create(slug=slug, defaults=dict(
                name=name, rank=rank, first_response_minutes=frm, resolution_minutes=res,
                cred_weight=weight, description=desc))
            tiers[slug] = tier
            report.bump(created)
        for slug, name, tier, permitted, partner, team, guild in COMMUNITIES:
            community, created = Community.get_or_create(slug=slug, defaults=dict(
                name=name, tier=tiers[tier], permitted=permitted, partner=partner))
            report.bump(created)
            for platform, ext in (("slack", team), ("discord", guild)):
                _, created = CommunityLink.get_or_create(platform=platform, external_id=ext,
                                                         defaults={"community": community})
                report.bump(created)
        roles = {}
        for slug, name, staff, desc in ROLES:
            role, created = Role.get_or_create(slug=slug, defaults=dict(name=name, is_staff=staff, description=desc))
            roles[slug] = role
            report.bump(created)
        for name, role_slugs, memberships, identities in PEOPLE:
            first = identities[0].split(":", 1)
            identity = Identity.get_or_none((Identity.platform == first[0]) & (Identity.user_id == first[1]))
            if identity is not None:
                continue
            person = Person.create(name=name)
            report.bump(True)
            for key in identities:
                platform, user_id = key.split(":", 1)
                Identity.get_or_create(platform=platform, user_id=user_id,
                                       defaults={"person": person, "display_name": name})
            for slug in role_slugs:
                PersonRole.get_or_create(person=person, role=roles[slug])
            for slug in memberships:
                Membership.get_or_create(person=person, community=Community.get(Community.slug == slug))
    return report


def extra_seeders():
    """Callables ``seed(echo)`` registered by other parts (ops backend data, admin login)
    through the ``chatops.seeders`` entry-point group, in name order."""
    from importlib.metadata import entry_points

    return [ep.load() for ep in sorted(entry_points(group="chatops.seeders"), key=lambda e: e.name)]
