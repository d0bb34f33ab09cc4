"""Peewee migrations -- 100_ops.py: ops approval policy per command, and person → backend account links.

Models: chatops/ops/models.py. Written by hand; ``chatops db upgrade`` applies it once.
"""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    @migrator.create_model
    class OpsPolicy(pw.Model):
        id = pw.AutoField()
        command = pw.CharField(max_length=64, unique=True)
        approval_required = pw.BooleanField(default=False)
        approver_role = pw.CharField(default='lead', max_length=200)
        approvals_platform = pw.CharField(default='', max_length=16)
        approvals_channel = pw.CharField(default='', max_length=64)
        ttl_minutes = pw.IntegerField(null=True)
        reason_required = pw.BooleanField(default=False)
        note = pw.TextField(default='')
        updated_at = pw.DateTimeField()

        class Meta:
            table_name = "ops_policy"

    @migrator.create_model
    class AccountLink(pw.Model):
        id = pw.AutoField()
        person = pw.ForeignKeyField(column_name='person_id', field='id', model=migrator.orm['person'],
                                    on_delete='CASCADE')
        account_id = pw.CharField(index=True, max_length=64)
        note = pw.TextField(default='')
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "ops_account_link"
            indexes = [(('person', 'account_id'), True)]


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.remove_model('ops_account_link')
    migrator.remove_model('ops_policy')
