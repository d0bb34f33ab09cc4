"""Every button kind through the real discord.py client against the fake Discord, with its database effect.

confirm / cancel (a preview), approve / reject (ops approvals: `remove-seller-fee`, two-person rule),
claim / resolve (a ticket card), the CSAT rating, and deflection ("That solved it" / "I still need help").
"""
from __future__ import annotations

from chatops.models import AuditEvent, PendingAction, PlatformRoleMapping
from chatops.ops import demo
from chatops.ops.demo_backend import DemoAccount, DemoEvent, DemoSeller
from chatops.ops.models import OpsPolicy
from chatops.support.models import CsatRating, Deflection, Ticket, TicketEvent
from chatops.support.models import SupportRoute
from tests.discord.fakediscord import CHANNEL_ID, GUILD_ID, SUPPORT_CHANNEL_ID
from tests.discord.harness import button_ids, content, run

EPHEMERAL = 64
APPROVALS_CHANNEL = "920000000000000003"
PARTNER_ROLE = "960000000000000001"
SAM = "940000000000000101"   # support: asks for changes, works tickets
LEE = "940000000000000102"   # lead: approves
LIV = "940000000000000103"   # lead, a second one
CORA = "940000000000000104"  # a partner (premium through her guild role): asks for help
REQUEST = {"seller": "sel_2001", "reason": "long-standing seller, goodwill after outage"}


def _cast(runner) -> None:
    demo.seed(lambda _: None, now=runner.clock())
    runner.person("Sam Support", roles=["support"], identities=[f"discord:{SAM}"])
    runner.person("Lee Lead", roles=["lead"], identities=[f"discord:{LEE}"])
    runner.person("Liv Lead", roles=["lead"], identities=[f"discord:{LIV}"])
    runner.person("Cora Customer", roles=["customer"], identities=[f"discord:{CORA}"])
    OpsPolicy.create(command="remove-seller-fee", approval_required=True, approver_role="lead",
                     approvals_channel=APPROVALS_CHANNEL, reason_required=True)


def _support_setup(runner) -> None:
    _cast(runner)
    runner.tier("general", rank=0)
    premium = runner.tier("premium", rank=10)
    maker = runner.community("maker-dao", tier="general", discord_guild=GUILD_ID)
    PlatformRoleMapping.create(platform="discord", external_role=PARTNER_ROLE, community=maker, tier=premium)
    SupportRoute.create(name="maker", community=maker, discord_channel=SUPPORT_CHANNEL_ID)


def _fee() -> int:
    return DemoSeller.get_by_id("sel_2001").fee_bps


def _fee_removals() -> int:
    return DemoEvent.select().where(DemoEvent.label == "Seller fee removed").count()


def _outcomes(correlation_id: str) -> list[str]:
    return [e.outcome for e in AuditEvent.select().where(AuditEvent.correlation_id == correlation_id)
            .order_by(AuditEvent.seq)]


# ---- confirm / cancel --------------------------------------------------------------------------

def test_confirm_changes_the_email_once(runner):
    _cast(runner)

    async def scenario(h):
        _, callback, preview = await h.command("change-email", {"account": "acct_1002", "new-email": "b9@example.org"},
                                               user_id=SAM)
        assert callback.json["data"]["flags"] & EPHEMERAL and h.fake.ephemeral(preview)
        assert "Change the e-mail address of acct_1002" in content(preview)
        assert set(button_ids(preview)) == {"Confirm", "Cancel"}
        assert DemoAccount.get_by_id("acct_1002").email == "bob@example.org"  # a preview changes nothing
        done = await h.press_result(preview, "Confirm", user_id=SAM)
        assert done.method == "PATCH" and done.path.endswith("/messages/@original")  # the preview turns into it
        assert "e-mail address is now b9@example.org" in content(done) and done.json["components"] == []
        again = await h.press_result(preview, "Confirm", user_id=SAM)
        assert again.method == "POST" and h.fake.ephemeral(again) and "already done" in content(again)

    run(runner.app, scenario)
    assert DemoAccount.get_by_id("acct_1002").email == "b9@example.org"
    executed = AuditEvent.select().where((AuditEvent.command == "change-email") & (AuditEvent.outcome == "executed"))
    assert executed.count() == 1
    assert PendingAction.get(PendingAction.kind == "confirm").state == "done"


def test_cancel_changes_nothing_and_retires_the_preview(runner):
    _cast(runner)

    async def scenario(h):
        _, _, preview = await h.command("remove-seller-fee", REQUEST, user_id=SAM)
        assert "Remove the seller fee of sel_2001" in content(preview)
        cancelled = await h.press_result(preview, "Cancel", user_id=SAM)
        assert cancelled.method == "PATCH" and "Cancelled. Nothing was changed." in content(cancelled)
        assert cancelled.json["components"] == []
        late = await h.press_result(preview, "Confirm", user_id=SAM)
        assert h.fake.ephemeral(late) and "already cancelled" in content(late)
        assert not h.fake.find("POST", f"/channels/{APPROVALS_CHANNEL}/messages")

    run(runner.app, scenario, run_sender=False)
    assert _fee() == 300 and _fee_removals() == 0
    assert PendingAction.get(PendingAction.kind == "confirm").state == "cancelled"
    assert not PendingAction.select().where(PendingAction.kind == "approval").exists()
    # the late Confirm is refused and audited as such; nothing executed
    assert _outcomes(AuditEvent.get(AuditEvent.outcome == "cancelled").correlation_id) == [
        "previewed", "cancelled", "refused"]


# ---- approve / reject (two-person rule) ----------------------------------------------------------

async def _request_approval(h, runner):
    """Sam asks, confirms; the request reaches the approvals channel. Returns (preview, approval message)."""
    _, _, preview = await h.command("remove-seller-fee", REQUEST, user_id=SAM)
    sent = await h.press_result(preview, "Confirm", user_id=SAM)
    assert "Sent for approval to" in content(sent) and "Nothing has changed yet" in content(sent)
    sender = h.use_instant_sender(runner.clock)
    assert await sender.drain_once() == 1
    request = await h.fake.wait_for("POST", f"/channels/{APPROVALS_CHANNEL}/messages")
    assert "Approval needed: Remove the seller fee of sel_2001" in content(request)
    assert "3% → 0%" in content(request)
    assert set(button_ids(request)) == {"Approve", "Reject"}
    assert _fee() == 300
    return preview, request


def test_approve_by_a_second_lead_runs_the_change_exactly_once(runner):
    _cast(runner)

    async def scenario(h):
        _, request = await _request_approval(h, runner)
        # the requester may not approve; a support person without the lead role may not either
        own = await h.press_result(request, "Approve", user_id=SAM)
        assert h.fake.ephemeral(own) and "a second person must approve" in content(own)
        assert _fee() == 300
        approved = await h.press_result(request, "Approve", user_id=LEE)
        # the request itself now says what happened, its Approve/Reject retired (no second message)
        assert approved.method == "PATCH" and approved.path.endswith("/messages/@original")
        assert "Approved by" in content(approved) and "now pays 0%" in content(approved)
        assert approved.json["components"] == []
        twice = await h.press_result(request, "Approve", user_id=LIV)
        assert h.fake.ephemeral(twice) and "already approved" in content(twice)
        # the requester is told where they asked
        await h.bot.sender.drain_once()
        notice = await h.fake.wait_for("POST", f"/channels/{CHANNEL_ID}/messages")
        assert "was approved by" in content(notice)

    run(runner.app, scenario, run_sender=False)
    assert _fee() == 0 and _fee_removals() == 1
    approval = PendingAction.get(PendingAction.kind == "approval")
    assert approval.state == "approved"
    # Sam's own press denied; Lee's ran it once; Liv's second press refused (audited "refused")
    assert _outcomes(approval.correlation_id) == ["previewed", "pending_approval", "denied", "approved", "attempted",
                                                  "executed", "refused"]
    executed = AuditEvent.get((AuditEvent.correlation_id == approval.correlation_id) & (AuditEvent.outcome == "executed"))
    assert executed.actor.startswith(f"discord:{SAM}") and f"approved by discord:{LEE}" in executed.detail


def test_reject_changes_nothing_and_retires_the_request(runner):
    _cast(runner)

    async def scenario(h):
        _, request = await _request_approval(h, runner)
        rejected = await h.press_result(request, "Reject", user_id=LIV)
        assert not h.fake.ephemeral(rejected) and "Rejected by" in content(rejected)
        assert "Nothing was changed" in content(rejected)
        late = await h.press_result(request, "Approve", user_id=LEE)
        assert h.fake.ephemeral(late) and "already rejected" in content(late)

    run(runner.app, scenario, run_sender=False)
    assert _fee() == 300 and _fee_removals() == 0
    approval = PendingAction.get(PendingAction.kind == "approval")
    assert approval.state == "rejected"
    assert "executed" not in _outcomes(approval.correlation_id)


# ---- tickets: claim, resolve, CSAT ------------------------------------------------------------------

def test_claim_resolve_and_csat_on_a_ticket(runner):
    _support_setup(runner)

    async def scenario(h):
        sender = h.use_instant_sender(runner.clock)
        _, _, opened = await h.command("support", {"summary": "SDK init fails",
                                                   "details": "the widget explodes on init zzz"},
                                       user_id=CORA, roles=(PARTNER_ROLE,))
        assert "is open" in content(opened)
        ticket = Ticket.get()
        assert ticket.state == "open"
        await sender.drain_once()
        card = await h.fake.wait_for("POST", f"/channels/{SUPPORT_CHANNEL_ID}/messages")
        assert "SDK init fails" in content(card) and set(button_ids(card)) == {"Claim", "Resolve"}

        # claim: the requester is not staff; Sam is
        refused = await h.press_result(card, "Claim", user_id=CORA, roles=(PARTNER_ROLE,))
        assert h.fake.ephemeral(refused) and "You can't do that" in content(refused)
        assert Ticket.get().state == "open"
        claimed = await h.press_result(card, "Claim", user_id=SAM)
        assert not h.fake.ephemeral(claimed) and "claimed — Sam Support" in content(claimed)
        assert set(button_ids(claimed)) == {"Waiting on requester", "Resolve", "Unclaim"}
        ticket = Ticket.get()
        assert ticket.state == "claimed" and ticket.assignee.name == "Sam Support"
        again = await h.press_result(card, "Claim", user_id=SAM)  # the old card's button: state moved on
        assert h.fake.ephemeral(again)

        # resolve from the updated card; the requester is asked for a rating where she asked
        resolved = await h.press_result(claimed, "Resolve", user_id=SAM)
        assert "resolved" in content(resolved) and set(button_ids(resolved)) == {"Close", "Reopen"}
        assert Ticket.get().state == "resolved"
        await sender.drain_once()
        ask = await h.fake.wait_for("POST", f"/channels/{CHANNEL_ID}/messages",
                                    where=lambda c: "How did we do?" in content(c))
        assert set(button_ids(ask)) == {"1", "2", "3", "4", "5"}

        # CSAT: only the requester rates, once
        other = await h.press_result(ask, "5", user_id=SAM)
        assert h.fake.ephemeral(other) and "Only the person who asked" in content(other)
        rated = await h.press_result(ask, "4", user_id=CORA, roles=(PARTNER_ROLE,))
        assert h.fake.ephemeral(rated) and "4/5" in content(rated)
        twice = await h.press_result(ask, "5", user_id=CORA, roles=(PARTNER_ROLE,))
        assert h.fake.ephemeral(twice) and "4/5" not in content(twice)

    run(runner.app, scenario, run_sender=False)
    ticket = Ticket.get()
    assert ticket.state == "resolved"
    kinds = [e.kind for e in TicketEvent.select().where(TicketEvent.ticket == ticket.id).order_by(TicketEvent.id)]
    assert kinds.count("claimed") == 1 and kinds.count("resolved") == 1 and kinds.count("csat") == 1
    assert [(r.rating, r.person.name) for r in CsatRating.select()] == [(4, "Cora Customer")]


# ---- deflection --------------------------------------------------------------------------------------

async def _ask_for_email_change(h):
    payload, callback, offer = await h.command("support", {"details": "I need to change my email"},
                                               user_id=CORA, roles=(PARTNER_ROLE,))
    assert callback.json["data"]["flags"] & 64  # /support is private: it defers privately...
    assert not h.fake.find("DELETE", f"/webhooks/{h.fake_app_id}/{payload['token']}/messages/@original")
    assert h.fake.ephemeral(offer)  # ...and the offer is shown to the asker only, with no public "thinking…" first
    assert "You may be able to do this yourself" in content(offer) and "change-email" in content(offer)
    assert set(button_ids(offer)) == {"That solved it", "I still need help"}
    return offer


def test_deflection_that_solved_it_opens_no_ticket(runner):
    _support_setup(runner)

    async def scenario(h):
        offer = await _ask_for_email_change(h)
        done = await h.press_result(offer, "That solved it", user_id=CORA, roles=(PARTNER_ROLE,))
        assert done.method == "PATCH" and "No ticket was opened" in content(done) and done.json["components"] == []
        late = await h.press_result(offer, "I still need help", user_id=CORA, roles=(PARTNER_ROLE,))
        assert h.fake.ephemeral(late) and "already done" in content(late)

    run(runner.app, scenario, run_sender=False)
    assert not Ticket.select().exists()
    assert [(d.command, d.outcome) for d in Deflection.select()] == [("change-email", "solved")]


def test_deflection_i_still_need_help_opens_the_ticket(runner):
    _support_setup(runner)

    async def scenario(h):
        offer = await _ask_for_email_change(h)
        other = await h.press_result(offer, "I still need help", user_id=SAM)
        assert h.fake.ephemeral(other) and "only the person who asked" in content(other)
        opened = await h.press_result(offer, "I still need help", user_id=CORA, roles=(PARTNER_ROLE,))
        assert opened.method == "PATCH" and "is open" in content(opened) and f"<#{SUPPORT_CHANNEL_ID}>" in content(opened)
        await h.use_instant_sender(runner.clock).drain_once()
        card = await h.fake.wait_for("POST", f"/channels/{SUPPORT_CHANNEL_ID}/messages")
        assert "change my email" in content(card)

    run(runner.app, scenario, run_sender=False)
    (ticket,) = Ticket.select()
    assert ticket.state == "open" and ticket.requester.name == "Cora Customer"
    (row,) = Deflection.select()
    assert row.outcome == "opened" and row.ticket_id == ticket.id
