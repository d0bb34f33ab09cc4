"""Peewee migrations -- 001_initial.py.

Some examples (model - class or model name)::

    > Model = migrator.orm['table_name']            # Return model in current state by name
    > Model = migrator.ModelClass                   # Return model in current state by name

    > migrator.sql(sql)                             # Run custom SQL
    > migrator.run(func, *args, **kwargs)           # Run python function with the given args
    > migrator.create_model(Model)                  # Create a model (could be used as decorator)
    > migrator.remove_model(model, cascade=True)    # Remove a model
    > migrator.add_fields(model, **fields)          # Add fields (allow_not_null=True skips default)
    > migrator.change_fields(model, **fields)       # Change fields
    > migrator.remove_fields(model, *field_names, cascade=True)
    > migrator.rename_field(model, old_field_name, new_field_name)
    > migrator.rename_table(model, new_table_name)
    > migrator.add_index(model, *col_names, unique=False)
    > migrator.add_not_null(model, *field_names)
    > migrator.add_default(model, field_name, default)
    > migrator.add_constraint(model, name, sql)
    > migrator.drop_index(model, *col_names)
    > migrator.drop_not_null(model, *field_names)
    > migrator.drop_constraints(model, *constraints)

"""

from contextlib import suppress

import peewee as pw
from peewee_migrate import Migrator


with suppress(ImportError):
    import playhouse.postgres_ext as pw_pext


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Write your migrations here."""
    
    @migrator.create_model
    class AuditEvent(pw.Model):
        id = pw.AutoField()
        seq = pw.BigIntegerField(unique=True)
        created_at = pw.DateTimeField(index=True)
        correlation_id = pw.CharField(index=True, max_length=40)
        actor = pw.CharField(index=True, max_length=200)
        actor_person_id = pw.IntegerField(null=True)
        platform = pw.CharField(default='', max_length=16)
        community = pw.CharField(default='', max_length=64)
        command = pw.CharField(index=True, max_length=64)
        arguments = pw.TextField(default='{}')
        outcome = pw.CharField(index=True, max_length=16)
        detail = pw.TextField(default='')
        prev_hash = pw.CharField(max_length=64)
        hash = pw.CharField(max_length=64)

        class Meta:
            table_name = "audit_event"
            indexes = [(('command', 'seq'), False), (('outcome', 'seq'), False), (('actor', 'seq'), False)]

    @migrator.create_model
    class Tier(pw.Model):
        id = pw.AutoField()
        slug = pw.CharField(max_length=64, unique=True)
        name = pw.CharField(max_length=128)
        rank = pw.IntegerField(default=0)
        first_response_minutes = pw.IntegerField(null=True)
        resolution_minutes = pw.IntegerField(null=True)
        cred_weight = pw.FloatField(default=1.0)
        description = pw.TextField(default='')

        class Meta:
            table_name = "tier"

    @migrator.create_model
    class CommandPolicy(pw.Model):
        id = pw.AutoField()
        command = pw.CharField(max_length=64, unique=True)
        enabled = pw.BooleanField(default=True)
        roles = pw.TextField(default='')
        min_tier = pw.ForeignKeyField(column_name='min_tier_id', field='id', model=migrator.orm['tier'], null=True, on_delete='SET NULL')
        communities = pw.TextField(default='')
        channels = pw.TextField(default='')
        allow_dm = pw.BooleanField(default=True)
        note = pw.TextField(default='')
        updated_at = pw.DateTimeField()

        class Meta:
            table_name = "command_policy"

    @migrator.create_model
    class Community(pw.Model):
        id = pw.AutoField()
        slug = pw.CharField(max_length=64, unique=True)
        name = pw.CharField(max_length=128)
        tier = pw.ForeignKeyField(column_name='tier_id', field='id', model=migrator.orm['tier'], null=True, on_delete='SET NULL')
        permitted = pw.BooleanField(default=False)
        partner = pw.BooleanField(default=False)
        description = pw.TextField(default='')
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "community"

    @migrator.create_model
    class CommunityLink(pw.Model):
        id = pw.AutoField()
        community = pw.ForeignKeyField(column_name='community_id', field='id', model=migrator.orm['community'], on_delete='CASCADE')
        platform = pw.CharField(max_length=16)
        external_id = pw.CharField(max_length=64)

        class Meta:
            table_name = "community_link"
            indexes = [(('platform', 'external_id'), True)]

    @migrator.create_model
    class IdempotencyRecord(pw.Model):
        id = pw.AutoField()
        key = pw.CharField(max_length=200, unique=True)
        digest = pw.CharField(max_length=64)
        outcome = pw.CharField(default='pending', max_length=16)
        reply = pw.TextField(null=True)
        correlation_id = pw.CharField(max_length=40)
        created_at = pw.DateTimeField(index=True)

        class Meta:
            table_name = "idempotency_record"

    @migrator.create_model
    class Person(pw.Model):
        id = pw.AutoField()
        name = pw.CharField(max_length=128)
        email = pw.CharField(max_length=254, null=True)
        active = pw.BooleanField(default=True)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "person"

    @migrator.create_model
    class Identity(pw.Model):
        id = pw.AutoField()
        platform = pw.CharField(max_length=16)
        user_id = pw.CharField(max_length=64)
        person = pw.ForeignKeyField(column_name='person_id', field='id', model=migrator.orm['person'], on_delete='CASCADE')
        display_name = pw.CharField(default='', max_length=128)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "identity"
            indexes = [(('platform', 'user_id'), True)]

    @migrator.create_model
    class Membership(pw.Model):
        id = pw.AutoField()
        person = pw.ForeignKeyField(column_name='person_id', field='id', model=migrator.orm['person'], on_delete='CASCADE')
        community = pw.ForeignKeyField(column_name='community_id', field='id', model=migrator.orm['community'], on_delete='CASCADE')

        class Meta:
            table_name = "membership"
            indexes = [(('person', 'community'), True)]

    @migrator.create_model
    class PendingAction(pw.Model):
        token = pw.CharField(max_length=64, primary_key=True)
        kind = pw.CharField(default='confirm', max_length=32)
        command = pw.CharField(max_length=64)
        arguments = pw.TextField()
        invocation = pw.TextField()
        requester = pw.ForeignKeyField(column_name='requester_id', field='id', model=migrator.orm['person'], on_delete='CASCADE')
        correlation_id = pw.CharField(index=True, max_length=40)
        state = pw.CharField(default='pending', index=True, max_length=16)
        expires_at = pw.DateTimeField(index=True)
        created_at = pw.DateTimeField()
        finished_at = pw.DateTimeField(null=True)
        result = pw.TextField(null=True)

        class Meta:
            table_name = "pending_action"

    @migrator.create_model
    class Role(pw.Model):
        id = pw.AutoField()
        slug = pw.CharField(max_length=64, unique=True)
        name = pw.CharField(max_length=128)
        description = pw.TextField(default='')
        is_staff = pw.BooleanField(default=False)

        class Meta:
            table_name = "role"

    @migrator.create_model
    class PersonRole(pw.Model):
        id = pw.AutoField()
        person = pw.ForeignKeyField(column_name='person_id', field='id', model=migrator.orm['person'], on_delete='CASCADE')
        role = pw.ForeignKeyField(column_name='role_id', field='id', model=migrator.orm['role'], on_delete='CASCADE')

        class Meta:
            table_name = "person_role"
            indexes = [(('person', 'role'), True)]


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Write your rollback migrations here."""
    
    migrator.remove_model('person_role')

    migrator.remove_model('role')

    migrator.remove_model('pending_action')

    migrator.remove_model('membership')

    migrator.remove_model('identity')

    migrator.remove_model('person')

    migrator.remove_model('idempotency_record')

    migrator.remove_model('community_link')

    migrator.remove_model('community')

    migrator.remove_model('command_policy')

    migrator.remove_model('tier')


    migrator.remove_model('audit_event')
