"""The Slack app manifest, generated from the command registry.

    manifest = build_manifest(registry, url="https://chatops.example.com", socket_mode=False)
    print(json.dumps(manifest, indent=2))    # paste at https://api.slack.com/apps → Create New App → From a manifest

Every visible command becomes a slash command (Slack caps: name 32, description
2000, usage hint 1000 characters); the bot scopes are what the adapter uses;
the events are DMs (message.im) and mentions (app_mention); commands,
interactivity and events all point at ``<url>/slack/events`` (in Socket Mode
Slack needs no URL).
"""
from __future__ import annotations

from typing import Any

from chatops.commands import Registry

from chatops.text import clip

PATH = "/slack/events"
# channels:history / groups:history: only to look a message up by its outbox id after a sender stopped
# mid-post (chatops.outbox), so it is not posted twice.
BOT_SCOPES = ("app_mentions:read", "channels:history", "chat:write", "commands", "groups:history", "im:history",
              "im:read", "im:write", "users:read", "usergroups:read")
BOT_EVENTS = ("app_mention", "message.im")


def build_manifest(registry: Registry, *, url: str | None, socket_mode: bool = False, name: str = "chatops",
                   description: str = "Self-serve ops tasks and tiered support routing.") -> dict[str, Any]:
    if not socket_mode and not url:
        raise ValueError("HTTP mode needs the public URL of the app (--url https://…), or use --socket-mode")
    endpoint = url.rstrip("/") + PATH if url else None
    commands = []
    for command in registry:
        if command.hidden:
            continue
        entry: dict[str, Any] = {
            "command": "/" + command.name[:31],
            "description": clip(command.summary or command.name, 2000),
            "should_escape": False,
        }
        if command.usage_hint:
            entry["usage_hint"] = clip(command.usage_hint, 1000)
        if endpoint:
            entry["url"] = endpoint
        commands.append(entry)
    interactivity: dict[str, Any] = {"is_enabled": True}
    events: dict[str, Any] = {"bot_events": list(BOT_EVENTS)}
    if endpoint:
        interactivity["request_url"] = endpoint
        events["request_url"] = endpoint
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {"name": name[:35], "description": description[:140]},
        "features": {
            "app_home": {"home_tab_enabled": False, "messages_tab_enabled": True,
                         "messages_tab_read_only_enabled": False},
            "bot_user": {"display_name": name[:80], "always_online": True},
            "slash_commands": commands,
        },
        "oauth_config": {"scopes": {"bot": list(BOT_SCOPES)}},
        "settings": {
            "event_subscriptions": events,
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": bool(socket_mode),
            "token_rotation_enabled": False,
        },
    }
