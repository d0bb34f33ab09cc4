"""Peewee migrations -- 003_platform_roles.py: platform role → role/tier mapping."""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    @migrator.create_model
    class PlatformRoleMapping(pw.Model):
        id = pw.AutoField()
        platform = pw.CharField(max_length=16)
        external_role = pw.CharField(max_length=100)
        community = pw.ForeignKeyField(column_name='community_id', field='id', model=migrator.orm['community'],
                                       null=True, on_delete='CASCADE')
        role = pw.ForeignKeyField(column_name='role_id', field='id', model=migrator.orm['role'], null=True,
                                  on_delete='CASCADE')
        tier = pw.ForeignKeyField(column_name='tier_id', field='id', model=migrator.orm['tier'], null=True,
                                  on_delete='CASCADE')
        note = pw.TextField(default='')

        class Meta:
            table_name = "platform_role_mapping"
            indexes = [(('platform', 'external_role'), False)]


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.remove_model('platform_role_mapping')
