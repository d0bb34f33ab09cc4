"""Sign-in for the panel: argon2id passwords, lockout, server-side sessions, roles.

    user = create_user("ana", "a long passphrase", role="editor")
    result = authenticate("ana", "a long passphrase", now=clock(), remote_addr="10.0.0.1", policy=policy)
    if result.user:
        token = start_session(result.user, now=clock(), remote_addr="10.0.0.1")   # goes in the cookie
    user = session_user(token, now=clock(), policy=policy)                      # None once ended or expired
    end_session(token, now=clock())

No Flask here: :mod:`admin.panel` wires these into requests.

Throttling is by username AND client address: ``lockout_attempts`` failures
for one username from one address (an IPv6 address counts by its /64) within
``lockout_window`` lock that username *for that address* for the rest of the
window, whether or not the username exists (the answer reveals nothing). The
same username still signs in from elsewhere, so nobody can lock an admin out
from one address. The count is atomic: a short transaction that holds the
address's lock (PostgreSQL advisory lock; SQLite's BEGIN IMMEDIATE) counts the
failures and reserves an attempt row (``pending``) before the password hash is
checked, so a parallel burst gets at most ``lockout_attempts`` hash checks.

Every attempt has a row in ``admin_login_attempt`` (kept ``retention``, then
deleted; a refusal while locked is stored once per username and address per
window). The permanent audit trail gets every successful sign-in and refused
deactivated user, but failed sign-ins only in aggregate: the first failure from
an address in a window, and a lockout of an existing user, at most
``SIGNIN_AUDIT_LIMIT`` a window in all (then one notice); attacker-chosen text
is clipped and kept out of the actor.
"""
from __future__ import annotations

import hashlib
import ipaddress
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import argon2
import peewee

from admin.models import ROLES, AdminLoginAttempt, AdminSession, AdminUser, role_rank
from chatops import audit
from chatops.db import atomic, database, is_sqlite
from chatops.models import AuditEvent
from chatops.text import clip

_hasher = argon2.PasswordHasher()
# Verified against when the username does not exist, so both answers take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
MIN_PASSWORD = 10


class AdminError(ValueError):
    """A refused admin-user operation (bad role, short password, taken username)."""


# Failed-sign-in audit events (first failure of an address, lockout of a user) per lockout window, in all.
SIGNIN_AUDIT_LIMIT = 100
# How often one process deletes sign-in attempts older than the retention (real seconds).
PRUNE_EVERY_SECONDS = 600
AUDITED_USERNAME = 32  # characters of an attacker-chosen username that reach the audit trail


@dataclass(frozen=True)
class AuthPolicy:
    lockout_attempts: int = 5
    lockout_window: timedelta = timedelta(minutes=15)
    session_lifetime: timedelta = timedelta(hours=12)
    idle_timeout: timedelta = timedelta(minutes=60)
    retention: timedelta = timedelta(days=30)

    @classmethod
    def from_settings(cls, settings) -> "AuthPolicy":
        admin = settings.admin
        return cls(
            lockout_attempts=admin.lockout_attempts,
            lockout_window=timedelta(minutes=admin.lockout_minutes),
            session_lifetime=timedelta(hours=admin.session_hours),
            idle_timeout=timedelta(minutes=admin.idle_minutes),
            retention=timedelta(days=admin.signin_log_days),
        )


@dataclass(frozen=True)
class AuthResult:
    user: AdminUser | None
    outcome: str  # ok | failed | locked | inactive
    retry_after: timedelta | None = None


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AdminError(f"the password must be at least {MIN_PASSWORD} characters long")
    return _hasher.hash(password)


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise AdminError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    return role


def create_user(username: str, password: str, *, role: str = "viewer", by: str = "cli") -> AdminUser:
    """Create a panel user (audited as ``admin.admin_user.create`` by ``by``)."""
    username = username.strip()
    if not username or len(username) > 64:
        raise AdminError("the username must be 1 to 64 characters")
    digest = hash_password(password)
    _check_role(role)
    try:
        with atomic():
            user = AdminUser.create(username=username, password_hash=digest, role=role)
            audit.record(correlation_id=secrets.token_hex(6), actor=by, platform="web", command="admin.admin_user.create",
                         arguments={"model": "admin_user", "id": user.id, "username": username, "role": role},
                         outcome="executed")
    except peewee.IntegrityError:
        raise AdminError(f"there is already a user called {username!r}") from None
    return user


def set_password(username: str, password: str, *, by: str = "cli") -> AdminUser:
    """Replace a user's password and end their sessions (audited, the password never recorded)."""
    digest = hash_password(password)
    with atomic():
        user = AdminUser.get_or_none(AdminUser.username == username)
        if user is None:
            raise AdminError(f"there is no user called {username!r}")
        user.password_hash = digest
        user.save()
        ended = end_user_sessions(user)
        audit.record(correlation_id=secrets.token_hex(6), actor=by, platform="web",
                     command="admin.admin_user.set-password",
                     arguments={"model": "admin_user", "id": user.id, "username": username, "sessions_ended": ended},
                     outcome="executed")
    return user


def end_user_sessions(user: AdminUser, now: datetime | None = None) -> int:
    from chatops.models import now_utc

    return (AdminSession.update(ended_at=now or now_utc())
            .where((AdminSession.user == user) & AdminSession.ended_at.is_null()).execute())


def address_key(remote_addr: str | None) -> str:
    """The client address sign-ins are throttled by: IPv4 as is, IPv6 by its /64 (one subscriber's
    network, not one of its many addresses), an IPv4-mapped IPv6 address as IPv4."""
    raw = (remote_addr or "").strip()
    try:
        ip = ipaddress.ip_address(raw.split("%", 1)[0])
    except ValueError:
        return raw[:64]
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _verify(digest: str, password: str) -> bool:
    """One argon2 hash check: False on a wrong password or an unreadable hash."""
    try:
        return _hasher.verify(digest, password)
    except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
        return False


def _serialize(key: str) -> None:
    """Inside a transaction: one sign-in decision at a time per client address, until commit.

    PostgreSQL: a transaction-scoped advisory lock on the address; SQLite: ``atomic()``'s BEGIN IMMEDIATE
    already holds the database's write lock, so nothing else can count or insert meanwhile.
    """
    db = database.obj
    if not is_sqlite(db):
        lock_id = int.from_bytes(hashlib.sha256(b"chatops-admin-signin\0" + key.encode()).digest()[:8], "big",
                                 signed=True)
        db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (lock_id,))


_COUNTED = ("failed", "pending")  # a reservation whose check has not finished counts as a failure


def _pair(username: str, key: str):
    return (AdminLoginAttempt.username == username) & (AdminLoginAttempt.remote_addr == key)


def _failures_in_window(username: str, key: str, now: datetime, policy: AuthPolicy) -> list[datetime]:
    """Failures (and unfinished attempts) for this username from this address in the window, since its last
    successful sign-in from there; newest first, at most ``lockout_attempts``."""
    since = now - policy.lockout_window
    pair = _pair(username, key)
    last_ok = (AdminLoginAttempt.select(peewee.fn.MAX(AdminLoginAttempt.id))
               .where(pair & (AdminLoginAttempt.outcome == "ok") & (AdminLoginAttempt.at > since)).scalar())
    query = (AdminLoginAttempt.select(AdminLoginAttempt.at)
             .where(pair & AdminLoginAttempt.outcome.in_(_COUNTED) & (AdminLoginAttempt.at > since))
             .order_by(AdminLoginAttempt.id.desc()).limit(policy.lockout_attempts))
    if last_ok is not None:
        query = query.where(AdminLoginAttempt.id > last_ok)
    return [row.at for row in query]


_prune_lock = threading.Lock()
_last_prune = [float("-inf")]


def prune_attempts(now: datetime, policy: AuthPolicy) -> int:
    """Delete sign-in attempts older than the retention (never younger than the lockout window)."""
    keep = max(policy.retention, policy.lockout_window)
    return AdminLoginAttempt.delete().where(AdminLoginAttempt.at < now - keep).execute()


def _maybe_prune(now: datetime, policy: AuthPolicy) -> None:
    with _prune_lock:
        if time.monotonic() - _last_prune[0] < PRUNE_EVERY_SECONDS:
            return
        _last_prune[0] = time.monotonic()
    prune_attempts(now, policy)


def authenticate(username: str, password: str, *, now: datetime, policy: AuthPolicy,
                 remote_addr: str = "") -> AuthResult:
    """Check a sign-in; records the attempt and audits it (``admin.login``, failures in aggregate)."""
    username = (username or "").strip()[:64]
    key = address_key(remote_addr)
    _maybe_prune(now, policy)
    with atomic():
        _serialize(key)
        failures = _failures_in_window(username, key, now, policy)
        if len(failures) >= policy.lockout_attempts:
            # Locked (for this address) until the oldest counted failure leaves the window; no hash check.
            retry = min(failures) + policy.lockout_window - now
            _note_locked(username, key, remote_addr, now, policy)
            return AuthResult(None, "locked", retry)
        attempt = AdminLoginAttempt.create(username=username, remote_addr=key, at=now, outcome="pending")
    # The reservation is committed: a parallel attempt from this address already counts it.
    user = AdminUser.get_or_none(AdminUser.username == username)
    good = _verify(user.password_hash if user else _DUMMY_HASH, password or "") and user is not None
    if not good:
        locks = len(failures) + 1 >= policy.lockout_attempts
        _finish(attempt, "failed", username, key, remote_addr, now, policy, user=user, locks=locks)
        if locks:
            return AuthResult(None, "locked", policy.lockout_window)
        return AuthResult(None, "failed")
    if not user.active:
        _finish(attempt, "inactive", username, key, remote_addr, now, policy, user=user)
        return AuthResult(None, "inactive")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = now
    with atomic():
        user.save()
        _finish(attempt, "ok", username, key, remote_addr, now, policy, user=user)
    return AuthResult(user, "ok")


def _finish(attempt: AdminLoginAttempt, outcome: str, username: str, key: str, remote_addr: str, now: datetime,
            policy: AuthPolicy, *, user: AdminUser | None, locks: bool = False) -> None:
    with atomic():
        AdminLoginAttempt.update(outcome=outcome).where(AdminLoginAttempt.id == attempt.id).execute()
        if outcome == "ok":
            _audit(username, remote_addr, now, "executed", "signed in", user=user)
        elif outcome == "inactive":
            _audit(username, remote_addr, now, "denied", "user is deactivated", user=user)
        elif locks and user is not None:
            # An existing user is now locked out from this address: worth its own event (a bounded number).
            _audit_failure(username, remote_addr, now, policy, user=user,
                           detail=f"locked out from {key} after {policy.lockout_attempts} failed sign-ins, "
                                  f"until {now + policy.lockout_window:%H:%M} UTC (other addresses may still "
                                  "sign in)")
        elif not _earlier_failure(key, now, policy, before_id=attempt.id):
            _audit_failure(username, remote_addr, now, policy, user=user,
                           detail=f"wrong username or password; further failed sign-ins from {key} until "
                                  f"{now + policy.lockout_window:%H:%M} UTC are recorded in Sign-in attempts "
                                  "only")


def _earlier_failure(key: str, now: datetime, policy: AuthPolicy, *, before_id: int | None = None) -> bool:
    """Did this address fail (or get refused) already in the window? Then a failure is not audited again."""
    query = (AdminLoginAttempt.select(AdminLoginAttempt.id)
             .where((AdminLoginAttempt.remote_addr == key) & AdminLoginAttempt.outcome.in_(("failed", "locked"))
                    & (AdminLoginAttempt.at > now - policy.lockout_window)))
    if before_id is not None:
        query = query.where(AdminLoginAttempt.id < before_id)
    return query.exists()


def _note_locked(username: str, key: str, remote_addr: str, now: datetime, policy: AuthPolicy) -> None:
    """A refusal while locked: one row per username and address per window (a flood adds nothing more)."""
    since = now - policy.lockout_window
    seen = (AdminLoginAttempt.select(AdminLoginAttempt.id)
            .where(_pair(username, key) & (AdminLoginAttempt.outcome == "locked") & (AdminLoginAttempt.at > since))
            .exists())
    if not seen:
        AdminLoginAttempt.create(username=username, remote_addr=key, at=now, outcome="locked")


def _audit(username: str, remote_addr: str, now: datetime, outcome: str, detail: str, *,
           user: AdminUser | None) -> None:
    actor = f"admin:{user.username}" if user is not None else "admin:?"
    arguments = {"remote_addr": clip(remote_addr or "", 64, quoted=True)}
    if user is None:
        arguments["username"] = clip(username, AUDITED_USERNAME, quoted=True, one_line=True)
    audit.record(correlation_id=secrets.token_hex(6), actor=actor, platform="web", command="admin.login",
                 arguments=arguments, outcome=outcome, detail=detail, at=now)


def _audit_failure(username: str, remote_addr: str, now: datetime, policy: AuthPolicy, *,
                   user: AdminUser | None, detail: str) -> None:
    """A failed-sign-in event, unless this window already has SIGNIN_AUDIT_LIMIT of them (then one notice)."""
    since = now - policy.lockout_window
    seen = (AuditEvent.select(AuditEvent.id)
            .where((AuditEvent.command == "admin.login") & (AuditEvent.outcome == "denied")
                   & (AuditEvent.created_at > since))
            .limit(SIGNIN_AUDIT_LIMIT + 1).count())
    if seen > SIGNIN_AUDIT_LIMIT:
        return
    if seen == SIGNIN_AUDIT_LIMIT:
        user, username = None, ""
        detail = (f"more than {SIGNIN_AUDIT_LIMIT} failed sign-ins in {policy.lockout_window}: until "
                  f"{now + policy.lockout_window:%H:%M} UTC they are recorded in Sign-in attempts only")
    _audit(username, remote_addr, now, "denied", detail, user=user)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: AdminUser, *, now: datetime, remote_addr: str = "") -> str:
    """A new server-side session; returns the token the cookie carries (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    AdminSession.create(token_hash=_digest(token), user=user, created_at=now, last_seen_at=now,
                        remote_addr=remote_addr[:64])
    return token


def session_user(token: str | None, *, now: datetime, policy: AuthPolicy) -> AdminUser | None:
    """The signed-in user for a session token, or None when ended, expired, idle or deactivated."""
    if not token:
        return None
    row = (AdminSession.select(AdminSession, AdminUser).join(AdminUser)
           .where((AdminSession.token_hash == _digest(token)) & AdminSession.ended_at.is_null()).first())
    if row is None or not row.user.active:
        return None
    if now - row.created_at > policy.session_lifetime or now - row.last_seen_at > policy.idle_timeout:
        AdminSession.update(ended_at=now).where(AdminSession.id == row.id).execute()
        return None
    if now - row.last_seen_at > timedelta(minutes=1):  # one write a minute, not one per request
        AdminSession.update(last_seen_at=now).where(AdminSession.id == row.id).execute()
    return row.user


def end_session(token: str | None, *, now: datetime) -> AdminUser | None:
    if not token:
        return None
    row = (AdminSession.select(AdminSession, AdminUser).join(AdminUser)
           .where((AdminSession.token_hash == _digest(token)) & AdminSession.ended_at.is_null()).first())
    if row is None:
        return None
    with atomic():
        AdminSession.update(ended_at=now).where(AdminSession.id == row.id).execute()
        audit.record(correlation_id=secrets.token_hex(6), actor=f"admin:{row.user.username}", platform="web",
                     command="admin.logout", arguments={}, outcome="executed", detail="signed out", at=now)
    return row.user


def has_role(user: AdminUser | None, role: str) -> bool:
    return user is not None and role_rank(user.role) >= role_rank(role)
