"""`my-payments`: a customer finds their own payment ids in chat; nobody else's; the HTTP backend lists them too."""
from __future__ import annotations



def test_a_customer_sees_their_own_payments_with_ids(ops):
    r = ops.runner.invoke("my-payments", as_=ops.CORA)
    assert not r.is_error, r.text
    assert "Payments of acct_1001" in r.text
    assert "`pay_3042`" in r.text and "item `item_42`" in r.text and "189.00 EUR" in r.text
    assert "pay_3043" not in r.text                      # Bob's, not Cora's
    assert "payment-status ITEM" in r.text


def test_someone_elses_account_is_denied_like_any_record(ops):
    r = ops.runner.invoke("my-payments acct_1002", as_=ops.CORA)
    assert r.is_error and "is not linked to your account" in r.text
    r = ops.runner.invoke("my-payments acct_9999", as_=ops.CORA)          # no probing for ids
    assert r.is_error and "is not linked to your account" in r.text


def test_without_a_linked_account_the_answer_says_how_to_get_one(ops):
    r = ops.runner.invoke("my-payments", as_=ops.MAX)
    assert "No account is linked" in r.text and "support" in r.text


def test_staff_name_the_account(ops):
    assert "name the account" in ops.runner.invoke("my-payments", as_=ops.SAM).text
    r = ops.runner.invoke("my-payments acct_1002", as_=ops.SAM)
    assert "`pay_3043`" in r.text
    assert "valid account id" in ops.runner.invoke("my-payments bogus!", as_=ops.SAM).text


def test_my_accounts_lists_the_linked_ones_from_the_backend(ops):
    r = ops.runner.invoke("my-accounts", as_=ops.CORA)
    assert "`acct_1001`" in r.text and "Cora Customer" in r.text and "cora@example.com" in r.text and "active" in r.text
    assert "acct_1002" not in r.text
    assert "No account is linked" in ops.runner.invoke("my-accounts", as_=ops.MAX).text
