"""Who may see or change which backend records.

    ensure_owner(ctx.actor, payment.owners, "payment", payment.id)   # raises PermissionDenied

A person owns the backend accounts linked to them (:class:`AccountLink`).
Support staff (a staff role, or the ``support`` role) may act on any record;
anyone else only on records one of their accounts owns. A denial names the
record and the remedy, and the router audits it as ``denied``.
"""
from __future__ import annotations

from typing import Callable, Iterable, TypeVar

from chatops.errors import PermissionDenied
from chatops.identity import Actor
from chatops.models import Person
from chatops.policy import staff
from chatops.ops.backend import BackendNotFound
from chatops.ops.models import AccountLink


T = TypeVar("T")


def is_staff(actor: Actor) -> bool:
    """The one staff rule (chatops.policy.staff): a role marked ``is_staff`` in the data."""
    return staff.allows(actor)


def accounts_of(person_id: int) -> frozenset[str]:
    rows = AccountLink.select(AccountLink.account_id).where(AccountLink.person == person_id).tuples()
    return frozenset(r[0] for r in rows)


def link(person: Person, account_id: str, note: str = "") -> AccountLink:
    """Link ``person`` to a backend account (idempotent)."""
    row, _ = AccountLink.get_or_create(person=person, account_id=account_id, defaults={"note": note})
    return row


def _denied(kind: str, record_id: str) -> PermissionDenied:
    return PermissionDenied(
        f"{kind} `{record_id}` is not linked to your account, and you can only see or change your own",
        "If it is yours, ask support to link your chat identity to your account; otherwise ask the owner.")


def ensure_owner(actor: Actor, owners: Iterable[str], kind: str, record_id: str) -> None:
    """Raise PermissionDenied unless ``actor`` is staff or owns one of ``owners``."""
    if is_staff(actor):
        return
    if not accounts_of(actor.person.id) & frozenset(owners):
        raise _denied(kind, record_id)


def fetch_owned(actor: Actor, kind: str, record_id: str, fetch: Callable[[str], T]) -> T:
    """``fetch(record_id)`` if the actor may see it.

    For someone who is not staff, a record that does not exist is denied exactly like
    someone else's record, so ids cannot be probed.
    """
    try:
        record = fetch(record_id)
    except BackendNotFound:
        if is_staff(actor):
            raise
        raise _denied(kind, record_id) from None
    ensure_owner(actor, getattr(record, "owners"), kind, record_id)
    return record
