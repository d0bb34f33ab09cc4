"""Support on Discord (tickets in their destination channel, the redirect) and the outbox sender."""
from __future__ import annotations

import asyncio

from adapters.discord.sender import OutboxSender
from chatops import outbox
from chatops.invocation import utcnow
from chatops.models import OutboundMessage, PlatformRoleMapping
from chatops.reply import Destination, Reply, Text
from chatops.support.models import SupportChannel, SupportRoute
from tests.discord.fakediscord import CHANNEL_ID, GUILD_ID, SUPPORT_CHANNEL_ID
from tests.discord.harness import content, custom_ids, run

EPHEMERAL = 64
PARTNER_ROLE = "960000000000000001"


def _partner_setup(runner):
    runner.tier("general", rank=0)
    premium = runner.tier("premium", rank=10)
    maker = runner.community("maker-dao", tier="general", discord_guild=GUILD_ID)
    PlatformRoleMapping.create(platform="discord", external_role=PARTNER_ROLE, community=maker, tier=premium)
    SupportRoute.create(name="maker", community=maker, discord_channel=SUPPORT_CHANNEL_ID)
    SupportChannel.create(platform="discord", channel_id=CHANNEL_ID, name="partners", tiers="premium")
    runner.person("sam", roles=["support"], identities=["discord:940000000000000099"])


def test_a_ticket_lands_in_its_channel_with_buttons_and_the_requester_is_told(runner):
    _partner_setup(runner)

    async def scenario(h):
        _, callback, opened = await h.command(
            "support", {"summary": "SDK init fails", "details": "the widget explodes on init zzz"},
            roles=(PARTNER_ROLE,))
        assert callback.json["data"]["flags"] & EPHEMERAL  # support is private: it defers privately...
        assert h.fake.ephemeral(opened)  # ...and its answer stays private
        assert "is open" in content(opened) and f"<#{SUPPORT_CHANNEL_ID}>" in content(opened)
        await h.bot.sender.drain_once()
        card = await h.fake.wait_for("POST", f"/channels/{SUPPORT_CHANNEL_ID}/messages")
        assert "SDK init fails" in content(card)
        claim = next(i for i in custom_ids(card) if i.endswith(".claim"))
        row = OutboundMessage.get(OutboundMessage.channel_id == SUPPORT_CHANNEL_ID)
        assert row.state == "sent" and row.external_id
        # a second send of this row (a sender that stopped mid-post) is answered by Discord with this one
        assert card.json["nonce"] == f"chatops-{row.id}" and card.json["enforce_nonce"] is True
        payload = h.fake.button(claim, user_id="940000000000000099")
        payload["message"]["components"] = card.json["components"]
        await h.fake.interaction(payload)
        updated = await h.fake.wait_for("PATCH", f"/webhooks/{h.fake_app_id}/{payload['token']}/messages/@original")
        assert "You can't do that" not in content(updated)
        # the card itself changed: its state and buttons, and no second card was posted
        assert "State: claimed — sam" in content(updated)
        assert [i.rsplit(".", 1)[1] for i in custom_ids(updated)] == ["wait", "resolve", "unclaim"]
        assert not h.fake.find("POST", f"/webhooks/{h.fake_app_id}/{payload['token']}")

    run(runner.app, scenario, run_sender=False)


def test_the_redirect_is_ephemeral(runner):
    _partner_setup(runner)

    async def scenario(h):
        payload, callback, followup = await h.command("support", {"details": "help me please zzz"},
                                                      user_id="940000000000000050")
        assert callback.json["data"]["flags"] & EPHEMERAL  # deferred privately: nothing public to delete
        assert not h.fake.find("DELETE", f"/webhooks/{h.fake_app_id}/{payload['token']}/messages/@original")
        assert h.fake.ephemeral(followup)
        assert "You can't do that: #partners is for the premium tier" in content(followup)
        assert "direct message" in content(followup)

    run(runner.app, scenario, run_sender=False)
    assert not OutboundMessage.select().exists()


def _fake_time():
    now = [1000.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    return (lambda: now[0]), sleep, slept


def test_the_sender_starts_threads_paces_channels_and_fails_for_good(runner):
    clock, sleep, slept = _fake_time()

    async def scenario(h):
        h.bot.sender = sender = OutboxSender(h.bot, clock=clock, sleep=sleep, now=runner.clock)
        h.fake.channel_status["920000000000000077"] = 403

        def enqueue():
            dest = Destination("discord", SUPPORT_CHANNEL_ID)
            outbox.enqueue(dest, Reply((Text("Ticket T-1: payout late\nmore"),)), now=runner.clock(), thread_id="new")
            outbox.enqueue(dest, Reply.text("second"), now=runner.clock())
            outbox.enqueue(Destination("discord", "920000000000000077"), Reply.text("nope"), now=runner.clock())
            outbox.enqueue(Destination("slack", "C1"), Reply.text("not ours"), now=runner.clock())

        await h.bot.run(enqueue)
        assert await sender.drain_once() == 3
        thread = await h.fake.wait_for("POST", "/threads")
        assert thread.json["name"] == "Ticket T-1: payout late"
        posts = [c for c in h.fake.find("POST", f"/channels/{SUPPORT_CHANNEL_ID}/messages")
                 if c.path.endswith("/messages")]
        assert [content(p) for p in posts] == ["Ticket T-1: payout late\nmore", "second"]
        assert slept == [1.0]  # the second post to one channel waited a second

    run(runner.app, scenario, run_sender=False)
    rows = {r.channel_id + ":" + (r.reply["blocks"][0]["text"]): r for r in OutboundMessage.select()}
    first = rows[f"{SUPPORT_CHANNEL_ID}:Ticket T-1: payout late\nmore"]
    assert first.state == "sent" and first.thread_id.isdigit() and first.external_id
    assert rows["920000000000000077:nope"].state == "failed" and "403" in rows["920000000000000077:nope"].error
    assert rows["C1:not ours"].state == "pending"


def test_the_sender_retries_server_errors_later(runner):
    async def scenario(h):
        h.fake.channel_status[SUPPORT_CHANNEL_ID] = 400
        await h.bot.run(outbox.enqueue, Destination("discord", SUPPORT_CHANNEL_ID), Reply.text("x"),
                        now=runner.clock())
        await h.bot.sender.drain_once()

    run(runner.app, scenario, run_sender=False)
    row = OutboundMessage.get()
    assert row.state == "pending" and row.attempts == 1 and row.not_before > runner.clock()


def test_the_running_sender_delivers_when_woken(runner):
    async def scenario(h):
        delivered = asyncio.Event()
        deliver = h.bot.sender.deliver

        async def deliver_and_tell(row):
            await deliver(row)
            delivered.set()

        h.bot.sender.deliver = deliver_and_tell
        await h.bot.run(outbox.enqueue, Destination("discord", SUPPORT_CHANNEL_ID), Reply.text("wake up"),
                        now=utcnow())  # the running sender claims by the real clock
        h.bot.sender.wake()  # the poll interval is 30 s: only the wake-up can deliver it in time
        await asyncio.wait_for(delivered.wait(), 5)
        post = await h.fake.wait_for("POST", f"/channels/{SUPPORT_CHANNEL_ID}/messages")
        assert content(post) == "wake up"

    run(runner.app, scenario, sender_interval=30)
    assert OutboundMessage.get().state == "sent"


HOSTILE = "@everyone @here <@&555000000000000001> <@940000000000000050> my payout is late"


def test_user_text_in_a_ticket_card_pings_no_one_and_an_intended_mention_pings_only_that_person(runner):
    """The requester's text is quoted verbatim in the staff card and on Claim; Discord is told to notify
    nobody for it. A reply that names who to notify (Reply.mentions: the on-call person) pings them only."""
    _partner_setup(runner)

    async def scenario(h):
        await h.command("support", {"summary": HOSTILE[:90], "details": HOSTILE + " zzz"}, roles=(PARTNER_ROLE,))
        await h.bot.sender.drain_once()
        card = await h.fake.wait_for("POST", f"/channels/{SUPPORT_CHANNEL_ID}/messages")
        assert "@everyone" in content(card) and "<@&555000000000000001>" in content(card)
        assert card.json["allowed_mentions"] == {"parse": []}
        claim = next(i for i in custom_ids(card) if i.endswith(".claim"))
        payload = h.fake.button(claim, user_id="940000000000000099")
        payload["message"]["components"] = card.json["components"]
        await h.fake.interaction(payload)
        claimed = await h.fake.wait_for("PATCH", f"/webhooks/{h.fake_app_id}/{payload['token']}/messages/@original")
        assert "@everyone" in content(claimed) and claimed.json["allowed_mentions"] == {"parse": []}
        outbox.enqueue(Destination("discord", SUPPORT_CHANNEL_ID),
                       Reply((Text(f"<@940000000000000099> (on call) escalation about: {HOSTILE}", "warning"),),
                             mentions=("940000000000000099",)), now=utcnow())
        await h.bot.sender.drain_once()
        escalation = await h.fake.wait_for("POST", f"/channels/{SUPPORT_CHANNEL_ID}/messages",
                                           where=lambda c: "escalation" in content(c))
        allowed = escalation.json["allowed_mentions"]
        assert allowed["parse"] == [] and [str(u) for u in allowed["users"]] == ["940000000000000099"]

    run(runner.app, scenario, run_sender=False)


def test_a_ticket_claimed_by_command_updates_its_card_in_the_channel(runner):
    """The card posted when the ticket opened is edited (state, buttons) when it changes elsewhere."""
    from chatops.support.models import Ticket

    _partner_setup(runner)

    async def scenario(h):
        await h.command("support", {"summary": "SDK init fails", "details": "the widget explodes zzz"},
                        roles=(PARTNER_ROLE,))
        await h.bot.sender.drain_once()
        card = await h.fake.wait_for("POST", f"/channels/{SUPPORT_CHANNEL_ID}/messages")
        message_id = OutboundMessage.get(OutboundMessage.channel_id == SUPPORT_CHANNEL_ID).external_id
        ticket = Ticket.get()
        _, _, claimed = await h.command("ticket", {"verb": "claim", "ticket-id": ticket.id},
                                        types={"ticket-id": 4}, user_id="940000000000000099")
        assert "claimed" in content(claimed).lower() or "yours" in content(claimed).lower()
        h.use_instant_sender(runner.clock)
        await h.bot.sender.drain_once()
        edited = await h.fake.wait_for("PATCH", f"/channels/{SUPPORT_CHANNEL_ID}/messages/{message_id}")
        assert "State: claimed — sam" in content(edited)
        assert [i.rsplit(".", 1)[1] for i in custom_ids(edited)] == ["wait", "resolve", "unclaim"]
        posts = [c for c in h.fake.find("POST") if c.path == f"/channels/{SUPPORT_CHANNEL_ID}/messages"]
        assert len(posts) == 1  # no second card
        assert card.json["components"] != edited.json["components"]

    run(runner.app, scenario, run_sender=False)
