"""Peewee migrations -- 202_bug_links.py: the bug queue's links from a ticket to its issue in an external
tracker (GitHub, GitLab, Jira or any http(s) address), with the link's state and when the requester was
told it is fixed (once per link). The model is chatops.support.bugs.BugLink."""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    @migrator.create_model
    class BugLink(pw.Model):
        id = pw.AutoField()
        ticket = pw.ForeignKeyField(column_name='ticket_id', field='id', model=migrator.orm['ticket'], on_delete='CASCADE')
        url = pw.CharField(max_length=500)
        tracker = pw.CharField(default='other', max_length=16)
        external_id = pw.CharField(default='', max_length=200)
        state = pw.CharField(default='open', max_length=16)
        linked_by = pw.ForeignKeyField(column_name='linked_by_id', field='id', model=migrator.orm['person'], null=True, on_delete='SET NULL')
        created_at = pw.DateTimeField()
        updated_at = pw.DateTimeField()
        fixed_at = pw.DateTimeField(null=True)
        requester_told_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "bug_link"
            indexes = [(('ticket', 'url'), True)]


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.remove_model('bug_link')
