"""A public test harness, in the spirit of click's CliRunner.

    >>> from chatops.testing import ChatOpsRunner
    >>> runner = ChatOpsRunner()                          # a fresh, migrated database
    >>> _ = runner.person("ana", roles=["support"], identities=["slack:U1"])
    >>> result = runner.invoke("whoami", as_="slack:U1")
    >>> "support" in result.text, result.audit[-1].outcome
    (True, 'allowed')
    >>> runner.close()

Everything is synchronous. ``invoke`` returns a :class:`Result` with the reply,
its plain text, and the audit events the invocation wrote. ``press`` clicks a
button of the last reply. The database is a temporary SQLite file, or
``CHATOPS_TEST_DATABASE_URL`` (emptied first) when that is set.
"""
from __future__ import annotations

import re

import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import MappingProxyType
from typing import Iterable

import peewee

from chatops import schema
from chatops.app import App
from chatops.commands import CommandGroup, Registry
from chatops.db import connect, database
from chatops.invocation import Invocation
from chatops.models import (AuditEvent, Community, CommunityLink, Identity, Membership, Person, PersonRole, Role,
                            Tier)
from chatops.plugins import build_registry
from chatops.reply import Reply
from chatops.settings import Settings


class FrozenClock:
    """An injectable clock: ``clock.advance(minutes=5)`` instead of sleeping."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass
class Result:
    reply: Reply
    audit: list[AuditEvent] = field(default_factory=list)
    # The exception the router's error boundary caught and answered with an apology or "unavailable"
    # (like click's ``Result.exception``); None when the command ran or failed with a user error.
    exception: BaseException | None = None

    @property
    def text(self) -> str:
        return self.reply.plain_text()

    @property
    def buttons(self) -> dict[str, str]:
        return self.reply.button_ids()

    @property
    def outcome(self) -> str | None:
        return self.audit[-1].outcome if self.audit else None

    @property
    def is_error(self) -> bool:
        return any(getattr(b, "style", None) == "error" for b in self.reply.blocks)


_template: dict[str, Path] = {}
_migrated: set[str] = set()


def fresh_database(url: str | None = None) -> tuple[peewee.Database, Path | None]:
    """A migrated, empty database: a copy of a template SQLite file, or the test URL truncated."""
    url = url if url is not None else Settings.from_env().tests.database_url or None
    if url and not url.startswith("sqlite"):
        db = connect(url)
        if url not in _migrated:
            schema.upgrade(db)
            _migrated.add(url)
        truncate_all(db)
        return db, None
    if "sqlite" not in _template:
        tdir = Path(tempfile.mkdtemp(prefix="chatops-template-"))
        path = tdir / "template.db"
        db = connect(f"sqlite:///{path}")
        schema.upgrade(db)
        db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
        _template["sqlite"] = path
    workdir = Path(tempfile.mkdtemp(prefix="chatops-test-"))
    path = workdir / "chatops.db"
    shutil.copyfile(_template["sqlite"], path)
    return connect(f"sqlite:///{path}"), workdir


_delete_sql: dict[str, str] = {}


def truncate_all(db: peewee.Database) -> None:
    """Empty every table but the migration history (children before parents), and restart ids."""
    # SQLite's FTS5 tables (migration 203) follow their content tables by triggers; emptying their shadow
    # tables directly would corrupt the index ("database disk image is malformed").
    tables = [t for t in db.get_tables() if t != "migratehistory" and not re.match(r".+_fts(_\w+)?$", t)]
    if not tables:
        return
    if isinstance(db, peewee.PostgresqlDatabase):
        key = f"{db.database}|{','.join(sorted(tables))}"
        if key not in _delete_sql:
            # DELETE is far cheaper than TRUNCATE on the small tables of a test; one round trip.
            order = _children_first(db, tables)
            _delete_sql[key] = "".join(f'DELETE FROM "{t}";' for t in order) + (
                "SELECT setval(c.oid, 1, false) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind = 'S' AND n.nspname = current_schema() "
                "AND c.relname <> 'migratehistory_id_seq';")  # history rows are kept, so is their sequence
        with db.atomic():
            db.execute_sql(_delete_sql[key])
    else:
        with db.atomic():
            for t in _children_first(db, tables):
                db.execute_sql(f'DELETE FROM "{t}"')


def _children_first(db: peewee.Database, tables: list[str]) -> list[str]:
    parents = {t: {fk.dest_table for fk in db.get_foreign_keys(t)} - {t} for t in tables}
    order: list[str] = []
    placed: set[str] = set()
    while len(order) < len(tables):
        # a table whose children are all placed may go next
        ready = [t for t in tables if t not in placed
                 and all(t not in parents[c] or c in placed for c in tables if c != t)]
        if not ready:  # a cycle: fall back to the rest in name order
            ready = [t for t in tables if t not in placed]
        for t in sorted(ready):
            order.append(t)
            placed.add(t)
    return order


class ChatOpsRunner:
    """Run commands as a given identity against a fresh database; read back replies and audit events."""

    def __init__(self, *groups: CommandGroup, builtins: bool = True, database_url: str | None = None,
                 settings: Settings | None = None, clock: FrozenClock | None = None) -> None:
        self.db, self._workdir = fresh_database(database_url)
        self.clock = clock or FrozenClock()
        registry = build_registry(extra=groups) if builtins else Registry()
        if not builtins:
            for g in groups:
                registry.include(g)
        settings = settings or Settings()
        self._spooldir: Path | None = None
        if not settings.work.audit_spool:  # audit events spooled while "the database is down" stay in a temp dir
            self._spooldir = Path(tempfile.mkdtemp(prefix="chatops-spool-"))
            settings = settings.replace(env=MappingProxyType(
                {**settings.env, "CHATOPS_AUDIT_SPOOL": str(self._spooldir / "audit-spool.jsonl")}))
        self.app = App(settings, db=self.db, registry=registry, clock=self.clock)
        self.router = self.app.router
        self.last: Result | None = None

    # ---- data helpers ----------------------------------------------------------------
    def tier(self, slug: str, *, rank: int = 0, **fields) -> Tier:
        tier, _ = Tier.get_or_create(slug=slug, defaults={"name": slug.title(), "rank": rank, **fields})
        return tier

    def community(self, slug: str, *, tier: str | None = None, permitted: bool = True, partner: bool = False,
                  slack_team: str | None = None, discord_guild: str | None = None) -> Community:
        tier_obj = Tier.get(Tier.slug == tier) if tier else None
        community, _ = Community.get_or_create(slug=slug, defaults={
            "name": slug.replace("-", " ").title(), "tier": tier_obj, "permitted": permitted, "partner": partner})
        if slack_team:
            CommunityLink.get_or_create(community=community, platform="slack", external_id=slack_team)
        if discord_guild:
            CommunityLink.get_or_create(community=community, platform="discord", external_id=discord_guild)
        return community

    def role(self, slug: str, *, staff: bool | None = None) -> Role:
        """The role ``slug``; new ones are staff as the demo seeds them (chatops.demo.ROLES) unless ``staff``
        says otherwise."""
        from chatops.demo import ROLES

        seeded = {r[0]: r[2] for r in ROLES}
        is_staff = staff if staff is not None else seeded.get(slug, False)
        role, _ = Role.get_or_create(slug=slug, defaults={"name": slug.title(), "is_staff": is_staff})
        return role

    def person(self, name: str, *, roles: Iterable[str] = (), identities: Iterable[str] = (),
               communities: Iterable[str] = ()) -> Person:
        person = Person.create(name=name)
        for key in identities:
            platform, _, user_id = key.partition(":")
            Identity.create(platform=platform, user_id=user_id, person=person, display_name=name)
        for slug in roles:
            PersonRole.create(person=person, role=self.role(slug))
        for slug in communities:
            Membership.create(person=person, community=Community.get(Community.slug == slug))
        return person

    # ---- running ---------------------------------------------------------------------
    def invocation(self, text: str = "", *, as_: str = "console:tester", **fields) -> Invocation:
        platform, _, user_id = as_.partition(":")
        fields.setdefault("received_at", self.clock())
        return Invocation(platform=platform, user_id=user_id, text=text, **fields)

    def invoke(self, text: str = "", *, as_: str = "console:tester", **fields) -> Result:
        """Run ``text`` (or ``command=``/``arguments=``) as ``as_`` ("platform:user_id")."""
        return self._run(lambda: self.router.handle(self.invocation(text, as_=as_, **fields)))

    def press(self, label_or_ref: str, *, as_: str = "console:tester", result: Result | None = None,
              **fields) -> Result:
        """Press a button by its label on the last reply (or ``result``), or by its action reference."""
        source = result or self.last
        ref = source.buttons.get(label_or_ref, label_or_ref) if source else label_or_ref
        return self._run(lambda: self.router.handle_action(ref, self.invocation("", as_=as_, **fields)))

    def _run(self, call) -> Result:
        before = AuditEvent.select(peewee.fn.MAX(AuditEvent.seq)).scalar() or 0
        caught: list[BaseException] = []
        previous = self.router.on_error
        self.router.on_error = lambda _cid, exc: caught.append(exc)
        try:
            reply = call()
        finally:
            self.router.on_error = previous
        events = list(AuditEvent.select().where(AuditEvent.seq > before).order_by(AuditEvent.seq))
        self.last = Result(reply, events, caught[-1] if caught else None)
        return self.last

    def close(self) -> None:
        self.db.close()
        for folder in (self._workdir, self._spooldir):
            if folder:
                shutil.rmtree(folder, ignore_errors=True)

    def __enter__(self) -> "ChatOpsRunner":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


__all__ = ["ChatOpsRunner", "FrozenClock", "Result", "fresh_database", "truncate_all", "database"]
