"""Block Kit rendering limits and escaping; the manifest and `chatops slack manifest`; user group roles."""
from __future__ import annotations

import json
import re

from click.testing import CliRunner

from chatops.cli import main
from chatops.models import PlatformRoleMapping
from chatops.reply import Button, Buttons, Fields, Reply, Step, Text, Timeline

from adapters.slack.manifest import build_manifest
from adapters.slack.render import escape, render
from tests.slack.conftest import TEAM


def test_escaping_encodes_once_links_urls_and_pings_only_the_users_the_reply_names():
    text = ("<@U123> and <@U456> in <#C42|ops> & <!channel> @here @Everyone "
            "<https://evil.example|click> see https://ok.example/a?b=1&c=2.")
    assert escape(text, mentions=("U456",), name_of={"U123": "Ana & Co"}.get) == (
        "@Ana &amp; Co and <@U456> in <#C42|ops> &amp; &lt;!channel&gt; @\u2060here @\u2060Everyone "
        "&lt;<https://evil.example>|click&gt; see <https://ok.example/a?b=1&amp;c=2>.")
    assert escape("<@U123>") == "@U123"                       # no name known: the id, still no ping
    assert escape("a &amp; b") == "a &amp;amp; b"              # the core's text is text: encoded exactly once


def test_render_respects_block_kit_limits():
    reply = Reply.of(
        Text("x" * 7000, "warning"),
        Fields(tuple((f"k{i}", f"v{i}") for i in range(23)), title="Many"),
        Timeline(tuple(Step(f"s{i}") for i in range(12)), title="When"),
        Buttons(tuple(Button("L" * 100, f"tok.v{i}") for i in range(30))),
    )
    payload = render(reply)
    kinds = [b["type"] for b in payload["blocks"]]
    assert kinds == ["section"] * 3 + ["section"] + ["section"] * 3 + ["section", "context", "context", "actions"]
    assert payload["blocks"][0]["text"]["text"].startswith(":warning: ")
    assert all(len(b["text"]["text"]) <= 3000 for b in payload["blocks"] if "text" in b)
    assert [len(b["fields"]) for b in payload["blocks"] if "fields" in b] == [10, 10, 3]
    assert [len(b["elements"]) for b in payload["blocks"] if b["type"] == "context"] == [10, 2]
    actions = payload["blocks"][-1]["elements"]
    assert len(actions) == 25 and len(actions[0]["text"]["text"]) == 75
    assert len({a["action_id"] for a in actions}) == 25 and actions[3]["value"] == "tok.v3"
    assert len(payload["text"]) <= 3000


def test_render_caps_a_huge_reply_at_50_blocks_and_keeps_the_buttons():
    reply = Reply.of(*[Text(f"line {i}") for i in range(80)], Buttons((Button("Go", "t.go"),)))
    blocks = render(reply)["blocks"]
    assert len(blocks) == 50 and blocks[-1]["type"] == "actions"


def test_the_manifest_has_every_command_with_its_usage_hint(runner):
    manifest = build_manifest(runner.app.registry, url="https://ops.example.com/")
    commands = {c["command"]: c for c in manifest["features"]["slash_commands"]}
    visible = [c for c in runner.app.registry if not c.hidden]
    assert set(commands) == {"/" + c.name for c in visible}
    for c in visible:
        entry = commands["/" + c.name]
        assert entry["description"] == c.summary and entry["url"] == "https://ops.example.com/slack/events"
        assert entry.get("usage_hint", "") == c.usage_hint and len(entry.get("usage_hint", "")) <= 1000
    settings = manifest["settings"]
    assert settings["interactivity"] == {"is_enabled": True, "request_url": "https://ops.example.com/slack/events"}
    assert set(settings["event_subscriptions"]["bot_events"]) == {"message.im", "app_mention", "app_home_opened"}
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True  # `my` on the Home tab
    assert settings["socket_mode_enabled"] is False
    assert {"commands", "chat:write", "im:history", "app_mentions:read"} <= set(manifest["oauth_config"]["scopes"]["bot"])


def test_chatops_slack_manifest_cli(tmp_path, monkeypatch):
    monkeypatch.setenv("CHATOPS_DATABASE_URL", f"sqlite:///{tmp_path}/m.db")
    result = CliRunner().invoke(main, ["slack", "manifest", "--url", "https://ops.example.com"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert "/help" in {c["command"] for c in data["features"]["slash_commands"]}
    socket = CliRunner().invoke(main, ["slack", "manifest", "--socket-mode"])
    data = json.loads(socket.output)
    assert data["settings"]["socket_mode_enabled"] is True and "request_url" not in data["settings"]["interactivity"]
    assert CliRunner().invoke(main, ["slack", "manifest"]).exit_code != 0


def test_slack_user_groups_map_to_roles_when_configured(slack, fake):
    fake.on("usergroups.list", lambda call: {"ok": True, "usergroups": [
        {"id": "S0ADMINS", "users": ["U0GRP"]}, {"id": "S0OTHER", "users": ["U0ANA"]}]})
    _, rid = slack.command("whoami", user="U0GRP")
    assert "admin" not in json.dumps(fake.wait_for("response:" + rid)[0].body)   # nothing configured yet
    assert fake.called("usergroups.list") == []                                   # ... so no lookup at all
    role = slack.runner.role("admin")
    PlatformRoleMapping.create(platform="slack", external_role="S0ADMINS", role=role)
    _, rid = slack.command("whoami", user="U0GRP")
    assert "admin" in json.dumps(fake.wait_for("response:" + rid)[0].body)
    _, rid = slack.command("whoami", user="U0ANA", team=TEAM)
    assert "admin" not in json.dumps(fake.wait_for("response:" + rid)[0].body)
    assert len(fake.called("usergroups.list")) == 1                               # cached


def _web_api_calls() -> set[str]:
    """Every Slack Web API method the adapter's code calls (``client.chat_postMessage(`` → chat.postMessage)."""
    from pathlib import Path

    from slack_sdk import WebClient

    import adapters.slack

    found = set()
    for path in Path(adapters.slack.__file__).parent.glob("*.py"):
        for name in re.findall(r"client\.([a-z]+_[A-Za-z]+)\(", path.read_text()):
            if callable(getattr(WebClient, name, None)):  # a Web API method, not the socket client's own
                found.add(name.replace("_", ".", 1))
    return found


def test_the_manifest_asks_for_the_scopes_of_the_calls_the_adapter_makes_and_no_more(runner):
    from adapters.slack.manifest import BOT_EVENTS, BOT_SCOPES, EVENT_SCOPES, WEB_API_SCOPES

    calls = _web_api_calls()
    assert {"chat.postMessage", "conversations.open", "users.info", "usergroups.list", "views.open"} <= calls
    assert calls == set(WEB_API_SCOPES)          # a new call needs its scope listed; a dropped one, its scope gone
    needed = {"commands"} | {s for m in calls for s in WEB_API_SCOPES[m]} | {s for e in BOT_EVENTS
                                                                             for s in EVENT_SCOPES[e]}
    manifest = build_manifest(runner.app.registry, socket_mode=True, url=None)
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == needed == set(BOT_SCOPES)
    assert "im:read" not in needed and "im:write" in needed   # conversations.open needs im:write; nothing reads IMs
    assert all(c["should_escape"] is True for c in manifest["features"]["slash_commands"])


def test_the_scope_table_in_the_docs_is_the_one_in_code():
    from pathlib import Path

    from adapters.slack.manifest import BOT_SCOPES, scope_table

    docs = (Path(__file__).resolve().parents[2] / "docs" / "slack.md").read_text()
    assert scope_table() in docs
    listed = set(re.findall(r"^\| `([a-z_:.]+)` \|", docs, re.MULTILINE))
    assert listed == set(BOT_SCOPES)


def test_a_long_timeline_shows_its_latest_steps_and_counts_the_earlier_ones():
    payload = render(Reply.of(Timeline(tuple(Step(f"event {i}") for i in range(400)), title="History")))
    lines = [e["text"] for b in payload["blocks"] if b["type"] == "context" for e in b["elements"]]
    assert lines[0] == "… 380 earlier steps"
    assert lines[1].endswith("event 380") and lines[-1].endswith("event 399") and len(lines) == 21


def test_a_forms_title_is_the_commands_form_title_cut_between_words(runner):
    from adapters.slack.modals import build_modal

    assert build_modal(runner.app.registry.get("support"))["title"]["text"] == "Ask for help"
    for command in runner.app.registry:
        title = build_modal(command)["title"]["text"]
        assert 1 <= len(title) <= 24, (command.name, title)


def test_the_fakes_block_kit_check_catches_what_slack_would_refuse():
    """The check every Slack test's fake runs (tests/slack/conftest.py) is not one that cannot fail."""
    from tests.slack.fake_slack import FakeSlack

    fake = FakeSlack()
    fake.check_limits("chat.postMessage", {"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]
                                           + [{"type": "divider"}] * 50})
    fake.check_limits("views.open", {"view": {"type": "modal", "title": {"type": "plain_text", "text": "t" * 25},
                                              "private_metadata": "m" * 3001, "blocks": [
        {"type": "actions", "block_id": "b", "elements": [
            {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "L" * 76}},
            {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "ok"}}]},
        {"type": "divider", "block_id": "b"}]}})
    text = "\n".join(fake.limit_violations)
    for expected in ("51 blocks", "without a `text` fallback", "section text of 3001", "title 'ttt",
                     "private_metadata", "button label", "action_ids are not unique", "block_ids are not unique"):
        assert expected in text, expected
    fake.server.server_close()
    ok = FakeSlack()
    ok.check_limits("chat.postMessage", render(Reply.of(Text("fine"), Timeline(tuple(Step(f"e{i}") for i in range(400))))))
    assert ok.limit_violations == []
    ok.server.server_close()
