"""Peewee migrations -- 303_admin_attempt_address_index.py: sign-in throttling asks "failures from this address
in the window" (admin/security.py, _earlier_failure): an index on (remote_addr, at) answers it without
scanning every attempt when many usernames are tried from one address."""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.add_index('admin_login_attempt', 'remote_addr', 'at', unique=False)


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.drop_index('admin_login_attempt', 'remote_addr', 'at')
