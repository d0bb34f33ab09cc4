"""The deflection hook the support router calls before opening a ticket."""
from __future__ import annotations

import dataclasses

import pytest

from chatops.ops.deflection import Suggestion, suggest
from chatops.testing import ChatOpsRunner


@pytest.mark.parametrize("text,command", [
    ("I need to change my email", "change-email"),
    ("Please update the e-mail address on my account, I made a typo", "change-email"),
    ("my card keeps getting declined", "card-decline"),
    ("Why is my credit card being refused?", "card-decline"),
    ("why is my item in payment_pending?", "payment-status"),
    ("my order is stuck waiting for 3D secure", "payment-status"),
    ("Why has the batch not been processed?", "batch-status"),
    ("batch B-1042 failed again", "batch-status"),
    ("can you check why the funds have not been disbursed to this account", "disbursement-status"),
    ("my payout is late", "disbursement-status"),
    ("I'm locked out, too many attempts", "unlock-account"),
    ("never received the verification email", "resend-verification"),
    ("please waive the seller fee for this merchant", "remove-seller-fee"),
])
def test_suggests_the_self_serve_command(text, command):
    found = suggest(text)
    assert found and found[0].command == command


@pytest.mark.parametrize("text", ["", "   ", "How do callbacks work?", "Your .NET SDK is giving me errors"])
def test_suggests_nothing_for_dev_inquiries(text):
    assert suggest(text) == []


def test_suggestions_are_frozen_and_name_real_commands():
    runner = ChatOpsRunner()
    try:
        for text in ("change my email", "card declined", "payout late", "batch failed", "locked out",
                     "verification email never arrived", "waive seller fee", "item payment_pending"):
            for s in suggest(text):
                assert isinstance(s, Suggestion)
                cmd = runner.router.registry.get(s.command)
                required = " ".join(t for t in cmd.usage.split() if not t.startswith("[")).replace("…", "")
                assert cmd is not None and s.example.startswith(required)
                assert s.why.endswith(".") and s.why.count(". ") == 0
                with pytest.raises(dataclasses.FrozenInstanceError):
                    s.command = "x"  # type: ignore[misc]
    finally:
        runner.close()
