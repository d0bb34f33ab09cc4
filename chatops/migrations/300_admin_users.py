"""Peewee migrations -- 300_admin_users.py: the admin panel's users, sessions and sign-in attempts.

Models: admin/models.py. Written by hand; ``chatops db upgrade`` applies it once.
"""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    @migrator.create_model
    class AdminUser(pw.Model):
        id = pw.AutoField()
        username = pw.CharField(max_length=64, unique=True)
        password_hash = pw.CharField(max_length=255)
        role = pw.CharField(default='viewer', max_length=16)
        active = pw.BooleanField(default=True)
        created_at = pw.DateTimeField()
        last_login_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "admin_user"

    @migrator.create_model
    class AdminSession(pw.Model):
        id = pw.AutoField()
        token_hash = pw.CharField(max_length=64, unique=True)
        user = pw.ForeignKeyField(column_name='user_id', field='id', model=migrator.orm['admin_user'], on_delete='CASCADE')
        created_at = pw.DateTimeField()
        last_seen_at = pw.DateTimeField()
        ended_at = pw.DateTimeField(null=True)
        remote_addr = pw.CharField(default='', max_length=64)

        class Meta:
            table_name = "admin_session"

    @migrator.create_model
    class AdminLoginAttempt(pw.Model):
        id = pw.AutoField()
        username = pw.CharField(max_length=64)
        remote_addr = pw.CharField(default='', max_length=64)
        at = pw.DateTimeField()
        outcome = pw.CharField(max_length=16)

        class Meta:
            table_name = "admin_login_attempt"
            indexes = [(('username', 'at'), False)]


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.remove_model('admin_login_attempt')
    migrator.remove_model('admin_session')
    migrator.remove_model('admin_user')
