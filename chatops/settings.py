"""Every setting, its default and what it does: read once from the environment into a frozen Settings.

The README's settings table lists exactly these (a test keeps them in step).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Mapping


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
            "Admin panel: failed sign-ins for one username within the lockout window that lock it."),
    Setting("CHATOPS_ADMIN_LOCKOUT_MINUTES", "15",
            "Admin panel: the lockout window, and how long a locked username stays locked."),
    Setting("CHATOPS_ADMIN_SESSION_HOURS", "12",
            "Admin panel: a session ends this many hours after sign-in, whatever the activity."),
    Setting("CHATOPS_ADMIN_IDLE_MINUTES", "60",
            "Admin panel: a session ends after this many minutes without a request."),
    Setting("CHATOPS_ADMIN_SECURE_COOKIE", "auto",
            "Admin panel session cookie `Secure` flag: `auto` (when the request came over https; put the app "
            "behind a proxy that sets X-Forwarded-Proto and trust it), `always` or `never`."),
    Setting("CHATOPS_ADMIN_EXPORT_MAX_ROWS", "50000",
            "Admin panel: the most rows one CSV export of a list (the audit log included) returns."),
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
            "Ops backend: `demo` (seeded tables), `http` (the JSON API in docs/ops.md) or a dotted path "
            "`package.module:Class` to your own."),
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
)


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///chatops.db"
    sqlite_synchronous: str = "NORMAL"
    default_tier: str = "general"
    staff_tier: str = "internal"
    confirm_ttl_minutes: int = 15
    disabled_plugins: frozenset[str] = frozenset()
    log_level: str = "INFO"
    secret_key: str = ""
    # The environment as read, for settings the parts outside the core own (read with .get()).
    env: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), compare=False, repr=False)

    def get(self, name: str) -> str:
        """A registered setting's value (environment, else its documented default).

        Every setting must be declared in SETTINGS (so it is documented): an
        unknown name is a KeyError.
        """
        default = next((s.default for s in SETTINGS if s.env == name), None)
        if default is None:
            raise KeyError(f"{name} is not a declared setting; add it to chatops.settings.SETTINGS")
        return self.env.get(name) or default

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides) -> "Settings":
        env = os.environ if environ is None else environ

        def get(name: str) -> str:
            default = next(s.default for s in SETTINGS if s.env == name)
            return env.get(name, default) or default

        try:
            ttl = int(get("CHATOPS_CONFIRM_TTL_MINUTES"))
        except ValueError:
            raise ValueError("CHATOPS_CONFIRM_TTL_MINUTES must be a whole number of minutes") from None
        sync = get("CHATOPS_SQLITE_SYNCHRONOUS").upper()
        if sync not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise ValueError("CHATOPS_SQLITE_SYNCHRONOUS must be OFF, NORMAL, FULL or EXTRA")
        values = dict(
            database_url=get("CHATOPS_DATABASE_URL"),
            sqlite_synchronous=sync,
            default_tier=get("CHATOPS_DEFAULT_TIER"),
            staff_tier=get("CHATOPS_STAFF_TIER"),
            confirm_ttl_minutes=ttl,
            disabled_plugins=frozenset(p.strip() for p in get("CHATOPS_DISABLED_PLUGINS").split(",") if p.strip()),
            log_level=get("CHATOPS_LOG_LEVEL").upper(),
            secret_key=env.get("CHATOPS_SECRET_KEY", ""),
            env=MappingProxyType({s.env: env[s.env] for s in SETTINGS if s.env in env}),
        )
        values.update(overrides)
        return cls(**values)

    def replace(self, **changes) -> "Settings":
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data.update(changes)
        return Settings(**data)


def markdown_table() -> str:
    """The README's settings table (``chatops settings --markdown``)."""
    lines = ["| Setting | Default | What it does |", "|---|---|---|"]
    for s in SETTINGS:
        default = f"`{s.default}`" if s.default else "(empty)"
        text = s.help.replace("|", r"\|")
        lines.append(f"| `{s.env}` | {default} | {text} |")
    return "\n".join(lines)
