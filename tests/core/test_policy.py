"""Permission predicates, stored CommandPolicy overrides, and how a denial reads and is audited."""
from __future__ import annotations

import pytest

from chatops import direct_message, has_role, in_channel, in_community, tier_at_least
from chatops.identity import resolve
from chatops.models import CommandPolicy, Tier
from chatops.policy import anyone, nobody, policy_from_row
from chatops.settings import Settings

from tests.core.sample import group


@pytest.fixture
def world(runner):
    runner.tier("general", rank=0)
    runner.tier("premium", rank=10)
    runner.tier("internal", rank=100)
    runner.community("maker", tier="premium", slack_team="TMAKER")
    runner.community("public", tier="general", slack_team="TPUB")
    runner.person("Sam", roles=["support"], identities=["slack:USAM"])
    runner.person("Cora", roles=["customer"], identities=["slack:UCORA"])
    runner.person("Max", identities=["slack:UMAX"])
    return runner


def actor(user, team=None, channel=None, dm=False):
    from chatops import Invocation
    return resolve(Invocation(platform="slack", user_id=user, community_id=team, channel_id=channel,
                              is_direct=dm), Settings())


def test_has_role(world):
    p = has_role("support", "lead")
    assert p.allows(actor("USAM"))
    denial = p.check(actor("UCORA"))
    assert denial.reason == "it needs the support or lead role"
    assert "grant the role" in denial.remedy


def test_tier_at_least_looks_tiers_up_as_data(world):
    p = tier_at_least("premium")
    assert p.allows(actor("UCORA", team="TMAKER"))
    assert not p.allows(actor("UCORA", team="TPUB"))
    assert p.allows(actor("USAM"))  # staff → internal tier (rank 100)
    assert not tier_at_least("no-such-tier").allows(actor("USAM"))
    assert tier_at_least("anything", rank=5).allows(actor("UCORA", team="TMAKER"))
    Tier.update(rank=200).where(Tier.slug == "premium").execute()
    assert not tier_at_least("premium").allows(actor("USAM"))


def test_in_community_channel_and_dm(world):
    assert in_community("maker").allows(actor("UMAX", team="TMAKER"))
    assert not in_community("maker").allows(actor("UMAX", team="TPUB"))
    assert not in_community("maker").allows(actor("UMAX"))
    assert in_channel("C1", "C2").allows(actor("UMAX", channel="C2"))
    assert "channel" in in_channel("C1").check(actor("UMAX", channel="C9")).reason
    assert direct_message.allows(actor("UMAX", dm=True))
    assert direct_message.check(actor("UMAX")).remedy == "Send it to the bot in a direct message."


def test_combinators(world):
    support, premium = has_role("support"), tier_at_least("premium")
    cora_maker, cora_pub, sam = actor("UCORA", team="TMAKER"), actor("UCORA", team="TPUB"), actor("USAM")
    both = support & premium
    assert both.allows(sam) and not both.allows(cora_maker)
    assert both.check(cora_maker).reason == "it needs the support role"  # the first failing part speaks
    either = support | premium
    assert either.allows(cora_maker) and either.allows(sam) and not either.allows(cora_pub)
    denial = either.check(cora_pub)
    assert denial.reason == "it needs role support or tier premium or higher"
    assert denial.remedy  # the first remedy on offer
    neither = ~support
    assert neither.allows(cora_pub) and not neither.allows(sam)
    assert "role support" in neither.check(sam).reason
    nested = support | (premium & in_channel("C1"))
    assert nested.describe == "role support or (tier premium or higher and the designated channel)"
    assert nested.allows(actor("UCORA", team="TMAKER", channel="C1"))
    assert not nested.allows(actor("UCORA", team="TMAKER", channel="C2"))
    assert anyone.allows(cora_pub) and not nobody.allows(sam)


def _row(**fields):
    return CommandPolicy.create(command="x", **fields)


def test_policy_from_row(world):
    cora_maker = actor("UCORA", team="TMAKER")
    assert policy_from_row(_row(enabled=False)) is nobody
    CommandPolicy.delete().execute()
    assert policy_from_row(_row()) is anyone
    CommandPolicy.delete().execute()
    assert policy_from_row(_row(roles="customer, lead")).allows(cora_maker)
    CommandPolicy.delete().execute()
    row = _row(min_tier=Tier.get(Tier.slug == "premium"), communities="maker")
    assert policy_from_row(row).allows(cora_maker)
    assert not policy_from_row(row).allows(actor("UCORA", team="TPUB"))
    CommandPolicy.delete().execute()
    row = _row(channels="C1\nC2", allow_dm=True)
    assert policy_from_row(row).allows(actor("UMAX", channel="C2"))
    assert policy_from_row(row).allows(actor("UMAX", channel="D1", dm=True))
    assert not policy_from_row(row).allows(actor("UMAX", channel="C3"))
    assert "or in a direct message" in policy_from_row(row).check(actor("UMAX", channel="C3")).remedy
    row.allow_dm = False
    denial = policy_from_row(row).check(actor("UMAX", channel="D1", dm=True))
    assert denial is not None and "direct message" not in denial.remedy  # DMs are off: never suggest one


@pytest.fixture
def sample_runner(make_runner):
    r = make_runner(group)
    r.tier("general", rank=0)
    r.tier("premium", rank=10)
    r.community("maker", tier="premium", slack_team="TMAKER")
    r.person("Ana", roles=["admin"], identities=["slack:UANA"])
    r.person("Cora", roles=["customer"], identities=["slack:UCORA"])
    return r


def test_denial_says_why_and_what_to_do_and_is_audited(sample_runner):
    result = sample_runner.invoke("secret-cmd", as_="slack:UCORA")
    assert result.is_error and result.reply.ephemeral
    assert result.text.startswith("You can't do that: it needs the admin role.")
    assert "Ask your team lead or a chatops admin to grant the role" in result.text
    assert [e.outcome for e in result.audit] == ["denied"]
    assert result.audit[0].command == "secret-cmd"
    assert result.audit[0].actor.startswith("slack:UCORA")
    assert "classified" not in result.text
    assert sample_runner.invoke("secret-cmd", as_="slack:UANA").text == "classified"


def test_stored_policy_overrides_code_default(sample_runner):
    r = sample_runner
    CommandPolicy.create(command="secret-cmd", roles="customer")
    assert r.invoke("secret-cmd", as_="slack:UCORA").text == "classified"
    assert r.invoke("secret-cmd", as_="slack:UANA").outcome == "denied"
    CommandPolicy.update(roles="", min_tier=Tier.get(Tier.slug == "premium")).execute()
    assert r.invoke("secret-cmd", as_="slack:UCORA", community_id="TMAKER").outcome == "allowed"
    assert r.invoke("secret-cmd", as_="slack:UCORA").outcome == "denied"
    CommandPolicy.update(min_tier=None, communities="maker").execute()
    assert r.invoke("secret-cmd", as_="slack:UCORA", community_id="TMAKER").outcome == "allowed"
    CommandPolicy.update(communities="", channels="C1", allow_dm=True).execute()
    assert r.invoke("secret-cmd", as_="slack:UCORA", channel_id="C1").outcome == "allowed"
    assert r.invoke("secret-cmd", as_="slack:UCORA", channel_id="D9", is_direct=True).outcome == "allowed"
    denied = r.invoke("secret-cmd", as_="slack:UCORA", channel_id="C2")
    assert denied.outcome == "denied" and "designated channel or a direct message" in denied.text
    CommandPolicy.update(channels="", enabled=False).execute()
    off = r.invoke("secret-cmd", as_="slack:UANA")
    assert off.outcome == "denied"
    assert "switched off" in off.text and "Ask an admin" in off.text
    assert r.invoke("echo hi", as_="slack:UANA").text == "hi"  # other commands keep their defaults
