"""The console adapter: a shell that reads commands from a terminal or, line by line, from stdin.

    $ chatops shell                       # as the local admin
    chatops> help
    chatops> change-email acct_1 new@example.com
    chatops> press Confirm                # presses a button of the last reply
    $ echo whoami | chatops shell --as slack:U0SAMSUPP

It builds an Invocation per line and prints the Reply as plain text: the same
router, policy and audit as every other surface.
"""
from __future__ import annotations

import sys
from typing import IO

import click
import peewee

from chatops.app import App
from chatops.db import atomic
from chatops.invocation import Invocation
from chatops.models import Identity, OutboundMessage, Person, PersonRole, Role
from chatops.reply import Reply

LOCAL_ADMIN = "console:local"
PROMPT = "chatops> "


def ensure_local_admin() -> None:
    """The local console user is an admin: whoever runs the shell already holds the database."""
    if Identity.get_or_none((Identity.platform == "console") & (Identity.user_id == "local")):
        return
    with atomic():
        role, _ = Role.get_or_create(slug="admin", defaults={"name": "Admin", "is_staff": True})
        person = Person.create(name="Local admin")
        Identity.create(platform="console", user_id="local", person=person, display_name="Local admin")
        PersonRole.create(person=person, role=role)


def parse_identity(value: str) -> tuple[str, str]:
    platform, sep, user_id = value.partition(":")
    if not sep or not platform or not user_id:
        raise ValueError(f"--as takes PLATFORM:USER_ID (like slack:U0SAMSUPP), not {value!r}")
    return platform, user_id


class Shell:
    def __init__(self, app: App, *, as_: str = LOCAL_ADMIN, community_id: str | None = None,
                 channel_id: str | None = None, out: IO[str] | None = None) -> None:
        self.app = app
        self.platform, self.user_id = parse_identity(as_)
        self.community_id = community_id
        self.channel_id = channel_id
        self.out = out or sys.stdout
        self.last: Reply | None = None
        if as_ == LOCAL_ADMIN:
            ensure_local_admin()

    def invocation(self, text: str) -> Invocation:
        return Invocation(platform=self.platform, user_id=self.user_id, text=text, community_id=self.community_id,
                          channel_id=self.channel_id, is_direct=self.channel_id is None)

    def run_line(self, line: str) -> Reply | None:
        text = line.strip()
        if not text or text.startswith("#"):
            return None
        before = self._last_outbox_id()
        if text.split()[0] in ("press", "click"):
            target = text.split(None, 1)[1].strip() if len(text.split(None, 1)) > 1 else ""
            ref = (self.last.button_ids().get(target) if self.last else None) or target
            reply = self.app.router.handle_action(ref, self.invocation(""))
        else:
            reply = self.app.router.handle(self.invocation(text))
        self.last = reply
        self.out.write(reply.plain_text() + "\n")
        # Everything the command queued for other channels (reply posts and what the core enqueued itself: a
        # ticket's card for staff, the requester told, an escalation) — what people there will see.
        for message in self._queued_since(before):
            where = f"{message.platform}:{message.channel_id}" + (
                f" (thread {message.thread_id})" if message.thread_id and message.thread_id != "new" else "")
            verb = "an edit of an earlier message in" if message.edits else "posted to"
            self.out.write(f"[{verb} {where}]\n{Reply.from_dict(message.reply).plain_text()}\n")
        self.out.flush()
        return reply

    @staticmethod
    def _last_outbox_id() -> int:
        return OutboundMessage.select(peewee.fn.MAX(OutboundMessage.id)).scalar() or 0

    @staticmethod
    def _queued_since(after: int) -> list:
        return list(OutboundMessage.select().where(OutboundMessage.id > after).order_by(OutboundMessage.id))

    def loop(self, stream: IO[str]) -> None:
        interactive = stream.isatty()
        while True:
            if interactive:
                self.out.write(PROMPT)
                self.out.flush()
            line = stream.readline()
            if not line:
                break
            if line.strip() in ("exit", "quit"):
                break
            self.run_line(line)


@click.command()
@click.option("--as", "as_", default="console:local", show_default=True, metavar="PLATFORM:USER_ID",
              help="Run as this identity (default: the local admin).")
@click.option("--community", "community_id", default=None, metavar="ID",
              help="Workspace id to act from (a Slack team id or Discord guild id).")
@click.option("--channel", "channel_id", default=None, metavar="ID", help="Channel id (default: a direct message).")
@click.pass_context
def shell(ctx: click.Context, as_: str, community_id: str | None, channel_id: str | None) -> None:
    """Run commands from the terminal, or line by line from stdin.

    `press LABEL` presses a button of the last reply; `exit` leaves.
    """
    try:
        parse_identity(as_)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--as") from None
    from chatops.cli import _app, _require_schema

    app = _app(ctx)
    _require_schema(app)
    Shell(app, as_=as_, community_id=community_id, channel_id=channel_id).loop(sys.stdin)
