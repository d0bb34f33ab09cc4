"""Who is asking: community from the workspace or membership, tier, staff, first contact."""
from __future__ import annotations

import threading

import pytest

from chatops import Invocation
from chatops.identity import resolve
from chatops.models import Identity, Person
from chatops.settings import Settings


@pytest.fixture
def world(runner):
    runner.tier("general", rank=0)
    runner.tier("premium", rank=10)
    runner.tier("internal", rank=100)
    runner.community("maker", tier="premium", slack_team="TMAKER", discord_guild="900000000000000001")
    runner.community("prospect", tier="premium", permitted=False, slack_team="TPROS")
    runner.community("internal", tier="internal")
    return runner


def who(platform, user, community_id=None, settings=None):
    return resolve(Invocation(platform=platform, user_id=user, community_id=community_id), settings or Settings())


def test_slack_team_and_discord_guild_map_to_the_community(world):
    world.person("Cora", identities=["slack:UCORA", "discord:42"])
    assert who("slack", "UCORA", "TMAKER").community.slug == "maker"
    assert who("discord", "42", "900000000000000001").community.slug == "maker"
    # a Slack team id means nothing on Discord
    assert who("discord", "42", "TMAKER").community is None


def test_explicit_membership_is_the_fallback(world):
    world.person("Pat", identities=["slack:UPAT"], communities=["maker"])
    assert who("slack", "UPAT").community.slug == "maker"
    assert who("slack", "UPAT", "TUNKNOWN").community.slug == "maker"
    assert who("slack", "UPAT", "TPROS").community.slug == "prospect"  # the workspace wins


def test_permitted_partner_gets_its_tier(world):
    world.person("Cora", identities=["slack:UCORA"])
    actor = who("slack", "UCORA", "TMAKER")
    assert actor.tier.slug == "premium" and not actor.is_staff


def test_not_permitted_community_gets_the_default_tier(world):
    world.person("Pia", identities=["slack:UPIA"])
    assert who("slack", "UPIA", "TPROS").tier.slug == "general"
    assert who("slack", "UPIA").tier.slug == "general"
    assert who("slack", "UPIA", settings=Settings(default_tier="premium")).tier.slug == "premium"


def test_staff_role_gets_the_staff_tier(world):
    world.person("Sam", roles=["support"], identities=["slack:USAM"])
    actor = who("slack", "USAM", "TMAKER")
    assert actor.is_staff and actor.tier.slug == "internal" and actor.roles == {"support"}
    world.person("Mo", roles=["member"], identities=["slack:UMO"])
    assert not who("slack", "UMO").is_staff


def test_first_contact_creates_person_and_identity_once(world):
    first = who("discord", "777", "900000000000000001")
    assert first.person.name == "discord:777" and first.community.slug == "maker"
    second = who("discord", "777")
    assert second.person.id == first.person.id
    assert Identity.select().where(Identity.user_id == "777").count() == 1
    named = resolve(Invocation(platform="slack", user_id="UNEW", display_name="Nia"), Settings())
    assert named.person.name == "Nia" and named.label == "slack:UNEW (Nia)"


def _concurrent_first_contacts(runner, n=10):
    barrier = threading.Barrier(n)
    replies = [None] * n

    def worker(i):
        try:
            barrier.wait(timeout=10)
            replies[i] = runner.router.handle(runner.invocation("whoami", as_="slack:UFRESH"))
        finally:
            runner.db.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    texts = [r.plain_text() for r in replies]
    assert all("slack:UFRESH" in t for t in texts), texts
    assert Identity.select().where(Identity.user_id == "UFRESH").count() == 1
    assert Person.select().count() == 1


def test_concurrent_first_contacts_sqlite(make_runner):
    _concurrent_first_contacts(make_runner(database_url=""))


@pytest.mark.postgres
def test_concurrent_first_contacts_postgres(make_runner, pg_url):
    _concurrent_first_contacts(make_runner(database_url=pg_url))
