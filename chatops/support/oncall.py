"""On-call rotations and leads, stored as data.

    person = current(team, now)            # whoever's shift covers ``now`` (latest start wins)
    add_shift(team, person, starts_at, ends_at)
"""
from __future__ import annotations

from datetime import datetime

from chatops.models import Identity, Person, PersonRole, Role
from chatops.settings import Settings
from chatops.support.models import OnCallShift, SupportTeam


def default_team(settings: Settings) -> SupportTeam | None:
    slug = settings.support.team
    return SupportTeam.get_or_none(SupportTeam.slug == slug) or SupportTeam.select().order_by(SupportTeam.id).first()


def current(team: SupportTeam | None, now: datetime) -> Person | None:
    """Who is on call for ``team`` at ``now``: the covering shift that started last."""
    if team is None:
        return None
    shift = (OnCallShift.select().where((OnCallShift.team == team.id) & (OnCallShift.starts_at <= now)
                                        & (OnCallShift.ends_at > now))
             .order_by(OnCallShift.starts_at.desc(), OnCallShift.id.desc()).first())
    return Person.get_by_id(shift.person_id) if shift is not None else None


def holds_staff_role(person: Person) -> bool:
    """The person holds a role marked ``is_staff`` (support, lead, admin in the seed) as stored data."""
    return (PersonRole.select().join(Role).where((PersonRole.person == person.id) & (Role.is_staff == True))  # noqa: E712
            .exists())


def add_shift(team: SupportTeam, person: Person, starts_at: datetime, ends_at: datetime) -> OnCallShift:
    if ends_at <= starts_at:
        raise ValueError("an on-call shift must end after it starts")
    return OnCallShift.create(team=team, person=person, starts_at=starts_at, ends_at=ends_at)


def ping(person: Person | None, platform: str) -> tuple[str, ...]:
    """The user id to put in ``Reply.mentions`` so that ``handle(person, platform)`` notifies them."""
    if person is None or platform not in ("slack", "discord"):
        return ()
    ident = (Identity.select().where((Identity.person == person.id) & (Identity.platform == platform)).first())
    return (ident.user_id,) if ident is not None else ()


def handle(person: Person | None, platform: str) -> str:
    """A mention of ``person`` on ``platform`` (``<@ID>`` on both Slack and Discord), else their name."""
    if person is None:
        return "nobody"
    ident = (Identity.select().where((Identity.person == person.id) & (Identity.platform == platform)).first())
    if ident is not None and platform in ("slack", "discord"):
        return f"<@{ident.user_id}>"
    return person.name
