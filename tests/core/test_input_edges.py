"""What reaches the core from chat is cleaned and checked: typos in a DM, ids longer than a platform's,
control characters."""
from __future__ import annotations

from chatops.invocation import sanitize


def test_a_typo_in_a_dm_suggests_the_command_instead_of_opening_a_ticket(runner):
    typo = runner.invoke("hlep", as_="slack:U1", is_direct=True)
    assert "There is no command called `hlep`" in typo.text and "`help`" in typo.text
    request = runner.invoke("the docs site shows a blank page", as_="slack:U1", is_direct=True)
    assert "is open" in request.text  # not a typo of anything: the DM asks for support


def test_malformed_ids_are_refused_politely(runner):
    result = runner.invoke("ping", as_="slack:" + "U" * 65)
    assert result.is_error and "user id is longer than 64" in result.text
    result = runner.invoke("ping", channel_id="C" * 65)
    assert result.is_error and "channel id" in result.text


def test_control_characters_are_dropped_but_tabs_and_newlines_kept():
    assert sanitize("a\x1b[2J\x07b\tc\nd\x00e\x7f") == "a[2Jb\tc\nde"
