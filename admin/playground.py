"""The playground: run any command through the real router as a chosen identity, with working buttons.

    /admin/playground/          pick an identity (or a test persona: a role in a community), type a command
    POST /admin/playground/run  router.handle(Invocation(...)) → the reply rendered as HTML
    POST /admin/playground/press router.handle_action("<token>.<verb>", Invocation(...))

Replies are shown as chat would show them (:func:`mrkdwn`: channel and user ids as names, `code`, *bold*,
http(s) links; everything else escaped), followed by every outbox message the run enqueued under its
correlation id ("Posted to #channel": the staff ticket card a ``support …`` posts to the team channel).

The invocation uses the identity's own platform and user id, and the chosen
community's workspace id on that platform (its Slack team or Discord guild
id), so policies apply exactly as they would in chat. The router audits the
command under that identity; the panel adds an ``admin.playground.run`` /
``admin.playground.press`` event naming the admin and the correlation id.
A test persona is a real Person (``web:playground-<role>-<community>``) holding
only that role and membership, created on first use (audited).

Who may be played is a setting (``CHATOPS_ADMIN_PLAYGROUND_AS``, default the
``chatops demo`` people, the test personas and ``self``: the identities of the
chat person linked to the panel user, ``AdminUser.person``; never
``console:local`` unless listed by name), and an identity holding the chat
``admin`` role needs a panel admin. A refused identity answers 403 (another panel
user's linked person included), a missing one 400. The two-person rule binds the *panel user*: each run and press is on
record (``admin.playground.run``/``.press``, with ``panel_user_id``) under the
command's correlation id, the press before the router acts, and a panel user
cannot Approve or Reject an approval request whose correlation id they ran or
confirmed in the playground, whichever chat identity they pick. With
``CHATOPS_ADMIN_PLAYGROUND=off`` the view is not mounted at all.
"""
from __future__ import annotations

import json
import re
import secrets
from functools import lru_cache
from urllib.parse import urlsplit

from flask import abort, flash, request
from flask_admin import BaseView, expose
from markupsafe import Markup, escape
from peewee import fn

from admin.auditing import PanelAccessMixin
from admin.auth import CsrfForm, actor_label, current_user, state
from admin.models import AdminUser
from admin.security import has_role
from chatops import audit, identity
from chatops.db import atomic
from chatops.invocation import Invocation
from chatops.models import (AuditEvent, Community, CommunityLink, Identity, Membership, OutboundMessage, PendingAction,
                            Person, PersonRole, Role)
from chatops.reply import Reply
from chatops.settings import PLAYGROUND_GROUPS, playground_identities

MAX_IDENTITIES = 500
MAX_POSTS = 50  # outbox rows shown under one reply
LOCAL_ADMIN = "console:local"  # the console's own identity: holds the chat admin role in the demo
PERSONA_PREFIX = "playground-"
CHAT_ADMIN_ROLE = "admin"  # chatops.policy.admins
PLAYGROUND_EVENTS = ("admin.playground.run", "admin.playground.press")
_PLACEHOLDER = re.compile("\ue000(\\d+)\ue001")
# What chat text may carry, in one pass (leftmost wins): a code span, a user / role / channel mention, a
# broadcast, a <url|label> link, a bare URL. Labels may not hold "<", ">" or "|", so a hostile
# ``<@U1|<img onerror>>`` is no mention: it stays text, escaped.
_TOKEN = re.compile(
    r"`(?P<code>[^`\n]+)`"
    r"|<@!?(?P<user>[\w.-]{1,64})(?:\|(?P<user_label>[^<>|\n]{0,80}))?>"
    r"|<@&(?P<role>[\w.-]{1,64})>"
    r"|<#(?P<channel>[\w.-]{1,64})(?:\|(?P<channel_label>[^<>|\n]{0,80}))?>"
    r"|<!(?P<broadcast>here|channel|everyone)(?:\|[^<>\n]{0,80})?>"
    r"|<(?P<link>[A-Za-z][A-Za-z0-9+.-]{0,15}:[^\s<>|]{1,2000})(?:\|(?P<link_label>[^<>\n]{0,300}))?>"
    r"|(?P<url>\bhttps?://[^\s<>|\"`]+)")
_STRONG2 = re.compile(r"\*\*([^*\n]+)\*\*")  # Discord
_STRONG = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")  # Slack
_TRAILING = ".,;:!?'\")]}*_~"
SAFE_SCHEMES = ("http", "https")


def safe_url(url: str) -> str | None:
    """``url`` when it is an absolute http(s) URL with a host and nothing that could break out; else None."""
    if any(c.isspace() or ord(c) < 32 or c in "<>\"'`\\" for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in SAFE_SCHEMES and parts.netloc else None


class ChatNames:
    """Names for the ids in chat text: a channel's SupportChannel name, a user's person. Cached per page."""

    def __init__(self):
        self._channels: dict[tuple[str, str], str | None] = {}
        self._users: dict[tuple[str, str], str | None] = {}

    def channel(self, platform: str, channel_id: str) -> str | None:
        key = (platform, channel_id)
        if key not in self._channels:
            try:
                from chatops.support.models import SupportChannel
            except ImportError:  # pragma: no cover - the support plugin ships with the core
                return None
            row = SupportChannel.get_or_none((SupportChannel.platform == platform)
                                             & (SupportChannel.channel_id == channel_id))
            self._channels[key] = row.name if row is not None else None
        return self._channels[key]

    def user(self, platform: str, user_id: str) -> str | None:
        key = (platform, user_id)
        if key not in self._users:
            row = (Identity.select(Identity, Person).join(Person)
                   .where((Identity.platform == platform) & (Identity.user_id == user_id)).first())
            self._users[key] = (row.person.name or row.display_name or None) if row is not None else None
        return self._users[key]


def _token_html(m: re.Match, platform: str, names: ChatNames) -> Markup | str:
    """One token as HTML (Markup), or as ``str`` text that will be escaped like the rest."""
    if m.group("code") is not None:
        return Markup("<code>{}</code>").format(m.group("code"))
    if m.group("user") is not None:
        uid = m.group("user")
        name = names.user(platform, uid) or m.group("user_label") or uid
        return Markup('<span class="chat-mention" title="{}">@{}</span>').format(f"{platform}:{uid}", name)
    if m.group("role") is not None:
        return Markup('<span class="chat-mention" title="role {}">@role</span>').format(m.group("role"))
    if m.group("channel") is not None:
        cid = m.group("channel")
        name = names.channel(platform, cid) or m.group("channel_label") or cid
        return Markup('<span class="chat-channel" title="{}">#{}</span>').format(cid, name)
    if m.group("broadcast") is not None:
        return Markup('<span class="chat-mention">@{}</span>').format(m.group("broadcast"))
    if m.group("link") is not None:
        url = safe_url(m.group("link"))
        if url is None:
            return m.group(0)  # javascript:, data:, mailto: …: shown as the text it is
        label = m.group("link_label") or url
        return Markup('<a href="{}" rel="noopener noreferrer nofollow" target="_blank">{}</a>').format(url, label)
    url = m.group("url")
    while url and url[-1] in _TRAILING and not (url[-1] == ")" and url.count("(") >= url.count(")")):
        url = url[:-1]
    if safe_url(url) is None:
        return m.group(0)
    link = Markup('<a href="{}" rel="noopener noreferrer nofollow" target="_blank">{}</a>').format(url, url)
    return link + m.group(0)[len(url):]  # trailing punctuation: text (escaped by Markup's +)


def mrkdwn(text: str | None, platform: str = "slack", names: ChatNames | None = None) -> Markup:
    """Chat text (Slack mrkdwn / Discord markdown, the core's plain text) as safe HTML.

    Channel ids become ``#name`` (the SupportChannel's), user ids ``@Person Name``, ```code``` ``<code>``,
    ``*bold*`` / ``**bold**`` ``<strong>``, ``<https://…|label>`` and bare http(s) URLs links (rel=noopener);
    any other scheme stays text. Everything else is escaped: nothing in ``text`` becomes markup.
    """
    names = names or ChatNames()
    text = (text or "").replace("\ue000", "").replace("\ue001", "")
    pieces: list[Markup] = []
    parts: list[str] = []
    pos = 0
    for m in _TOKEN.finditer(text):
        parts.append(text[pos:m.start()])
        html = _token_html(m, platform, names)
        if isinstance(html, Markup):
            parts.append(f"\ue000{len(pieces)}\ue001")
            pieces.append(html)
        else:
            parts.append(html)
        pos = m.end()
    parts.append(text[pos:])
    html = str(escape("".join(parts)))
    html = _STRONG2.sub(r"<strong>\1</strong>", html)
    html = _STRONG.sub(r"<strong>\1</strong>", html)
    return Markup(_PLACEHOLDER.sub(lambda m: str(pieces[int(m.group(1))]), html))


def outbox_posts(correlation_ids, after_id: int, names: ChatNames | None = None) -> list[dict]:
    """The messages a run enqueued to other channels: outbox rows newer than ``after_id`` carrying one of
    ``correlation_ids`` (the reply's; a press's action's), oldest first, with their channel's name."""
    names = names or ChatNames()
    cids = sorted({c for c in correlation_ids if c})
    if not cids:
        return []
    rows = (OutboundMessage.select()
            .where(OutboundMessage.correlation_id.in_(cids) & (OutboundMessage.id > after_id))
            .order_by(OutboundMessage.id).limit(MAX_POSTS))
    return [{"platform": row.platform, "channel_id": row.channel_id,
             "channel_name": names.channel(row.platform, row.channel_id), "thread_id": row.thread_id,
             "edits": row.edits, "state": row.state, "reply": Reply.from_dict(row.reply or {})}
            for row in rows]


def last_outbox_id() -> int:
    return OutboundMessage.select(fn.MAX(OutboundMessage.id)).scalar() or 0


class PlaygroundError(ValueError):
    """Shown on the page; ``status`` 400 (nothing to run) or 403 (not this panel user's to run as)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def persona_key(role: str, community: str) -> str:
    return f"web:{PERSONA_PREFIX}{role}-{community}"[:80]


@lru_cache(maxsize=1)
def demo_identities() -> frozenset[str]:
    """The identities ``chatops demo`` seeds (chatops.demo.PEOPLE), without the console's local admin."""
    try:
        from chatops.demo import PEOPLE
    except ImportError:  # pragma: no cover - the core always ships it
        return frozenset()
    return frozenset(key for *_, keys in PEOPLE for key in keys) - {LOCAL_ADMIN}


GROUPS = PLAYGROUND_GROUPS  # demo, personas, self, all


def check_allowed(allowed: frozenset[str]) -> frozenset[str]:
    """CHATOPS_ADMIN_PLAYGROUND_AS as given, or ValueError naming an entry that is neither a group nor an
    identity (``platform:user_id``). ``Settings.from_env`` checks it already; this covers settings built in
    code."""
    try:
        return playground_identities(",".join(sorted(allowed)))
    except ValueError as exc:
        raise ValueError(f"CHATOPS_ADMIN_PLAYGROUND_AS must be {exc}") from None


def may_play(key: str, allowed: frozenset[str], *, person_id: int | None = None,
             own_person_id: int | None = None) -> bool:
    """May the playground run as identity ``key`` (``platform:user_id``, of the chat person ``person_id``) under
    CHATOPS_ADMIN_PLAYGROUND_AS, for a panel user linked to the chat person ``own_person_id`` (None: unlinked)?"""
    if key in allowed:
        return True  # listed by name: the only way to allow console:local
    if key == LOCAL_ADMIN:
        return False
    if "all" in allowed:
        return True
    if "self" in allowed and own_person_id is not None and person_id == own_person_id:
        return True
    if "demo" in allowed and key in demo_identities():
        return True
    return "personas" in allowed and key.startswith(f"web:{PERSONA_PREFIX}")


def linked_to_someone_else(person_id: int | None, user) -> bool:
    """Is chat person ``person_id`` the linked person of another panel user than ``user``?"""
    if person_id is None:
        return False
    others = AdminUser.select().where(AdminUser.person == person_id)
    if user is not None:
        others = others.where(AdminUser.id != user.id)
    return others.exists()


def chat_admin_people() -> set[int]:
    return {pid for (pid,) in PersonRole.select(PersonRole.person).join(Role)
            .where(Role.slug == CHAT_ADMIN_ROLE).tuples()}


def requested_in_playground(user, correlation_id: str) -> bool:
    """Did this panel user run, or press a button of, the request with this correlation id in the playground?

    Presses on an approval request itself (Approve, Reject, Withdraw) do not count: they decide it.
    """
    if user is None or not correlation_id:
        return True
    rows = (AuditEvent.select(AuditEvent.actor, AuditEvent.arguments)
            .where((AuditEvent.correlation_id == correlation_id) & AuditEvent.command.in_(PLAYGROUND_EVENTS)))
    for actor, arguments in rows.tuples():
        try:
            args = json.loads(arguments or "{}")
        except ValueError:
            args = {}
        if args.get("action_kind") == "approval":
            continue
        panel_user_id = args.get("panel_user_id")
        if panel_user_id == user.id or (panel_user_id is None and actor == f"admin:{user.username}"):
            return True
    return False


def ensure_persona(role_slug: str, community_slug: str, actor: str) -> Identity:
    """The test persona for a role in a community: exactly that role and that membership."""
    role = Role.get_or_none(Role.slug == role_slug)
    community = Community.get_or_none(Community.slug == community_slug)
    if role is None or community is None:
        raise PlaygroundError("Pick an existing role and community for the test persona.")
    platform, user_id = persona_key(role.slug, community.slug).split(":", 1)
    with atomic():
        found = identity.find_identity(platform, user_id)
        if found is not None:
            return found
        person = Person.create(name=f"Playground {role.slug} @ {community.slug}")
        found = Identity.create(platform=platform, user_id=user_id, person=person, display_name=person.name)
        PersonRole.create(person=person, role=role)
        Membership.create(person=person, community=community)
        audit.record(correlation_id=secrets.token_hex(6), actor=actor, platform="web",
                     command="admin.playground.persona",
                     arguments={"identity": f"{platform}:{user_id}", "role": role.slug, "community": community.slug},
                     outcome="executed")
    return found


class PlaygroundView(PanelAccessMixin, BaseView):
    view_role = "editor"

    @staticmethod
    def _allowed() -> frozenset[str]:
        return state().chatops_app.settings.admin.playground_as

    @staticmethod
    def _own_person_id() -> int | None:
        """The chat person linked to the signed-in panel user (``self``), or None."""
        user = current_user()
        return user.person_id if user is not None else None

    def _identities(self):
        allowed, own = self._allowed(), self._own_person_id()
        query = Identity.select(Identity, Person).join(Person)
        if "all" not in allowed:
            named = {key.partition(":")[2] for key in allowed | (demo_identities() if "demo" in allowed else set())
                     if ":" in key}
            condition = Identity.user_id.in_(sorted(named) or [""])
            if "personas" in allowed:
                condition |= (Identity.platform == "web") & Identity.user_id.startswith(PERSONA_PREFIX)
            if "self" in allowed and own is not None:
                condition |= Identity.person == own
            query = query.where(condition)
        admins = set() if has_role(current_user(), "admin") else chat_admin_people()
        # The panel user's own identities first (labelled "you" in the list), then the rest.
        rows = query.order_by(Identity.platform, Identity.user_id).limit(MAX_IDENTITIES)
        playable = [i for i in rows if may_play(f"{i.platform}:{i.user_id}", allowed, person_id=i.person_id,
                                                own_person_id=own) and i.person_id not in admins]
        return sorted(playable, key=lambda i: own is None or i.person_id != own)

    def _page(self, reply: Reply | None = None, error: str | None = None, status: int = 200,
              posts: list[dict] | None = None, **chosen):
        defaults = {"as_": "", "community": "", "channel": "", "text": "", "role": ""}
        defaults.update({k: v for k, v in chosen.items() if v is not None})
        names = ChatNames()
        platform = defaults["as_"].partition(":")[0] or "slack"
        if reply is not None and not posts:  # a replayed reply enqueued nothing now: show what it posted
            posts = [{"platform": p.destination.platform, "channel_id": p.destination.channel_id,
                      "channel_name": names.channel(p.destination.platform, p.destination.channel_id),
                      "thread_id": p.thread_id, "edits": p.edits, "state": "", "reply": p.reply}
                     for p in reply.posts]
        return self.render(
            "chatops_admin/playground.html",
            identities=self._identities(), communities=list(Community.select().order_by(Community.slug)),
            roles=list(Role.select().order_by(Role.slug)), reply=reply, error=error, chosen=defaults,
            posts=posts or [], platform=platform, csrf_form=CsrfForm(),
            own_person_id=self._own_person_id() if "self" in self._allowed() else None,
            chat=lambda text, on=None: mrkdwn(text, on or platform, names),
        ), status

    @expose("/")
    def index(self):
        return self._page(as_=request.args.get("as", ""), text=request.args.get("text", ""))

    def _check_allowed(self, key: str, person_id: int | None, role_slug: str | None = None) -> None:
        allowed = self._allowed()
        if not may_play(key, allowed, person_id=person_id, own_person_id=self._own_person_id()):
            shown = ", ".join(sorted(allowed)) or "nothing"
            whose = (" It is another panel user's linked chat person; `self` is only your own."
                     if "self" in allowed and linked_to_someone_else(person_id, current_user()) else "")
            raise PlaygroundError(f"The playground may not run as {key!r}: CHATOPS_ADMIN_PLAYGROUND_AS allows "
                                  f"{shown}.{whose}", status=403)
        chat_admin = role_slug == CHAT_ADMIN_ROLE or (person_id is not None and person_id in chat_admin_people())
        if chat_admin and not has_role(current_user(), "admin"):
            raise PlaygroundError(f"{key!r} holds the chat {CHAT_ADMIN_ROLE!r} role: only a panel admin may run "
                                  "commands as it.", status=403)

    def _invocation(self, form) -> tuple[Invocation, dict]:
        as_ = (form.get("as") or "").strip()
        community_slug = (form.get("community") or "").strip()
        role_slug = (form.get("role") or "").strip()
        channel = (form.get("channel") or "").strip() or None
        if not as_:
            if not role_slug or not community_slug:
                raise PlaygroundError("Pick an identity, or a role and a community for a test persona.")
            self._check_allowed(persona_key(role_slug, community_slug), None, role_slug)
            as_ = str(ensure_persona(role_slug, community_slug, actor_label()))
        platform, _, user_id = as_.partition(":")
        ident = identity.find_identity(platform, user_id) if user_id else None
        if ident is None:
            raise PlaygroundError(f"There is no identity {as_!r}; pick one from the list.")
        self._check_allowed(f"{ident.platform}:{ident.user_id}", ident.person_id)
        workspace = None
        if community_slug:
            link = (CommunityLink.select().join(Community)
                    .where((Community.slug == community_slug) & (CommunityLink.platform == platform)).first())
            if link is not None:
                workspace = link.external_id
            elif not role_slug:
                raise PlaygroundError(f"Community {community_slug!r} has no {platform} workspace; "
                                      "pick another community or none.")
        inv = Invocation(platform=platform, user_id=user_id, community_id=workspace, channel_id=channel,
                         is_direct=channel is None, display_name=ident.display_name or None,
                         received_at=state().clock(), text=(form.get("text") or ""))
        return inv, {"as_": as_, "community": community_slug, "channel": channel or "", "role": role_slug}

    def _checked(self):
        if not CsrfForm(request.form).validate():
            abort(400, "missing or expired CSRF token")

    @staticmethod
    def _panel_user() -> dict:
        user = current_user()
        return {"panel_user_id": user.id if user else None, "panel_user": user.username if user else ""}

    @expose("/run", methods=("POST",))
    def run(self):
        self._checked()
        text = (request.form.get("text") or "").strip()
        try:
            if not text:
                raise PlaygroundError("Type a command, like `help` or `whoami`.")
            inv, chosen = self._invocation(request.form)
        except PlaygroundError as exc:
            return self._page(error=str(exc), status=exc.status, text=text, as_=request.form.get("as"),
                              community=request.form.get("community"), role=request.form.get("role"))
        before = last_outbox_id()
        reply = state().chatops_app.router.handle(inv)
        posts = outbox_posts([reply.correlation_id], before)
        audit.record(correlation_id=reply.correlation_id or secrets.token_hex(6), actor=actor_label(), platform="web",
                     command="admin.playground.run",
                     arguments={"as": chosen["as_"], "command": text.split()[0][:64], "community": chosen["community"],
                                **self._panel_user()},
                     outcome="executed", detail="ran a command in the playground", at=state().clock())
        return self._page(reply=reply, text=text, posts=posts, **chosen)

    @expose("/press", methods=("POST",))
    def press(self):
        self._checked()
        ref = (request.form.get("action_ref") or "").strip()
        try:
            if not ref:
                raise PlaygroundError("That button carries no action.")
            inv, chosen = self._invocation(request.form)
        except PlaygroundError as exc:
            return self._page(error=str(exc), status=exc.status)
        # The same parse as the router's: "<token>.<verb>".
        token, _, verb = ref.rpartition(".")
        action = PendingAction.get_or_none(PendingAction.token == token) if token and len(token) <= 64 else None
        arguments = {"as": chosen["as_"], "button": (request.form.get("label") or "")[:64],
                     "action_kind": action.kind if action else "", "verb": verb[:32], **self._panel_user()}
        if (action is not None and action.kind == "approval" and verb != "withdraw"
                and requested_in_playground(current_user(), action.correlation_id)):
            message = ("Two-person rule: you requested this change in the playground, so another panel user (or "
                       "an approver in chat) must approve or reject it, whichever identity you pick here.")
            audit.record(correlation_id=action.correlation_id, actor=actor_label(), platform="web",
                         command="admin.playground.press", arguments=arguments, outcome="denied",
                         detail="refused: the panel user requested this change in the playground", at=state().clock())
            return self._page(error=message, status=403, text=request.form.get("text", ""), **chosen)

        def record(correlation_id: str) -> None:
            audit.record(correlation_id=correlation_id, actor=actor_label(), platform="web",
                         command="admin.playground.press", arguments=arguments, outcome="executed",
                         detail="pressed a button in the playground", at=state().clock())

        if action is not None:
            record(action.correlation_id)  # on record before the router acts (a Confirm may request an approval)
        before = last_outbox_id()
        reply = state().chatops_app.router.handle_action(ref, inv)
        posts = outbox_posts([reply.correlation_id, action.correlation_id if action else None], before)
        if action is None:
            record(reply.correlation_id or secrets.token_hex(6))
        if reply.replayed:
            flash("That reply was replayed from an earlier delivery.", "info")
        return self._page(reply=reply, text=request.form.get("text", ""), posts=posts, **chosen)
