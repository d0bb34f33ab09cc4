"""The http backend: the company's own systems behind a small JSON API (contract: docs/ops.md).

    CHATOPS_BACKEND=http
    CHATOPS_BACKEND_URL=https://ops.internal.example.com/chatops/
    CHATOPS_BACKEND_TOKEN=...            # sent as Authorization: Bearer ...
    CHATOPS_BACKEND_TIMEOUT_SECONDS=10

Every answer is ``{"ok": true, "data": {...}}`` or ``{"ok": false, "error":
{"code": "...", "message": "..."}}``. The HTTP status decides first (401/403: the
token; 404: no such record; 5xx: the backend's error), whatever the body; then
timeouts, connection errors, malformed JSON and ``ok: false`` all become a clear :class:`BackendError`
the router shows and audits (``failed``) — never a pretended success. Changes
carry ``Idempotency-Key`` (the correlation id and the operation), so a retried
request is safe for the company's side to deduplicate. Standard library only.
"""
from __future__ import annotations

import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from chatops.ops.backend import (GENERIC_ID, Account, BackendError, BackendMalformed, BackendNotFound,
                                 BackendRejected, BackendUnavailable, ChangeRequest, Disbursement, Item, Payment,
                                 PayoutBatch, Seller, parse)
from chatops.settings import Settings

MAX_BODY = 2 * 1024 * 1024


class HttpBackend:
    """The :class:`~chatops.ops.backend.Backend` over HTTP + JSON."""

    name = "http"
    id_formats = {kind: GENERIC_ID for kind in ("account", "seller", "item", "payment", "batch")}

    def __init__(self, base_url: str, token: str = "", timeout: float = 10.0) -> None:
        if not base_url:
            raise BackendUnavailable("The ops backend is not configured (CHATOPS_BACKEND_URL is empty).",
                                     hint="Ask a chatops admin to set it.")
        self.base_url = base_url.rstrip("/") + "/"
        self.token = token
        self.timeout = timeout

    @classmethod
    def from_settings(cls, settings: Settings) -> "HttpBackend":
        try:
            timeout = float(settings.get("CHATOPS_BACKEND_TIMEOUT_SECONDS"))
        except ValueError:
            raise BackendUnavailable("CHATOPS_BACKEND_TIMEOUT_SECONDS is not a number of seconds.") from None
        return cls(settings.get("CHATOPS_BACKEND_URL"), settings.get("CHATOPS_BACKEND_TOKEN"), timeout)

    # ---- transport ---------------------------------------------------------------------
    def _url(self, *parts: str) -> str:
        return self.base_url + "/".join(urllib.parse.quote(p, safe="") for p in parts)

    def call(self, method: str, parts: tuple[str, ...], body: dict[str, Any] | None = None, *,
             change: ChangeRequest | None = None, kind: str = "", record_id: str = "") -> Any:
        """One request; returns the answer's ``data`` or raises a BackendError subclass."""
        headers = {"Accept": "application/json", "User-Agent": "chatops-ops/1"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if change is not None:
            headers["X-Correlation-Id"] = change.correlation_id
            headers["Idempotency-Key"] = f"{change.correlation_id}:{parts[-1]}:{'/'.join(parts[:-1])}"
        request = urllib.request.Request(self._url(*parts), data=data, headers=headers, method=method)
        what = "the change was not confirmed, so check the record before trying again" if change else \
            "nothing was changed"
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status, raw = response.status, response.read(MAX_BODY + 1)
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read(MAX_BODY + 1)
        except (TimeoutError, socket.timeout):
            raise BackendUnavailable(f"The payments system did not answer within {self.timeout:g} s; {what}.",
                                     hint="Try again in a minute.") from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, (TimeoutError, socket.timeout)):
                raise BackendUnavailable(f"The payments system did not answer within {self.timeout:g} s; {what}.",
                                         hint="Try again in a minute.") from None
            raise BackendUnavailable(f"The payments system can't be reached ({exc.reason}); {what}.",
                                     hint="Try again in a minute.") from None
        except (ConnectionError, OSError) as exc:
            raise BackendUnavailable(f"The payments system dropped the connection ({exc}); {what}.",
                                     hint="Try again in a minute.") from None
        return self._answer(status, raw, what, kind, record_id)

    def _answer(self, status: int, raw: bytes, what: str, kind: str, record_id: str) -> Any:
        """Status first (401/403, 404, 5xx mean the same whatever the body, which may be empty or HTML),
        then the JSON envelope."""
        if status in (401, 403):
            raise BackendUnavailable(f"The payments system refused chatops's credentials (HTTP {status}): check "
                                     "CHATOPS_BACKEND_TOKEN; nothing was changed.",
                                     hint="Ask a chatops admin to check CHATOPS_BACKEND_TOKEN.")
        if status == 404:
            raise BackendNotFound(kind or "record", record_id)
        if status >= 500:
            raise BackendUnavailable(f"The payments system had an error (HTTP {status}); {what}.",
                                     hint="Try again in a few minutes; if it persists, tell the payments team.")
        if len(raw) > MAX_BODY:
            raise BackendMalformed(f"The payments system sent an answer that is too large; {what}.")
        try:
            doc = json.loads(raw.decode("utf-8")) if raw else None
        except (UnicodeDecodeError, ValueError):
            raise BackendMalformed(f"The payments system sent an answer that is not JSON (HTTP {status}); "
                                   f"{what}.") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("ok"), bool):
            raise BackendMalformed(f"The payments system's answer lacks the `ok` field (HTTP {status}); {what}.")
        if not doc["ok"]:
            error = doc.get("error") if isinstance(doc.get("error"), dict) else {}
            code = str(error.get("code") or "")
            message = str(error.get("message") or "no reason given")[:500]
            if code == "not_found":
                raise BackendNotFound(kind or "record", record_id)
            if code == "unauthorized":
                raise BackendUnavailable("The payments system refused chatops's credentials: check "
                                         "CHATOPS_BACKEND_TOKEN; nothing was changed.",
                                         hint="Ask a chatops admin to check CHATOPS_BACKEND_TOKEN.")
            raise BackendRejected(f"The payments system refused: {message}", code=code)
        if status >= 300:
            raise BackendMalformed(f"The payments system answered HTTP {status} with ok=true; {what}.")
        if "data" not in doc:
            raise BackendMalformed(f"The payments system's answer has no `data`; {what}.")
        return doc["data"]

    def _get(self, cls: type, kind: str, record_id: str, *parts: str) -> Any:
        return parse(cls, self.call("GET", parts, kind=kind, record_id=record_id), kind)

    def _post(self, cls: type, kind: str, record_id: str, parts: tuple[str, ...], body: dict[str, Any],
              change: ChangeRequest) -> Any:
        payload = {**body, "requested_by": change.actor, "approved_by": change.approved_by,
                   "correlation_id": change.correlation_id}
        try:
            return parse(cls, self.call("POST", parts, payload, change=change, kind=kind, record_id=record_id), kind)
        except BackendMalformed as exc:
            raise BackendMalformed(f"{exc.message.rstrip('.')}; the change was not confirmed, so check the record "
                                   "before trying again.") from None

    # ---- lookups -----------------------------------------------------------------------
    def account(self, account_id: str) -> Account:
        return self._get(Account, "account", account_id, "accounts", account_id)

    def seller(self, seller_id: str) -> Seller:
        return self._get(Seller, "seller", seller_id, "sellers", seller_id)

    def item(self, item_id: str) -> Item:
        return self._get(Item, "item", item_id, "items", item_id)

    def payment(self, payment_id: str) -> Payment:
        return self._get(Payment, "payment", payment_id, "payments", payment_id)

    def batch(self, batch_id: str) -> PayoutBatch:
        return self._get(PayoutBatch, "batch", batch_id, "batches", batch_id)

    def disbursement(self, account_id: str) -> Disbursement:
        return self._get(Disbursement, "account", account_id, "accounts", account_id, "disbursement")

    # ---- changes -----------------------------------------------------------------------
    def change_email(self, account_id: str, new_email: str, *, change: ChangeRequest) -> Account:
        account = self._post(Account, "account", account_id, ("accounts", account_id, "email"),
                             {"email": new_email}, change)
        if account.email.lower() != new_email.lower():
            raise BackendError(f"The payments system answered, but `{account_id}` still has {account.email}; "
                               "the e-mail address was not changed.")
        return account

    def remove_seller_fee(self, seller_id: str, reason: str, *, change: ChangeRequest) -> Seller:
        seller = self._post(Seller, "seller", seller_id, ("sellers", seller_id, "fee-removal"),
                            {"reason": reason}, change)
        if seller.fee_bps != 0:
            raise BackendError(f"The payments system answered, but seller `{seller_id}` still pays "
                               f"{seller.fee_bps / 100:g}%; the fee was not removed.")
        return seller

    def unlock_account(self, account_id: str, reason: str, *, change: ChangeRequest) -> Account:
        account = self._post(Account, "account", account_id, ("accounts", account_id, "unlock"),
                             {"reason": reason}, change)
        if account.status == "locked":
            raise BackendError(f"The payments system answered, but `{account_id}` is still locked.")
        return account

    def resend_verification(self, account_id: str, *, change: ChangeRequest) -> Account:
        return self._post(Account, "account", account_id, ("accounts", account_id, "verification-email"), {},
                          change)
