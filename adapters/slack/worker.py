"""``chatops worker``'s hook: run Slack work items (and send the Slack outbox) in a worker process.

    handle = start_for_worker(app)     # None without SLACK_BOT_TOKEN; handle.stop() on shutdown

The web process (or ``chatops slack socket``) accepts Slack requests as durable work items; any
number of worker processes on PostgreSQL run them and answer through Slack's Web API. No HTTP
endpoint is mounted here, so no signing secret is needed.
"""
from __future__ import annotations

from adapters.slack.app import SlackAdapter
from adapters.slack.config import SlackConfig


class _Handle:
    def __init__(self, adapter: SlackAdapter) -> None:
        self.adapter = adapter

    def stop(self) -> None:
        self.adapter.ui.shutdown(wait=True)
        self.adapter.sender.stop()


def start_for_worker(app) -> _Handle | None:
    config = SlackConfig.from_settings(app.settings)
    if not config.bot_token:
        return None
    adapter = SlackAdapter(app, config, socket_mode=True)  # receives nothing here: nothing to verify
    adapter.sender.start()
    return _Handle(adapter)
