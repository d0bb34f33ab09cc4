"""The database: bound late, chosen by CHATOPS_DATABASE_URL.

    db = connect("sqlite:///chatops.db")           # the default: a file in the working directory
    db = connect("postgresql://postgres@127.0.0.1:5432/chatops")
    database.initialize(db)                          # every model uses `database`

SQLite gets WAL, foreign keys, a busy timeout and ``BEGIN IMMEDIATE`` write
transactions (so concurrent writers queue instead of failing on upgrade).

Every database :func:`connect` returns counts, per thread, the statements that
write or lock rows (``writes()``): the router uses it to tell whether a handler
wrote anything before it calls another system (chatops.effects), since no
transaction may stay open across such a call.
"""
from __future__ import annotations

import contextlib
import threading
import time
from typing import Iterator

import peewee
from playhouse.db_url import connect as _url_connect

database = peewee.DatabaseProxy()

DEFAULT_URL = "sqlite:///chatops.db"
SQLITE_BUSY_TIMEOUT_MS = 10000


def connect(url: str | None = None, *, sqlite_synchronous: str = "NORMAL") -> peewee.Database:
    return count_writes(_connect(url, sqlite_synchronous=sqlite_synchronous))


_WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLACE", "insert", "update", "delete", "replace", "WITH RECURSIVE")


def count_writes(db: peewee.Database) -> peewee.Database:
    """Count, per thread, the statements ``db`` runs that write or lock rows (see :func:`writes`)."""
    if getattr(db, "_chatops_counting", False):
        return db
    execute = db.execute_sql

    def execute_sql(sql, params=None, *args, **kwargs):
        if sql.startswith(_WRITE_VERBS) or (sql.endswith(" FOR UPDATE") or " FOR UPDATE " in sql):
            state = db._state
            state.chatops_writes = getattr(state, "chatops_writes", 0) + 1
        return execute(sql, params, *args, **kwargs)

    db.execute_sql = execute_sql  # type: ignore[method-assign]
    db._chatops_counting = True  # type: ignore[attr-defined]
    return db


def writes(db: peewee.Database | None = None) -> int:
    """How many writing (or row-locking) statements this thread has run on ``db`` so far."""
    db = db or database.obj
    return getattr(db._state, "chatops_writes", 0)


def _connect(url: str | None, *, sqlite_synchronous: str) -> peewee.Database:
    url = url or DEFAULT_URL
    if url.startswith("sqlite"):
        return _url_connect(
            url,
            pragmas={
                "journal_mode": "wal",
                "foreign_keys": 1,
                "busy_timeout": SQLITE_BUSY_TIMEOUT_MS,
                "synchronous": sqlite_synchronous,
                "cache_size": -16000,
            },
            timeout=10,
            check_same_thread=False,
        )
    if url.startswith(("postgres://", "postgresql://", "postgresext://", "postgresql+pool://", "postgres+pool://")):
        if url.startswith("postgres://"):
            url = "postgresql://" + url[len("postgres://"):]
        return _url_connect(url)
    raise ValueError(f"unsupported CHATOPS_DATABASE_URL {url!r}: use sqlite:///PATH or postgresql://USER@HOST:PORT/DB")


def is_sqlite(db: peewee.Database | None = None) -> bool:
    db = db or database.obj
    return isinstance(db, peewee.SqliteDatabase)


def atomic(db: peewee.Database | None = None):
    """A write transaction: BEGIN IMMEDIATE on SQLite (savepoint when nested), plain on PostgreSQL.

    On SQLite the threads of one process also take turns on a lock of their own before BEGIN (see
    :func:`writing`), so they queue for the one writer instead of sleeping in SQLite's busy handler.
    """
    db = db or database.obj
    if isinstance(db, peewee.SqliteDatabase) and not db.in_transaction():
        return _LockedAtomic(db)
    return db.atomic()


class _WriteTurn:
    """One writer at a time, and urgent writers (acks) before the others (background work)."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._held = False
        self._urgent = 0

    def acquire(self, timeout: float, urgent: bool = False) -> bool:
        end = time.monotonic() + timeout
        with self._cond:
            if urgent:
                self._urgent += 1
            try:
                while self._held or (self._urgent and not urgent):
                    left = end - time.monotonic()
                    if left <= 0:
                        return False
                    self._cond.wait(left)
                self._held = True
                return True
            finally:
                if urgent:
                    self._urgent -= 1
                    if not self._urgent:
                        self._cond.notify_all()

    def release(self) -> None:
        with self._cond:
            self._held = False
            self._cond.notify_all()


def _write_lock(db: peewee.Database) -> _WriteTurn:
    lock = getattr(db, "_chatops_write_lock", None)
    if lock is None:
        with _LOCKS_LOCK:
            lock = getattr(db, "_chatops_write_lock", None)
            if lock is None:
                lock = db._chatops_write_lock = _WriteTurn()  # type: ignore[attr-defined]
    return lock


_LOCKS_LOCK = threading.Lock()
def acquire_write(db: peewee.Database, timeout: float | None = None, *, urgent: bool = False) -> None:
    """Take this process's SQLite write turn (SQLite has one writer; threads queue here, woken at once,
    rather than sleeping and retrying in its busy handler; ``urgent`` ones — acks — first). Raises
    OperationalError after ``timeout`` seconds (default: the busy timeout), like a locked database."""
    wait = SQLITE_BUSY_TIMEOUT_MS / 1000 if timeout is None else timeout
    if not _write_lock(db).acquire(wait, urgent):
        raise peewee.OperationalError(f"database is locked (no write turn in this process within {wait:g} s)")


def release_write(db: peewee.Database) -> None:
    _write_lock(db).release()


@contextlib.contextmanager
def writing(db: peewee.Database | None = None, *, timeout: float | None = None,
            urgent: bool = False) -> Iterator[None]:
    """Around a write outside a transaction (one autocommit statement): the SQLite write turn; nothing
    elsewhere."""
    db = db or database.obj
    if not isinstance(db, peewee.SqliteDatabase) or db.in_transaction():
        yield
        return
    acquire_write(db, timeout, urgent=urgent)
    try:
        yield
    finally:
        release_write(db)


class _LockedAtomic:
    """``db.atomic("IMMEDIATE")`` inside this process's SQLite write turn."""

    def __init__(self, db: peewee.SqliteDatabase) -> None:
        self.db = db
        self._ctx = None

    def __enter__(self):
        acquire_write(self.db)
        try:
            self._ctx = self.db.atomic("IMMEDIATE")
            return self._ctx.__enter__()
        except BaseException:
            release_write(self.db)
            raise

    def __exit__(self, exc_type, exc, tb):
        try:
            return self._ctx.__exit__(exc_type, exc, tb)
        finally:
            release_write(self.db)

    def __call__(self, fn):  # like peewee's atomic: usable as a decorator
        def wrapped(*args, **kwargs):
            with _LockedAtomic(self.db):
                return fn(*args, **kwargs)
        return wrapped


def for_update(query: peewee.Select) -> peewee.Select:
    """Lock the selected rows on PostgreSQL; SQLite's IMMEDIATE transaction already serialises writers."""
    return query if is_sqlite() else query.for_update()


@contextlib.contextmanager
def bound(db: peewee.Database) -> Iterator[peewee.Database]:
    """Temporarily point ``database`` at ``db`` (tests, tools)."""
    previous = database.obj
    database.initialize(db)
    try:
        yield db
    finally:
        database.initialize(previous)


DatabaseErrors = (peewee.OperationalError, peewee.InterfaceError)


class RawQuery:
    """A hot-path SELECT written once as SQL (``?`` placeholders) and run without peewee's
    query builder, which costs more than SQLite itself on small indexed lookups.

        q = RawQuery("SELECT {cols} FROM tier WHERE slug = ?", Tier)
        tier = q.one(slug)
    """

    def __init__(self, sql: str, *models: type[peewee.Model]) -> None:
        self.models = models
        self._fields = [list(m._meta.sorted_fields) for m in models]
        self._sql = sql
        self._compiled: dict[type, str] = {}

    def _text(self, db: peewee.Database) -> str:
        key = type(db)
        if key not in self._compiled:
            text = self._sql.replace("?", db.param)
            for i, (model, fields) in enumerate(zip(self.models, self._fields)):
                alias = f"m{i}"
                text = text.replace("{cols%d}" % i if len(self.models) > 1 else "{cols}",
                                    ", ".join(f'{alias}."{f.column_name}"' for f in fields))
                text = text.replace("{table%d}" % i if len(self.models) > 1 else "{table}",
                                    f'"{model._meta.table_name}" AS {alias}')
            self._compiled[key] = text
        return self._compiled[key]

    def _build(self, row: tuple) -> tuple:
        out = []
        offset = 0
        for model, fields in zip(self.models, self._fields):
            chunk = row[offset:offset + len(fields)]
            offset += len(fields)
            if chunk[0] is None:  # a LEFT JOIN that found nothing
                out.append(None)
                continue
            data = {f.name: f.python_value(v) for f, v in zip(fields, chunk)}
            instance = model.__new__(model)
            instance.__data__ = {}
            instance._dirty = set()
            instance.__rel__ = {}
            for f in fields:
                instance.__data__[f.name] = data[f.name]
            out.append(instance)
        return tuple(out)

    def all(self, *params) -> list[tuple]:
        db = database.obj
        cursor = db.execute_sql(self._text(db), params)
        return [self._build(r) for r in cursor.fetchall()]

    def one(self, *params) -> tuple | None:
        db = database.obj
        row = db.execute_sql(self._text(db), params).fetchone()
        return self._build(row) if row else None
