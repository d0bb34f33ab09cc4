"""SLA clocks with an injected clock: business hours, DST, the escalation ladder, exactly-once."""
from __future__ import annotations

import os
import threading
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from chatops.models import AuditEvent, OutboundMessage, Person, Tier
from chatops.support import oncall, sweeper, tasks
from chatops.support.models import OnCallShift, SlaCalendar, SlaNotification, SupportTeam, Ticket
from chatops.support.sla import Hours, add_business_minutes
from chatops.testing import FrozenClock

from .conftest import seeded, support_settings
from .helpers import MAX, SAM, last_ticket, outbox_to

NY = ZoneInfo("America/New_York")
HOURS = Hours(NY, datetime.strptime("09:00", "%H:%M").time(), datetime.strptime("17:00", "%H:%M").time(),
              frozenset(range(5)))
UTC = timezone.utc


def ny(*args) -> datetime:
    return datetime(*args, tzinfo=NY).astimezone(UTC)


@pytest.mark.parametrize("start, minutes, due", [
    (ny(2026, 3, 4, 10, 0), 60, ny(2026, 3, 4, 11, 0)),           # inside hours
    (ny(2026, 3, 4, 8, 59), 60, ny(2026, 3, 4, 10, 0)),           # before opening: counts from 09:00
    (ny(2026, 3, 4, 17, 0), 1, ny(2026, 3, 5, 9, 1)),             # at closing: next morning
    (ny(2026, 3, 4, 16, 0), 60, ny(2026, 3, 4, 17, 0)),           # ends exactly at closing: that day
    (ny(2026, 3, 4, 9, 0), 480, ny(2026, 3, 4, 17, 0)),           # a whole working day: closing time
    (ny(2026, 3, 4, 16, 0), 61, ny(2026, 3, 5, 9, 1)),            # one minute past closing: next morning
    (ny(2026, 3, 4, 16, 30), 60, ny(2026, 3, 5, 9, 30)),          # spills over the night
    (ny(2026, 3, 6, 16, 0), 240, ny(2026, 3, 9, 12, 0)),          # Friday → Monday across the DST change (Mar 8)
    (ny(2026, 10, 30, 16, 0), 240, ny(2026, 11, 2, 12, 0)),       # and across its end (Nov 1)
    (ny(2026, 3, 7, 12, 0), 30, ny(2026, 3, 9, 9, 30)),           # opened on a Saturday
])
def test_business_minutes(start, minutes, due):
    assert add_business_minutes(start, minutes, HOURS) == due


def test_dst_moves_the_utc_instant():
    before = add_business_minutes(ny(2026, 3, 6, 16, 0), 240, HOURS)
    assert before == datetime(2026, 3, 9, 16, 0, tzinfo=UTC)  # 12:00 EDT, not 17:00 UTC (EST)


def _general(first=60, resolution=600):
    Tier.update(first_response_minutes=first, resolution_minutes=resolution).where(Tier.slug == "general").execute()


def test_ladder_at_risk_breach_oncall_lead_internal_each_once(sup, clock):
    _general()
    settings = sup.router.settings
    sup.invoke("support how do callbacks work", channel_id="C0TECHSUP", **MAX)
    t = last_ticket()
    sup.invoke(f"ticket claim {t.id}", **SAM)
    team = SupportTeam.get(SupportTeam.slug == "support")
    OnCallShift.delete().execute()
    oncall.add_shift(team, Person.get(Person.name == "Sam Support"), clock() - timedelta(hours=1), clock() + timedelta(hours=2))
    assert sweeper.sweep(now=clock(), settings=settings).notified == 0
    clock.advance(minutes=48)  # 80% of 60
    rep = sweeper.sweep(now=clock(), settings=settings)
    assert rep.stages == [(t.id, "first_response", "at_risk")]
    assert last_ticket().sla_status == "at_risk"
    assert sweeper.sweep(now=clock(), settings=settings).notified == 0
    clock.advance(minutes=12)
    rep = sweeper.sweep(now=clock(), settings=settings)
    assert [s for _, _, s in rep.stages] == ["breached", "oncall"]
    clock.advance(minutes=30)
    assert [s for _, _, s in sweeper.sweep(now=clock(), settings=settings).stages] == ["lead"]
    clock.advance(minutes=30)
    assert [s for _, _, s in sweeper.sweep(now=clock(), settings=settings).stages] == ["internal"]
    assert sweeper.sweep(now=clock() + timedelta(minutes=5), settings=settings).notified == 0
    texts = [str(m.reply) for m in outbox_to("C0TECHSUP")]
    assert any("at risk" in x and "<@U0SAMSUPP>" in x for x in texts)
    assert any("(on call)" in x and "<@U0SAMSUPP>" in x for x in texts)  # the demo on-call is Sam
    assert any("(lead)" in x and "<@U0LEELEAD>" in x for x in texts)
    pings = {m.reply["blocks"][0]["text"].split(" ", 2)[1]: tuple(m.reply.get("mentions") or ())
             for m in outbox_to("C0TECHSUP")}
    assert pings["(on"] == ("U0SAMSUPP",) and pings["(lead)"] == ("U0LEELEAD",)  # meant to notify them
    assert pings["first"] == ("U0SAMSUPP",)  # the claimer, told the SLA is at risk / breached
    assert [m.reply.get("mentions") for m in outbox_to("C0INTERNAL")] == [[]]  # the team channel: nobody
    assert len(outbox_to("C0INTERNAL")) == 1
    sweeps = AuditEvent.select().where(AuditEvent.actor == "system:sla-sweeper")
    assert sorted(e.command for e in sweeps) == sorted(f"ticket:sla_{s}" for s in
                                                       ("at_risk", "breached", "oncall", "lead", "internal"))
    assert last_ticket().sla_status == "breached"


def test_first_response_stops_that_clock_and_waiting_pauses_resolution_alerts(sup, clock):
    _general(first=60, resolution=120)
    settings = sup.router.settings
    sup.invoke("support how do callbacks work", channel_id="C0TECHSUP", **MAX)
    t = last_ticket()
    sup.invoke(f"ticket reply {t.id} looking", **SAM)
    sup.invoke(f"ticket wait {t.id}", **SAM)
    clock.advance(hours=5)
    assert sweeper.sweep(now=clock(), settings=settings).notified == 0
    sup.invoke(f"ticket reply {t.id} still broken", **MAX)  # back to claimed: resolution clock catches up
    stages = [s for _, c, s in sweeper.sweep(now=clock(), settings=settings).stages]
    assert stages == ["at_risk", "breached", "oncall", "lead", "internal"]
    assert SlaNotification.select().where(SlaNotification.clock == "first_response").count() == 0


def test_restart_never_repeats_a_notification(sup, clock):
    _general()
    settings = sup.router.settings
    sup.invoke("support how do callbacks work", channel_id="C0TECHSUP", **MAX)
    clock.advance(minutes=61)
    first = sweeper.sweep(now=clock(), settings=settings).notified
    # a sweeper that crashed after notifying but before saving its progress: the counters are lost
    Ticket.update(fr_stage=0, next_due=clock() - timedelta(hours=1)).execute()
    again = sweeper.sweep(now=clock(), settings=settings)
    assert first == 3 and again.notified == 0 and again.skipped == 3
    assert SlaNotification.select().count() == 3
    assert OutboundMessage.select().where(OutboundMessage.dedupe_key.startswith("sla:")).count() == 3


def test_business_hours_calendar_drives_the_due_time(sup):
    premium = Tier.get(Tier.slug == "premium")
    assert SlaCalendar.get(SlaCalendar.tier == premium).timezone == "America/New_York"
    # a weekday-only calendar (the demo's runs every day 08-20, see the inversion tests below)
    SlaCalendar.update(day_start="09:00", day_end="17:00", weekdays="mon,tue,wed,thu,fri").where(
        SlaCalendar.tier == premium.id).execute()
    sup.clock.now = ny(2026, 3, 6, 16, 0)  # Friday afternoon, before the DST weekend
    sup.invoke("support how do callbacks work", as_="slack:U0CORACUST", community_id="T0MAKERDAO")
    assert last_ticket().first_response_due == ny(2026, 3, 9, 12, 0)  # 240 working minutes


def test_huey_tasks_and_storage_choice(sup, clock, tmp_path):
    _general()
    sup.invoke("support how do callbacks work", channel_id="C0TECHSUP", **MAX)
    assert tasks.run_sweep(sup.router.settings, now=clock() + timedelta(minutes=61)).notified == 3
    jobs = tasks.build(sup.router.settings.replace(database_url=f"sqlite:///{tmp_path}/jobs.db"))
    jobs.huey.immediate = True
    try:
        assert jobs.sla_sweep.call_local() == 7  # real time is long past: lead, internal and the resolution ladder
        assert jobs.daily_digest.call_local() == 2  # Slack and Discord internal channels
        assert jobs.daily_digest.call_local() == 0  # once a day
    finally:
        jobs.huey.immediate = False
    from huey import RedisHuey, SqliteHuey

    sqlite = tasks.make_huey(support_settings().replace(database_url=f"sqlite:///{tmp_path}/x.db"))
    assert isinstance(sqlite, SqliteHuey) and sqlite.storage.filename == f"{tmp_path}/x-huey.db"
    redis_huey = tasks.make_huey(support_settings(CHATOPS_HUEY_URL="redis://127.0.0.1:6379/5"),
                                 name="chatops-support-test")
    assert isinstance(redis_huey, RedisHuey)
    try:
        redis_huey.storage.conn.ping()
    except Exception:  # noqa: BLE001
        return  # no Redis here; the choice of storage is what this checks
    redis_huey.immediate = False
    task = redis_huey.task()(lambda: 42)
    task()
    assert redis_huey.pending_count() == 1
    redis_huey.flush()


# ---- two sweepers at once on PostgreSQL ----------------------------------------------

@pytest.mark.postgres
def test_two_concurrent_sweepers_escalate_each_ticket_once(make_runner, pg_url):
    clock = FrozenClock()
    runner = seeded(make_runner(database_url=pg_url, clock=clock, settings=support_settings()))
    _general()
    team = SupportTeam.get(SupportTeam.slug == "support")
    tier = Tier.get(Tier.slug == "general")
    requester = runner.person("load")
    now = clock()
    Ticket.insert_many([dict(requester=requester.id, platform="slack", requester_user_id="U1", tier=tier.id,
                             summary=f"t{i}", state="open", channel_id="C0TECHSUP", team=team.id, created_at=now,
                             first_response_due=now + timedelta(minutes=60),
                             resolution_due=now + timedelta(minutes=600), next_due=now + timedelta(minutes=48))
                        for i in range(120)]).execute()
    later = now + timedelta(minutes=61)
    barrier = threading.Barrier(2)
    reports, errors = [], []

    def run():
        try:
            barrier.wait()
            reports.append(sweeper.sweep(now=later, settings=runner.router.settings, batch=25))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            runner.db.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert not errors, errors
    assert sum(r.notified for r in reports) == 120 * 3
    assert SlaNotification.select().count() == 360
    assert OutboundMessage.select().where(OutboundMessage.dedupe_key.startswith("sla:")).count() == 360
    assert AuditEvent.select().where(AuditEvent.actor == "system:sla-sweeper").count() == 360
    assert Ticket.select().where(Ticket.fr_stage != 3).count() == 0
    assert os.environ.get("CI", "") != "true" or runner.db.__class__.__name__.startswith("Postgres")


def test_the_demo_partners_get_an_earlier_deadline_than_the_public_at_every_quarter_hour_of_the_week(sup):
    """The property the first seed is for: prioritised support for partners, at any hour, weekends included."""
    monday = datetime(2026, 3, 2, tzinfo=UTC)  # a week with nothing odd; the DST weeks are checked below
    for week in (monday, datetime(2026, 3, 5, tzinfo=UTC), datetime(2026, 10, 29, tzinfo=UTC)):
        assert _inversions(week) == [], week


def _inversions(week):
    from chatops.support.sla import inversions

    return [str(v) for v in inversions(week, step_minutes=15)]


def test_a_business_hours_partner_calendar_behind_the_public_clock_is_caught(sup):
    """The review's case: 2,880 working minutes on New York weekday hours vs 7 calendar days."""
    from chatops.support.sla import inversions

    premium = Tier.get(Tier.slug == "premium")
    SlaCalendar.update(day_start="09:00", day_end="17:00", weekdays="mon,tue,wed,thu,fri").where(
        SlaCalendar.tier == premium.id).execute()
    found = {(v.higher, v.lower, v.clock): v for v in inversions(datetime(2026, 3, 2, tzinfo=UTC))}
    late = found[("premium", "general", "resolution")]
    assert late.higher_due > late.lower_due
    assert ("premium", "general", "first response") in found  # a Friday-evening partner waits until Monday
    assert "premium gets a later resolution deadline than general" in str(late)


def test_a_reply_that_never_reached_the_requester_is_reported_to_staff_once(sup, clock):
    from chatops import outbox
    from chatops.support.models import TicketEvent

    sup.invoke("support how do callbacks work", channel_id="D0MAXDM", is_direct=True, **MAX)
    t = last_ticket()
    sup.invoke(f"ticket reply {t.id} here is how", **SAM)
    [to_requester] = [m for m in OutboundMessage.select().where(OutboundMessage.channel_id == t.origin_channel_id)
                      if "here is how" in str(m.reply)]
    assert tasks.run_sweep(sup.router.settings, now=clock()) is not None
    assert not OutboundMessage.select().where(OutboundMessage.dedupe_key.startswith("undelivered:")).exists()
    outbox.mark_failed(to_requester, error="not_in_channel; the DM failed too: cannot_dm_bot")
    tasks.run_sweep(sup.router.settings, now=clock())
    tasks.run_sweep(sup.router.settings, now=clock())  # once only
    [notice] = OutboundMessage.select().where(OutboundMessage.dedupe_key.startswith("undelivered:"))
    assert notice.channel_id == t.channel_id and "Could not reach the requester of ticket" in str(notice.reply)
    assert "cannot_dm_bot" in str(notice.reply)
    assert TicketEvent.select().where((TicketEvent.ticket == t.id) & (TicketEvent.kind == "undelivered")).count() == 1
