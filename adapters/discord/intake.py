"""Accepting a Discord request as durable work: the same for the gateway bot and the Interactions Endpoint.

    payload = request_payload("command", inv, token=..., application_id=..., interaction_id=..., ephemeral=True)
    intake = accept(app, pool, inv.idempotency_key, payload, inv)     # one INSERT (a thread, never the loop)
    if intake.refusal: ...        # tell the user at once: "briefly unavailable" / "busy" (already audited)
    elif intake.accepted: ...     # defer, then pool.hand_off(intake.accepted.item)
    else: ...                     # a repeated delivery: audited ``duplicate``, answered by the first one

The payload is what :class:`adapters.discord.bot.DiscordWork` needs to run and answer the request in any
process (the interaction token, the application id, whether the defer was ephemeral), so work accepted by
an HTTP web process can be answered by a gateway process or ``chatops worker`` and the other way round.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from adapters.executor import Busy as CallsBusy
from chatops import messages as core_messages
from chatops import work
from chatops.commands import Command
from chatops.db import DatabaseErrors
from chatops.invocation import Invocation, utcnow
from chatops.workers import Busy as QueueFull

log = logging.getLogger("adapters.discord")

KIND = "discord"  # the work items this adapter runs


@dataclass(frozen=True)
class Intake:
    accepted: work.Accepted | None = None  # None with no refusal: a repeated delivery
    refusal: str | None = None             # the sentence the user must see now


def defer_ephemeral(command: Command | None) -> bool:
    """Defer privately when the first answer will be private: the core's rule, ``Command.private_first``
    (an unknown command's answer, the usage help, is private too)."""
    return command is None or command.private_first


def request_payload(op: str, inv: Invocation, *, token: str | None = None, application_id: int | str | None = None,
                    interaction_id: int | str | None = None, **extra: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {"op": op, "inv": inv.to_dict(), **extra}
    if token is not None:
        payload.update(token=token, application_id=str(application_id), interaction_id=str(interaction_id))
    return payload


def refuse(app, inv: Invocation, key: str, exc: BaseException) -> Intake:
    """Not accepted (a full queue, a database that cannot take it): audited through the spool."""
    busy = isinstance(exc, (QueueFull, CallsBusy))
    log.error("discord: request %s not accepted: %s", key, exc)
    work.audit_refused(app.settings, inv, "refused" if busy else "failed",
                       f"not accepted ({exc}); the user was told to try again", now=utcnow())
    return Intake(refusal=core_messages.BUSY if busy else core_messages.NOT_ACCEPTED)


def accept(app, pool, key: str, payload: dict[str, Any], inv: Invocation) -> Intake:
    """Persist the request, leased to this process but not started (``pool.hand_off`` starts it once the
    first response is out)."""
    try:
        accepted = pool.accept(KIND, key, payload, hand_off=False)
    except (QueueFull, *DatabaseErrors) as exc:
        return refuse(app, inv, key, exc)
    if accepted.duplicate:  # delivered again: the first delivery is being answered
        log.info("discord: repeated delivery of %s", key)
        work.audit_duplicate(inv, accepted.item, now=utcnow())
        return Intake()
    return Intake(accepted=accepted)
