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
        def number(name: str, kind=int, minimum: float = 0):
            raw = settings.get(name)
            try:
                value = kind(raw)
            except ValueError:
                raise ValueError(f"{name} must be a number, not {raw!r}") from None
            if value < minimum:
                raise ValueError(f"{name} must be at least {minimum}")
            return value

        api_url = settings.get("SLACK_API_URL").strip() or "https://slack.com/api/"
        if not api_url.endswith("/"):
            api_url += "/"
        return cls(
            bot_token=settings.get("SLACK_BOT_TOKEN").strip(),
            signing_secret=settings.get("SLACK_SIGNING_SECRET").strip(),
            app_token=settings.get("SLACK_APP_TOKEN").strip(),
            api_url=api_url,
            usergroups_cache_seconds=number("SLACK_USERGROUPS_CACHE_SECONDS", float, 0),
        )
