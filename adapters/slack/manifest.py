"""The Slack app manifest, generated from the command registry.

    manifest = build_manifest(registry, url="https://chatops.example.com", socket_mode=False)
    print(json.dumps(manifest, indent=2))    # paste at https://api.slack.com/apps → Create New App → From a manifest

Every visible command becomes a slash command (Slack caps: name 32, description
2000, usage hint 1000 characters); the bot scopes are exactly what the adapter's
Web API calls and events need (``WEB_API_SCOPES``, ``EVENT_SCOPES``);
the events are DMs (message.im) and mentions (app_mention); commands,
interactivity and events all point at ``<url>/slack/events`` (in Socket Mode
Slack needs no URL).
"""
from __future__ import annotations

from typing import Any

from chatops.commands import Registry

from chatops.text import clip

PATH = "/slack/events"
HISTORY = ("channels:history", "groups:history", "im:history")
# Every Web API method the adapter calls (adapters/slack/*.py; tests/slack/test_render_manifest.py checks the
# list against the code) → the bot scopes it needs. conversations.history / .replies only look a message up by
# its outbox id after a sender stopped mid-post (chatops.outbox), so it is not posted twice.
WEB_API_SCOPES: dict[str, tuple[str, ...]] = {
    "chat.postMessage": ("chat:write",),
    "chat.postEphemeral": ("chat:write",),
    "chat.update": ("chat:write",),
    "conversations.open": ("im:write",),       # the bot's DM with a user (answers, fallbacks)
    "conversations.history": HISTORY,
    "conversations.replies": HISTORY,
    "usergroups.list": ("usergroups:read",),   # user groups → roles, only when a mapping exists
    "users.info": ("users:read",),             # the name shown for a mention that must not ping
    "views.open": (),                          # needs only the trigger
    "views.publish": (),                       # the App Home tab (`my`)
}
BOT_EVENTS = ("app_home_opened", "app_mention", "message.im")
EVENT_SCOPES: dict[str, tuple[str, ...]] = {"app_home_opened": (), "app_mention": ("app_mentions:read",),
                                            "message.im": ("im:history",)}
FEATURE_SCOPES = ("commands",)  # slash commands
BOT_SCOPES = tuple(sorted({*FEATURE_SCOPES, *(s for m in WEB_API_SCOPES.values() for s in m),
                           *(s for e in BOT_EVENTS for s in EVENT_SCOPES[e])}))


def scope_uses() -> dict[str, list[str]]:
    """Each bot scope → what needs it (Web API methods, events, slash commands): docs/slack.md's table."""
    uses: dict[str, list[str]] = {scope: [] for scope in BOT_SCOPES}
    for scope in FEATURE_SCOPES:
        uses[scope].append("slash commands")
    for method, scopes in WEB_API_SCOPES.items():
        for scope in scopes:
            uses[scope].append(method)
    for event in BOT_EVENTS:
        for scope in EVENT_SCOPES[event]:
            uses[scope].append(f"the {event} event")
    return uses


def scope_table() -> str:
    """The Markdown table of :func:`scope_uses` (what docs/slack.md shows; a test keeps them equal)."""
    rows = ["| bot scope | used for |", "|---|---|"]
    rows += [f"| `{scope}` | {', '.join(uses)} |" for scope, uses in scope_uses().items()]
    return "\n".join(rows)


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
            # Users, channels and links arrive as <@U…|name>, <#C…|name>, <https://…>: ids, not display names
            # (translate.decode reads them; a bare "@sam" could not be resolved to a user).
            "should_escape": True,
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
            "app_home": {"home_tab_enabled": True, "messages_tab_enabled": True,
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
