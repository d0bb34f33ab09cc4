"""The http backend against a local server: the contract, and every way an answer can go wrong."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from chatops.models import AuditEvent
from chatops.ops.backend import (Account, BackendMalformed, BackendNotFound, BackendRejected, BackendUnavailable,
                                 CardAttempt, Event, Item, Payment, PayoutBatch, Seller, to_json)
from adapters.ops_http import HttpBackend
from chatops.settings import Settings
from tests.ops.conftest import Cast
from tests.ops.httpfake import FakeOpsApi

T = datetime(2026, 1, 5, 2, 0, tzinfo=timezone.utc)
BATCH = PayoutBatch("B-1042", "failed", T.replace(hour=0), 187, 3_920_455, "EUR", processed_at=T,
                    failure_code="R03", failure_account_id="acct_7", retry_at=T.replace(hour=14),
                    events=(Event(T, "Bank rejected the file", "R03", "error"),))
SELLER = Seller("sel_1", "acct_1", "Cora's Corner", 300, 300)
ACCOUNT = Account("acct_1", "Cora", "cora@example.com", "active", True)


@pytest.fixture
def api():
    with FakeOpsApi() as fake:
        yield fake


@pytest.fixture
def http_ops(make_runner, api):
    settings = Settings.from_env({"CHATOPS_BACKEND": "http", "CHATOPS_BACKEND_URL": api.url,
                                  "CHATOPS_BACKEND_TOKEN": "s3cret", "CHATOPS_BACKEND_TIMEOUT_SECONDS": "0.3",
                                  "CHATOPS_OPS_APPROVALS_SLACK_CHANNEL": "C0APPROVALS"})
    runner = make_runner(settings=settings)
    runner.person("Sam Support", roles=["support"], identities=[Cast.SAM])
    runner.person("Lee Lead", roles=["lead"], identities=[Cast.LEE])
    return runner


def test_lookup_through_the_contract(http_ops, api):
    api.ok("GET", "/batches/B-1042", to_json(BATCH))
    result = http_ops.invoke("batch-status B-1042", as_=Cast.SAM)
    assert ("Batch B-1042 failed at 02:00 UTC: the bank rejected the file (R03, no account). It retries at "
            "14:00 UTC; fix the account's bank details first.") in result.text
    (request,) = api.requests
    assert request["headers"]["Authorization"] == "Bearer s3cret"
    assert "s3cret" not in str(list(AuditEvent.select().dicts()))


def test_records_round_trip_through_json():
    payment = Payment("pay_1", "item_1", "acct_2", "acct_1", "declined", "", 4200, "EUR",
                      attempts=(CardAttempt(T, "declined", "51", "Visa", "4242"),))
    item = Item("item_1", "Mug", "sel_1", "acct_1", None, "listed", 4200, "EUR")
    from chatops.ops.backend import parse
    for record in (BATCH, SELLER, ACCOUNT, payment, item):
        assert parse(type(record), to_json(record)) == record


def test_a_change_posts_with_idempotency_key_and_is_audited(http_ops, api):
    api.ok("GET", "/sellers/sel_1", to_json(SELLER))
    api.ok("POST", "/sellers/sel_1/fee-removal", {**to_json(SELLER), "fee_bps": 0, "fee_waived_reason": "goodwill"})
    http_ops.invoke("remove-seller-fee sel_1 goodwill after the outage", as_=Cast.SAM)
    sent = http_ops.press("Confirm", as_=Cast.SAM)
    approved = http_ops.press(sent.reply.posts[0].reply.button_ids()["Approve"], as_=Cast.LEE)
    assert "now pays 0%" in approved.text
    post = api.requests[-1]
    assert post["method"] == "POST" and post["body"]["reason"] == "goodwill after the outage"
    assert post["body"]["approved_by"].startswith("slack:U_LEE")
    cid = sent.reply.correlation_id
    assert post["headers"]["X-Correlation-Id"] == cid
    assert post["headers"]["Idempotency-Key"] == f"{cid}:remove_seller_fee:sel_1"
    attempted = AuditEvent.get(AuditEvent.outcome == "attempted")
    assert f"idempotency key {cid}:remove_seller_fee:sel_1" in attempted.detail


def _failing_change(http_ops, api) -> object:
    http_ops.invoke("change-email acct_1 new@example.com", as_=Cast.SAM)
    return http_ops.press("Confirm", as_=Cast.SAM)


@pytest.mark.parametrize("setup,message", [
    (lambda api: api.route("POST", "/accounts/acct_1/email", 200,
                           {"ok": False, "error": {"code": "mailer_down", "message": "mail service is down"}}),
     "The payments system refused: mail service is down"),
    (lambda api: api.ok("POST", "/accounts/acct_1/email", to_json(ACCOUNT)),  # 200, but nothing changed
     "still has cora@example.com; the e-mail address was not changed"),
    (lambda api: api.route("POST", "/accounts/acct_1/email", 403, b""),
     "refused chatops's credentials (HTTP 403)"),
])
def test_refused_changes_are_audited_failures_never_success(http_ops, api, setup, message):
    """The backend said no (or said, in its answer, that nothing changed): `failed`, and the user is told."""
    api.ok("GET", "/accounts/acct_1", to_json(ACCOUNT))
    setup(api)
    result = _failing_change(http_ops, api)
    assert result.is_error and message in result.text
    assert "Done" not in result.text
    assert result.outcome == "failed"
    outcomes = [e.outcome for e in AuditEvent.select().order_by(AuditEvent.seq)]
    assert outcomes == ["previewed", "attempted", "failed"]


CHANGED = {**to_json(ACCOUNT), "email": "new@example.com", "email_verified": False}


@pytest.mark.parametrize("setup,reason", [
    (lambda api: api.hang("POST", "/accounts/acct_1/email"), "no answer within 0.3 s"),
    (lambda api: api.route("POST", "/accounts/acct_1/email", 500, b"<html>Internal Server Error</html>"),
     "HTTP 500"),
    (lambda api: api.route("POST", "/accounts/acct_1/email", 200, b'{"ok": true, "data": {"id": "acct_1",'),
     "an answer that is not JSON"),
    (lambda api: api.ok("POST", "/accounts/acct_1/email", {"id": "acct_1"}), "no `name` in account"),
    (lambda api: api.drop("POST", "/accounts/acct_1/email"), "the connection was dropped"),
])
def test_unclear_answers_to_a_change_are_unknown_then_settled_by_the_same_request(http_ops, api, setup, reason):
    """A change that went out without a clear answer is never reported as failed ("nothing changed") nor
    done: it is `unknown`, and pressing Confirm again sends the same request (same Idempotency-Key)."""
    api.ok("GET", "/accounts/acct_1", to_json(ACCOUNT))
    setup(api)
    http_ops.invoke("change-email acct_1 new@example.com", as_=Cast.SAM)
    preview = http_ops.last
    result = http_ops.press("Confirm", as_=Cast.SAM)
    assert "not known yet whether it was made" in result.text and reason in result.text
    assert "Nothing was changed" not in result.text and "Done" not in result.text
    assert [e.outcome for e in result.audit] == ["attempted", "unknown"]
    key = api.requests[-1]["headers"]["Idempotency-Key"]
    assert key in result.audit[0].detail
    # The backend answers properly now (it applied the change the first time, or applies it now).
    api.hanging.clear()
    api.dropping.clear()
    api.ok("POST", "/accounts/acct_1/email", CHANGED)
    again = http_ops.press("Confirm", as_=Cast.SAM, result=preview)
    assert "Checked again with the payments system" in again.text and "now new@example.com" in again.text
    assert [e.outcome for e in again.audit] == ["attempted", "executed"]
    posts = [r for r in api.requests if r["method"] == "POST"]
    assert len(posts) == 2 and {p["headers"]["Idempotency-Key"] for p in posts} == {key}
    # The lookups were not made again: the resumed run saw what the first attempt saw.
    assert len([r for r in api.requests if r["method"] == "GET"]) == 2  # preview + first confirm
    assert "already" in http_ops.press("Confirm", as_=Cast.SAM, result=preview).text


def test_the_timeout_bounds_the_whole_call_even_a_trickled_body(api):
    """Each byte arriving in time must not extend the call: the deadline covers connect, headers and body."""
    import time

    api.trickle("GET", "/batches/B-1", seconds=6)
    started = time.monotonic()
    with pytest.raises(BackendUnavailable, match="did not answer within 0.5 s; nothing was changed"):
        HttpBackend(api.url, timeout=0.5).batch("B-1")
    assert time.monotonic() - started < 3  # the body would take 6 s


def test_slow_lookup_times_out_with_a_clear_message(http_ops, api):
    api.hang("GET", "/batches/B-1")
    result = http_ops.invoke("batch-status B-1", as_=Cast.SAM)
    assert result.outcome == "failed" and "did not answer within 0.3 s; nothing was changed" in result.text


def test_not_found_and_refused_credentials(api):
    backend = HttpBackend(api.url, "bad", timeout=2)
    with pytest.raises(BackendNotFound, match="There is no batch `B-404`"):
        backend.batch("B-404")
    api.route("GET", "/batches/B-1", 401, {"ok": False, "error": {"code": "unauthorized", "message": "bad token"}})
    with pytest.raises(BackendUnavailable, match="refused chatops's credentials") as refused:
        backend.batch("B-1")
    assert "CHATOPS_BACKEND_TOKEN" in refused.value.user_message()


def test_malformed_answers(api):
    backend = HttpBackend(api.url, timeout=2)
    api.route("GET", "/batches/B-1", 200, {"data": to_json(BATCH)})
    with pytest.raises(BackendMalformed, match="lacks the `ok` field"):
        backend.batch("B-1")
    api.ok("GET", "/batches/B-2", {**to_json(BATCH), "payment_count": "many"})
    with pytest.raises(BackendMalformed, match="payment_count"):
        backend.batch("B-2")
    api.ok("GET", "/batches/B-3", {**to_json(BATCH), "created_at": "yesterday"})
    with pytest.raises(BackendMalformed, match="invalid time"):
        backend.batch("B-3")
    api.route("GET", "/batches/B-4", 409, {"ok": False, "error": {"code": "locked", "message": "batch locked"}})
    with pytest.raises(BackendRejected, match="batch locked"):
        backend.batch("B-4")


def test_ids_are_url_safe(api):
    backend = HttpBackend(api.url, timeout=2)
    with pytest.raises(BackendNotFound):
        backend.account("acct_1")
    assert api.requests[-1]["path"] == "/api/accounts/acct_1"


def test_unreachable_backend(make_runner):
    settings = Settings.from_env({"CHATOPS_BACKEND": "http", "CHATOPS_BACKEND_URL": "http://127.0.0.1:9/",
                                  "CHATOPS_BACKEND_TIMEOUT_SECONDS": "1"})
    runner = make_runner(settings=settings)
    runner.person("Sam", roles=["support"], identities=[Cast.SAM])
    result = runner.invoke("batch-status B-1", as_=Cast.SAM)
    assert result.outcome == "failed" and "can't be reached" in result.text


@pytest.mark.parametrize("body", [b"", b"<html><body>Forbidden</body></html>", b"Unauthorized"])
@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_whatever_the_body(api, status, body):
    api.route("GET", "/batches/B-1", status, body)
    with pytest.raises(BackendUnavailable, match="refused chatops's credentials") as refused:
        HttpBackend(api.url, "bad", timeout=2).batch("B-1")
    assert f"HTTP {status}" in refused.value.message and "check CHATOPS_BACKEND_TOKEN" in refused.value.message


@pytest.mark.parametrize("body", [b"", b"<html>Not Found</html>", b'{"detail": "Not Found"}'])
def test_404_is_not_found_whatever_the_body(api, body):
    api.route("GET", "/batches/B-404", 404, body)
    with pytest.raises(BackendNotFound, match="There is no batch `B-404`"):
        HttpBackend(api.url, timeout=2).batch("B-404")


@pytest.mark.parametrize("body", [b"", b"<html>Bad Gateway</html>", b'{"ok": true, "data": {}}'])
@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_is_the_backend_error_whatever_the_body(api, status, body):
    api.route("GET", "/batches/B-1", status, body)
    with pytest.raises(BackendUnavailable, match=rf"had an error \(HTTP {status}\)"):
        HttpBackend(api.url, timeout=2).batch("B-1")


def test_refused_credentials_through_the_router_are_failed_and_name_the_setting(http_ops, api):
    api.route("GET", "/batches/B-1", 401, b"")
    result = http_ops.invoke("batch-status B-1", as_=Cast.SAM)
    assert result.outcome == "failed" and "check CHATOPS_BACKEND_TOKEN" in result.text


def test_a_2xx_that_is_not_json_is_malformed(api):
    api.route("GET", "/batches/B-1", 200, b"<html>ok</html>")
    with pytest.raises(BackendMalformed, match=r"not JSON \(HTTP 200\)"):
        HttpBackend(api.url, timeout=2).batch("B-1")


def test_the_http_backend_lists_by_owner(http_ops, api):
    from chatops.ops.backend import AccountPayments
    pay = Payment("pay_1", "item_1", "acct_1001", "acct_5", "pending", "three_ds", 4200, "EUR",
                  attempts=(CardAttempt(T, "declined", "51", "Visa", "4242"),))
    api.ok("GET", "/accounts/acct_1001/payments", to_json(AccountPayments("acct_1001", (pay,))))
    r = http_ops.invoke("my-payments acct_1001", as_=Cast.SAM)
    assert "`pay_1`" in r.text and "3-D Secure check" in r.text and "42.00 EUR" in r.text
    assert api.requests[-1]["path"].endswith("/accounts/acct_1001/payments")
