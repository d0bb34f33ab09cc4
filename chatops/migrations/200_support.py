"""Peewee migrations -- 200_support.py: support routing, tickets, SLAs, on-call, cred and CSAT."""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    @migrator.create_model
    class SupportTeam(pw.Model):
        id = pw.AutoField()
        slug = pw.CharField(max_length=64, unique=True)
        name = pw.CharField(max_length=128)
        lead = pw.ForeignKeyField(column_name='lead_id', field='id', model=migrator.orm['person'], null=True, on_delete='SET NULL')
        slack_channel = pw.CharField(default='', max_length=64)
        discord_channel = pw.CharField(default='', max_length=64)

        class Meta:
            table_name = "support_team"

    @migrator.create_model
    class OnCallShift(pw.Model):
        id = pw.AutoField()
        team = pw.ForeignKeyField(column_name='team_id', field='id', model=migrator.orm['support_team'], on_delete='CASCADE')
        person = pw.ForeignKeyField(column_name='person_id', field='id', model=migrator.orm['person'], on_delete='CASCADE')
        starts_at = pw.DateTimeField()
        ends_at = pw.DateTimeField()

        class Meta:
            table_name = "on_call_shift"
            indexes = [(('team', 'starts_at'), False)]

    @migrator.create_model
    class SupportChannel(pw.Model):
        id = pw.AutoField()
        platform = pw.CharField(max_length=16)
        channel_id = pw.CharField(max_length=64)
        name = pw.CharField(max_length=100)
        tiers = pw.CharField(default='', max_length=200)
        community = pw.ForeignKeyField(column_name='community_id', field='id', model=migrator.orm['community'], null=True, on_delete='CASCADE')
        staff_only = pw.BooleanField(default=False)
        description = pw.TextField(default='')

        class Meta:
            table_name = "support_channel"
            indexes = [(('platform', 'channel_id'), True)]

    @migrator.create_model
    class SupportRoute(pw.Model):
        id = pw.AutoField()
        name = pw.CharField(default='', max_length=100)
        tier = pw.ForeignKeyField(column_name='tier_id', field='id', model=migrator.orm['tier'], null=True, on_delete='CASCADE')
        community = pw.ForeignKeyField(column_name='community_id', field='id', model=migrator.orm['community'], null=True, on_delete='CASCADE')
        category = pw.CharField(max_length=32, null=True)
        slack_channel = pw.CharField(default='', max_length=64)
        discord_channel = pw.CharField(default='', max_length=64)
        team = pw.ForeignKeyField(column_name='team_id', field='id', model=migrator.orm['support_team'], null=True, on_delete='SET NULL')

        class Meta:
            table_name = "support_route"

    @migrator.create_model
    class KeywordRule(pw.Model):
        id = pw.AutoField()
        category = pw.CharField(max_length=32)
        keywords = pw.TextField()
        weight = pw.IntegerField(default=1)
        enabled = pw.BooleanField(default=True)

        class Meta:
            table_name = "keyword_rule"

    @migrator.create_model
    class DeflectionRule(pw.Model):
        id = pw.AutoField()
        keywords = pw.TextField()
        command = pw.CharField(max_length=64)
        example = pw.CharField(max_length=200)
        why = pw.TextField(default='')
        enabled = pw.BooleanField(default=True)

        class Meta:
            table_name = "deflection_rule"

    @migrator.create_model
    class SlaCalendar(pw.Model):
        id = pw.AutoField()
        tier = pw.ForeignKeyField(column_name='tier_id', field='id', model=migrator.orm['tier'], on_delete='CASCADE', unique=True)
        timezone = pw.CharField(default='UTC', max_length=64)
        day_start = pw.CharField(default='09:00', max_length=5)
        day_end = pw.CharField(default='17:00', max_length=5)
        weekdays = pw.CharField(default='mon,tue,wed,thu,fri', max_length=40)

        class Meta:
            table_name = "sla_calendar"

    @migrator.create_model
    class CategoryWeight(pw.Model):
        id = pw.AutoField()
        category = pw.CharField(max_length=32, unique=True)
        weight = pw.FloatField(default=1.0)

        class Meta:
            table_name = "category_weight"

    @migrator.create_model
    class Ticket(pw.Model):
        id = pw.AutoField()
        requester = pw.ForeignKeyField(column_name='requester_id', field='id', model=migrator.orm['person'], on_delete='CASCADE')
        platform = pw.CharField(max_length=16)
        requester_user_id = pw.CharField(max_length=64)
        origin_channel_id = pw.CharField(max_length=64, null=True)
        community = pw.ForeignKeyField(column_name='community_id', field='id', model=migrator.orm['community'], null=True, on_delete='SET NULL')
        tier = pw.ForeignKeyField(column_name='tier_id', field='id', model=migrator.orm['tier'], null=True, on_delete='SET NULL')
        category = pw.CharField(max_length=32, null=True)
        classified_by = pw.CharField(default='triage', max_length=16)
        urgency = pw.CharField(default='normal', max_length=16)
        summary = pw.CharField(max_length=200)
        details = pw.TextField(default='')
        state = pw.CharField(default='open', index=True, max_length=16)
        needs_triage = pw.BooleanField(default=False)
        route = pw.ForeignKeyField(column_name='route_id', field='id', model=migrator.orm['support_route'], null=True, on_delete='SET NULL')
        team = pw.ForeignKeyField(column_name='team_id', field='id', model=migrator.orm['support_team'], null=True, on_delete='SET NULL')
        channel_id = pw.CharField(default='', max_length=64)
        assignee = pw.ForeignKeyField(column_name='assignee_id', field='id', model=migrator.orm['person'], null=True, on_delete='SET NULL')
        action_token = pw.CharField(default='', max_length=64)
        correlation_id = pw.CharField(default='', max_length=40)
        created_at = pw.DateTimeField(index=True)
        claimed_at = pw.DateTimeField(null=True)
        first_response_at = pw.DateTimeField(null=True)
        waiting_since = pw.DateTimeField(null=True)
        resolved_at = pw.DateTimeField(index=True, null=True)
        closed_at = pw.DateTimeField(null=True)
        cycle = pw.IntegerField(default=0)
        first_response_due = pw.DateTimeField(null=True)
        resolution_due = pw.DateTimeField(null=True)
        fr_stage = pw.IntegerField(default=0)
        res_stage = pw.IntegerField(default=0)
        sla_status = pw.CharField(default='ok', max_length=16)
        next_due = pw.DateTimeField(index=True, null=True)

        class Meta:
            table_name = "ticket"

    @migrator.create_model
    class TicketEvent(pw.Model):
        id = pw.AutoField()
        ticket = pw.ForeignKeyField(column_name='ticket_id', field='id', model=migrator.orm['ticket'], on_delete='CASCADE')
        kind = pw.CharField(max_length=24)
        actor = pw.ForeignKeyField(column_name='actor_id', field='id', model=migrator.orm['person'], null=True, on_delete='SET NULL')
        actor_label = pw.CharField(default='', max_length=200)
        body = pw.TextField(default='')
        internal = pw.BooleanField(default=False)
        data = pw.TextField()
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "ticket_event"
            indexes = [(('ticket', 'id'), False)]

    @migrator.create_model
    class SlaNotification(pw.Model):
        id = pw.AutoField()
        ticket = pw.ForeignKeyField(column_name='ticket_id', field='id', model=migrator.orm['ticket'], on_delete='CASCADE')
        clock = pw.CharField(max_length=16)
        cycle = pw.IntegerField(default=0)
        stage = pw.CharField(max_length=16)
        recipient = pw.CharField(default='', max_length=200)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "sla_notification"
            indexes = [(('ticket', 'clock', 'cycle', 'stage'), True)]

    @migrator.create_model
    class Deflection(pw.Model):
        id = pw.AutoField()
        person = pw.ForeignKeyField(column_name='person_id', field='id', model=migrator.orm['person'], on_delete='CASCADE')
        text = pw.TextField(default='')
        command = pw.CharField(max_length=64)
        outcome = pw.CharField(default='offered', max_length=16)
        ticket = pw.ForeignKeyField(column_name='ticket_id', field='id', model=migrator.orm['ticket'], null=True, on_delete='SET NULL')
        created_at = pw.DateTimeField(index=True)

        class Meta:
            table_name = "deflection"

    @migrator.create_model
    class CredEvent(pw.Model):
        id = pw.AutoField()
        person = pw.ForeignKeyField(column_name='person_id', field='id', model=migrator.orm['person'], on_delete='CASCADE')
        ticket = pw.ForeignKeyField(column_name='ticket_id', field='id', model=migrator.orm['ticket'], on_delete='CASCADE')
        cycle = pw.IntegerField(default=0)
        role = pw.CharField(max_length=16)
        tier_weight = pw.FloatField()
        type_weight = pw.FloatField()
        amount = pw.FloatField()
        created_at = pw.DateTimeField(index=True)

        class Meta:
            table_name = "cred_event"
            indexes = [(('ticket', 'person', 'cycle'), True)]

    @migrator.create_model
    class CsatRating(pw.Model):
        id = pw.AutoField()
        ticket = pw.ForeignKeyField(column_name='ticket_id', field='id', model=migrator.orm['ticket'], on_delete='CASCADE')
        cycle = pw.IntegerField(default=0)
        person = pw.ForeignKeyField(column_name='person_id', field='id', model=migrator.orm['person'], on_delete='CASCADE')
        rating = pw.IntegerField()
        created_at = pw.DateTimeField(index=True)

        class Meta:
            table_name = "csat_rating"
            indexes = [(('ticket', 'cycle'), True)]


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.remove_model('csat_rating')
    migrator.remove_model('cred_event')
    migrator.remove_model('deflection')
    migrator.remove_model('sla_notification')
    migrator.remove_model('ticket_event')
    migrator.remove_model('ticket')
    migrator.remove_model('category_weight')
    migrator.remove_model('sla_calendar')
    migrator.remove_model('deflection_rule')
    migrator.remove_model('keyword_rule')
    migrator.remove_model('support_route')
    migrator.remove_model('support_channel')
    migrator.remove_model('on_call_shift')
    migrator.remove_model('support_team')
