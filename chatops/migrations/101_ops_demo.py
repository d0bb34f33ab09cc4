"""Peewee migrations -- 101_ops_demo.py: the demo backend's tables (a small payments marketplace).

Models: chatops/ops/demo_backend.py. Written by hand; ``chatops db upgrade`` applies it once.
"""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    @migrator.create_model
    class DemoAccount(pw.Model):
        id = pw.CharField(max_length=64, primary_key=True)
        name = pw.CharField(max_length=128)
        email = pw.CharField(max_length=254)
        status = pw.CharField(default='active', max_length=16)
        email_verified = pw.BooleanField(default=True)
        locked_reason = pw.CharField(default='', max_length=64)
        locked_at = pw.DateTimeField(null=True)
        verification_sent_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "demo_account"

    @migrator.create_model
    class DemoSeller(pw.Model):
        id = pw.CharField(max_length=64, primary_key=True)
        account = pw.ForeignKeyField(column_name='account_id', field='id', model=migrator.orm['demo_account'],
                                     on_delete='CASCADE')
        name = pw.CharField(max_length=128)
        fee_bps = pw.IntegerField()
        standard_fee_bps = pw.IntegerField()
        fee_waived_reason = pw.TextField(default='')

        class Meta:
            table_name = "demo_seller"

    @migrator.create_model
    class DemoPayoutBatch(pw.Model):
        id = pw.CharField(max_length=64, primary_key=True)
        status = pw.CharField(max_length=16)
        created_at = pw.DateTimeField()
        payment_count = pw.IntegerField(default=0)
        total_minor = pw.BigIntegerField(default=0)
        currency = pw.CharField(default='EUR', max_length=3)
        cutoff_at = pw.DateTimeField(null=True)
        processed_at = pw.DateTimeField(null=True)
        failure_code = pw.CharField(default='', max_length=16)
        failure_account_id = pw.CharField(max_length=64, null=True)
        retry_at = pw.DateTimeField(null=True)
        held_reason = pw.CharField(default='', max_length=32)
        holiday_name = pw.CharField(default='', max_length=128)
        expected_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "demo_payout_batch"

    @migrator.create_model
    class DemoItem(pw.Model):
        id = pw.CharField(max_length=64, primary_key=True)
        title = pw.CharField(max_length=200)
        seller = pw.ForeignKeyField(column_name='seller_id', field='id', model=migrator.orm['demo_seller'],
                                    on_delete='CASCADE')
        buyer = pw.ForeignKeyField(column_name='buyer_id', field='id', model=migrator.orm['demo_account'],
                                   null=True, on_delete='SET NULL')
        status = pw.CharField(max_length=32)
        amount_minor = pw.BigIntegerField()
        currency = pw.CharField(default='EUR', max_length=3)

        class Meta:
            table_name = "demo_item"

    @migrator.create_model
    class DemoPayment(pw.Model):
        id = pw.CharField(max_length=64, primary_key=True)
        item = pw.ForeignKeyField(column_name='item_id', field='id', model=migrator.orm['demo_item'],
                                  on_delete='CASCADE')
        payer = pw.ForeignKeyField(column_name='payer_id', field='id', model=migrator.orm['demo_account'],
                                   on_delete='CASCADE')
        status = pw.CharField(max_length=16)
        pending_reason = pw.CharField(default='', max_length=32)
        amount_minor = pw.BigIntegerField()
        currency = pw.CharField(default='EUR', max_length=3)
        batch_id = pw.CharField(max_length=64, null=True)
        review_due_at = pw.DateTimeField(null=True)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "demo_payment"

    @migrator.create_model
    class DemoCardAttempt(pw.Model):
        id = pw.AutoField()
        payment = pw.ForeignKeyField(column_name='payment_id', field='id', model=migrator.orm['demo_payment'],
                                     on_delete='CASCADE')
        at = pw.DateTimeField()
        result = pw.CharField(max_length=16)
        response_code = pw.CharField(max_length=8)
        card_brand = pw.CharField(max_length=32)
        card_last4 = pw.CharField(max_length=4)

        class Meta:
            table_name = "demo_card_attempt"

    @migrator.create_model
    class DemoDisbursement(pw.Model):
        id = pw.AutoField()
        account = pw.ForeignKeyField(column_name='account_id', field='id', model=migrator.orm['demo_account'],
                                     on_delete='CASCADE')
        status = pw.CharField(max_length=16)
        amount_minor = pw.BigIntegerField()
        currency = pw.CharField(default='EUR', max_length=3)
        balance_minor = pw.BigIntegerField(default=0)
        hold_reason = pw.CharField(default='', max_length=32)
        batch_id = pw.CharField(max_length=64, null=True)
        expected_at = pw.DateTimeField(null=True)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "demo_disbursement"

    @migrator.create_model
    class DemoEvent(pw.Model):
        id = pw.AutoField()
        subject = pw.CharField(index=True, max_length=100)
        at = pw.DateTimeField()
        label = pw.CharField(max_length=200)
        detail = pw.TextField(default='')
        status = pw.CharField(default='done', max_length=16)

        class Meta:
            table_name = "demo_event"


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    for name in ('demo_event', 'demo_disbursement', 'demo_card_attempt', 'demo_payment', 'demo_item',
                 'demo_payout_batch', 'demo_seller', 'demo_account'):
        migrator.remove_model(name)
