"""Peewee migrations -- 004_durable_work.py: accepted work, resumable runs and their external calls."""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    @migrator.create_model
    class WorkItem(pw.Model):
        id = pw.AutoField()
        key = pw.CharField(max_length=200, unique=True)
        kind = pw.CharField(max_length=32)
        payload = pw.TextField(default='{}')
        state = pw.CharField(default='queued', max_length=16)
        attempts = pw.IntegerField(default=0)
        not_before = pw.DateTimeField()
        lease_owner = pw.CharField(max_length=80, null=True)
        lease_until = pw.DateTimeField(null=True)
        created_at = pw.DateTimeField()
        started_at = pw.DateTimeField(null=True)
        finished_at = pw.DateTimeField(null=True)
        correlation_id = pw.CharField(default='', max_length=40)
        error = pw.TextField(default='')

        class Meta:
            table_name = "work_item"
            indexes = [(('state', 'not_before'), False), (('state', 'lease_until'), False)]

    @migrator.create_model
    class CommandRun(pw.Model):
        id = pw.AutoField()
        key = pw.CharField(max_length=200, unique=True)
        correlation_id = pw.CharField(max_length=40, index=True)
        command = pw.CharField(max_length=64)
        state = pw.CharField(default='running', max_length=16)
        context = pw.TextField(default='{}')
        lease_until = pw.DateTimeField(null=True)
        checks = pw.IntegerField(default=0)
        next_check_at = pw.DateTimeField(null=True, index=True)
        work_key = pw.CharField(max_length=200, null=True)
        reply = pw.TextField(null=True)
        detail = pw.TextField(default='')
        created_at = pw.DateTimeField()
        updated_at = pw.DateTimeField()

        class Meta:
            table_name = "command_run"
            indexes = [(('state', 'next_check_at'), False)]

    @migrator.create_model
    class ExternalCall(pw.Model):
        id = pw.AutoField()
        run = pw.ForeignKeyField(column_name='run_id', field='id', model=migrator.orm['command_run'],
                                 on_delete='CASCADE')
        seq = pw.IntegerField()
        operation = pw.CharField(max_length=100)
        arguments = pw.TextField(default='{}')
        mutating = pw.BooleanField(default=False)
        idempotency_key = pw.CharField(default='', max_length=200)
        state = pw.CharField(max_length=16)
        result = pw.TextField(null=True)
        error = pw.TextField(default='')
        attempts = pw.IntegerField(default=1)
        created_at = pw.DateTimeField()
        finished_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "external_call"
            indexes = [(('run', 'seq'), True)]


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.remove_model('external_call')
    migrator.remove_model('command_run')
    migrator.remove_model('work_item')
