"""Deliver the core's outbox to Slack: about one message per second per channel, 429-aware, off the ack path.

    sender = OutboxSender(chatops_app, client)
    sender.start()          # a daemon thread; sender.kick() after a request that may have queued posts
    ...
    sender.stop()

Each pass claims due ``slack`` messages (``chatops.outbox.claim``) and sends
them with chat.postMessage (``thread_ts`` when the message names a thread),
always picking the message whose channel may speak soonest, so a burst for one
channel never holds up another. A 429 puts the message back after its
Retry-After and pauses that channel; a permanent error (``channel_not_found``,
``not_in_channel``…) marks it failed; anything else is retried with backoff.
A message that names who it is for (``Reply.mentions``: the requester told about
their ticket, the on-call person in an escalation) and cannot reach its channel
(the bot is not in it, or it is a DM between two people) is sent to each of them
as a direct message from the bot instead (conversations.open + chat.postMessage);
when that fails too, the row is marked failed with both errors and logged.
``monotonic`` and ``sleep`` are injectable: tests drive the pacing with a fake
clock instead of waiting.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from chatops import logs, outbox
from chatops.db import DatabaseErrors
from chatops.app import App
from chatops.models import OutboundMessage
from chatops.reply import Reply

from chatops.connections import ThreadConnections
from adapters.slack.render import NameOf, render
from adapters.slack.users import UserNames

log = logging.getLogger("adapters.slack.sender")

PER_CHANNEL_INTERVAL = 1.0   # Slack: about one message per second per channel
METADATA_EVENT = "chatops_outbox"  # every post carries its outbox id: found again after a sender stopped
HOLD_LIMIT = 30.0            # wait in-process up to this long for a channel; longer: back to the outbox
PERMANENT_ERRORS = frozenset({
    "channel_not_found", "not_in_channel", "is_archived", "msg_too_long", "no_text", "invalid_blocks",
    "invalid_blocks_format", "cannot_dm_bot", "user_not_found", "account_inactive", "restricted_action",
    "too_many_attachments", "invalid_auth", "not_authed", "token_revoked", "missing_scope",
})
# The channel cannot be reached (the bot is not in it, it is someone else's DM, archived): a direct message to
# the person the message is for can still reach them.
UNREACHABLE = frozenset({"channel_not_found", "not_in_channel", "is_archived", "restricted_action"})


def slack_error(exc: SlackApiError) -> tuple[int, str]:
    """(HTTP status, Slack's ``error``) of a refused call."""
    response = exc.response
    status = getattr(response, "status_code", 0) or 0
    error = (response.get("error") if hasattr(response, "get") else None) or str(status)
    return status, error


def retry_after_seconds(error: SlackApiError, default: float = 1.0) -> float:
    headers = getattr(error.response, "headers", None) or {}
    for key, value in headers.items():
        if key.lower() == "retry-after":
            raw = value[0] if isinstance(value, (list, tuple)) else value
            try:
                return max(0.0, float(raw))
            except (TypeError, ValueError):
                return default
    return default


class OutboxSender:
    def __init__(self, chatops_app: App, client: WebClient, *, interval: float = PER_CHANNEL_INTERVAL,
                 poll_seconds: float = 2.0, batch: int = 20,
                 monotonic: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] | None = None,
                 name_of: NameOf | None = None) -> None:
        self.app = chatops_app
        self.client = client
        self.name_of = name_of if name_of is not None else UserNames(client)
        self.interval = interval
        self.poll_seconds = poll_seconds
        self.batch = batch
        self.monotonic = monotonic
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._sleep = sleep or (lambda seconds: self._stop.wait(seconds))
        self._next_ok: dict[str, float] = {}
        self._thread: threading.Thread | None = None
        self._conns = ThreadConnections(chatops_app.db)

    # ---- the thread ------------------------------------------------------------------
    def start(self) -> "OutboxSender":
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="slack-outbox", daemon=True)
            self._thread.start()
        return self

    def kick(self) -> None:
        """Look at the outbox now (after a request that may have queued posts)."""
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        try:
            while not self._stop.is_set():
                self._wake.clear()
                try:
                    self._conns.ready()  # one connection for the thread's life, not one per pass
                    self.drain()
                except DatabaseErrors as exc:  # the database is away: the next pass tries again
                    log.warning("Slack outbox pass skipped, the database is unavailable: %s", exc)
                    self._conns.release()
                except Exception:  # noqa: BLE001 - keep the sender alive; the next pass retries
                    log.exception("Slack outbox pass failed")
                self._wake.wait(self.poll_seconds)
        finally:
            self._conns.release()

    # ---- one pass ----------------------------------------------------------------------
    def drain(self) -> int:
        """Send every due message (claiming in batches); returns how many were handed to Slack."""
        sent = 0
        while not self._stop.is_set():
            claimed = outbox.claim("slack", now=self.app.router.clock(), limit=self.batch,
                                   lease=outbox.lease_of(self.app.settings))
            if not claimed:
                return sent
            sent += self._send_batch(claimed)
        return sent

    def _send_batch(self, queue: list[OutboundMessage]) -> int:
        sent = 0
        while queue and not self._stop.is_set():
            now = self.monotonic()
            message = min(queue, key=lambda m: (max(now, self._next_ok.get(m.channel_id, now)), m.id))
            queue.remove(message)
            wait = self._next_ok.get(message.channel_id, now) - now
            if wait > HOLD_LIMIT:
                outbox.retry(message, now=self.app.router.clock(), after_seconds=wait, error="channel paused",
                             rate_limited=True)
                continue
            if wait > 0:
                self._sleep(wait)
            if self.deliver(message):
                sent += 1
        for message in queue:  # stopped mid-batch: hand the rest back now rather than after the lease
            outbox.retry(message, now=self.app.router.clock(), after_seconds=0, error="sender stopped",
                         rate_limited=True)
        return sent

    def deliver(self, message: OutboundMessage) -> bool:
        """Send one message and record the outcome in the outbox; True when Slack took it. Its log lines carry
        the message's correlation id (the request that caused it: chatops.logs)."""
        with logs.request(correlation_id=message.correlation_id, platform="slack"):
            return self._deliver(message)

    def _deliver(self, message: OutboundMessage) -> bool:
        now = self.app.router.clock()
        channel = message.channel_id
        try:
            reply = Reply.from_dict(message.reply)
            payload = render(reply, self.name_of)
        except (KeyError, TypeError, ValueError) as exc:
            outbox.mark_failed(message, error=f"unrenderable reply: {exc}")
            log.error("Slack message %s for %s could not be rendered, not sent: %s", message.id, channel, exc)
            return False
        if message.edits:
            what, edit_channel, ts = outbox.edit_target(message)
            if what == "wait":
                outbox.retry(message, now=now, after_seconds=outbox.EDIT_WAIT_SECONDS, rate_limited=True,
                             error="waiting for the message it edits to be sent")
                return False
            if what == "edit":
                return self._update(message, payload, edit_channel, ts, now)
        if getattr(message, "uncertain", False):
            found = self._posted_before(message)
            if found:
                log.info("Slack message %s was delivered before its sender stopped (ts %s): not sent again",
                         message.id, found)
                outbox.mark_sent(message, now=now, external_id=found)
                return True
        kwargs = {"channel": channel, **payload, "unfurl_links": False,
                  "metadata": {"event_type": METADATA_EVENT, "event_payload": {"outbox_id": message.id}}}
        if message.thread_id:
            kwargs["thread_ts"] = message.thread_id
        try:
            response = self.client.chat_postMessage(**kwargs)
        except SlackApiError as exc:
            status = getattr(exc.response, "status_code", None)
            error = (exc.response.get("error") if hasattr(exc.response, "get") else None) or str(status)
            if status == 429 or error == "ratelimited":
                after = retry_after_seconds(exc)
                self._next_ok[channel] = self.monotonic() + after
                outbox.retry(message, now=now, after_seconds=after, error="429 rate limited", rate_limited=True)
                log.warning("Slack rate limit on %s: retrying message %s in %.0f s", channel, message.id, after)
            elif error in UNREACHABLE and _recipients(reply):
                return self._direct(message, reply, kwargs, error, now)
            elif error in PERMANENT_ERRORS:
                outbox.mark_failed(message, error=error)
                log.error("Slack refused message %s for %s: %s", message.id, channel, error)
            else:
                self._backoff(message, now, f"slack error: {error}")
            return False
        except Exception as exc:  # noqa: BLE001 - network trouble: try again later
            self._backoff(message, now, f"{type(exc).__name__}: {exc}")
            return False
        finally:
            self._next_ok[channel] = max(self._next_ok.get(channel, 0.0), self.monotonic() + self.interval)
        outbox.mark_sent(message, now=now, external_id=response.get("ts"))
        return True

    def _direct(self, message: OutboundMessage, reply: Reply, kwargs: dict, error: str, now) -> bool:
        """``message`` could not reach its channel (``error``): send it to each person it names, by DM."""
        sent: list[str] = []
        failures: list[str] = []
        for user in _recipients(reply):
            try:
                opened = self.client.conversations_open(users=user)
                dm = (opened.get("channel") or {}).get("id")
                if not dm or dm == message.channel_id:
                    failures.append(f"{user}: no direct message channel")
                    continue
                direct = {k: v for k, v in kwargs.items() if k != "thread_ts"}  # the DM has no such thread
                response = self.client.chat_postMessage(**{**direct, "channel": dm})
                sent.append(response.get("ts") or "")
            except SlackApiError as exc:
                status, why = slack_error(exc)
                if status == 429 or why == "ratelimited":
                    outbox.retry(message, now=now, after_seconds=retry_after_seconds(exc), rate_limited=True,
                                 error=f"{error}; direct message rate limited")
                    return False
                failures.append(f"{user}: {why}")
            except Exception as exc:  # noqa: BLE001 - the network: the whole message is tried again
                self._backoff(message, now, f"{error}; direct message: {type(exc).__name__}: {exc}")
                return False
        if sent:
            log.warning("Slack message %s could not be posted in %s (%s): sent as a direct message to %s instead",
                        message.id, message.channel_id, error, ", ".join(_recipients(reply)))
            outbox.mark_sent(message, now=now, external_id=sent[0] or None)
            return True
        reason = f"{error} in {message.channel_id}; direct message failed too ({'; '.join(failures)})"
        outbox.mark_failed(message, error=reason)
        log.error("Slack message %s undelivered: %s", message.id, reason)
        return False

    def _update(self, message: OutboundMessage, payload: dict, channel: str, ts: str, now) -> bool:
        """chat.update of the message an earlier outbox row became (a card's new state)."""
        try:
            self.client.chat_update(channel=channel, ts=ts, text=payload.get("text", ""),
                                    blocks=payload.get("blocks", []))
        except SlackApiError as exc:
            status = getattr(exc.response, "status_code", None)
            error = (exc.response.get("error") if hasattr(exc.response, "get") else None) or str(status)
            if status == 429 or error == "ratelimited":
                outbox.retry(message, now=now, after_seconds=retry_after_seconds(exc), error="429 rate limited",
                             rate_limited=True)
            elif error in PERMANENT_ERRORS or error in ("message_not_found", "cant_update_message", "edit_window_closed"):
                outbox.mark_failed(message, error=f"edit: {error}")
                log.warning("Slack could not update message %s (%s) for outbox row %s: %s", ts, channel,
                            message.id, error)
            else:
                self._backoff(message, now, f"slack error: {error}")
            return False
        except Exception as exc:  # noqa: BLE001 - network trouble: try again later
            self._backoff(message, now, f"{type(exc).__name__}: {exc}")
            return False
        finally:
            self._next_ok[channel] = max(self._next_ok.get(channel, 0.0), self.monotonic() + self.interval)
        outbox.mark_sent(message, now=now, external_id=ts)
        return True

    def _posted_before(self, message: OutboundMessage) -> str | None:
        """The ts of this message in its channel when an earlier attempt did post it (found by the outbox id
        in its metadata), else None. Any failure to look means "not found": it is sent (at least once)."""
        oldest = f"{message.created_at.timestamp() - 5:.6f}" if message.created_at else "0"
        kwargs: dict = {"channel": message.channel_id, "oldest": oldest, "include_all_metadata": True,
                        "limit": 200}
        try:
            if message.thread_id:
                response = self.client.conversations_replies(ts=message.thread_id, **kwargs)
            else:
                response = self.client.conversations_history(**kwargs)
        except Exception as exc:  # noqa: BLE001 - a missing scope, the network: send it again
            log.warning("could not look for Slack message %s before re-sending it: %s", message.id, exc)
            return None
        for found in response.get("messages") or ():
            meta = found.get("metadata") or {}
            if meta.get("event_type") == METADATA_EVENT and \
                    (meta.get("event_payload") or {}).get("outbox_id") == message.id:
                return found.get("ts")
        return None

    def _backoff(self, message: OutboundMessage, now, error: str) -> None:
        after = min(300.0, 2.0 ** max(1, message.attempts))
        outbox.retry(message, now=now, after_seconds=after, error=error)
        log.warning("Slack delivery of message %s failed (%s); retrying in %.0f s", message.id, error, after)


def _recipients(reply: Reply) -> tuple[str, ...]:
    """The Slack users a message is for (``Reply.mentions``), at most 5."""
    return tuple(u for u in dict.fromkeys(reply.mentions) if u[:1] in ("U", "W") and u.isalnum())[:5]
