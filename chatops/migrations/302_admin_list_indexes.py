"""Peewee migrations -- 302_admin_list_indexes.py: the panel's keyset pages (admin/keyset.py).

The ticket list sorted by "Opened" pages by ``WHERE created_at <= ? AND (created_at < ? OR id < ?)
ORDER BY created_at DESC, id DESC LIMIT n``: an index on (created_at, id) answers it (and the first
page) by walking the index, at any depth. Checked before adding: every other sort key the panel pages
by is already indexed — a primary key, ``audit_event.seq`` (unique), the unique slugs/names (tier,
community, role, command policy, panel user), ``ticket.created_at`` alone (kept: the dashboard's
range scans use it), ``admin_login_attempt`` by id. SQLite's single-column index already carries the
rowid (= id) as its tie-breaker; PostgreSQL's does not, hence the two-column index.
"""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.add_index('ticket', 'created_at', 'id', unique=False)


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.drop_index('ticket', 'created_at', 'id')
