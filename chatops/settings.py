"""Every setting, its default, what it does and what it accepts: read once, parsed once, frozen.

    >>> settings = Settings.from_env({})      # os.environ when no mapping is given
    >>> settings.work.lease_seconds, settings.ops.approval_ttl_minutes   # typed sections, parsed once
    (60.0, 30)
    >>> Settings.from_env({"CHATOPS_OPS_APPROVAL_TTL_MINUTES": "abc"})
    Traceback (most recent call last):
    ValueError: CHATOPS_OPS_APPROVAL_TTL_MINUTES must be a whole number of minutes, not 'abc'

The README's settings table lists exactly these (a test keeps them in step). Each setting belongs to a
section (a frozen dataclass below) under one attribute name, and has a parser; ``Settings.from_env``
parses them all, so a wrong value stops ``chatops run`` at start with one line. ``chatops settings``
shows each value and whether it parses.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any, Callable, Mapping


@dataclass(frozen=True)
class Setting:
    env: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("CHATOPS_DATABASE_URL", "sqlite:///chatops.db",
            "Where everything is stored: `sqlite:///PATH` (relative to the working directory; "
            "`sqlite:////abs/path` for absolute) or `postgresql://USER@HOST:PORT/DB`."),
    Setting("CHATOPS_SQLITE_SYNCHRONOUS", "NORMAL",
            "SQLite `synchronous` pragma. NORMAL (with WAL) survives a crash of the app; FULL also survives "
            "power loss, at about a tenth of the write rate."),
    Setting("CHATOPS_DEFAULT_TIER", "general",
            "Tier slug for anyone whose community is unknown or not permitted."),
    Setting("CHATOPS_STAFF_TIER", "internal",
            "Tier slug for people holding a staff role (a Role with `is_staff`)."),
    Setting("CHATOPS_CONFIRM_TTL_MINUTES", "15",
            "How long a Confirm/Cancel button stays usable."),
    Setting("CHATOPS_DISABLED_PLUGINS", "",
            "Comma-separated entry-point names in the `chatops.commands` group not to load."),
    Setting("CHATOPS_DM_FALLBACK_COMMAND", "support",
            "A direct message to the bot that is not a command runs this command with the whole text "
            "(`my payout is late` → `support my payout is late`). Empty: answer with the unknown-command help."),
    Setting("CHATOPS_LOG_LEVEL", "INFO", "Python logging level."),
    Setting("CHATOPS_LOG_FORMAT", "text",
            "`text` (one readable line per record) or `json`: one JSON object per line with time, level, logger, "
            "message and the request's correlation_id, work_key, platform, command and outcome (docs/operations.md)."),
    Setting("CHATOPS_METRICS", "off",
            "`on` serves Prometheus metrics at GET /metrics (docs/operations.md); `off` (the default): no such "
            "route. Without CHATOPS_METRICS_TOKEN only loopback clients are answered, and a server bound to "
            "another address refuses to start."),
    Setting("CHATOPS_METRICS_TOKEN", "",
            "Bearer token a scrape of /metrics must send (`Authorization: Bearer TOKEN`); any other request is "
            "answered 401."),
    Setting("CHATOPS_METRICS_WORKER_BIND", "",
            "`chatops worker` with CHATOPS_METRICS=on: HOST:PORT where it serves its own /metrics (its commands, "
            "work and backend calls are counted there, not in the web processes). Empty: not served."),
    Setting("CHATOPS_WEB_BIND", "127.0.0.1:8000",
            "gunicorn (deploy/gunicorn.conf.py): HOST:PORT to listen on, comma-separated for several. Unset, "
            "with PORT set (honcho, foreman, a PaaS): 0.0.0.0:$PORT."),
    Setting("CHATOPS_WEB_PROCESSES", "2",
            "gunicorn: web processes (each a copy of the app; give PostgreSQL a connection per thread of each)."),
    Setting("CHATOPS_WEB_THREADS", "8",
            "gunicorn: threads per web process (requests answered at once by each)."),
    Setting("CHATOPS_TRUSTED_PROXIES", "0",
            "Reverse proxies in front of the web app that set X-Forwarded-For/-Proto/-Host (werkzeug's ProxyFix "
            "trusts that many hops): the panel then throttles sign-ins by the real client address and knows "
            "https. 0 (the default): the headers are ignored — never trust them without a proxy that sets them."),
    Setting("CHATOPS_WEB_TIMEOUT_SECONDS", "30",
            "gunicorn: a web process silent for this long is killed and replaced. Its graceful stop is "
            "CHATOPS_DRAIN_SECONDS plus 5 s."),
    Setting("CHATOPS_SECRET_KEY", "",
            "Secret for signing web sessions. Empty: a random key per process (sessions end on restart)."),
    Setting("CHATOPS_TEST_DATABASE_URL", "",
            "Tests only: run the test suite against this database (e.g. PostgreSQL) instead of temporary SQLite files."),
    Setting("CHATOPS_TEST_PG_URL", "",
            "Tests only: the PostgreSQL that PostgreSQL-specific tests (concurrency) use when the suite runs on "
            "SQLite. Empty: postgresql://postgres@127.0.0.1:5432/test."),
    Setting("CHATOPS_WORKERS", "32",
            "Threads in this process that run accepted work (commands, button presses, forms, DMs) from the durable "
            "work queue: how many may wait on a slow backend at once. Each keeps a database connection while it "
            "is busy (count them in PostgreSQL's `max_connections`). 0: this process only accepts work and "
            "`chatops worker` processes run it."),
    Setting("CHATOPS_WORK_LEASE_SECONDS", "60",
            "How long a worker holds a piece of work (and a run its journal) without renewing the lease; work "
            "whose worker died is taken up again after this. Renewed every third of it while running."),
    Setting("CHATOPS_WORK_MAX_ATTEMPTS", "5",
            "Attempts at one piece of work (a crash, a database outage, an error count) before it is "
            "dead-lettered: the user is told and the audit trail says so."),
    Setting("CHATOPS_WORK_QUEUE_LIMIT", "500",
            "Accepted work waiting to run beyond which new requests are refused at once with a \"busy, try "
            "again\" answer (audited `refused`)."),
    Setting("CHATOPS_WORK_POLL_SECONDS", "1",
            "How often idle workers look for work accepted by other processes (work accepted in the same "
            "process wakes them at once)."),
    Setting("CHATOPS_DRAIN_SECONDS", "25",
            "On SIGTERM or SIGINT: seconds to finish work already running before exiting; what is left stays "
            "in the database and runs at the next start."),
    Setting("CHATOPS_RECONCILE_MAX_CHECKS", "12",
            "Automatic checks of a change whose outcome is unknown (the same request sent again, with back-off "
            "from 30 s to an hour) before it waits for a person (`chatops work resolve`)."),
    Setting("CHATOPS_RECONCILE_BACKOFF_SECONDS", "30,60,120,300,600,1800,3600",
            "Seconds before each automatic check of a change whose outcome is unknown (the last one repeats)."),
    Setting("CHATOPS_HOUSEKEEPING_SECONDS", "10",
            "How often the workers run the reconcile sweep (unknown outcomes, runs whose process stopped) and "
            "add spooled audit events to the trail."),
    Setting("CHATOPS_OUTBOX_LEASE_SECONDS", "120",
            "How long a sender holds a message it is posting to Slack or Discord; one whose sender stopped is "
            "looked up (not to post it twice) and sent again after this."),
    Setting("CHATOPS_AUDIT_SPOOL", "",
            "File for audit events that could not be written because the database was down; they are added "
            "to the audit trail once it answers again. Empty: `chatops-audit-spool.jsonl` next to the SQLite "
            "database, or in the working directory."),
    Setting("CHATOPS_ADMIN_LOCKOUT_ATTEMPTS", "5",
            "Admin panel: failed sign-ins for one username from one client address within the lockout window that lock it (for that address)."),
    Setting("CHATOPS_ADMIN_LOCKOUT_MINUTES", "15",
            "Admin panel: the lockout window, and how long a locked username stays locked for that client address."),
    Setting("CHATOPS_ADMIN_SESSION_HOURS", "12",
            "Admin panel: a session ends this many hours after sign-in, whatever the activity."),
    Setting("CHATOPS_ADMIN_IDLE_MINUTES", "60",
            "Admin panel: a session ends after this many minutes without a request."),
    Setting("CHATOPS_ADMIN_SECURE_COOKIE", "auto",
            "Admin panel session cookie `Secure` flag: `auto` (when the request came over https; put the app "
            "behind a proxy that sets X-Forwarded-Proto and trust it), `always` or `never`."),
    Setting("CHATOPS_ADMIN_EXPORT_MAX_ROWS", "50000",
            "Admin panel: the most rows one CSV export of a list (the audit log included) returns."),
    Setting("CHATOPS_ADMIN_SIGNIN_LOG_DAYS", "30",
            "Admin panel: days a sign-in attempt (Sign-in attempts) is kept; at least the lockout window."),
    Setting("CHATOPS_ADMIN_PLAYGROUND", "on",
            "Admin panel playground: `on`, or `off` to remove it (its pages answer 404, the menu has no entry)."),
    Setting("CHATOPS_ADMIN_PLAYGROUND_AS", "demo,personas,self",
            "Admin panel playground: the chat identities a panel user may run commands as, comma-separated: "
            "`demo` (the people `chatops demo` seeds, except `console:local`), `personas` (the playground's own "
            "test personas, `web:playground-…`), `self` (the identities of the chat person linked to the panel "
            "user), `all` (every identity except `console:local`) and `platform:user_id` entries (the only way "
            "to allow `console:local`). Identities holding the chat `admin` role also need a panel admin."),
    Setting("SLACK_BOT_TOKEN", "",
            "Slack bot token (`xoxb-…`). With SLACK_SIGNING_SECRET it mounts POST /slack/events; "
            "empty: the app runs without Slack and never calls it."),
    Setting("SLACK_SIGNING_SECRET", "", "Slack app signing secret: verifies every request to /slack/events."),
    Setting("SLACK_APP_TOKEN", "", "Slack app-level token (`xapp-…`, connections:write) for `chatops slack socket`."),
    Setting("SLACK_API_URL", "https://slack.com/api/",
            "Base URL of the Slack Web API (a proxy, or a fake in tests); must end with `/`."),
    Setting("SLACK_USERGROUPS_CACHE_SECONDS", "300",
            "How long Slack user group memberships (for platform role mappings) are cached; 0 turns the lookup off."),
    Setting("CHATOPS_BACKEND", "demo",
            "Ops backend, built once at start-up: `demo` (seeded tables), `http` (the JSON API in docs/ops.md), "
            "the name of a `chatops.backends` entry point of a plugin, or a dotted path `package.module:Class`."),
    Setting("CHATOPS_BACKEND_URL", "", "Ops http backend: the API's base URL, like `https://ops.internal/api/`."),
    Setting("CHATOPS_BACKEND_TOKEN", "", "Ops http backend: sent as `Authorization: Bearer TOKEN`."),
    Setting("CHATOPS_BACKEND_TIMEOUT_SECONDS", "10",
            "Ops http backend: the most seconds one call may take, all of it (connecting, sending, the answer's "
            "headers and body). A change whose answer does not arrive in time is `unknown` and checked again."),
    Setting("CHATOPS_OPS_APPROVALS_SLACK_CHANNEL", "",
            "Slack channel id (`C…`) for approval requests made on Slack (and from the console or web "
            "playground) when a command's ops policy names none. Empty: such requests are refused, saying so."),
    Setting("CHATOPS_OPS_APPROVALS_DISCORD_CHANNEL", "",
            "Discord channel id (digits) for approval requests made on Discord (and from the console or web "
            "playground when no Slack one is set) when a command's ops policy names none. Empty: refused, "
            "saying so."),
    Setting("CHATOPS_OPS_APPROVAL_TTL_MINUTES", "30",
            "Minutes an approval request stays open when a command's ops policy sets no expiry."),
    Setting("CHATOPS_HUEY_URL", "",
            "Background jobs (SLA sweeps, digests): empty for SQLite storage next to the SQLite database (or in "
            "the working directory); `redis://HOST:PORT/DB` for Redis."),
    Setting("CHATOPS_SUPPORT_TEAM", "support", "Slug of the support team that gets tickets no route assigns."),
    Setting("CHATOPS_SUPPORT_TRIAGE_SLACK_CHANNEL", "",
            "Slack channel id for tickets no route matches (flagged for triage)."),
    Setting("CHATOPS_SUPPORT_TRIAGE_DISCORD_CHANNEL", "",
            "Discord channel id for tickets no route matches (flagged for triage)."),
    Setting("CHATOPS_SUPPORT_AT_RISK_RATIO", "0.8", "A ticket is at risk once this share of an SLA target has passed."),
    Setting("CHATOPS_SUPPORT_ESCALATION_STEP_MINUTES", "30",
            "After a breach: on-call at once, the lead this many minutes later, the internal channel as much again."),
    Setting("CHATOPS_SUPPORT_DIGEST_TIME", "09:00", "When the daily standup digest is posted (HH:MM, UTC)."),
    Setting("CHATOPS_SUPPORT_PARTNER_INFO",
            "Communities become partners by supporting the project through tithing or revenue sharing; "
            "ask a team member in the general support channel to get started.",
            "Shown in redirects: how a community becomes a partner."),
    Setting("DISCORD_TOKEN", "",
            "Discord bot token. Set: `chatops run` starts the bot in-process; empty: Discord is never contacted."),
    Setting("DISCORD_APPLICATION_ID", "",
            "Discord application id (for `chatops discord sync`); empty: read from the token at login."),
    Setting("DISCORD_API_URL", "", "Discord REST base URL override, like `http://proxy:8080/api/v10` (proxies, tests)."),
    Setting("DISCORD_GATEWAY_URL", "", "Discord gateway URL override, like `ws://proxy:8080/gateway` (proxies, tests)."),
    Setting("DISCORD_SHARD_COUNT", "",
            "Empty: one gateway connection (plain Client). `auto` or a number: AutoShardedClient with that many shards."),
    Setting("DISCORD_SHARD_IDS", "",
            "Shards this process runs, like `0,1` (each below DISCORD_SHARD_COUNT, which must be a number); empty: all."),
    Setting("DISCORD_PUBLIC_KEY", "",
            "The application's public key (hex, Developer Portal → General Information). Set: `POST "
            "/discord/interactions` is mounted (HTTP interactions, no gateway needed except for DMs)."),
    Setting("DISCORD_GATEWAY", "on",
            "`off`: `chatops run` does not connect the gateway (HTTP interactions only; DMs to the bot go unread)."),
)




# ---- parsers: text in, a typed value out, or ValueError saying what is accepted --------------------------

def text(raw: str) -> str:
    return raw.strip()


def raw_text(raw: str) -> str:
    return raw


def integer(minimum: int, unit: str = "") -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw.strip())
        except ValueError:
            raise ValueError(f"a whole number{' of ' + unit if unit else ''}") from None
        if value < minimum:
            raise ValueError(f"a whole number{' of ' + unit if unit else ''} of at least {minimum}")
        return value
    parse.accepts = f"a whole number of at least {minimum}"  # type: ignore[attr-defined]
    return parse


def number(minimum: float, unit: str = "", *, above: bool = False) -> Callable[[str], float]:
    def parse(raw: str) -> float:
        try:
            value = float(raw.strip())
        except ValueError:
            raise ValueError(f"a number{' of ' + unit if unit else ''}") from None
        if value != value or value < minimum or (above and value == minimum):
            raise ValueError(f"a number{' of ' + unit if unit else ''} {'above' if above else 'of at least'} {minimum:g}")
        return value
    return parse


def share(raw: str) -> float:
    value = number(0.0)(raw)
    if not 0 < value < 1:
        raise ValueError("a number between 0 and 1 (like 0.8)")
    return value


def choice(*options: str, upper: bool = False, lower: bool = False) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip().upper() if upper else raw.strip().lower() if lower else raw.strip()
        if value not in options:
            raise ValueError(f"one of {', '.join(options)}")
        return value
    return parse


def names(raw: str) -> frozenset[str]:
    return frozenset(p.strip() for p in raw.split(",") if p.strip())


PLAYGROUND_GROUPS = ("demo", "personas", "self", "all")


def playground_identities(raw: str) -> frozenset[str]:
    """CHATOPS_ADMIN_PLAYGROUND_AS: groups and ``platform:user_id`` entries; a typo must not silently allow
    nothing, or something else."""
    entries = names(raw)
    for entry in sorted(entries):
        platform, _, user_id = entry.partition(":")
        if entry not in PLAYGROUND_GROUPS and not (platform and user_id and not any(c.isspace() for c in entry)):
            raise ValueError(f"{', '.join(PLAYGROUND_GROUPS)} or platform:user_id entries separated by commas "
                             f"({entry!r} is none of them)")
    return entries


def seconds_list(raw: str) -> tuple[float, ...]:
    try:
        values = tuple(float(part) for part in raw.split(",") if part.strip())
    except ValueError:
        raise ValueError("seconds separated by commas, like 30,60,120") from None
    if not values or any(v <= 0 for v in values):
        raise ValueError("positive seconds separated by commas, like 30,60,120")
    return values


def clock_time(raw: str) -> tuple[int, int]:
    hh, sep, mm = raw.strip().partition(":")
    try:
        h, m = int(hh), int(mm or 0)
    except ValueError:
        raise ValueError("a time of day as HH:MM (UTC), like 09:00") from None
    if not sep or not (0 <= h < 24 and 0 <= m < 60):
        raise ValueError("a time of day as HH:MM (UTC), like 09:00")
    return h, m


def database_url(raw: str) -> str:
    value = raw.strip() or "sqlite:///chatops.db"
    if not value.startswith(("sqlite", "postgres://", "postgresql://", "postgresext://", "postgresql+pool://",
                             "postgres+pool://")):
        raise ValueError("sqlite:///PATH or postgresql://USER@HOST:PORT/DB")
    return value


def http_url(raw: str) -> str:
    value = raw.strip()
    if value and not value.startswith(("http://", "https://")):
        raise ValueError("an http:// or https:// URL (or empty)")
    return value


def slack_api_url(raw: str) -> str:
    value = http_url(raw) or "https://slack.com/api/"
    return value if value.endswith("/") else value + "/"


def ws_url(raw: str) -> str:
    value = raw.strip()
    if value and not value.startswith(("ws://", "wss://")):
        raise ValueError("a ws:// or wss:// URL (or empty)")
    return value


def redis_url(raw: str) -> str:
    value = raw.strip()
    if value and not value.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError("empty (SQLite next to the database) or a redis:// URL")
    return value


def binds(raw: str) -> tuple[str, ...]:
    values = tuple(part.strip() for part in raw.split(",") if part.strip())
    for value in values:
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("HOST:PORT, comma-separated for several, like 127.0.0.1:8000")
    if not values:
        raise ValueError("HOST:PORT, comma-separated for several, like 127.0.0.1:8000")
    return values


def optional_bind(raw: str) -> str:
    value = raw.strip()
    try:
        if value and len(binds(value)) != 1:
            raise ValueError
    except ValueError:
        raise ValueError("one HOST:PORT, like 127.0.0.1:9100 (or empty)") from None
    return value


def digits(raw: str) -> str:
    value = raw.strip()
    if value and not value.isdigit():
        raise ValueError("a Discord id (digits) or empty")
    return value


def shard_ids(raw: str) -> tuple[int, ...] | None:
    value = raw.strip()
    if not value:
        return None
    try:
        ids = tuple(int(part) for part in value.split(","))
    except ValueError:
        raise ValueError("shard numbers separated by commas, like `0,1` (or empty)") from None
    if any(i < 0 for i in ids) or len(set(ids)) != len(ids):
        raise ValueError("distinct shard numbers of 0 or more, like `0,1` (or empty)")
    return ids


def ed25519_public_key(raw: str) -> str:
    value = raw.strip().lower()
    if value and (len(value) != 64 or any(c not in "0123456789abcdef" for c in value)):
        raise ValueError("the application's public key: 64 hex digits (or empty)")
    return value


def on_off(raw: str) -> bool:
    value = raw.strip().lower()
    if value not in ("on", "off"):
        raise ValueError("`on` or `off`")
    return value == "on"


def shard_count(raw: str) -> int | str | None:
    value = raw.strip().lower()
    if not value:
        return None
    if value == "auto":
        return "auto"
    try:
        count = int(value)
    except ValueError:
        raise ValueError("empty, `auto` or a whole number of at least 1") from None
    if count < 1:
        raise ValueError("empty, `auto` or a whole number of at least 1")
    return count


# ---- the sections ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class WorkSettings:
    workers: int = 32
    lease_seconds: float = 60.0
    max_attempts: int = 5
    queue_limit: int = 500
    poll_seconds: float = 1.0
    drain_seconds: float = 25.0
    reconcile_max_checks: int = 12
    reconcile_backoff: tuple[float, ...] = (30, 60, 120, 300, 600, 1800, 3600)
    housekeeping_seconds: float = 10.0
    outbox_lease_seconds: float = 120.0
    audit_spool: str = ""
    huey_url: str = ""


@dataclass(frozen=True)
class AdminSettings:
    lockout_attempts: int = 5
    lockout_minutes: int = 15
    session_hours: int = 12
    idle_minutes: int = 60
    secure_cookie: str = "auto"
    export_max_rows: int = 50000
    signin_log_days: int = 30
    playground: str = "on"
    playground_as: frozenset[str] = frozenset({"demo", "personas", "self"})


@dataclass(frozen=True)
class SlackSettings:
    bot_token: str = ""
    signing_secret: str = ""
    app_token: str = ""
    api_url: str = "https://slack.com/api/"
    usergroups_cache_seconds: float = 300.0


@dataclass(frozen=True)
class DiscordSettings:
    token: str = ""
    application_id: str = ""
    api_url: str = ""
    gateway_url: str = ""
    shard_count: int | str | None = None
    shard_ids: tuple[int, ...] | None = None
    public_key: str = ""
    gateway: bool = True

    def __post_init__(self) -> None:
        if self.shard_ids is None:
            return
        if not isinstance(self.shard_count, int):
            raise ValueError(f"DISCORD_SHARD_IDS ({','.join(map(str, self.shard_ids))}) needs DISCORD_SHARD_COUNT set "
                             f"to the total number of shards, not {self.shard_count or 'empty'!r}")
        too_big = [i for i in self.shard_ids if i >= self.shard_count]
        if too_big:
            raise ValueError(f"DISCORD_SHARD_IDS must be shard numbers below DISCORD_SHARD_COUNT ({self.shard_count}), "
                             f"not {','.join(map(str, too_big))}")


@dataclass(frozen=True)
class OpsSettings:
    backend: str = "demo"
    backend_url: str = ""
    backend_token: str = ""
    backend_timeout_seconds: float = 10.0
    approvals_slack_channel: str = ""
    approvals_discord_channel: str = ""
    approval_ttl_minutes: int = 30


@dataclass(frozen=True)
class SupportSettings:
    team: str = "support"
    triage_slack_channel: str = ""
    triage_discord_channel: str = ""
    at_risk_ratio: float = 0.8
    escalation_step_minutes: float = 30.0
    digest_time: tuple[int, int] = (9, 0)
    partner_info: str = ""


@dataclass(frozen=True)
class TestSettings:
    database_url: str = ""
    pg_url: str = ""


@dataclass(frozen=True)
class WebSettings:
    metrics: str = "off"
    metrics_token: str = ""
    metrics_worker_bind: str = ""
    bind: tuple[str, ...] = ("127.0.0.1:8000",)
    processes: int = 2
    threads: int = 8
    timeout_seconds: float = 30.0
    trusted_proxies: int = 0

    @property
    def metrics_on(self) -> bool:
        return self.metrics == "on"


SECTIONS: dict[str, type] = {"web": WebSettings, "work": WorkSettings, "admin": AdminSettings, "slack": SlackSettings,
                             "discord": DiscordSettings, "ops": OpsSettings, "support": SupportSettings,
                             "tests": TestSettings}

# setting → (section ("" for the core fields of Settings itself), attribute, parser)
TYPES: dict[str, tuple[str, str, Callable[[str], Any]]] = {
    "CHATOPS_DATABASE_URL": ("", "database_url", database_url),
    "CHATOPS_SQLITE_SYNCHRONOUS": ("", "sqlite_synchronous", choice("OFF", "NORMAL", "FULL", "EXTRA", upper=True)),
    "CHATOPS_DEFAULT_TIER": ("", "default_tier", text),
    "CHATOPS_STAFF_TIER": ("", "staff_tier", text),
    "CHATOPS_CONFIRM_TTL_MINUTES": ("", "confirm_ttl_minutes", integer(1, "minutes")),
    "CHATOPS_DISABLED_PLUGINS": ("", "disabled_plugins", names),
    "CHATOPS_DM_FALLBACK_COMMAND": ("", "dm_fallback_command", text),
    "CHATOPS_LOG_LEVEL": ("", "log_level", choice("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", upper=True)),
    "CHATOPS_LOG_FORMAT": ("", "log_format", choice("text", "json", lower=True)),
    "CHATOPS_METRICS": ("web", "metrics", choice("on", "off", lower=True)),
    "CHATOPS_METRICS_TOKEN": ("web", "metrics_token", text),
    "CHATOPS_METRICS_WORKER_BIND": ("web", "metrics_worker_bind", optional_bind),
    "CHATOPS_WEB_BIND": ("web", "bind", binds),
    "CHATOPS_WEB_PROCESSES": ("web", "processes", integer(1, "processes")),
    "CHATOPS_WEB_THREADS": ("web", "threads", integer(1, "threads")),
    "CHATOPS_TRUSTED_PROXIES": ("web", "trusted_proxies", integer(0, "proxies")),
    "CHATOPS_WEB_TIMEOUT_SECONDS": ("web", "timeout_seconds", number(1, "seconds")),
    "CHATOPS_SECRET_KEY": ("", "secret_key", raw_text),
    "CHATOPS_TEST_DATABASE_URL": ("tests", "database_url", text),
    "CHATOPS_TEST_PG_URL": ("tests", "pg_url", text),
    "CHATOPS_WORKERS": ("work", "workers", integer(0, "threads")),
    "CHATOPS_WORK_LEASE_SECONDS": ("work", "lease_seconds", number(5, "seconds")),
    "CHATOPS_WORK_MAX_ATTEMPTS": ("work", "max_attempts", integer(1, "attempts")),
    "CHATOPS_WORK_QUEUE_LIMIT": ("work", "queue_limit", integer(1, "requests")),
    "CHATOPS_WORK_POLL_SECONDS": ("work", "poll_seconds", number(0.01, "seconds")),
    "CHATOPS_DRAIN_SECONDS": ("work", "drain_seconds", number(0, "seconds")),
    "CHATOPS_RECONCILE_MAX_CHECKS": ("work", "reconcile_max_checks", integer(1, "checks")),
    "CHATOPS_RECONCILE_BACKOFF_SECONDS": ("work", "reconcile_backoff", seconds_list),
    "CHATOPS_HOUSEKEEPING_SECONDS": ("work", "housekeeping_seconds", number(0.05, "seconds")),
    "CHATOPS_OUTBOX_LEASE_SECONDS": ("work", "outbox_lease_seconds", number(1, "seconds")),
    "CHATOPS_AUDIT_SPOOL": ("work", "audit_spool", text),
    "CHATOPS_HUEY_URL": ("work", "huey_url", redis_url),
    "CHATOPS_ADMIN_LOCKOUT_ATTEMPTS": ("admin", "lockout_attempts", integer(1, "attempts")),
    "CHATOPS_ADMIN_LOCKOUT_MINUTES": ("admin", "lockout_minutes", integer(1, "minutes")),
    "CHATOPS_ADMIN_SESSION_HOURS": ("admin", "session_hours", integer(1, "hours")),
    "CHATOPS_ADMIN_IDLE_MINUTES": ("admin", "idle_minutes", integer(1, "minutes")),
    "CHATOPS_ADMIN_SECURE_COOKIE": ("admin", "secure_cookie", choice("auto", "always", "never", lower=True)),
    "CHATOPS_ADMIN_EXPORT_MAX_ROWS": ("admin", "export_max_rows", integer(1, "rows")),
    "CHATOPS_ADMIN_SIGNIN_LOG_DAYS": ("admin", "signin_log_days", integer(1, "days")),
    "CHATOPS_ADMIN_PLAYGROUND": ("admin", "playground", choice("on", "off", lower=True)),
    "CHATOPS_ADMIN_PLAYGROUND_AS": ("admin", "playground_as", playground_identities),
    "SLACK_BOT_TOKEN": ("slack", "bot_token", text),
    "SLACK_SIGNING_SECRET": ("slack", "signing_secret", text),
    "SLACK_APP_TOKEN": ("slack", "app_token", text),
    "SLACK_API_URL": ("slack", "api_url", slack_api_url),
    "SLACK_USERGROUPS_CACHE_SECONDS": ("slack", "usergroups_cache_seconds", number(0, "seconds")),
    "CHATOPS_BACKEND": ("ops", "backend", text),
    "CHATOPS_BACKEND_URL": ("ops", "backend_url", http_url),
    "CHATOPS_BACKEND_TOKEN": ("ops", "backend_token", text),
    "CHATOPS_BACKEND_TIMEOUT_SECONDS": ("ops", "backend_timeout_seconds", number(0, "seconds", above=True)),
    "CHATOPS_OPS_APPROVALS_SLACK_CHANNEL": ("ops", "approvals_slack_channel", text),
    "CHATOPS_OPS_APPROVALS_DISCORD_CHANNEL": ("ops", "approvals_discord_channel", digits),
    "CHATOPS_OPS_APPROVAL_TTL_MINUTES": ("ops", "approval_ttl_minutes", integer(1, "minutes")),
    "CHATOPS_SUPPORT_TEAM": ("support", "team", text),
    "CHATOPS_SUPPORT_TRIAGE_SLACK_CHANNEL": ("support", "triage_slack_channel", text),
    "CHATOPS_SUPPORT_TRIAGE_DISCORD_CHANNEL": ("support", "triage_discord_channel", digits),
    "CHATOPS_SUPPORT_AT_RISK_RATIO": ("support", "at_risk_ratio", share),
    "CHATOPS_SUPPORT_ESCALATION_STEP_MINUTES": ("support", "escalation_step_minutes", number(0, "minutes", above=True)),
    "CHATOPS_SUPPORT_DIGEST_TIME": ("support", "digest_time", clock_time),
    "CHATOPS_SUPPORT_PARTNER_INFO": ("support", "partner_info", raw_text),
    "DISCORD_TOKEN": ("discord", "token", text),
    "DISCORD_APPLICATION_ID": ("discord", "application_id", digits),
    "DISCORD_API_URL": ("discord", "api_url", http_url),
    "DISCORD_GATEWAY_URL": ("discord", "gateway_url", ws_url),
    "DISCORD_SHARD_COUNT": ("discord", "shard_count", shard_count),
    "DISCORD_SHARD_IDS": ("discord", "shard_ids", shard_ids),
    "DISCORD_PUBLIC_KEY": ("discord", "public_key", ed25519_public_key),
    "DISCORD_GATEWAY": ("discord", "gateway", on_off),
}


def parse_setting(setting: Setting, raw: str | None) -> Any:
    """One setting's typed value from its raw text (its default when unset or empty)."""
    _section, _attr, parse = TYPES[setting.env]
    text_value = raw if raw not in (None, "") else setting.default
    try:
        return parse(text_value)
    except ValueError as exc:
        raise ValueError(f"{setting.env} must be {exc}, not {text_value!r}") from None


def _sections(env: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, dict[str, Any]] = {name: {} for name in SECTIONS}
    for setting in SETTINGS:
        section, attr, _ = TYPES[setting.env]
        if section:
            values[section][attr] = parse_setting(setting, env.get(setting.env))
    return {name: SECTIONS[name](**kwargs) for name, kwargs in values.items()}


@dataclass(frozen=True)
class Settings:
    """The parsed settings: the core's own fields, and one typed section per area (see SECTIONS)."""

    database_url: str = "sqlite:///chatops.db"
    sqlite_synchronous: str = "NORMAL"
    default_tier: str = "general"
    staff_tier: str = "internal"
    confirm_ttl_minutes: int = 15
    disabled_plugins: frozenset[str] = frozenset()
    log_level: str = "INFO"
    log_format: str = "text"
    secret_key: str = ""
    dm_fallback_command: str = "support"
    # The environment as read (the declared settings only); the sections are parsed from it.
    env: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), compare=False, repr=False)
    web: WebSettings = field(default=None, compare=False)  # type: ignore[assignment]
    work: WorkSettings = field(default=None, compare=False)  # type: ignore[assignment]
    admin: AdminSettings = field(default=None, compare=False)  # type: ignore[assignment]
    slack: SlackSettings = field(default=None, compare=False)  # type: ignore[assignment]
    discord: DiscordSettings = field(default=None, compare=False)  # type: ignore[assignment]
    ops: OpsSettings = field(default=None, compare=False)  # type: ignore[assignment]
    support: SupportSettings = field(default=None, compare=False)  # type: ignore[assignment]
    tests: TestSettings = field(default=None, compare=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        parsed = None
        for name in SECTIONS:
            if getattr(self, name) is None:
                if parsed is None:
                    parsed = _sections(self.env)  # a wrong value: ValueError naming the setting
                object.__setattr__(self, name, parsed[name])

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides) -> "Settings":
        """Read and parse every declared setting; ValueError naming the first wrong one and what it takes."""
        env = os.environ if environ is None else environ
        declared = MappingProxyType({s.env: env[s.env] for s in SETTINGS if s.env in env})
        values: dict[str, Any] = {"env": declared}
        for setting in SETTINGS:
            section, attr, _ = TYPES[setting.env]
            if not section:
                values[attr] = parse_setting(setting, declared.get(setting.env))
        values.update(overrides)
        return cls(**values)

    def replace(self, **changes) -> "Settings":
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in SECTIONS}
        data.update(changes)
        if "env" in changes:  # new raw values: the sections are parsed again
            return Settings(**data)
        return Settings(**data, **{name: getattr(self, name) for name in SECTIONS if name not in changes})


def check_types() -> None:
    """Every declared setting has a section, an attribute and a parser (tests call this)."""
    missing = [s.env for s in SETTINGS if s.env not in TYPES]
    extra = [name for name in TYPES if name not in {s.env for s in SETTINGS}]
    if missing or extra:
        raise AssertionError(f"settings without a type: {missing}; types without a setting: {extra}")


def markdown_table() -> str:
    """The README's settings table (``chatops settings --markdown``)."""
    lines = ["| Setting | Default | What it does |", "|---|---|---|"]
    for s in SETTINGS:
        default = f"`{s.default}`" if s.default else "(empty)"
        text = s.help.replace("|", r"\|")
        lines.append(f"| `{s.env}` | {default} | {text} |")
    return "\n".join(lines)
