"""The Slack adapter (slack-bolt): slash commands, DMs, mentions, buttons and modals over HTTP or Socket Mode.

    from adapters.slack.app import SlackAdapter
    adapter = SlackAdapter.from_app(chatops_app)     # reads SLACK_* settings
    adapter.start()                                    # the outbox sender thread
    adapter.bolt                                       # the slack_bolt.App

``http.init_app(flask_app, chatops_app)`` mounts ``POST /slack/events`` (only
when SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN are set); ``chatops slack
socket`` runs the same adapter over Socket Mode. Everything Slack-specific
lives in this package: it builds Invocations and renders Replies, the core
decides. See docs/slack.md.
"""
