"""Slack user groups → ``Invocation.platform_roles``, so PlatformRoleMapping rows can grant roles and tiers.

    groups = UserGroups(client, ttl_seconds=300)
    roles = groups.roles_for("T1", "U1")      # frozenset({"S0SUPPORT"}) — user group ids

Slack sends no group membership with a request, so the adapter asks
``usergroups.list(include_users=true)`` once per workspace and caches it for
``SLACK_USERGROUPS_CACHE_SECONDS``. The lookup only happens when a mapping for
platform ``slack`` exists (nothing is configured → no API call), and only in the
worker, never on the ack path. Errors (a missing ``usergroups:read`` scope)
mean "no groups" until the cache expires.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from slack_sdk import WebClient

from chatops.models import PlatformRoleMapping

log = logging.getLogger("adapters.slack.usergroups")


class UserGroups:
    def __init__(self, client: WebClient, ttl_seconds: float, *, monotonic: Callable[[], float] = time.monotonic):
        self.client = client
        self.ttl = ttl_seconds
        self.monotonic = monotonic
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, dict[str, frozenset[str]]]] = {}

    def configured(self) -> bool:
        return self.ttl > 0 and PlatformRoleMapping.select().where(PlatformRoleMapping.platform == "slack").exists()

    def roles_for(self, team_id: str | None, user_id: str) -> frozenset[str]:
        if not self.configured():
            return frozenset()
        return self._members(team_id or "").get(user_id, frozenset())

    def _members(self, team: str) -> dict[str, frozenset[str]]:
        with self._lock:  # one fetch per workspace at a time; others wait for its answer
            cached = self._cache.get(team)
            if cached and self.monotonic() - cached[0] < self.ttl:
                return cached[1]
            members: dict[str, set[str]] = {}
            try:
                response = self.client.usergroups_list(include_users=True)
                for group in response.get("usergroups") or ():
                    for user in group.get("users") or ():
                        members.setdefault(user, set()).add(group["id"])
            except Exception as exc:  # noqa: BLE001 - no groups is a safe answer
                log.warning("Slack usergroups.list failed (%s); user group roles are off for %.0f s", exc, self.ttl)
            frozen = {user: frozenset(groups) for user, groups in members.items()}
            self._cache[team] = (self.monotonic(), frozen)
            return frozen
