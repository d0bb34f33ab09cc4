"""The http backend: the company's own systems behind a small JSON API (contract: docs/ops.md).

It lives beside the other adapters, not in the core: it does network I/O. ``CHATOPS_BACKEND=http``
finds it through the ``chatops.backends`` entry point.

    CHATOPS_BACKEND=http
    CHATOPS_BACKEND_URL=https://ops.internal.example.com/chatops/
    CHATOPS_BACKEND_TOKEN=...            # sent as Authorization: Bearer ...
    CHATOPS_BACKEND_TIMEOUT_SECONDS=10   # the whole call: connect, send, headers and body

Every answer is ``{"ok": true, "data": {...}}`` or ``{"ok": false, "error":
{"code": "...", "message": "..."}}``. The HTTP status decides first (401/403: the
token; 404: no such record; 5xx: the backend's error), whatever the body; then
timeouts, connection errors, malformed JSON and ``ok: false`` all become a clear :class:`BackendError`
the router shows and audits — never a pretended success.

The timeout bounds the whole call: a watchdog shuts the socket at the deadline, so a
server that trickles its headers or body cannot hold a command longer than
``CHATOPS_BACKEND_TIMEOUT_SECONDS``.

Changes carry ``Idempotency-Key`` (``ChangeRequest.idempotency_key``: the same for
every attempt of one change), which the company's side must honour. What is known
after a failed change decides how it is reported: nothing sent (the connection was
refused, the name did not resolve), refused credentials, 404 and ``ok: false`` mean
*not changed* (``failed``); a timeout or a dropped connection after the request went
out, a 5xx and a malformed answer mean *may have changed*
(:class:`~chatops.ops.backend.BackendOutcomeUnknown`): the run is ``unknown`` and
the same request is sent again to find out (chatops.effects). Standard library only.
"""
from __future__ import annotations

import http.client
import json
import socket
import ssl
import threading
import time
import urllib.parse
from typing import Any

from chatops.ops.backend import (AccountPayments, GENERIC_ID, Account, BackendError, BackendMalformed, BackendNotFound,
                                 BackendOutcomeUnknown, BackendRejected, BackendUnavailable, ChangeRequest,
                                 Disbursement, Item, Payment, PayoutBatch, Seller, parse)
from chatops.settings import Settings

MAX_BODY = 2 * 1024 * 1024
SYSTEM = "The payments system"


class _Deadline:
    """Shuts a connection's socket when the time is up, whatever it is blocked in."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.ends = time.monotonic() + seconds
        self.fired = False
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def watch(self, sock: socket.socket) -> None:
        self._sock = sock  # kept: http.client lets go of it once a closing response is read
        self._timer.start()

    def left(self) -> float:
        return max(0.001, self.ends - time.monotonic())

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            sock = self._sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cancel(self) -> None:
        self._timer.cancel()


def _unknown(message: str, reason: str, hint: str | None = None) -> BackendOutcomeUnknown:
    exc = BackendOutcomeUnknown(message, hint=hint)
    exc.reason = reason
    return exc


class HttpBackend:
    """The :class:`~chatops.ops.backend.Backend` over HTTP + JSON."""

    name = "http"
    system_name = "the payments system"
    id_formats = {kind: GENERIC_ID for kind in ("account", "seller", "item", "payment", "batch")}

    def __init__(self, base_url: str, token: str = "", timeout: float = 10.0) -> None:
        if not base_url:
            raise BackendUnavailable("The ops backend is not configured (CHATOPS_BACKEND_URL is empty).",
                                     hint="Ask a chatops admin to set it.")
        self.base_url = base_url.rstrip("/") + "/"
        parsed = urllib.parse.urlsplit(self.base_url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise BackendUnavailable(f"CHATOPS_BACKEND_URL {base_url!r} is not an http:// or https:// URL.",
                                     hint="Ask a chatops admin to fix it.")
        self.token = token
        self.timeout = timeout

    @classmethod
    def from_settings(cls, settings: Settings) -> "HttpBackend":
        ops = settings.ops
        return cls(ops.backend_url, ops.backend_token, ops.backend_timeout_seconds)

    # ---- transport ---------------------------------------------------------------------
    def _url(self, *parts: str) -> str:
        return self.base_url + "/".join(urllib.parse.quote(p, safe="") for p in parts)

    def _connection(self, url: urllib.parse.SplitResult) -> http.client.HTTPConnection:
        if url.scheme == "https":
            return http.client.HTTPSConnection(url.hostname, url.port, timeout=self.timeout,
                                               context=ssl.create_default_context())
        return http.client.HTTPConnection(url.hostname, url.port, timeout=self.timeout)

    def call(self, method: str, parts: tuple[str, ...], body: dict[str, Any] | None = None, *,
             change: ChangeRequest | None = None, kind: str = "", record_id: str = "") -> Any:
        """One request; returns the answer's ``data`` or raises a BackendError subclass."""
        headers = {"Accept": "application/json", "User-Agent": "chatops-ops/1", "Connection": "close"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if change is not None:
            headers["X-Correlation-Id"] = change.correlation_id
            headers["Idempotency-Key"] = change.idempotency_key or \
                f"{change.correlation_id}:{parts[-1]}:{'/'.join(parts[:-1])}"
        url = urllib.parse.urlsplit(self._url(*parts))
        target = url.path + (f"?{url.query}" if url.query else "")
        deadline = _Deadline(self.timeout)
        conn = self._connection(url)
        response: http.client.HTTPResponse | None = None
        try:
            try:
                conn.connect()
            except (TimeoutError, socket.timeout):
                raise BackendUnavailable(f"{SYSTEM} could not be reached within {self.timeout:g} s; nothing was "
                                         "changed.", hint="Try again in a minute.") from None
            except OSError as exc:
                raise BackendUnavailable(f"{SYSTEM} can't be reached ({exc.strerror or exc}); nothing was changed.",
                                         hint="Try again in a minute.") from None
            deadline.watch(conn.sock)
            try:
                conn.sock.settimeout(deadline.left())
                conn.request(method, target, body=data, headers=headers)
                response = conn.getresponse()
                status = response.status
                raw = self._read(response, deadline)
            except (TimeoutError, socket.timeout, http.client.HTTPException, OSError) as exc:
                timed_out = deadline.fired or isinstance(exc, (TimeoutError, socket.timeout))
                if change is None:
                    if timed_out:
                        raise BackendUnavailable(f"{SYSTEM} did not answer within {self.timeout:g} s; nothing was "
                                                 "changed.", hint="Try again in a minute.") from None
                    raise BackendUnavailable(f"{SYSTEM} dropped the connection ({exc}); nothing was changed.",
                                             hint="Try again in a minute.") from None
                if timed_out:
                    raise _unknown(f"{SYSTEM} did not answer within {self.timeout:g} s, so it is not known whether "
                                   "the change was made.", f"no answer within {self.timeout:g} s") from None
                raise _unknown(f"{SYSTEM} dropped the connection after the change was sent ({exc}), so it is not "
                               "known whether it was made.", "the connection was dropped") from None
        finally:
            deadline.cancel()
            if response is not None:
                response.close()
            conn.close()
        return self._answer(status, raw, change is not None, kind, record_id)

    def _read(self, response: http.client.HTTPResponse, deadline: _Deadline) -> bytes:
        """The body, at most MAX_BODY + 1 bytes, each read bounded by what is left of the deadline."""
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_BODY:
            if response.fp is not None and getattr(response.fp, "raw", None) is not None:
                sock = getattr(response.fp.raw, "_sock", None)
                if sock is not None:
                    sock.settimeout(deadline.left())
            chunk = response.read1(65536) if hasattr(response, "read1") else response.read(65536)
            if deadline.fired:
                raise TimeoutError("deadline")
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)

    def _answer(self, status: int, raw: bytes, changing: bool, kind: str, record_id: str) -> Any:
        """Status first (401/403, 404, 5xx mean the same whatever the body, which may be empty or HTML),
        then the JSON envelope. For a change, an answer that says nothing clear is an unknown outcome."""
        def unclear(what: str, reason: str) -> BackendError:
            if changing:
                return _unknown(f"{SYSTEM} {what}, so it is not known whether the change was made.", reason)
            return BackendMalformed(f"{SYSTEM} {what}; nothing was changed.")

        if status in (401, 403):
            raise BackendUnavailable(f"{SYSTEM} refused chatops's credentials (HTTP {status}): check "
                                     "CHATOPS_BACKEND_TOKEN; nothing was changed.",
                                     hint="Ask a chatops admin to check CHATOPS_BACKEND_TOKEN.")
        if status == 404:
            raise BackendNotFound(kind or "record", record_id)
        if status >= 500:
            if changing:
                raise _unknown(f"{SYSTEM} had an error (HTTP {status}) after the change was sent, so it is not known "
                               "whether it was made.", f"HTTP {status}")
            raise BackendUnavailable(f"{SYSTEM} had an error (HTTP {status}); nothing was changed.",
                                     hint="Try again in a few minutes; if it persists, tell the payments team.")
        if len(raw) > MAX_BODY:
            raise unclear("sent an answer that is too large", "an answer that is too large")
        try:
            doc = json.loads(raw.decode("utf-8")) if raw else None
        except (UnicodeDecodeError, ValueError):
            raise unclear(f"sent an answer that is not JSON (HTTP {status})", "an answer that is not JSON") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("ok"), bool):
            raise unclear(f"sent an answer that lacks the `ok` field (HTTP {status})", "an answer without `ok`")
        if not doc["ok"]:
            error = doc.get("error") if isinstance(doc.get("error"), dict) else {}
            code = str(error.get("code") or "")
            message = str(error.get("message") or "no reason given")[:500]
            if code == "not_found":
                raise BackendNotFound(kind or "record", record_id)
            if code == "unauthorized":
                raise BackendUnavailable(f"{SYSTEM} refused chatops's credentials: check "
                                         "CHATOPS_BACKEND_TOKEN; nothing was changed.",
                                         hint="Ask a chatops admin to check CHATOPS_BACKEND_TOKEN.")
            raise BackendRejected(f"{SYSTEM} refused: {message}", code=code)
        if status >= 300:
            raise unclear(f"answered HTTP {status} with ok=true", f"HTTP {status} with ok=true")
        if "data" not in doc:
            raise unclear("sent an answer without `data`", "an answer without `data`")
        return doc["data"]

    def _get(self, cls: type, kind: str, record_id: str, *parts: str) -> Any:
        return parse(cls, self.call("GET", parts, kind=kind, record_id=record_id), kind)

    def _post(self, cls: type, kind: str, record_id: str, parts: tuple[str, ...], body: dict[str, Any],
              change: ChangeRequest) -> Any:
        payload = {**body, "requested_by": change.actor, "approved_by": change.approved_by,
                   "correlation_id": change.correlation_id}
        data = self.call("POST", parts, payload, change=change, kind=kind, record_id=record_id)
        try:
            return parse(cls, data, kind)
        except BackendMalformed as exc:
            raise _unknown(f"{exc.message.rstrip('.')}, so it is not known whether the change was made.",
                           exc.message.rstrip(".").removeprefix("The backend's answer has ")
                           .removeprefix("The backend sent ")) from None

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

    def payments_of(self, account_id: str, limit: int = 10) -> AccountPayments:
        """``GET /accounts/{id}/payments`` → ``{"account_id": …, "payments": [Payment, …]}``, newest first."""
        found = self._get(AccountPayments, "account", account_id, "accounts", account_id, "payments")
        return AccountPayments(found.account_id, found.payments[:max(1, min(int(limit), 50))])

    # ---- changes -----------------------------------------------------------------------
    def change_email(self, account_id: str, new_email: str, *, change: ChangeRequest) -> Account:
        account = self._post(Account, "account", account_id, ("accounts", account_id, "email"),
                             {"email": new_email}, change)
        if account.email.lower() != new_email.lower():
            raise BackendUnavailable(f"The payments system answered, but `{account_id}` still has {account.email}; "
                               "the e-mail address was not changed.")
        return account

    def remove_seller_fee(self, seller_id: str, reason: str, *, change: ChangeRequest) -> Seller:
        seller = self._post(Seller, "seller", seller_id, ("sellers", seller_id, "fee-removal"),
                            {"reason": reason}, change)
        if seller.fee_bps != 0:
            raise BackendUnavailable(f"The payments system answered, but seller `{seller_id}` still pays "
                               f"{seller.fee_bps / 100:g}%; the fee was not removed.")
        return seller

    def unlock_account(self, account_id: str, reason: str, *, change: ChangeRequest) -> Account:
        account = self._post(Account, "account", account_id, ("accounts", account_id, "unlock"),
                             {"reason": reason}, change)
        if account.status == "locked":
            raise BackendUnavailable(f"The payments system answered, but `{account_id}` is still locked.")
        return account

    def resend_verification(self, account_id: str, *, change: ChangeRequest) -> Account:
        return self._post(Account, "account", account_id, ("accounts", account_id, "verification-email"), {},
                          change)
