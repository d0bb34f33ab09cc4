"""The hash-chained audit trail: verify, tampering (edit, delete, reorder, insert), masking, concurrency."""
from __future__ import annotations

import hashlib
import json
import threading
from datetime import timedelta

import pytest

from chatops import audit
from chatops.models import AuditEvent

from tests.core.sample import group


def append(n, clock, start=1):
    for i in range(start, start + n):
        audit.record(correlation_id=f"c{i}", actor=f"slack:U{i}", command="echo", outcome="allowed",
                     arguments={"i": i}, at=clock.advance(seconds=1))


def ev(seq):
    return AuditEvent.get(AuditEvent.seq == seq)


@pytest.fixture
def chain(runner, clock):
    append(6, clock)
    return runner


def test_appended_chain_verifies(chain):
    result = audit.verify()
    assert result.ok and result.checked == 6
    events = list(AuditEvent.select().order_by(AuditEvent.seq))
    assert [e.seq for e in events] == [1, 2, 3, 4, 5, 6]
    assert events[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:]))
    assert all(len(e.hash) == 64 and audit.compute_hash(e) == e.hash for e in events)
    assert audit.head() == (6, events[-1].hash)


def test_empty_chain_verifies(runner):
    assert audit.verify().ok and audit.head() == (0, audit.GENESIS)


def test_time_is_stored_as_utc(chain, clock):
    assert ev(6).created_at == clock()
    assert ev(6).created_at.utcoffset() == timedelta(0)


@pytest.mark.parametrize("field, value", [
    ("actor", "slack:UEVIL"), ("outcome", "denied"), ("arguments", '{"i": 99}'), ("detail", "x"),
    ("command", "rm"), ("correlation_id", "forged"),
])
def test_edit_is_detected(chain, field, value):
    AuditEvent.update({getattr(AuditEvent, field): value}).where(AuditEvent.seq == 3).execute()
    result = audit.verify()
    assert not result.ok
    assert (result.problem.seq, result.problem.kind, result.checked) == (3, "edited", 2)
    assert "event seq 3" in result.problem.message and "edited" in result.problem.message


def test_edit_of_time_is_detected(chain):
    AuditEvent.update(created_at=ev(3).created_at + timedelta(hours=1)).where(AuditEvent.seq == 3).execute()
    assert audit.verify().problem.seq == 3


def test_edit_with_recomputed_hash_breaks_the_next_link(chain):
    e = ev(3)
    e.actor = "slack:UEVIL"
    e.hash = audit.compute_hash(e)
    e.save()
    problem = audit.verify().problem
    assert (problem.seq, problem.kind) == (4, "out-of-chain")


def test_delete_in_the_middle_is_detected(chain):
    AuditEvent.delete().where(AuditEvent.seq == 3).execute()
    problem = audit.verify().problem
    assert (problem.seq, problem.kind) == (4, "missing")
    assert "follows seq 2" in problem.message


def test_delete_and_renumber_is_detected(chain):
    AuditEvent.delete().where(AuditEvent.seq == 3).execute()
    for seq in (4, 5, 6):
        AuditEvent.update(seq=seq - 1).where(AuditEvent.seq == seq).execute()
    problem = audit.verify().problem
    assert problem.seq == 3 and problem.kind == "edited"


def test_deleting_the_newest_events_is_caught_by_the_head(chain):
    kept_head = audit.head()
    AuditEvent.delete().where(AuditEvent.seq == 6).execute()
    assert audit.verify().ok  # documented: a shorter chain is still a chain …
    assert audit.head() != kept_head  # … so a copy of the head catches it


def test_reorder_is_detected(chain):
    AuditEvent.update(seq=-3).where(AuditEvent.seq == 3).execute()
    AuditEvent.update(seq=3).where(AuditEvent.seq == 4).execute()
    AuditEvent.update(seq=4).where(AuditEvent.seq == -3).execute()
    problem = audit.verify().problem
    assert problem.seq == 3 and problem.event_id == 4
    assert audit.verify().checked == 2


def _forge(seq, prev_hash, clock, valid_hash=True):
    fields = dict(created_at=clock().replace(tzinfo=None), correlation_id="forged", actor="slack:UEVIL",
                  actor_person_id=None, platform="slack", community="", command="grant-admin",
                  arguments="{}", outcome="executed", detail="", prev_hash=prev_hash)
    digest = hashlib.sha256(audit.canonical(seq=seq, **fields)).hexdigest() if valid_hash else "f" * 64
    return AuditEvent.create(seq=seq, hash=digest, **fields)


@pytest.mark.parametrize("valid_hash, bad_seq", [(True, 4), (False, 3)])
def test_insert_in_the_middle_is_detected(chain, clock, valid_hash, bad_seq):
    for seq in (6, 5, 4, 3):
        AuditEvent.update(seq=seq + 1).where(AuditEvent.seq == seq).execute()
    forged = _forge(3, ev(2).hash, clock, valid_hash)
    problem = audit.verify().problem
    assert problem is not None and problem.seq == bad_seq
    if valid_hash:  # the forged event itself is consistent; the original after it no longer is
        assert problem.event_id != forged.id
    else:
        assert problem.event_id == forged.id and problem.kind == "edited"


def test_appending_a_forged_event_at_the_end_with_a_bad_link(chain, clock):
    _forge(7, "0" * 64, clock)
    problem = audit.verify().problem
    assert (problem.seq, problem.kind) == (7, "out-of-chain")


def test_verify_pages_through_long_chains(runner, clock, monkeypatch):
    append(12, clock)
    real = audit._iter_events
    monkeypatch.setattr(audit, "_iter_events", lambda batch=5000: real(batch=5))
    assert audit.verify().checked == 12
    AuditEvent.update(detail="x").where(AuditEvent.seq == 11).execute()
    assert audit.verify().problem.seq == 11


# ---- masking ---------------------------------------------------------------------------

def test_mask_arguments_unit():
    masked = audit.mask_arguments(
        {"account": "acct_1", "password": "p", "api_key": "k", "auth_token": "t", "card_number": "4111",
         "new_email": "jane@example.com", "pin": "1234", "n": 3, "none": None, "long": "x" * 600},
        secret={"pin"}, pii={"new_email"})
    assert masked["account"] == "acct_1" and masked["n"] == 3 and masked["none"] is None
    for key in ("password", "api_key", "auth_token", "card_number", "pin"):
        assert masked[key] == audit.MASK, key
    assert masked["new_email"] == "j***@example.com"
    assert masked["long"] == "x" * 500 + "…"
    assert audit.mask_email("no-at-sign") == audit.MASK


def test_secret_email_and_password_args_are_masked_in_events(make_runner):
    r = make_runner(group)
    result = r.invoke("login ana hunter2 4321 ana.smith@example.com")
    assert result.outcome == "executed"
    stored = json.loads(result.audit[0].arguments)
    assert stored == {"user": "ana", "password": audit.MASK, "pin": audit.MASK, "email": "a***@example.com"}
    raw = result.audit[0].arguments + result.audit[0].detail
    for secret in ("hunter2", "4321", "ana.smith"):
        assert secret not in raw


def test_masked_on_failure_too(make_runner):
    r = make_runner(group)
    result = r.invoke("login ana hunter2 4321 not-an-email")
    assert result.outcome == "invalid"
    assert "hunter2" not in result.audit[0].arguments + result.audit[0].detail


# ---- concurrent writers -------------------------------------------------------------------

def _hammer(runner, threads=8, per_thread=50):
    barrier = threading.Barrier(threads)
    errors = []

    def worker(t):
        try:
            barrier.wait(timeout=10)
            for i in range(per_thread):
                audit.record(correlation_id=f"t{t}-{i}", actor=f"thread:{t}", command="hammer", outcome="allowed",
                             arguments={"i": i})
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))
        finally:
            runner.db.close()

    pool = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=120)
    assert errors == []
    seqs = [s for (s,) in AuditEvent.select(AuditEvent.seq).order_by(AuditEvent.seq).tuples()]
    assert seqs == list(range(1, threads * per_thread + 1))
    result = audit.verify()
    assert result.ok, result.problem
    assert result.checked == threads * per_thread


def test_concurrent_appends_do_not_fork_sqlite(make_runner):
    _hammer(make_runner(database_url=""))


@pytest.mark.postgres
def test_concurrent_appends_do_not_fork_postgres(make_runner, pg_url):
    _hammer(make_runner(database_url=pg_url))
