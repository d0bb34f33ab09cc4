"""Sign-in for the panel: argon2id passwords, lockout, server-side sessions, roles.

    user = create_user("ana", "a long passphrase", role="editor")
    result = authenticate("ana", "a long passphrase", now=clock(), remote_addr="10.0.0.1", policy=policy)
    if result.user:
        token = start_session(result.user, now=clock(), remote_addr="10.0.0.1")   # goes in the cookie
    user = session_user(token, now=clock(), policy=policy)                      # None once ended or expired
    end_session(token, now=clock())

No Flask here: :mod:`admin.panel` wires these into requests. Every sign-in
attempt is stored (``AdminLoginAttempt``); ``lockout_attempts`` failures for a
username within ``lockout_window`` lock it for the rest of the window, whether
or not the username exists (so the answer does not reveal which ones do).
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import argon2
import peewee

from admin.models import ROLES, AdminLoginAttempt, AdminSession, AdminUser, role_rank
from chatops import audit
from chatops.db import atomic

_hasher = argon2.PasswordHasher()
# Verified against when the username does not exist, so both answers take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
MIN_PASSWORD = 10


class AdminError(ValueError):
    """A refused admin-user operation (bad role, short password, taken username)."""


@dataclass(frozen=True)
class AuthPolicy:
    lockout_attempts: int = 5
    lockout_window: timedelta = timedelta(minutes=15)
    session_lifetime: timedelta = timedelta(hours=12)
    idle_timeout: timedelta = timedelta(minutes=60)

    @classmethod
    def from_settings(cls, settings) -> "AuthPolicy":
        admin = settings.admin
        return cls(
            lockout_attempts=admin.lockout_attempts,
            lockout_window=timedelta(minutes=admin.lockout_minutes),
            session_lifetime=timedelta(hours=admin.session_hours),
            idle_timeout=timedelta(minutes=admin.idle_minutes),
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


def _failures_in_window(username: str, now: datetime, policy: AuthPolicy) -> list[datetime]:
    since = now - policy.lockout_window
    last_ok = (AdminLoginAttempt.select(peewee.fn.MAX(AdminLoginAttempt.at))
               .where((AdminLoginAttempt.username == username) & (AdminLoginAttempt.outcome == "ok")
                      & (AdminLoginAttempt.at > since)).scalar())
    query = (AdminLoginAttempt.select(AdminLoginAttempt.at)
             .where((AdminLoginAttempt.username == username) & (AdminLoginAttempt.outcome == "failed")
                    & (AdminLoginAttempt.at > since))
             .order_by(AdminLoginAttempt.at.desc()).limit(policy.lockout_attempts))
    if last_ok is not None:
        query = query.where(AdminLoginAttempt.at > last_ok)
    return [row.at for row in query]


def authenticate(username: str, password: str, *, now: datetime, policy: AuthPolicy,
                 remote_addr: str = "") -> AuthResult:
    """Check a sign-in; records the attempt and audits it (``admin.login``)."""
    username = (username or "").strip()[:64]
    failures = _failures_in_window(username, now, policy)
    if len(failures) >= policy.lockout_attempts:
        # Locked until the oldest counted failure leaves the window.
        retry = min(failures) + policy.lockout_window - now
        _note(username, remote_addr, now, "locked", None)
        return AuthResult(None, "locked", retry)
    user = AdminUser.get_or_none(AdminUser.username == username)
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password or "")
        good = user is not None
    except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
        good = False
    if not good:
        _note(username, remote_addr, now, "failed", None)
        if len(failures) + 1 >= policy.lockout_attempts:
            return AuthResult(None, "locked", policy.lockout_window)
        return AuthResult(None, "failed")
    if not user.active:
        _note(username, remote_addr, now, "inactive", user)
        return AuthResult(None, "inactive")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = now
    with atomic():
        user.save()
        _note(username, remote_addr, now, "ok", user)
    return AuthResult(user, "ok")


def _note(username: str, remote_addr: str, now: datetime, outcome: str, user: AdminUser | None) -> None:
    with atomic():
        AdminLoginAttempt.create(username=username, remote_addr=remote_addr[:64], at=now, outcome=outcome)
        audit.record(correlation_id=secrets.token_hex(6), actor=f"admin:{username}", platform="web",
                     command="admin.login", arguments={"remote_addr": remote_addr},
                     outcome={"ok": "executed", "failed": "denied", "locked": "denied", "inactive": "denied"}[outcome],
                     detail={"ok": "signed in", "failed": "wrong username or password",
                             "locked": "locked out after repeated failures",
                             "inactive": "user is deactivated"}[outcome],
                     at=now)


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
