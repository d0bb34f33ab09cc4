"""App commands: every registered command, typed options, the ephemeral rule, denials, slow work."""
from __future__ import annotations

import asyncio

from adapters.discord.appcommands import BOOLEAN, INTEGER, NUMBER, STRING, USER, commands_payload
from chatops.models import AuditEvent, CommunityLink, PlatformRoleMapping, WorkItem
from tests.discord import sample
from tests.discord.fakediscord import GUILD_ID
from tests.discord.harness import content, run

EPHEMERAL = 64
APOLOGY = "something went wrong on our side"


def test_the_schema_has_typed_options_and_descriptions(make_runner):
    runner = make_runner(sample.group)
    payload = {c["name"]: c for c in commands_payload(runner.app.registry)}
    typed = payload["typed"]
    assert typed["description"] == "Echo typed options."
    options = {o["name"]: o for o in typed["options"]}
    assert options["count"]["type"] == INTEGER and options["count"]["required"]
    assert options["loud"]["type"] == BOOLEAN
    assert options["colour"]["type"] == STRING and [c["value"] for c in options["colour"]["choices"]] == ["red", "blue"]
    assert options["who"]["type"] == USER and options["who"]["description"] == "someone"
    assert options["ratio"]["type"] == NUMBER and not options["ratio"]["required"]
    assert [c["value"] for c in options["mode"]["choices"]] == ["fast", "slow"]
    assert options["note"]["required"] is False
    assert [o["required"] for o in typed["options"]] == sorted((o["required"] for o in typed["options"]), reverse=True)
    # free text is optional on Discord (a form asks for it); the command name is kebab-case as registered
    ask = {o["name"]: o for o in payload["ask"]["options"]}
    assert ask["text"]["required"] is False and ask["topic"]["required"] is True
    assert "staff-report" in payload and "set-flag" in payload
    assert set(payload) >= {c.name for c in runner.app.registry if not c.hidden}


def test_typed_options_reach_the_core_converted(make_runner):
    runner = make_runner(sample.group)

    async def scenario(h):
        _, callback, followup = await h.command(
            "typed", {"count": 41, "loud": True, "colour": "blue", "who": "940000000000000077", "ratio": 0.5},
            types={"count": INTEGER, "loud": BOOLEAN, "who": USER, "ratio": NUMBER})
        assert callback.json["type"] == 5 and not callback.json.get("data", {}).get("flags")  # public defer
        text = content(followup)
        assert "count: 42" in text and "loud: True" in text and "colour: blue" in text
        assert "who: discord:940000000000000077" in text and "ratio: 0.5" in text

    run(runner.app, scenario)


def test_every_registered_command_answers_without_an_internal_error(make_runner):
    runner = make_runner(sample.group)
    sample.SLOW_GATE.set()
    values = {INTEGER: 1, BOOLEAN: False, NUMBER: 1.5, USER: "940000000000000077"}

    async def scenario(h):
        answered = []
        for spec in commands_payload(runner.app.registry):
            options = {}
            types = {}
            for o in spec["options"]:
                tail = {p.name for p in runner.app.registry.get(spec["name"]).params if p.is_tail}
                if not o["required"] and o["name"] not in tail:  # a free text left out opens a form instead
                    continue
                types[o["name"]] = o["type"]
                options[o["name"]] = o["choices"][0]["value"] if o.get("choices") else values.get(o["type"], "x1")
            payload, callback, followup = await h.command(spec["name"], options, types=types)
            assert callback.json["type"] == 5, spec["name"]
            text = content(followup)
            assert text and APOLOGY not in text, (spec["name"], text)
            answered.append(spec["name"])
        assert {"help", "whoami", "ping", "typed", "six"} <= set(answered)
        assert set(answered) == {c.name for c in runner.app.registry if not c.hidden}

    try:
        run(runner.app, scenario)
    finally:
        sample.SLOW_GATE.clear()


def test_a_guild_role_maps_to_a_tier(make_runner):
    runner = make_runner(sample.group)
    runner.tier("general", rank=0)
    premium = runner.tier("premium", rank=10)
    community = runner.community("maker-dao", tier="general", discord_guild=GUILD_ID)
    PlatformRoleMapping.create(platform="discord", external_role="960000000000000001", community=community,
                               tier=premium)
    role = {"id": "960000000000000001", "name": "partner", "permissions": "0", "position": 1, "color": 0,
            "hoist": False, "managed": False, "mentionable": False, "flags": 0}

    async def scenario(h):
        h.fake.guild_roles.append(role)
        await h.stop_bot()
        await h.start_bot()  # GUILD_CREATE now carries the role
        _, callback, followup = await h.command("whoami", roles=("960000000000000001",), user_id="940000000000000005")
        assert callback.json["data"]["flags"] & EPHEMERAL
        assert "Tier: Premium" in content(followup) and "Community: Maker Dao" in content(followup)
        _, _, plain = await h.command("whoami", user_id="940000000000000006")
        assert "Tier: General" in content(plain)

    run(runner.app, scenario)
    assert CommunityLink.select().count() == 1


def test_a_denial_after_a_public_defer_is_shown_ephemerally(make_runner):
    runner = make_runner(sample.group)

    async def scenario(h):
        payload, callback, followup = await h.command("staff-report")
        assert callback.json["type"] == 5 and not callback.json.get("data", {}).get("flags")
        deleted = h.fake.find("DELETE", f"/webhooks/{h.fake_app_id}/{payload['token']}/messages/@original")
        assert deleted and h.fake.calls.index(deleted[0]) < h.fake.calls.index(followup)
        assert h.fake.ephemeral(followup)
        assert "You can't do that" in content(followup)
        assert "the staff report" not in content(followup)

    run(runner.app, scenario)
    assert AuditEvent.select().where(AuditEvent.command == "staff-report").get().outcome == "denied"


def test_slow_work_is_deferred_at_once_and_followed_up(make_runner):
    runner = make_runner(sample.group)
    sample.SLOW_GATE.clear()

    async def scenario(h):
        payload = await h.fake.interaction(h.fake.command("slow"))
        callback = await h.callback(payload)
        assert callback.json["type"] == 5
        await asyncio.sleep(0)  # let anything already queued run: the handler is still blocked
        assert not h.fake.find("POST", f"/webhooks/{h.fake_app_id}/{payload['token']}")
        sample.SLOW_GATE.set()
        followup = await h.followup(payload)
        assert "Slow job" in content(followup) and "<t:" in content(followup)

    try:
        run(runner.app, scenario)
    finally:
        sample.SLOW_GATE.clear()


def test_a_repeated_interaction_runs_once(make_runner):
    runner = make_runner(sample.group)

    async def scenario(h):
        from chatops.models import WorkItem

        payload = h.fake.command("ping")
        await h.fake.interaction(payload)
        await h.followup(payload)
        for _ in range(200):
            if WorkItem.get().state == "done":
                break
            await asyncio.sleep(0.01)
        before = len(h.fake.calls)
        await h.fake.interaction(payload)  # the gateway delivered it again
        for _ in range(200):
            if AuditEvent.select().where(AuditEvent.outcome == "duplicate").exists():
                break
            await asyncio.sleep(0.01)
        # acknowledged once, answered once: no second callback, no second follow-up
        assert not [c for c in h.fake.calls[before:] if payload["token"] in c.path]

    run(runner.app, scenario)
    events = list(AuditEvent.select().order_by(AuditEvent.seq))
    assert [e.outcome for e in events] == ["allowed", "duplicate"]
    assert events[0].command == "ping" and events[0].correlation_id == events[1].correlation_id


def test_an_interaction_whose_defer_discord_refuses_is_cancelled_not_run(make_runner):
    """The user saw "This interaction failed": the accepted work must not run behind their back."""
    from chatops.models import WorkItem

    runner = make_runner(sample.group)

    async def scenario(h):
        payload = h.fake.command("ping")
        h.fake.callback_status[payload["id"]] = 404
        await h.fake.interaction(payload)
        await h.callback(payload)
        for _ in range(200):
            if WorkItem.select().where(WorkItem.state == "cancelled").exists():
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.3)
        assert not h.fake.find("POST", f"/webhooks/{h.fake_app_id}/{payload['token']}")

    run(runner.app, scenario)
    assert WorkItem.get().state == "cancelled"
    events = list(AuditEvent.select())
    assert [e.outcome for e in events] == ["failed"] and "refused the first response" in events[0].detail


def test_a_cloudflare_429_on_the_answer_is_retried_after_its_retry_after_and_answered_once(runner):
    """Cloudflare's own 429 has no ``Via`` header, so discord.py raises at once instead of waiting: the
    work item is tried again after the Retry-After, and the user gets the answer (once), not "thinking…"."""
    async def scenario(h):
        h.fake.webhook_answers.append((429, {"Retry-After": "1", "Content-Type": "text/plain"}))
        payload = await h.fake.interaction(h.fake.command("ping"))
        await h.callback(payload)
        first = await h.followup(payload)  # the refused attempt
        await asyncio.sleep(0.3)
        item = WorkItem.get(WorkItem.key.contains(payload["id"]))
        assert item.state == "queued" and "429" in item.error
        assert 0.5 <= (item.not_before - runner.clock()).total_seconds() <= 1.0  # Discord's Retry-After, not 10 s
        runner.clock.advance(seconds=1)
        answered = await h.followup(payload, timeout=20, where=lambda c: c is not first)
        assert "pong" in content(answered).lower()
        await asyncio.sleep(1.5)
        original = f"/webhooks/{h.fake_app_id}/{payload['token']}/messages/@original"
        assert [c.path for c in h.fake.find("PATCH", original)] == [original] * 2  # refused + answered
        assert not h.fake.find("POST", f"/webhooks/{h.fake_app_id}/{payload['token']}")  # no second message

    run(runner.app, scenario)
