"""Choices from the data: roles, communities, tiers and ticket types are picked, not typed; a policy naming
an unknown role is refused; a policy that would deny every staff member needs a confirmation; the views for
deflection rules, platform role mappings, keyword rules and the outbox (with Retry for dead messages)."""
from __future__ import annotations

import json
from datetime import timedelta

from chatops import audit
from chatops.models import AuditEvent, CommandPolicy, OutboundMessage, PlatformRoleMapping
from chatops.support.models import DeflectionRule, KeywordRule, SupportChannel, SupportRoute

from .conftest import page_token
from .test_desk import desk_panel  # noqa: F401 - the fixture


def policy_form(client, **values):
    token = page_token(client, "/admin/commandpolicy/new/")
    data = {"csrf_token": token, "command": "whoami", "enabled": "y", "allow_dm": "y", **values}
    return client.post("/admin/commandpolicy/new/", data=data, follow_redirects=True)


def test_policy_roles_are_picked_from_existing_roles_and_unknown_ones_refused(desk_panel):
    client = desk_panel.login("ed", "editor")
    form = client.get("/admin/commandpolicy/new/").text
    assert '<select' in form and 'value="support"' in form and 'value="lead"' in form and "multiple" in form
    page = policy_form(client, roles=["staf"])
    assert "Unknown role &#39;staf&#39;" in page.text and "support" in page.text
    assert not CommandPolicy.select().exists()
    page = policy_form(client, roles=["support", "lead"], communities=["nowhere"])
    assert "Unknown community &#39;nowhere&#39;" in page.text and not CommandPolicy.select().exists()
    page = policy_form(client, roles=["support", "lead"])
    row = CommandPolicy.get(CommandPolicy.command == "whoami")
    assert row.roles == "lead,support"
    event = AuditEvent.get(AuditEvent.command == "admin.command_policy.create")
    assert json.loads(event.arguments)["values"]["roles"] == "lead,support"


def test_a_stored_unknown_role_is_shown_marked_and_must_be_fixed(desk_panel):
    row = CommandPolicy.create(command="whoami", roles="staf")
    client = desk_panel.login("ed", "editor")
    form = client.get(f"/admin/commandpolicy/edit/?id={row.id}").text
    assert "staf (unknown role)" in form


def test_a_policy_that_denies_every_staff_member_needs_confirmation(desk_panel):
    client = desk_panel.login("ed", "editor")
    page = policy_form(client, roles=["customer"])
    assert "would deny every staff member" in page.text and "no staff member holds customer" in page.text
    assert not CommandPolicy.select().exists()
    page = policy_form(client, roles=["customer"], confirm_deny_staff="y")
    assert CommandPolicy.get(CommandPolicy.command == "whoami").roles == "customer"
    # switching a command off denies staff too; a minimum tier above the staff tier as well
    row = CommandPolicy.get(CommandPolicy.command == "whoami")
    token = page_token(client, f"/admin/commandpolicy/edit/?id={row.id}")
    page = client.post(f"/admin/commandpolicy/edit/?id={row.id}", follow_redirects=True,
                       data={"csrf_token": token, "command": "whoami", "roles": ["support"], "allow_dm": "y"})
    assert "the command is switched off" in page.text
    assert CommandPolicy.get_by_id(row.id).enabled is True
    desk_panel.runner.tier("vip", rank=1000)
    vip = desk_panel.runner.tier("vip")
    page = client.post(f"/admin/commandpolicy/edit/?id={row.id}", follow_redirects=True,
                       data={"csrf_token": token, "command": "whoami", "enabled": "y", "roles": ["support"],
                             "min_tier": str(vip.id), "allow_dm": "y"})
    assert "below the minimum vip" in page.text
    page = client.post(f"/admin/commandpolicy/edit/?id={row.id}", follow_redirects=True,
                       data={"csrf_token": token, "command": "whoami", "enabled": "y", "roles": ["support"],
                             "allow_dm": "y"})
    assert CommandPolicy.get_by_id(row.id).roles == "support"  # a staff role: no question asked


def test_route_type_is_a_select_of_the_five_types(desk_panel):
    for cid, name in (("C0BUGS", "bugs"), ("C0ANY", "any"), ("C1", "one")):
        SupportChannel.get_or_create(platform="slack", channel_id=cid, defaults={"name": name})
    client = desk_panel.login("ed", "editor")
    form = client.get("/admin/supportroute/new/").text
    assert 'value="external_dev_problem"' in form and "external dev problem" in form
    token = page_token(client, "/admin/supportroute/new/")
    page = client.post("/admin/supportroute/new/", follow_redirects=True, data={
        "csrf_token": token, "name": "typo", "category": "external_dev_inquiri", "slack_channel": "C1"})
    assert "not one of the choices" in page.text and not SupportRoute.select().exists()
    client.post("/admin/supportroute/new/", data={"csrf_token": token, "name": "bugs",
                                                  "category": "external_dev_problem", "slack_channel": "C0BUGS"})
    client.post("/admin/supportroute/new/", data={"csrf_token": token, "name": "any", "category": "",
                                                  "slack_channel": "C0ANY"})
    assert {r.name: r.category for r in SupportRoute.select()} == {"bugs": "external_dev_problem", "any": None}


def test_route_and_team_channels_are_picked_from_the_listed_channels(desk_panel):
    SupportChannel.create(platform="slack", channel_id="C0BUGS", name="support-bug-queue")
    SupportChannel.create(platform="discord", channel_id="300000000000000009", name="support-bug-queue")
    client = desk_panel.login("ed", "editor")
    form = client.get("/admin/supportroute/new/").text
    assert "#support-bug-queue (C0BUGS)" in form and "#support-bug-queue (300000000000000009)" in form
    token = page_token(client, "/admin/supportroute/new/")
    page = client.post("/admin/supportroute/new/", follow_redirects=True, data={
        "csrf_token": token, "name": "typo", "category": "", "slack_channel": "C0BUGZ"})
    assert "Channel &#39;C0BUGZ&#39; is not listed for slack" in page.text and not SupportRoute.select().exists()
    client.post("/admin/supportroute/new/", data={"csrf_token": token, "name": "bugs", "category": "",
                                                  "slack_channel": "C0BUGS", "discord_channel": "300000000000000009"})
    route = SupportRoute.get(SupportRoute.name == "bugs")
    assert (route.slack_channel, route.discord_channel) == ("C0BUGS", "300000000000000009")
    token = page_token(client, "/admin/supportteam/new/")
    page = client.post("/admin/supportteam/new/", follow_redirects=True, data={
        "csrf_token": token, "slug": "t", "name": "T", "slack_channel": "C0NOPE"})
    assert "is not listed for slack" in page.text


def test_channel_tiers_are_picked_from_tiers(desk_panel):
    client = desk_panel.login("ed", "editor")
    token = page_token(client, "/admin/supportchannel/new/")
    page = client.post("/admin/supportchannel/new/", follow_redirects=True, data={
        "csrf_token": token, "platform": "slack", "channel_id": "C9", "name": "premium", "tiers": ["premiun"]})
    assert "Unknown tier &#39;premiun&#39;" in page.text and not SupportChannel.select().exists()
    client.post("/admin/supportchannel/new/", data={"csrf_token": token, "platform": "slack", "channel_id": "C9",
                                                    "name": "premium", "tiers": ["premium", "internal"]})
    assert SupportChannel.get(SupportChannel.channel_id == "C9").tiers == "internal,premium"


def test_keyword_rule_weights_are_whole_numbers_of_at_least_one(desk_panel):
    client = desk_panel.login("ed", "editor")
    token = page_token(client, "/admin/keywordrule/new/")
    for bad in ("0", "-3", "1.5", ""):
        page = client.post("/admin/keywordrule/new/", follow_redirects=True, data={
            "csrf_token": token, "category": "external_ops_problem", "keywords": "payout", "weight": bad})
        assert not KeywordRule.select().exists(), bad
    assert "at least 1" in client.post("/admin/keywordrule/new/", follow_redirects=True, data={
        "csrf_token": token, "category": "external_ops_problem", "keywords": "payout", "weight": "0"}).text
    client.post("/admin/keywordrule/new/", data={"csrf_token": token, "category": "external_ops_problem",
                                                 "keywords": "payout, late", "weight": "3", "enabled": "y"})
    rule = KeywordRule.get()
    assert (rule.category, rule.weight) == ("external_ops_problem", 3)
    assert AuditEvent.select().where(AuditEvent.command == "admin.keyword_rule.create").count() == 1


def test_deflection_rules_and_platform_role_mappings_are_edited_and_audited(desk_panel):
    client = desk_panel.login("ed", "editor")
    token = page_token(client, "/admin/deflectionrule/new/")
    form = client.get("/admin/deflectionrule/new/").text
    assert 'value="whoami"' in form
    page = client.post("/admin/deflectionrule/new/", follow_redirects=True, data={
        "csrf_token": token, "keywords": "who am i", "command": "no-such-command", "example": "x"})
    assert not DeflectionRule.select().exists()
    client.post("/admin/deflectionrule/new/", data={"csrf_token": token, "keywords": "who am i", "command": "whoami",
                                                    "example": "whoami", "enabled": "y"})
    assert DeflectionRule.get().command == "whoami"
    premium = desk_panel.runner.tier("premium")
    page = client.post("/admin/platformrolemapping/new/", follow_redirects=True, data={
        "csrf_token": token, "platform": "discord", "external_role": "partner"})
    assert "a role, a tier, or both" in page.text and not PlatformRoleMapping.select().exists()
    client.post("/admin/platformrolemapping/new/", data={"csrf_token": token, "platform": "discord",
                                                         "external_role": "partner", "tier": str(premium.id)})
    mapping = PlatformRoleMapping.get()
    assert (mapping.platform, mapping.external_role, mapping.tier_id) == ("discord", "partner", premium.id)
    commands = {e.command for e in AuditEvent.select()}
    assert {"admin.deflection_rule.create", "admin.platform_role_mapping.create"} <= commands


def test_outbox_is_read_only_and_retry_requeues_dead_messages(desk_panel):
    now = desk_panel.runner.clock()
    dead = OutboundMessage.create(platform="slack", channel_id="C1", reply={"blocks": [{"type": "text",
                                  "text": "hello <b>there</b>", "style": None}]}, state="failed", attempts=8,
                                  error="channel_not_found", not_before=now - timedelta(hours=1), created_at=now)
    sent = OutboundMessage.create(platform="slack", channel_id="C1", reply={"blocks": []}, state="sent",
                                  attempts=1, created_at=now)
    viewer = desk_panel.login("vic", "viewer")
    listing = viewer.get("/admin/outbox/").text
    assert "failed (dead)" in listing and "channel_not_found" in listing and "hello &lt;b&gt;there" in listing
    token = page_token(viewer, "/admin/outbox/")
    assert viewer.post("/admin/outbox/action/", data={"csrf_token": token, "action": "retry",
                                                      "rowid": [dead.id]}).status_code in (302, 403)
    assert OutboundMessage.get_by_id(dead.id).state == "failed"
    client = desk_panel.login("ed", "editor")
    assert client.get("/admin/outbox/new/").status_code in (302, 403)
    token = page_token(client, "/admin/outbox/")
    resp = client.post("/admin/outbox/action/", data={"csrf_token": token, "action": "retry",
                                                      "rowid": [dead.id, sent.id]})
    assert resp.status_code == 302
    again = OutboundMessage.get_by_id(dead.id)
    assert (again.state, again.attempts, again.not_before) == ("pending", 0, now)
    assert OutboundMessage.get_by_id(sent.id).state == "sent"
    event = AuditEvent.get(AuditEvent.command == "admin.outbound_message.retry")
    assert event.actor == "admin:ed" and json.loads(event.arguments)["id"] == dead.id
    assert audit.verify().ok


def test_lists_have_search_and_human_labels_and_minute_times(desk_panel):
    client = desk_panel.login("vic", "viewer")
    tickets = client.get("/admin/ticket/").text
    assert "SLA status" in tickets and "Sla Status" not in tickets and 'name="search"' in tickets
    assert 'name="search"' in client.get("/admin/person/").text
    audit_page = client.get("/admin/audit_event/").text
    assert 'name="search"' in audit_page
    person = client.get("/admin/person/").text
    assert "UTC" in person and not __import__("re").search(r"\d\d:\d\d:\d\d\.\d{6}", person)


def test_ops_policy_approver_roles_are_picked_and_updated_at_is_not_editable(desk_panel):
    from chatops.ops.models import OpsPolicy

    client = desk_panel.login("ed", "editor")
    form = client.get("/admin/opspolicy/new/").text
    assert 'name="updated_at"' not in form and 'value="remove-seller-fee"' in form
    token = page_token(client, "/admin/opspolicy/new/")
    data = {"csrf_token": token, "command": "remove-seller-fee", "approval_required": "y", "approvals_platform": ""}
    page = client.post("/admin/opspolicy/new/", follow_redirects=True, data={**data, "approver_role": ["laed"]})
    assert "Unknown role &#39;laed&#39;" in page.text and not OpsPolicy.select().exists()
    client.post("/admin/opspolicy/new/", data={**data, "approver_role": ["lead", "support"]})
    row = OpsPolicy.get(OpsPolicy.command == "remove-seller-fee")
    assert (row.approver_role, row.approvals_platform, row.updated_at) == ("lead,support", "", desk_panel.runner.clock())
