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
