"""The Slack settings, read once from the core's Settings (see chatops.settings.SETTINGS).

    config = SlackConfig.from_settings(chatops_app.settings)
    if config.http_enabled: ...
"""
from __future__ import annotations

from dataclasses import dataclass

from chatops.settings import Settings


@dataclass(frozen=True)
class SlackConfig:
    bot_token: str = ""
    signing_secret: str = ""
    app_token: str = ""
    api_url: str = "https://slack.com/api/"
    usergroups_cache_seconds: float = 300.0

    @property
    def http_enabled(self) -> bool:
        """HTTP mode needs both the bot token and the signing secret."""
        return bool(self.bot_token and self.signing_secret)

    @property
    def socket_enabled(self) -> bool:
        return bool(self.bot_token and self.app_token)

    @classmethod
    def from_settings(cls, settings: Settings) -> "SlackConfig":
        """From the parsed settings (chatops.settings: SLACK_* are checked at start-up)."""
        slack = settings.slack
        return cls(bot_token=slack.bot_token, signing_secret=slack.signing_secret, app_token=slack.app_token,
                   api_url=slack.api_url, usergroups_cache_seconds=slack.usergroups_cache_seconds)
