"""Peewee migrations -- 005_outbox_edits.py: an outbox message may be an edit of an earlier one
(``edits``: that message's dedupe key), so a ticket card or an approval request shows its new state."""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.add_fields('outbound_message', edits=pw.CharField(max_length=200, null=True))


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.remove_fields('outbound_message', 'edits')
