"""The ops plugin and seeder register through entry points like any third party's; the seed is idempotent."""
from __future__ import annotations

from importlib.metadata import entry_points

from chatops.demo import extra_seeders
from chatops.demo import seed as core_seed
from chatops.ops import demo
from chatops.ops.demo_backend import DEMO_MODELS, DemoPayoutBatch
from chatops.ops.ownership import accounts_of
from chatops.identity import find_identity

OPS_COMMANDS = {"change-email", "remove-seller-fee", "unlock-account", "resend-verification", "batch-status",
                "disbursement-status", "card-decline", "payment-status"}


def test_entry_points_are_installed(runner):
    assert {ep.name: ep.value for ep in entry_points(group="chatops.commands")}["ops"] == \
        "chatops.ops.commands:commands"
    assert demo.seed in extra_seeders()
    assert OPS_COMMANDS <= {c.name for c in runner.router.registry}


def test_seed_is_idempotent_and_links_the_core_demo_customer(runner):
    core_seed()
    lines: list[str] = []
    first = demo.seed(lines.append, now=runner.clock())
    counts = [m.select().count() for m in DEMO_MODELS]
    assert first > 0 and "ready" in lines[0]
    assert demo.seed(lines.append, now=runner.clock()) == 0
    assert [m.select().count() for m in DEMO_MODELS] == counts
    assert {b.status for b in DemoPayoutBatch.select()} == {"done", "failed", "processing", "held", "scheduled"}
    cora = find_identity("slack", "U0CORACUST").person
    assert accounts_of(cora.id) == {"acct_1001"}
    assert "payment_pending because" in runner.invoke("payment-status item_42", as_="slack:U0CORACUST").text


def test_seed_times_are_in_the_past_early_in_the_day():
    from datetime import datetime, timezone
    assert demo.anchor_of(datetime(2026, 1, 5, 1, 0, tzinfo=timezone.utc)).day == 4
    assert demo.anchor_of(datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)).day == 5
