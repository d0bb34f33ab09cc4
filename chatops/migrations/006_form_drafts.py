"""Peewee migrations -- 006_form_drafts.py: the options a user gave with a command whose form is open, kept
in the database (they were in one process's memory), so a form submitted to another process keeps them."""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    @migrator.create_model
    class FormDraft(pw.Model):
        id = pw.AutoField()
        key = pw.CharField(max_length=100, unique=True)
        command = pw.CharField(max_length=64)
        given = pw.TextField(default='{}')
        expires_at = pw.DateTimeField(index=True)

        class Meta:
            table_name = "form_draft"


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.remove_model('form_draft')
