"""What a core Reply looks like on Discord, rendered by the adapter (no network)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from adapters.discord.render import MAX_DESCRIPTION, render
from chatops.reply import Reply, Step, Timeline

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


def test_a_long_timeline_shows_its_latest_steps_and_counts_the_earlier_ones():
    steps = tuple(Step(f"event {i}", at=T0 + timedelta(minutes=i)) for i in range(400))
    (embed,) = render(Reply.of(Timeline(steps, title="History"))).embeds
    lines = embed.description.split("\n")
    assert lines[0] == "… 380 earlier steps"
    assert lines[1].endswith("event 380") and lines[-1].endswith("event 399")  # the newest is shown, last
    assert "event 0" not in embed.description


def test_latest_steps_that_are_still_too_long_drop_from_the_oldest():
    steps = tuple(Step(f"event {i} " + "x" * 900) for i in range(20))
    (embed,) = render(Reply.of(Timeline(steps))).embeds
    assert len(embed.description) <= MAX_DESCRIPTION
    assert embed.description.startswith("… ") and "event 19 " in embed.description


def test_a_short_timeline_is_shown_whole():
    steps = (Step("Created", at=T0), Step("Paid", at=T0 + timedelta(hours=1)))
    (embed,) = render(Reply.of(Timeline(steps))).embeds
    assert "earlier" not in embed.description and embed.description.count("\n") == 1


def test_timeline_latest_in_the_core():
    timeline = Timeline(tuple(Step(str(i)) for i in range(25)))
    kept, earlier = timeline.latest()
    assert [s.label for s in kept] == [str(i) for i in range(5, 25)] and earlier == 5
    assert timeline.latest(0) == ((), 25) and Timeline.earlier(1) == "… 1 earlier step"


def test_the_fakes_limit_check_catches_what_discord_would_refuse():
    """The check every Discord test runs (tests/discord/harness.py) is not a check that cannot fail."""
    from tests.discord.fakediscord import Call, FakeDiscord

    fake = FakeDiscord()
    fake.check_limits(Call("POST", "/channels/1/messages", {}, {
        "content": "x" * 2001, "embeds": [{"description": "d" * 4097, "fields": [{"name": "n", "value": ""}]}],
        "components": [{"type": 1, "components": [{"type": 2, "custom_id": "a", "label": "l" * 81},
                                                  {"type": 2, "custom_id": "a", "label": "ok"}]}]}, 0.0))
    fake.check_limits(Call("POST", "/interactions/1/tok/callback", {}, {"type": 9, "data": {
        "title": "t" * 46, "custom_id": "f", "components": [
            {"type": 18, "label": "L", "component": {"type": 3, "custom_id": "s", "options": []}}]}}, 0.0))
    text = "\n".join(fake.limit_violations)
    for expected in ("content of 2001", "embed description of 4097", "without a name or value",
                     "button label of 81", "not unique", "title 'tttt", "select with 0 options"):
        assert expected in text, expected
    ok = FakeDiscord()
    ok.check_limits(Call("POST", "/channels/1/messages", {}, {"content": "fine", "embeds": [{"description": "d" * 4000}]},
                         0.0))
    assert ok.limit_violations == []
