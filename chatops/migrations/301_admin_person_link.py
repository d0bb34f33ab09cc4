"""Peewee migrations -- 301_admin_person_link.py: a panel user may be linked to a chat Person, so what they
do at the support desk (replies, first responses, cred) is theirs.

Models: admin/models.py (``AdminUser.person``). Written by hand; ``chatops db upgrade`` applies it once.
"""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.add_fields(
        'admin_user',
        person=pw.ForeignKeyField(column_name='person_id', field='id', model=migrator.orm['person'], null=True,
                                  on_delete='SET NULL'),
    )


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.remove_fields('admin_user', 'person')
