"""The admin panel's own tables: panel users, their sessions and sign-in attempts.

    user = AdminUser.get(AdminUser.username == "ana")
    AdminSession.select().where(AdminSession.user == user, AdminSession.ended_at.is_null())

Passwords are stored as argon2id hashes (see :mod:`admin.security`). A session
row backs every signed-in browser: the cookie holds a random token, the table
its SHA-256, so signing out (or an admin disabling a user) ends the session on
the server, not just in one browser. ``AdminUser.person`` links a panel user to the chat Person
they act as at the support desk. Schema: ``chatops/migrations/300_admin_users.py``, ``301_admin_person_link.py``.
"""
from __future__ import annotations

import peewee

from chatops.models import BaseModel, Person, UTCDateTimeField, now_utc

ROLES = ("viewer", "editor", "admin")
"""Panel roles, weakest first: viewers read, editors change policy and data, admins also manage panel users."""


def role_rank(role: str | None) -> int:
    return ROLES.index(role) if role in ROLES else -1


class AdminUser(BaseModel):
    username = peewee.CharField(max_length=64, unique=True)
    password_hash = peewee.CharField(max_length=255)
    role = peewee.CharField(max_length=16, default="viewer")
    active = peewee.BooleanField(default=True)
    created_at = UTCDateTimeField(default=now_utc)
    last_login_at = UTCDateTimeField(null=True)
    # The chat person this panel user acts as at the support desk (chatops/migrations/301_admin_person_link.py).
    person = peewee.ForeignKeyField(Person, null=True, backref="+", on_delete="SET NULL")

    def __str__(self) -> str:
        return self.username


class AdminSession(BaseModel):
    token_hash = peewee.CharField(max_length=64, unique=True)
    user = peewee.ForeignKeyField(AdminUser, backref="sessions", on_delete="CASCADE")
    created_at = UTCDateTimeField()
    last_seen_at = UTCDateTimeField()
    ended_at = UTCDateTimeField(null=True)
    remote_addr = peewee.CharField(max_length=64, default="")


class AdminLoginAttempt(BaseModel):
    username = peewee.CharField(max_length=64)
    remote_addr = peewee.CharField(max_length=64, default="")
    at = UTCDateTimeField()
    outcome = peewee.CharField(max_length=16)  # ok | failed | locked | inactive

    class Meta:
        indexes = ((("username", "at"), False), (("remote_addr", "at"), False))  # 300, 303


ADMIN_MODELS = [AdminUser, AdminSession, AdminLoginAttempt]
