"""Peewee migrations -- 102_ops_approvals_per_platform.py: an approvals channel per platform on each ops policy.

``approvals_slack_channel`` / ``approvals_discord_channel``: where requests made on that platform go
(empty: ``CHATOPS_OPS_APPROVALS_SLACK_CHANNEL`` / ``…_DISCORD_CHANNEL``). Models: chatops/ops/models.py.
"""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.add_fields('ops_policy',
                        approvals_slack_channel=pw.CharField(default='', max_length=64),
                        approvals_discord_channel=pw.CharField(default='', max_length=64))


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.remove_fields('ops_policy', 'approvals_slack_channel', 'approvals_discord_channel')
