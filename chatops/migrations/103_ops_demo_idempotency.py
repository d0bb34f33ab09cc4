"""Peewee migrations -- 103_ops_demo_idempotency.py: the demo backend applies a change once per idempotency key."""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    @migrator.create_model
    class DemoAppliedChange(pw.Model):
        id = pw.AutoField()
        key = pw.CharField(max_length=200, unique=True)
        operation = pw.CharField(max_length=64)
        result = pw.TextField()
        applied_at = pw.DateTimeField()

        class Meta:
            table_name = "demo_applied_change"


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.remove_model('demo_applied_change')
