"""GET /metrics: Prometheus text that prometheus_client's own parser reads, counters that move when a
command runs, gauges read from the database at scrape time, and never served to just anyone."""
from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner
from prometheus_client.parser import text_string_to_metric_families

from adapters.metrics_http import MetricsExposed, check_bind, is_loopback
from chatops import metrics, work
from chatops.cli import main
from chatops.settings import Settings

TOKEN = "scrape-token-123"


def scrape(client, token: str | None = TOKEN, **kwargs):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get("/metrics", headers=headers, **kwargs)


def samples(text: str) -> dict[tuple[str, tuple], float]:
    """(sample name, sorted labels) → value, from the text format, parsed by prometheus_client."""
    found = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            found[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return found


def value(parsed, name: str, **labels) -> float:
    return parsed.get((name, tuple(sorted(labels.items()))), 0.0)


def test_a_command_moves_the_counters_and_the_scrape_parses(make_slack):
    slack = make_slack(CHATOPS_METRICS="on", CHATOPS_METRICS_TOKEN=TOKEN)
    client = slack.client
    before = samples(scrape(client).get_data(as_text=True))

    response, _ = slack.command("ping")
    assert response.status_code == 200
    assert slack.adapter.wait_idle(10)
    bad = client.post("/slack/events", data=b"command=%2Fping", content_type="application/x-www-form-urlencoded",
                      headers={"X-Slack-Request-Timestamp": "1", "X-Slack-Signature": "v0=" + "0" * 64})
    assert bad.status_code == 401
    malformed = slack.post("payload=%7Bnot-json", "application/x-www-form-urlencoded")
    assert malformed.status_code == 400

    page = scrape(client)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/plain; version=")
    after = samples(page.get_data(as_text=True))
    delta = lambda name, **labels: value(after, name, **labels) - value(before, name, **labels)  # noqa: E731

    assert delta("chatops_commands_total", command="ping", platform="slack", outcome="allowed") == 1
    assert delta("chatops_ack_seconds_count", platform="slack") >= 3  # the command, the bad signature, the malformed
    assert delta("chatops_requests_refused_total", platform="slack", reason="signature") == 1
    assert delta("chatops_requests_refused_total", platform="slack", reason="malformed") == 1
    assert delta("chatops_work_finished_total", kind="slack", result="done") == 1
    assert delta("chatops_audit_appends_total", outcome="allowed") >= 1
    assert value(after, "chatops_database_up") == 1
    families = {f.name for f in text_string_to_metric_families(page.get_data(as_text=True))}
    assert {"chatops_work_queue_depth", "chatops_work_oldest_queued_seconds", "chatops_outbox_pending",
            "chatops_sla_tickets", "chatops_backend_call_seconds", "chatops_outbox_lag_seconds"} <= families


def test_a_scrape_without_the_token_is_refused(make_slack):
    client = make_slack(CHATOPS_METRICS="on", CHATOPS_METRICS_TOKEN=TOKEN).client
    assert scrape(client, token=None).status_code == 401
    refused = scrape(client, token="not-it")
    assert refused.status_code == 401 and "chatops_" not in refused.get_data(as_text=True)
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert scrape(client).status_code == 200


def test_without_a_token_only_loopback_clients_are_answered(make_slack):
    client = make_slack(CHATOPS_METRICS="on").client
    assert scrape(client, token=None, environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 200
    assert scrape(client, token=None, environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 403


def test_metrics_are_off_by_default(make_slack):
    client = make_slack().client
    assert client.get("/metrics").status_code == 404


def test_a_public_bind_without_a_token_refuses_to_start(tmp_path, monkeypatch):
    on = Settings.from_env({"CHATOPS_METRICS": "on"})
    with pytest.raises(MetricsExposed, match="CHATOPS_METRICS_TOKEN"):
        check_bind(on, ["0.0.0.0"])
    check_bind(on, ["127.0.0.1", "::1", "localhost"])  # loopback: fine
    check_bind(Settings.from_env({"CHATOPS_METRICS": "on", "CHATOPS_METRICS_TOKEN": "t"}), ["0.0.0.0"])
    check_bind(Settings.from_env({}), ["0.0.0.0"])  # metrics off: nothing to protect
    assert not is_loopback("10.0.0.1") and not is_loopback("") and is_loopback("[::1]")

    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path}/x.db"
    assert CliRunner().invoke(main, ["--database-url", url, "db", "upgrade"]).exit_code == 0
    result = CliRunner().invoke(main, ["--database-url", url, "run", "--host", "0.0.0.0"],
                                env={"CHATOPS_METRICS": "on", "CHATOPS_METRICS_TOKEN": ""})
    assert result.exit_code == 1 and "CHATOPS_METRICS_TOKEN" in result.output


def test_queue_depth_and_oldest_age_are_read_from_the_database_at_scrape_time(runner, clock):
    now = clock()
    work.accept("slack", "slack:trigger:m1", {"op": "command"}, now=now - timedelta(seconds=90))
    work.accept("slack", "slack:trigger:m2", {"op": "command"}, now=now)
    parsed = samples(metrics.exposition()[0].decode())
    assert value(parsed, "chatops_work_queue_depth", kind="slack", state="queued") == 2
    assert value(parsed, "chatops_work_oldest_queued_seconds", kind="slack") >= 90


def test_sla_tickets_at_risk_and_breached_per_tier(runner, clock):
    from chatops.models import Person, Tier
    from chatops.support.models import Ticket

    ana = Person.create(name="Ana")
    gold = Tier.get_or_create(slug="gold-metrics", defaults={"name": "Gold"})[0]
    made = {}
    for status, tier in (("at_risk", gold), ("breached", gold), ("breached", gold), ("ok", gold), ("breached", None)):
        ticket = Ticket.create(requester=ana, platform="slack", requester_user_id="U1", tier=tier, summary=status,
                               created_at=clock(), sla_status=status)
        made.setdefault(status, []).append(ticket)
    parsed = samples(metrics.exposition()[0].decode())
    assert value(parsed, "chatops_sla_tickets", tier="gold-metrics", status="at_risk") == 1
    assert value(parsed, "chatops_sla_tickets", tier="gold-metrics", status="breached") == 2
    assert value(parsed, "chatops_sla_tickets", tier="none", status="breached") == 1
    Ticket.update(state="resolved").where(Ticket.id == made["breached"][0].id).execute()
    parsed = samples(metrics.exposition()[0].decode())
    assert value(parsed, "chatops_sla_tickets", tier="gold-metrics", status="breached") == 1  # open ones only


def test_backend_calls_are_timed_and_their_errors_counted():
    from chatops import effects

    def boom():
        raise TimeoutError("slow")

    before = samples(metrics.exposition(database=False)[0].decode())
    assert effects.call("test.lookup", lambda: 42) == 42
    with pytest.raises(TimeoutError):
        effects.call("test.lookup", boom)
    after = samples(metrics.exposition(database=False)[0].decode())
    assert (value(after, "chatops_backend_call_seconds_count", operation="test.lookup")
            - value(before, "chatops_backend_call_seconds_count", operation="test.lookup")) == 2
    assert (value(after, "chatops_backend_call_errors_total", operation="test.lookup", error="TimeoutError")
            - value(before, "chatops_backend_call_errors_total", operation="test.lookup", error="TimeoutError")) == 1


def test_unknown_command_names_do_not_become_labels(runner):
    runner.invoke("zzqx-not-a-command", as_="slack:U1")
    parsed = samples(metrics.exposition(database=False)[0].decode())
    assert not [k for k in parsed if ("command", "zzqx-not-a-command") in k[1]]
    assert any(("command", "other") in k[1] for k in parsed if k[0] == "chatops_commands_total")


def test_a_busy_refusal_is_counted_and_audited(make_slack):
    from chatops import spool
    from chatops.models import AuditEvent

    slack = make_slack(CHATOPS_METRICS="on", CHATOPS_METRICS_TOKEN=TOKEN, CHATOPS_WORKERS="0",
                       CHATOPS_WORK_QUEUE_LIMIT="1")
    before = samples(scrape(slack.client).get_data(as_text=True))
    first, _ = slack.command("ping", user="U0FIRST")
    assert first.status_code == 200 and first.get_data(as_text=True) == ""
    work.forget_backlog()  # the queue's length is cached for half a second
    second, _ = slack.command("ping", user="U0SECOND")
    assert second.status_code == 200 and "very busy" in second.get_data(as_text=True)
    after = samples(scrape(slack.client).get_data(as_text=True))
    assert (value(after, "chatops_requests_refused_total", platform="slack", reason="busy")
            - value(before, "chatops_requests_refused_total", platform="slack", reason="busy")) == 1
    spool.flush(slack.runner.app.settings)
    refused = list(AuditEvent.select().where(AuditEvent.outcome == "refused"))
    assert [(e.actor, e.command, e.platform) for e in refused] == [("slack:U0SECOND", "ping", "slack")]
    assert "busy" in refused[0].detail


def test_the_alerts_are_the_same_in_the_docs_and_on_the_panel_dashboard(make_runner):
    """chatops.metrics.ALERTS is what the dashboard lists; docs/operations.md's table must say the same."""
    import re
    from pathlib import Path

    from chatops.metrics import ALERTS

    doc = (Path(__file__).parents[2] / "docs" / "operations.md").read_text()
    table = doc[doc.index("| alert | expression | why |"):]
    rows = []
    for line in table.splitlines()[2:]:
        if not line.startswith("|"):
            break
        rows.append(tuple(c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]))
    assert rows == list(ALERTS)
    from adapters.web import create_app
    from admin.security import create_user
    from chatops.settings import Settings

    runner = make_runner(settings=Settings.from_env({"CHATOPS_SECRET_KEY": "k"}))
    app = create_app(runner.app)
    create_user("vic", "correct horse battery staple", role="viewer", by="test")
    client = app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/admin/login").text).group(1)
    client.post("/admin/login", data={"csrf_token": token, "username": "vic", "password": "correct horse battery staple"})
    page = client.get("/admin/dashboard/").text
    assert "What to alert on" in page and "chatops_work_oldest_queued_seconds) &gt; 60" in page
    assert 'busy|unavailable' in page and "\\|" not in page   # the docs' escaped pipe is a plain one here
