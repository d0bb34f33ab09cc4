"""Buttons: confirm, cancel, custom actions (claim/resolve), double clicks, forged and foreign presses."""
from __future__ import annotations

from chatops.models import AuditEvent

from tests.slack import sample
from tests.slack.conftest import buttons_of


def _preview(slack, fake, user="U0ANA"):
    response, rid = slack.command("slk-plan", "acct_1 pro <@U0BOB>", user=user)
    assert response.status_code == 200
    preview = fake.wait_for("response:" + rid)[0].body
    return buttons_of(preview["blocks"])


def test_buttons_carry_a_server_side_reference_and_a_unique_action_id(slack, fake):
    buttons = _preview(slack, fake)
    assert [b["action_id"] for b in buttons.values()] == ["chatops:0", "chatops:1"]
    assert buttons["Confirm"]["style"] == "primary" and buttons["Cancel"]["style"] == "danger"
    token, verb = buttons["Confirm"]["value"].rsplit(".", 1)
    assert verb == "confirm" and len(token) >= 24 and "acct_1" not in token


def test_confirm_runs_once_and_a_double_click_is_refused(slack, fake):
    confirm = _preview(slack, fake)["Confirm"]
    first, b1 = slack.press(confirm, ephemeral=True)
    second, b2 = slack.press(confirm, ephemeral=True)
    assert first.status_code == second.status_code == 200
    done, again = sorted((fake.wait_for("response:" + b)[0].body for b in (b1, b2)),
                         key=lambda a: "already" in a["text"])
    assert done["replace_original"] is True and "acct_1 is now on pro" in done["text"]
    assert again["replace_original"] is False and again["response_type"] == "ephemeral"
    assert "already done" in again["text"]
    assert [c[0] for c in sample.CALLS] == ["slk-plan"]
    assert slack.adapter.wait_idle()
    assert AuditEvent.select().where(AuditEvent.outcome == "executed").count() == 1


def test_cancel_replaces_the_preview_and_changes_nothing(slack, fake):
    cancel = _preview(slack, fake)["Cancel"]
    _, bid = slack.press(cancel, ephemeral=True)
    answer = fake.wait_for("response:" + bid)[0].body
    assert answer["replace_original"] is True and "Cancelled" in answer["text"]
    assert sample.CALLS == []


def test_only_the_requester_can_confirm(slack, fake):
    confirm = _preview(slack, fake, user="U0ANA")["Confirm"]
    _, bid = slack.press(confirm, user="U0MALLORY")
    answer = fake.wait_for("response:" + bid)[0].body
    assert answer["response_type"] == "ephemeral" and answer.get("replace_original") is False
    assert "can't" in answer["text"]
    assert sample.CALLS == []


def test_a_forged_button_value_does_nothing(slack, fake):
    _, bid = slack.press({"action_id": "chatops:0", "value": "AAAAAAAAAAAAAAAAAAAAAAAA.confirm"})
    answer = fake.wait_for("response:" + bid)[0].body
    assert "not valid" in answer["text"] and answer["response_type"] == "ephemeral"
    assert sample.CALLS == []


def test_claim_and_resolve_on_a_card_posted_through_the_outbox(slack, fake):
    response, rid = slack.command("slk-ticket", "printer on fire", user="U0ANA")
    assert "Ticket opened: printer on fire" in fake.wait_for("response:" + rid)[0].body["text"]
    card = fake.wait_for("chat.postMessage")[0].body            # the sender delivered the post
    assert card["channel"] == "CQUEUE" and "New ticket: printer on fire" in card["text"]
    buttons = buttons_of(card["blocks"])
    _, b1 = slack.press(buttons["Claim"], user="U0BOB", channel="CQUEUE")
    claimed = fake.wait_for("response:" + b1)[0].body
    assert claimed["replace_original"] is True and "claimed by U0BOB" in claimed["text"]
    _, b2 = slack.press(buttons["Resolve"], user="U0BOB", channel="CQUEUE")
    _, b3 = slack.press(buttons["Resolve"], user="U0BOB", channel="CQUEUE")     # double click
    answers = sorted((fake.wait_for("response:" + b)[0].body for b in (b2, b3)), key=lambda a: "already" in a["text"])
    assert "resolved by U0BOB" in answers[0]["text"] and answers[0]["replace_original"] is True
    assert "already done" in answers[1]["text"] and answers[1]["response_type"] == "ephemeral"
    assert [c[0] for c in sample.CALLS] == ["ticket:claim", "ticket:resolve"]


def test_a_button_the_app_does_not_know_is_acked_and_the_presser_told_it_is_not_valid(slack, fake):
    """An action id the app never made (an older version's button, a link button): 200, not Bolt's 404 (Slack
    shows that as an error mark), nothing runs, and the presser hears why, privately."""
    response, bid = slack.press({"action_id": "approve_v1", "value": "legacy-42"}, channel="C0QUEUE")
    assert response.status_code == 200
    told = fake.wait_for("response:" + bid)[0].body
    assert told["response_type"] == "ephemeral" and told["replace_original"] is False
    assert "This button is not valid any more" in told["text"]
    assert slack.adapter.wait_idle()
    assert sample.CALLS == [] and AuditEvent.select().count() == 0
    assert [c.method for c in fake.calls] == ["response:" + bid]   # no other message, no edit
