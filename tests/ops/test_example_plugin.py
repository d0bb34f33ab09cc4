"""The docs/ops.md worked example runs as written, and the docs show it verbatim."""
from __future__ import annotations

from pathlib import Path

from chatops.settings import Settings
from tests.ops import example_plugin
from tests.ops.conftest import Cast
from tests.ops.httpfake import FakeOpsApi

DISBURSEMENT = {"account_id": "acct_1", "status": "scheduled", "amount_minor": 1200, "currency": "EUR",
                "balance_minor": 1200}


def test_pause_payouts_against_the_http_backend(make_runner):
    with FakeOpsApi() as api:
        api.ok("GET", "/accounts/acct_1/disbursement", DISBURSEMENT)
        api.ok("POST", "/accounts/acct_1/payout-pause", {"paused": True})
        settings = Settings.from_env({"CHATOPS_BACKEND": "http", "CHATOPS_BACKEND_URL": api.url})
        runner = make_runner(example_plugin.commands, settings=settings)
        runner.person("Sam", roles=["support"], identities=["slack:U_SAM"])
        preview = runner.invoke("pause-payouts acct_1 chargeback investigation", as_="slack:U_SAM")
        assert "scheduled → paused" in preview.text
        done = runner.press("Confirm", as_="slack:U_SAM")
        assert done.outcome == "executed" and "are paused" in done.text
        assert api.requests[-1]["body"] == {"reason": "chargeback investigation"}


def test_docs_show_the_example_verbatim():
    docs = (Path(__file__).parents[2] / "docs" / "ops.md").read_text()
    code = Path(example_plugin.__file__).read_text()
    body = code.split('"""\n', 1)[1].strip()  # without the module docstring
    assert body in docs
