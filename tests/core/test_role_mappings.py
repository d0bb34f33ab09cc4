"""Platform role mappings (security): any Discord guild can create a role *named* "partner", so a mapping by
role name counts only inside the community it names; a mapping by role id (ids are unique across
Discord) or a Slack user group counts wherever it is seen."""
from __future__ import annotations

from chatops.identity import mapped_roles
from chatops.models import Community, PlatformRoleMapping, Role, Tier


def _setup():
    premium = Tier.create(slug="premium-x", name="Premium X", rank=50)
    ours = Community.create(slug="ours", name="Ours", permitted=True)
    theirs = Community.create(slug="theirs", name="Theirs", permitted=True)
    return premium, ours, theirs


def test_a_discord_role_name_mapped_without_a_community_counts_nowhere(runner):
    premium, ours, theirs = _setup()
    PlatformRoleMapping.create(platform="discord", external_role="partner", tier=premium)
    for community in (ours, theirs, None):
        assert mapped_roles("discord", frozenset({"partner"}), community) == (frozenset(), None)


def test_a_discord_role_name_mapped_to_a_community_counts_only_there(runner):
    premium, ours, theirs = _setup()
    lead = Role.create(slug="guild-lead", name="Guild lead")
    PlatformRoleMapping.create(platform="discord", external_role="partner", community=ours, tier=premium, role=lead)
    roles, tier = mapped_roles("discord", frozenset({"partner"}), ours)
    assert roles == {"guild-lead"} and tier.id == premium.id
    assert mapped_roles("discord", frozenset({"partner"}), theirs) == (frozenset(), None)
    assert mapped_roles("discord", frozenset({"partner"}), None) == (frozenset(), None)


def test_a_discord_role_id_mapping_counts_in_any_community(runner):
    premium, ours, theirs = _setup()
    PlatformRoleMapping.create(platform="discord", external_role="555000000000000777", tier=premium)
    for community in (ours, theirs, None):
        assert mapped_roles("discord", frozenset({"555000000000000777"}), community)[1].id == premium.id


def test_a_slack_user_group_mapping_without_a_community_counts_everywhere(runner):
    premium, ours, _ = _setup()
    PlatformRoleMapping.create(platform="slack", external_role="S0PARTNERS", tier=premium)
    assert mapped_roles("slack", frozenset({"S0PARTNERS"}), ours)[1].id == premium.id
    assert mapped_roles("discord", frozenset({"S0PARTNERS"}), ours) == (frozenset(), None)  # another platform


def test_through_the_router_a_foreign_guild_role_name_grants_nothing(runner):
    premium, ours, theirs = _setup()
    from chatops.models import CommunityLink

    CommunityLink.create(community=ours, platform="discord", external_id="100000000000000011")
    CommunityLink.create(community=theirs, platform="discord", external_id="100000000000000022")
    PlatformRoleMapping.create(platform="discord", external_role="partner", community=ours, tier=premium)
    here = runner.invoke("whoami", as_="discord:940000000000000201", community_id="100000000000000011",
                         platform_roles=frozenset({"partner"}))
    there = runner.invoke("whoami", as_="discord:940000000000000202", community_id="100000000000000022",
                          platform_roles=frozenset({"partner"}))
    assert "Premium X" in here.text or "premium-x" in here.text, here.text
    assert "Premium X" not in there.text and "premium-x" not in there.text, there.text
