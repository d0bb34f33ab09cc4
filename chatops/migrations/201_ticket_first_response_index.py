"""Peewee migrations -- 201_ticket_first_response_index.py: the dashboard's first-response medians
group tickets by the day of their first response."""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.add_index('ticket', 'first_response_at', unique=False)


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.drop_index('ticket', 'first_response_at')
