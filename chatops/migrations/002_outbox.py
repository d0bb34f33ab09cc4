"""Peewee migrations -- 002_outbox.py: the transactional outbox."""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    @migrator.create_model
    class OutboundMessage(pw.Model):
        id = pw.AutoField()
        platform = pw.CharField(max_length=16)
        channel_id = pw.CharField(max_length=64)
        thread_id = pw.CharField(max_length=64, null=True)
        reply = pw.TextField()
        dedupe_key = pw.CharField(max_length=200, null=True, unique=True)
        correlation_id = pw.CharField(default='', max_length=40)
        state = pw.CharField(default='pending', max_length=16)
        attempts = pw.IntegerField(default=0)
        not_before = pw.DateTimeField()
        lease_until = pw.DateTimeField(null=True)
        created_at = pw.DateTimeField()
        sent_at = pw.DateTimeField(null=True)
        external_id = pw.CharField(max_length=128, null=True)
        error = pw.TextField(default='')

        class Meta:
            table_name = "outbound_message"
            indexes = [(('platform', 'state', 'not_before'), False)]


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.remove_model('outbound_message')
