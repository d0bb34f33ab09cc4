"""Sign-in throttling: an atomic count under parallel requests, by username AND client address, and failed
sign-ins kept out of the permanent audit trail except in aggregate (the attempts table is pruned)."""
from __future__ import annotations

import json
import threading
from datetime import timedelta

import argon2
import pytest

from admin import security
from admin.models import AdminLoginAttempt
from chatops.models import AuditEvent

from .conftest import PASSWORD, csrf

BURST = 16


@pytest.fixture
def hash_checks(monkeypatch):
    """Every argon2 verification made while the test runs (from any thread)."""
    calls: list[str] = []
    lock = threading.Lock()
    real = argon2.PasswordHasher.verify

    def counting(self, digest, password):
        with lock:
            calls.append(password)
        return real(self, digest, password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", counting)
    return calls


@pytest.fixture
def fast_hashes(monkeypatch):
    """A wrong password without argon2's cost, for tests that make hundreds of attempts."""
    def mismatch(self, digest, password):
        raise argon2.exceptions.VerifyMismatchError()

    monkeypatch.setattr(argon2.PasswordHasher, "verify", mismatch)


def login_form(client, username, password, addr="127.0.0.1"):
    token = csrf(client.get("/admin/login", environ_base={"REMOTE_ADDR": addr}).text)
    return {"csrf_token": token, "username": username, "password": password}


def post_login(client, form, addr="127.0.0.1"):
    return client.post("/admin/login", data=form, environ_base={"REMOTE_ADDR": addr})


def test_a_parallel_burst_of_wrong_passwords_gets_at_most_the_limit_of_hash_checks(panel, hash_checks):
    """16 wrong passwords at once (16 clients in 16 threads, released together): 5 hash checks, not 12."""
    panel.user("ana", "admin")
    hash_checks.clear()
    clients = [panel.client() for _ in range(BURST)]
    forms = [login_form(c, "ana", f"wrong password {i}") for i, c in enumerate(clients)]
    start = threading.Barrier(BURST)
    statuses: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def attempt(client, form):
        try:
            start.wait(10)
            status = post_login(client, form).status_code
            with lock:
                statuses.append(status)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=attempt, args=(c, f)) for c, f in zip(clients, forms)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert len(statuses) == BURST
    limit = panel.runner.app.settings.admin.lockout_attempts
    assert len(hash_checks) <= limit, f"{len(hash_checks)} hash checks for a limit of {limit}"
    assert len(hash_checks) == limit  # the attempts are serialised per address, not refused wholesale
    assert sorted(statuses) == [401] * (limit - 1) + [429] * (BURST - limit + 1)
    outcomes = [a.outcome for a in AdminLoginAttempt.select().order_by(AdminLoginAttempt.id)]
    assert outcomes.count("failed") == limit and outcomes.count("pending") == 0
    assert outcomes.count("locked") == 1  # the refusals while locked are one row, not eleven
    # Still locked from here, even with the right password: and no hash is checked for it.
    checks = len(hash_checks)
    assert post_login(clients[0], login_form(clients[0], "ana", PASSWORD)).status_code == 429
    assert len(hash_checks) == checks


def test_a_locked_username_still_signs_in_from_another_address(panel):
    panel.user("ana", "admin")
    attacker = panel.client()
    for i in range(5):
        resp = post_login(attacker, login_form(attacker, "ana", "not the password", "203.0.113.9"), "203.0.113.9")
    assert resp.status_code == 429
    assert post_login(attacker, login_form(attacker, "ana", PASSWORD, "203.0.113.9"), "203.0.113.9").status_code == 429
    ana = panel.client()
    resp = post_login(ana, login_form(ana, "ana", PASSWORD, "198.51.100.7"), "198.51.100.7")
    assert resp.status_code == 302
    assert ana.get("/admin/", environ_base={"REMOTE_ADDR": "198.51.100.7"}).status_code == 200


def test_ipv6_addresses_count_by_their_64(panel, fast_hashes):
    policy = security.AuthPolicy()
    now = panel.runner.clock()
    panel.user("ana", "admin")
    for i in range(5):
        security.authenticate("ana", "wrong", now=now, policy=policy, remote_addr=f"2001:db8:1:2::{i + 1}")
    # Another address in the same /64 is the same subscriber: locked too.
    same = security.authenticate("ana", "wrong", now=now, policy=policy, remote_addr="2001:db8:1:2:ffff::9")
    assert same.outcome == "locked"
    # A different /64 is not.
    other = security.authenticate("ana", "wrong", now=now, policy=policy, remote_addr="2001:db8:1:3::1")
    assert other.outcome == "failed"
    assert security.address_key("2001:db8:1:2::5") == "2001:db8:1:2::/64"
    assert security.address_key("::ffff:192.0.2.1") == "192.0.2.1"
    assert security.address_key("192.0.2.1") == "192.0.2.1"


def test_failed_anonymous_sign_ins_do_not_grow_the_audit_trail(panel, fast_hashes):
    """One address, 60 attacker-chosen usernames: one audit event (clipped), not 60; the attempts are rows."""
    policy = security.AuthPolicy()
    now = panel.runner.clock()
    before = AuditEvent.select().count()
    for i in range(60):
        username = f"=HYPERLINK(\"http://evil.example/{i}\")" + "x" * 40 + "\u202e\n" * 3
        assert security.authenticate(username, "guess", now=now, policy=policy, remote_addr="203.0.113.9").user is None
    events = list(AuditEvent.select().where(AuditEvent.seq > before))
    assert len(events) == 1
    (event,) = events
    assert (event.command, event.outcome, event.actor) == ("admin.login", "denied", "admin:?")
    audited = json.loads(event.arguments)["username"]
    assert len(audited) <= security.AUDITED_USERNAME and "\n" not in audited and "\u202e" not in audited
    assert "Sign-in attempts" in event.detail
    assert AdminLoginAttempt.select().where(AdminLoginAttempt.outcome == "failed").count() == 60
    # The next window gets one event again.
    panel.runner.clock.advance(minutes=16)
    security.authenticate("someone", "guess", now=panel.runner.clock(), policy=policy, remote_addr="203.0.113.9")
    assert AuditEvent.select().where(AuditEvent.seq > before).count() == 2


def test_failed_sign_ins_from_many_addresses_are_capped_per_window(panel, fast_hashes):
    policy = security.AuthPolicy()
    now = panel.runner.clock()
    before = AuditEvent.select().count()
    for i in range(security.SIGNIN_AUDIT_LIMIT + 50):
        security.authenticate(f"user{i}", "guess", now=now, policy=policy, remote_addr=f"10.0.{i // 250}.{i % 250}")
    events = list(AuditEvent.select().where(AuditEvent.seq > before).order_by(AuditEvent.seq))
    assert len(events) == security.SIGNIN_AUDIT_LIMIT + 1
    assert "recorded in Sign-in attempts only" in events[-1].detail and "more than" in events[-1].detail


def test_a_lockout_of_a_real_user_is_audited_once(panel, fast_hashes):
    policy = security.AuthPolicy()
    now = panel.runner.clock()
    panel.user("ana", "admin")
    before = AuditEvent.select().count()
    for _ in range(12):
        security.authenticate("ana", "guess", now=now, policy=policy, remote_addr="203.0.113.9")
    details = [e.detail for e in AuditEvent.select().where(AuditEvent.seq > before).order_by(AuditEvent.seq)]
    assert len(details) == 2
    assert details[0].startswith("wrong username or password")
    assert details[1].startswith("locked out from 203.0.113.9")
    assert AdminLoginAttempt.select().where(AdminLoginAttempt.outcome == "locked").count() == 1


def test_sign_in_attempts_are_kept_for_the_retention_only(panel):
    now = panel.runner.clock()
    policy = security.AuthPolicy(retention=timedelta(days=30))
    AdminLoginAttempt.create(username="old", remote_addr="192.0.2.1", at=now - timedelta(days=31), outcome="failed")
    AdminLoginAttempt.create(username="new", remote_addr="192.0.2.1", at=now - timedelta(days=29), outcome="failed")
    assert security.prune_attempts(now, policy) == 1
    assert [a.username for a in AdminLoginAttempt.select()] == ["new"]
    # Never shorter than the lockout window, whatever the setting says.
    short = security.AuthPolicy(retention=timedelta(minutes=1), lockout_window=timedelta(minutes=15))
    AdminLoginAttempt.create(username="recent", remote_addr="192.0.2.1", at=now - timedelta(minutes=10),
                             outcome="failed")
    security.prune_attempts(now, short)
    assert AdminLoginAttempt.select().where(AdminLoginAttempt.username == "recent").exists()


def test_the_retention_setting_reaches_the_policy():
    from chatops.settings import Settings

    policy = security.AuthPolicy.from_settings(Settings.from_env({"CHATOPS_ADMIN_SIGNIN_LOG_DAYS": "7"}))
    assert policy.retention == timedelta(days=7)
