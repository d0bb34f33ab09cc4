"""Approval requests go to the approvals channel of the requester's platform; when none is set up the
request is refused up front, saying what an admin sets (never "sent" into the void)."""
from __future__ import annotations

import pytest

from chatops.demo import seed as core_seed
from chatops.models import AuditEvent, OutboundMessage, PendingAction
from chatops.ops import demo
from chatops.ops.models import OpsPolicy
from chatops.settings import Settings
from tests.ops.conftest import APPROVALS_DISCORD, APPROVALS_SLACK, cast, ops_settings

REQUEST = "remove-seller-fee sel_2001 long-standing seller, goodwill after outage"
DISCORD_SAM = "discord:500000000000000001"


def _runner(make_runner, **env):
    ops = cast(make_runner(settings=Settings.from_env(env)))
    ops.runner.person("Dee Discord Support", roles=["support"], identities=[DISCORD_SAM])
    return ops


def _request(ops, as_, **fields):
    r = ops.runner
    preview = r.invoke(REQUEST, as_=as_, **fields)
    if preview.is_error:
        return preview, None
    return preview, r.press("Confirm", as_=as_)


def test_discord_requests_go_to_the_discord_channel_and_slack_ones_to_slack(make_runner):
    ops = cast(make_runner(settings=ops_settings()))
    ops.runner.person("Dee Discord Support", roles=["support"], identities=[DISCORD_SAM])
    _, sent = _request(ops, DISCORD_SAM, channel_id="500000000000000099")
    assert sent.outcome == "pending_approval" and f"<#{APPROVALS_DISCORD}>" in sent.text
    (post,) = sent.reply.posts
    assert (post.destination.platform, post.destination.channel_id) == ("discord", APPROVALS_DISCORD)
    _, sent = _request(ops, ops.SAM)
    (post,) = sent.reply.posts
    assert (post.destination.platform, post.destination.channel_id) == ("slack", APPROVALS_SLACK)


@pytest.mark.parametrize("as_,setting,where", [
    (DISCORD_SAM, "CHATOPS_OPS_APPROVALS_DISCORD_CHANNEL", "Discord"),
    ("slack:U_SAM", "CHATOPS_OPS_APPROVALS_SLACK_CHANNEL", "Slack"),
])
def test_no_channel_for_the_platform_is_a_clear_refusal_before_the_preview(make_runner, as_, setting, where):
    other = {"CHATOPS_OPS_APPROVALS_SLACK_CHANNEL": APPROVALS_SLACK,
             "CHATOPS_OPS_APPROVALS_DISCORD_CHANNEL": APPROVALS_DISCORD}
    other.pop(setting)
    ops = _runner(make_runner, **other)
    refused, _ = _request(ops, as_)
    assert refused.is_error and refused.outcome == "failed"
    assert f"approvals for requests from {where} are not set up: an admin sets `{setting}`" in refused.text
    assert "Nothing was changed" in refused.text and "Confirm" not in refused.buttons
    assert PendingAction.select().count() == 0 and OutboundMessage.select().count() == 0
    assert AuditEvent.select().where(AuditEvent.outcome == "failed").count() == 1


def test_the_console_uses_the_slack_channel_else_the_discord_one_else_says_so(make_runner):
    ops = _runner(make_runner, CHATOPS_OPS_APPROVALS_SLACK_CHANNEL=APPROVALS_SLACK,
                  CHATOPS_OPS_APPROVALS_DISCORD_CHANNEL=APPROVALS_DISCORD)
    ops.runner.person("Local", roles=["support"], identities=["console:local"])
    _, sent = _request(ops, "console:local")
    assert sent.reply.posts[0].destination.channel_id == APPROVALS_SLACK
    assert f"{APPROVALS_SLACK} on Slack" in sent.text

    ops = _runner(make_runner, CHATOPS_OPS_APPROVALS_DISCORD_CHANNEL=APPROVALS_DISCORD)
    ops.runner.person("Local", roles=["support"], identities=["console:local"])
    _, sent = _request(ops, "console:local")
    assert sent.reply.posts[0].destination.platform == "discord"

    ops = _runner(make_runner)
    ops.runner.person("Local", roles=["support"], identities=["console:local"])
    refused, _ = _request(ops, "console:local")
    assert refused.is_error and "approvals for requests from the console are not set up" in refused.text
    assert "`CHATOPS_OPS_APPROVALS_SLACK_CHANNEL` or `CHATOPS_OPS_APPROVALS_DISCORD_CHANNEL`" in refused.text


def test_policy_row_channels_per_platform_beat_the_settings(make_runner):
    ops = _runner(make_runner, CHATOPS_OPS_APPROVALS_SLACK_CHANNEL=APPROVALS_SLACK)
    OpsPolicy.create(command="remove-seller-fee", approval_required=True, reason_required=True,
                     approvals_discord_channel="700000000000000007")
    _, sent = _request(ops, DISCORD_SAM)
    assert sent.reply.posts[0].destination.channel_id == "700000000000000007"
    _, sent = _request(ops, ops.SAM)
    assert sent.reply.posts[0].destination.channel_id == APPROVALS_SLACK


def test_a_platformless_policy_channel_applies_only_where_its_id_fits(make_runner):
    ops = _runner(make_runner)
    OpsPolicy.create(command="remove-seller-fee", approval_required=True, reason_required=True,
                     approvals_channel="700000000000000007")  # digits: a Discord channel
    _, sent = _request(ops, DISCORD_SAM)
    assert sent.reply.posts[0].destination.channel_id == "700000000000000007"
    refused, _ = _request(ops, ops.SAM)
    assert refused.is_error and "from Slack are not set up" in refused.text


def test_a_fixed_platform_sends_every_request_there(make_runner):
    ops = _runner(make_runner)
    OpsPolicy.create(command="remove-seller-fee", approval_required=True, reason_required=True,
                     approvals_platform="slack", approvals_channel="C0ALLHERE")
    _, sent = _request(ops, DISCORD_SAM)
    post = sent.reply.posts[0]
    assert (post.destination.platform, post.destination.channel_id) == ("slack", "C0ALLHERE")
    assert "C0ALLHERE on Slack" in sent.text


def test_the_demo_seed_sets_approvals_channels_on_both_platforms(make_runner):
    runner = make_runner()  # no approvals settings at all
    core_seed()
    demo.seed(lambda _: None, now=runner.clock())
    row = OpsPolicy.get(OpsPolicy.command == "remove-seller-fee")
    assert (row.approval_required, row.approvals_slack_channel, row.approvals_discord_channel) == (
        True, demo.APPROVALS_SLACK, demo.APPROVALS_DISCORD)
    for who in ("slack:U0SAMSUPP", "discord:200000000000000002"):
        runner.invoke(REQUEST, as_=who)
        sent = runner.press("Confirm", as_=who)
        assert sent.outcome == "pending_approval", sent.text
    assert {(m.platform, m.channel_id) for m in OutboundMessage.select()} == {
        ("slack", demo.APPROVALS_SLACK), ("discord", demo.APPROVALS_DISCORD)}
    assert demo.seed(lambda _: None, now=runner.clock()) == 0
