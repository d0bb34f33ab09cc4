"""One database connection per long-lived thread (workers, senders), kept open between tasks.

    conns = ThreadConnections(chatops_app.db)
    conns.ready()      # at the start of each task, on the worker thread
    conns.release()    # when the worker thread ends

Opening a connection per command cost more CPU than the command's own SQL:
on PostgreSQL each connect starts a server process (on the same CPUs as the
web process), on SQLite the last close checkpoints the WAL. peewee keeps
connections per thread, so a long-lived worker thread can simply keep its
own. ``ready`` does not connect (peewee connects on the first query, inside
the router's error handling, so a database that is down gets the user the
"service unavailable" answer); it closes a connection that is broken (a
failed transaction, a server that went away) or idle for more than
``max_idle`` seconds, so a restarted database costs at most one failed
command per worker.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable

import peewee

from chatops.db import DatabaseErrors

log = logging.getLogger("chatops.connections")

MAX_IDLE_SECONDS = 60.0


class ThreadConnections:
    def __init__(self, db: peewee.Database, *, max_idle: float = MAX_IDLE_SECONDS,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.db = db
        self.max_idle = max_idle
        self.monotonic = monotonic
        self._local = threading.local()

    def ready(self) -> None:
        """Before a task on this thread: keep a healthy recent connection, drop any other."""
        now = self.monotonic()
        last = getattr(self._local, "used", None)
        self._local.used = now
        db = self.db
        if db.is_closed():
            return
        if last is not None and now - last <= self.max_idle and db.is_connection_usable():
            return
        self._close()

    def idle(self) -> None:
        """Between tasks: close this thread's connection once it has been unused for ``max_idle`` seconds."""
        last = getattr(self._local, "used", None)
        if last is not None and self.monotonic() - last > self.max_idle and not self.db.is_closed():
            self._close()

    def release(self) -> None:
        """When the thread ends."""
        if not self.db.is_closed():
            self._close()

    def _close(self) -> None:
        try:
            self.db.close()
        except DatabaseErrors as exc:  # already broken: peewee forgets it either way
            log.debug("closing a broken connection: %s", exc)
