"""Staff commands are staff by policy (help hides them, CommandPolicy rows override), ticket numbers
can't be probed, and only staff go on call."""
from __future__ import annotations

from chatops.models import CommandPolicy
from chatops.support.models import OnCallShift

from .helpers import CORA, LEE, MAX, SAM, last_ticket

STAFF_COMMANDS = ("support-digest", "ticket-transfer", "oncall")


def _listed(sup, who) -> str:
    return sup.invoke("help", **who).text


def test_help_hides_staff_commands_from_customers_and_shows_them_to_staff(sup):
    customer = _listed(sup, CORA)
    for name in STAFF_COMMANDS:
        assert f"`{name}" not in customer, name
    assert "`ticket " in customer and "`support" in customer  # requesters use these on their own tickets
    staff = _listed(sup, SAM)
    for name in STAFF_COMMANDS:
        assert f"`{name}" in staff, name


def test_staff_commands_are_denied_by_policy(sup):
    for text in ("support-digest", "ticket-transfer 1 slack:U0SAMSUPP", "oncall"):
        r = sup.invoke(text, **CORA)
        assert r.is_error and r.outcome == "denied" and "it is for staff" in r.text, text


def test_a_command_policy_row_overrides_the_staff_default(sup):
    CommandPolicy.create(command="support-digest", roles="customer")
    assert "`support-digest" in _listed(sup, CORA)
    assert not sup.invoke("support-digest", **CORA).is_error
    assert sup.invoke("support-digest", **SAM).is_error  # the row replaces the default entirely


def test_ticket_show_reads_the_same_for_missing_and_not_yours(sup):
    sup.invoke("support how do callbacks work", channel_id="C0MAKERDAO", **CORA)
    t = last_ticket()
    not_yours = sup.invoke(f"ticket show {t.id}", **MAX)
    missing = sup.invoke("ticket show 999", **MAX)
    assert not_yours.is_error and missing.is_error
    assert not_yours.text == missing.text.replace("999", str(t.id))
    assert not_yours.outcome == missing.outcome == "invalid"
    # staff verbs on someone else's ticket don't tell either
    assert sup.invoke(f"ticket claim {t.id}", **MAX).text == sup.invoke("ticket claim 999", **MAX).text.replace(
        "999", str(t.id))
    # the requester and staff still see it
    assert not sup.invoke(f"ticket show {t.id}", **CORA).is_error
    assert not sup.invoke(f"ticket show {t.id}", **SAM).is_error
    # a requester asking for a staff verb on their own ticket gets the redirect
    own_claim = sup.invoke(f"ticket claim {t.id}", **CORA)
    assert own_claim.outcome == "denied" and "support team" in own_claim.text


def test_oncall_add_needs_a_staff_target(sup):
    r = sup.invoke("oncall add slack:U0CORACUST 8", **LEE)
    assert r.is_error and "not on the support team" in r.text and "staff role" in r.text
    assert r.outcome == "invalid"
    before = OnCallShift.select().count()
    ok = sup.invoke("oncall add slack:U0SAMSUPP 8", **LEE)
    assert not ok.is_error, ok.text
    assert "Sam Support" in ok.text and OnCallShift.select().count() == before + 1


def _staff_answers(sup, who) -> dict[str, bool]:
    """Whether each staff-only command (and staff ticket work) lets ``who`` through."""
    sup.invoke("support how do callbacks work", channel_id="C0MAKERDAO", **CORA)
    ticket = last_ticket()
    answers = {}
    for text in (f"ticket claim {ticket.id}", "support-digest", f"ticket-transfer {ticket.id} slack:U0LEELEAD",
                 "oncall"):
        r = sup.invoke(text, **who)
        # A customer's view of a ticket of someone else's is "You have no ticket #1" (ids can't be probed).
        answers[text] = r.outcome != "denied" and "you have no ticket" not in r.text.lower()
    return answers


def test_staff_is_the_data_flag_for_every_staff_check(sup):
    """One staff rule: a role marked is_staff makes staff whatever its name; a "support" role with the flag
    off does not — for every staff-only command and for ticket work alike (they used to disagree)."""
    from chatops.models import Identity, Person, PersonRole, Role

    engineer = Role.create(slug="engineer", name="Engineer", is_staff=True)
    eve = Person.create(name="Eve Engineer")
    Identity.create(platform="slack", user_id="U0EVEENG", person=eve)
    PersonRole.create(person=eve, role=engineer)
    assert set(_staff_answers(sup, dict(as_="slack:U0EVEENG", community_id="T0INTERNAL")).values()) == {True}
    Role.update(is_staff=False).where(Role.slug == "support").execute()
    assert set(_staff_answers(sup, SAM).values()) == {False}
