"""User names for mentions that must not ping: ``users.info``, cached.

    names = UserNames(client)
    names("U0SAM")        # "Sam Support" (display name, else real name, else user name); None when unknown

Slack has no silent mention: ``<@U…>`` in a message notifies that user wherever they are a member.
The renderer writes a mention the reply does not name in ``Reply.mentions`` (a user quoted in a
ticket, the requester on a staff card) as ``@name`` text instead, and asks this for the name. One
``users.info`` per user (scope ``users:read``) per ``ttl_seconds``; a failure (a missing scope, a
deleted user, the network) is remembered for a minute and shows the id. Only the workers and the
outbox sender render, so the ack path never waits for it.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from slack_sdk import WebClient

log = logging.getLogger("adapters.slack.users")

TTL_SECONDS = 600.0
FAILURE_TTL_SECONDS = 60.0
MAX_CACHED = 5000


class UserNames:
    def __init__(self, client: WebClient, *, ttl_seconds: float = TTL_SECONDS,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.ttl = ttl_seconds
        self.monotonic = monotonic
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, str | None]] = {}

    def __call__(self, user_id: str) -> str | None:
        now = self.monotonic()
        with self._lock:
            hit = self._cache.get(user_id)
        if hit is not None and hit[0] > now:
            return hit[1]
        name, ttl = self._lookup(user_id)
        with self._lock:
            if len(self._cache) >= MAX_CACHED:
                self._cache.clear()
            self._cache[user_id] = (self.monotonic() + ttl, name)
        return name

    def _lookup(self, user_id: str) -> tuple[str | None, float]:
        try:
            user = self.client.users_info(user=user_id).get("user") or {}
        except Exception as exc:  # noqa: BLE001 - the id is a fine name to show
            log.warning("users.info for %s failed (%s); showing the id", user_id, exc)
            return None, FAILURE_TTL_SECONDS
        profile = user.get("profile") or {}
        for name in (profile.get("display_name"), profile.get("real_name"), user.get("real_name"), user.get("name")):
            if isinstance(name, str) and name.strip():
                return " ".join(name.split())[:80], self.ttl
        return None, FAILURE_TTL_SECONDS
