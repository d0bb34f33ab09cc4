"""Typed settings, parsed once: every setting has a parser and a place; a wrong value is a start-up error
naming the setting and what it accepts; nothing outside chatops.settings reads a setting by name."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from chatops.cli import main
from chatops.settings import SETTINGS, TYPES, Settings, check_types

ROOT = Path(__file__).resolve().parents[2]

# A value each parsed setting refuses (free-text settings have none: any text is theirs).
WRONG = {
    "CHATOPS_ADMIN_SIGNIN_LOG_DAYS": "0", "CHATOPS_ADMIN_PLAYGROUND": "maybe",
    "CHATOPS_DATABASE_URL": "mysql://x", "CHATOPS_SQLITE_SYNCHRONOUS": "sometimes",
    "CHATOPS_CONFIRM_TTL_MINUTES": "abc", "CHATOPS_LOG_LEVEL": "loud", "CHATOPS_WORKERS": "-1",
    "CHATOPS_WORK_LEASE_SECONDS": "1", "CHATOPS_WORK_MAX_ATTEMPTS": "0", "CHATOPS_WORK_QUEUE_LIMIT": "many",
    "CHATOPS_WORK_POLL_SECONDS": "0", "CHATOPS_DRAIN_SECONDS": "soon", "CHATOPS_RECONCILE_MAX_CHECKS": "0",
    "CHATOPS_RECONCILE_BACKOFF_SECONDS": "30,x", "CHATOPS_HOUSEKEEPING_SECONDS": "0",
    "CHATOPS_OUTBOX_LEASE_SECONDS": "0", "CHATOPS_HUEY_URL": "amqp://x", "CHATOPS_ADMIN_LOCKOUT_ATTEMPTS": "0",
    "CHATOPS_ADMIN_LOCKOUT_MINUTES": "x", "CHATOPS_ADMIN_SESSION_HOURS": "0", "CHATOPS_ADMIN_IDLE_MINUTES": "-5",
    "CHATOPS_ADMIN_SECURE_COOKIE": "sometimes", "CHATOPS_ADMIN_EXPORT_MAX_ROWS": "all", "SLACK_API_URL": "slack.com",
    "SLACK_USERGROUPS_CACHE_SECONDS": "-1", "CHATOPS_BACKEND_URL": "ops.internal",
    "CHATOPS_BACKEND_TIMEOUT_SECONDS": "0", "CHATOPS_OPS_APPROVALS_DISCORD_CHANNEL": "#approvals",
    "CHATOPS_OPS_APPROVAL_TTL_MINUTES": "abc", "CHATOPS_SUPPORT_TRIAGE_DISCORD_CHANNEL": "triage",
    "CHATOPS_SUPPORT_AT_RISK_RATIO": "1.5", "CHATOPS_SUPPORT_ESCALATION_STEP_MINUTES": "0",
    "CHATOPS_SUPPORT_DIGEST_TIME": "9am", "DISCORD_APPLICATION_ID": "app", "DISCORD_API_URL": "discord.com",
    "DISCORD_GATEWAY_URL": "http://x", "DISCORD_SHARD_COUNT": "0",
    "CHATOPS_LOG_FORMAT": "xml", "CHATOPS_METRICS": "maybe", "CHATOPS_WEB_BIND": "8000", "CHATOPS_METRICS_WORKER_BIND": "9100",
    "CHATOPS_WEB_PROCESSES": "0", "CHATOPS_WEB_THREADS": "many", "CHATOPS_WEB_TIMEOUT_SECONDS": "0",
    "DISCORD_SHARD_IDS": "one", "DISCORD_PUBLIC_KEY": "xyz", "DISCORD_GATEWAY": "maybe",
    "CHATOPS_TRUSTED_PROXIES": "-1", "CHATOPS_ADMIN_PLAYGROUND_AS": "dmeo,personas",
}
FREE_TEXT = {"CHATOPS_DEFAULT_TIER", "CHATOPS_STAFF_TIER", "CHATOPS_DISABLED_PLUGINS", "CHATOPS_DM_FALLBACK_COMMAND",
             "CHATOPS_SECRET_KEY", "CHATOPS_TEST_DATABASE_URL", "CHATOPS_TEST_PG_URL", "CHATOPS_AUDIT_SPOOL",
             "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "CHATOPS_BACKEND", "CHATOPS_BACKEND_TOKEN",
             "CHATOPS_OPS_APPROVALS_SLACK_CHANNEL", "CHATOPS_SUPPORT_TEAM", "CHATOPS_SUPPORT_TRIAGE_SLACK_CHANNEL",
             "CHATOPS_SUPPORT_PARTNER_INFO", "DISCORD_TOKEN",
             "CHATOPS_METRICS_TOKEN"}


def test_every_setting_has_a_parser_and_every_parsed_one_a_wrong_value_here():
    check_types()
    assert set(WRONG) | FREE_TEXT == {s.env for s in SETTINGS}  # a new setting must be added to one of them


@pytest.mark.parametrize("name", sorted(WRONG))
def test_a_wrong_value_names_the_setting_and_what_it_accepts(name):
    with pytest.raises(ValueError) as refused:
        Settings.from_env({name: WRONG[name]})
    message = str(refused.value)
    assert message.startswith(f"{name} must be ") and repr(WRONG[name]) in message and "\n" not in message


@pytest.mark.parametrize("name", ["CHATOPS_OPS_APPROVAL_TTL_MINUTES", "CHATOPS_SUPPORT_AT_RISK_RATIO",
                                  "CHATOPS_WORK_LEASE_SECONDS", "DISCORD_SHARD_COUNT", "SLACK_API_URL"])
def test_chatops_run_refuses_to_start_with_one_line(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["--database-url", f"sqlite:///{tmp_path}/x.db", "run"],
                                env={name: WRONG[name]})
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {name} must be ") and result.output.count("\n") == 1
    assert "Traceback" not in result.output


def test_chatops_settings_shows_which_value_is_not_valid():
    result = CliRunner().invoke(main, ["settings"], env={"CHATOPS_OPS_APPROVAL_TTL_MINUTES": "abc"})
    assert result.exit_code == 1
    assert "NOT VALID: CHATOPS_OPS_APPROVAL_TTL_MINUTES must be a whole number of minutes, not 'abc'" in result.output


def test_sections_are_typed_and_defaults_parse():
    s = Settings.from_env({"CHATOPS_SUPPORT_DIGEST_TIME": "07:30", "DISCORD_SHARD_COUNT": "auto",
                           "SLACK_API_URL": "http://127.0.0.1:9/api", "CHATOPS_RECONCILE_BACKOFF_SECONDS": "1,2"})
    assert s.support.digest_time == (7, 30) and s.discord.shard_count == "auto"
    assert s.slack.api_url == "http://127.0.0.1:9/api/" and s.work.reconcile_backoff == (1.0, 2.0)
    assert isinstance(s.ops.approval_ttl_minutes, int) and isinstance(s.work.lease_seconds, float)
    for setting in SETTINGS:  # every documented default is itself valid
        Settings.from_env({setting.env: setting.default})


def test_nothing_reads_a_setting_by_name_outside_the_settings_module():
    names = [s.env for s in SETTINGS]
    pattern = re.compile(r"\.get\(\s*[\"'](" + "|".join(map(re.escape, names)) + r")[\"']")
    offenders = []
    for area in ("chatops", "adapters", "admin"):
        for path in (ROOT / area).rglob("*.py"):
            if path.name == "settings.py" and path.parent.name == "chatops":
                continue
            text = path.read_text(encoding="utf-8")
            for match in pattern.finditer(text):
                offenders.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
    assert offenders == [] and TYPES


@pytest.mark.parametrize("env,expected", [
    ({"CHATOPS_BACKEND": "nope"}, "Error: CHATOPS_BACKEND='nope' is not a backend: use one of demo, http"),
    ({"CHATOPS_BACKEND": "http"}, "Error: CHATOPS_BACKEND=http: The ops backend is not configured"),
])
def test_a_bad_backend_stops_start_up_not_the_first_command(tmp_path, monkeypatch, env, expected):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["--database-url", f"sqlite:///{tmp_path}/x.db", "run"], env=env)
    assert result.exit_code == 1 and result.output.startswith(expected), result.output
    assert result.output.count("\n") == 1
