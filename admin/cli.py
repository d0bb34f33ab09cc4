"""``chatops admin …``: manage panel users from the terminal.

    chatops admin create-user ana --role editor        (prompts for the password twice)
    chatops admin set-password ana                     (ends ana's sessions)
    chatops admin list-users
    chatops admin link-person ana 12                   (ana acts as chat person 12 in the Inbox; --unlink)
"""
from __future__ import annotations

import getpass

import secrets

import click

from admin.models import ROLES, AdminUser
from admin.security import AdminError, create_user, set_password
from chatops import audit, schema
from chatops.db import atomic, connect, database
from chatops.models import Person
from chatops.settings import Settings


def _open_db(ctx: click.Context):
    """The database only: managing panel users needs no command plugins loaded."""
    obj = ctx.ensure_object(dict)
    if "app" in obj:
        db = obj["app"].db
    else:
        settings = Settings.from_env()
        db = connect(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
        database.initialize(db)
    missing = schema.pending(db)
    if missing:
        raise click.ClickException(f"the database needs {len(missing)} migration(s) ({', '.join(missing)}): "
                                   "run `chatops db upgrade` first")
    return db


def _cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no login name in some containers
        return "cli"


@click.group()
def admin() -> None:
    """Manage admin panel users."""


@admin.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), default="viewer", show_default=True,
              help="viewer reads; editor also changes policy and data; admin also manages panel users.")
@click.password_option("--password", envvar="CHATOPS_ADMIN_PASSWORD",
                       help="The password (prompted when not given; env CHATOPS_ADMIN_PASSWORD).")
@click.pass_context
def create_user_command(ctx: click.Context, username: str, role: str, password: str) -> None:
    """Create a panel user who signs in at /admin."""
    _open_db(ctx)
    try:
        user = create_user(username, password, role=role, by=_cli_actor())
    except AdminError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created {user.role} {user.username!r}; sign in at /admin/login.")


@admin.command("set-password")
@click.argument("username")
@click.password_option("--password", envvar="CHATOPS_ADMIN_PASSWORD", help="The new password (prompted when not given).")
@click.pass_context
def set_password_command(ctx: click.Context, username: str, password: str) -> None:
    """Replace a panel user's password and sign them out everywhere."""
    _open_db(ctx)
    try:
        set_password(username, password, by=_cli_actor())
    except AdminError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Password of {username!r} changed; their sessions were ended.")


@admin.command("list-users")
@click.pass_context
def list_users(ctx: click.Context) -> None:
    """List panel users, their role and last sign-in."""
    _open_db(ctx)
    for user in AdminUser.select().order_by(AdminUser.username):
        last = user.last_login_at.strftime("%Y-%m-%d %H:%M UTC") if user.last_login_at else "never"
        linked = f" person {user.person_id}" if user.person_id else ""
        click.echo(f"{user.username:<24} {user.role:<7} {'active' if user.active else 'disabled':<8} last sign-in {last}"
                   f"{linked}")


@admin.command("link-person")
@click.argument("username")
@click.argument("person_id", type=int, required=False)
@click.option("--unlink", is_flag=True, help="Remove the link instead (the user then reads only in the Inbox).")
@click.pass_context
def link_person(ctx: click.Context, username: str, person_id: int | None, unlink: bool) -> None:
    """Link a panel user to the chat person they act as in the Inbox (replies, first responses, cred)."""
    _open_db(ctx)
    if unlink == (person_id is not None):
        raise click.UsageError("give a PERSON_ID, or --unlink")
    with atomic():
        user = AdminUser.get_or_none(AdminUser.username == username)
        if user is None:
            raise click.ClickException(f"there is no user called {username!r}")
        person = None
        if person_id is not None:
            person = Person.get_or_none(Person.id == person_id) if 0 < person_id < 2 ** 31 else None
            if person is None:
                raise click.ClickException(f"there is no person {person_id} (the People view lists them)")
        old = user.person_id
        user.person = person
        user.save()
        audit.record(correlation_id=secrets.token_hex(6), actor=_cli_actor(), platform="web",
                     command="admin.admin_user.link-person",
                     arguments={"model": "admin_user", "id": user.id, "username": username,
                                "changes": {"person": {"old": old, "new": person.id if person else None}}},
                     outcome="executed")
    if person is None:
        click.echo(f"{username!r} is no longer linked to a chat person.")
    else:
        click.echo(f"{username!r} now acts as {person.name} (person {person.id}) in the Inbox.")
