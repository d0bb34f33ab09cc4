"""Deflection offers only commands that are installed and that the asker may run; both the ops hook
and the admin's DeflectionRule rows count."""
from __future__ import annotations

from chatops.models import CommandPolicy
from chatops.support import classify
from chatops.support.models import Deflection, DeflectionRule, Ticket

from .helpers import CORA, MAX, last_ticket


def test_a_member_who_may_not_change_emails_gets_a_ticket_not_the_offer(sup):
    # change-email is for customers and staff: Max (member) can't run it, so no offer.
    r = sup.invoke("support please change my email to new@example.com", **MAX)
    assert not r.is_error, r.text
    assert "change-email" not in r.text and "Ticket #1 is open" in r.text
    assert Deflection.select().count() == 0 and last_ticket() is not None


def test_a_customer_who_may_gets_the_offer(sup):
    r = sup.invoke("support please change my email to new@example.com", **CORA)
    assert "change-email" in r.text and Ticket.select().count() == 0


def test_a_stored_policy_override_counts(sup):
    CommandPolicy.create(command="change-email", roles="admin")
    r = sup.invoke("support please change my email to new@example.com", **CORA)
    assert "change-email" not in r.text and "Ticket #1 is open" in r.text


def test_deflection_rules_are_used_alongside_the_ops_hook_and_unknown_commands_are_dropped(sup):
    DeflectionRule.create(keywords="who am i, my roles", command="whoami", example="whoami",
                          why="Shows your tier, community and roles.")
    DeflectionRule.create(keywords="my roles, two factor", command="reset-2fa", example="reset-2fa ACCOUNT",
                          why="Not installed here.")
    r = sup.invoke("support which are my roles here", **MAX)
    assert "`whoami`" in r.text and "reset-2fa" not in r.text
    assert Deflection.get().command == "whoami"
    # a rule naming only a missing command offers nothing: the ticket opens directly
    r = sup.invoke("support I lost my two factor device", **MAX)
    assert "reset-2fa" not in r.text and "is open" in r.text


def test_merge_keeps_one_suggestion_per_command(sup):
    # The demo seeds a DeflectionRule for change-email too; the ops hook's comes first, once.
    found = classify.suggest("please change my email")
    assert [s.command for s in found].count("change-email") == 1
    assert found[0].why.startswith("You can change an account's e-mail address yourself")
