"""The playground: run any command through the real router as a chosen identity, with working buttons.

    /admin/playground/          pick an identity (or a test persona: a role in a community), type a command
    POST /admin/playground/run  router.handle(Invocation(...)) → the reply rendered as HTML
    POST /admin/playground/press router.handle_action("<token>.<verb>", Invocation(...))

The invocation uses the identity's own platform and user id, and the chosen
community's workspace id on that platform (its Slack team or Discord guild
id), so policies apply exactly as they would in chat. The router audits the
command under that identity; the panel adds an ``admin.playground.run`` /
``admin.playground.press`` event naming the admin and the correlation id.
A test persona is a real Person (``web:playground-<role>-<community>``) holding
only that role and membership, created on first use (audited).
"""
from __future__ import annotations

import re
import secrets

from flask import abort, flash, request
from flask_admin import BaseView, expose
from markupsafe import Markup, escape

from admin.auditing import PanelAccessMixin
from admin.auth import CsrfForm, actor_label, state
from chatops import audit, identity
from chatops.db import atomic
from chatops.invocation import Invocation
from chatops.models import Community, CommunityLink, Identity, Membership, Person, PersonRole, Role
from chatops.reply import Reply

MAX_IDENTITIES = 500
_CODE = re.compile(r"`([^`\n]+)`")
_BOLD = re.compile(r"\*([^*\n]+)\*")


def mrkdwn(text: str) -> Markup:
    """Escape first, then turn `code` and *bold* into tags: nothing in ``text`` becomes markup."""
    html = str(escape(text))
    html = _CODE.sub(r"<code>\1</code>", html)
    html = _BOLD.sub(r"<strong>\1</strong>", html)
    return Markup(html)


class PlaygroundError(ValueError):
    pass


def persona_key(role: str, community: str) -> str:
    return f"web:playground-{role}-{community}"[:80]


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

    def _identities(self):
        return list(Identity.select(Identity, Person).join(Person)
                    .order_by(Identity.platform, Identity.user_id).limit(MAX_IDENTITIES))

    def _page(self, reply: Reply | None = None, error: str | None = None, status: int = 200, **chosen):
        defaults = {"as_": "", "community": "", "channel": "", "text": "", "role": ""}
        defaults.update({k: v for k, v in chosen.items() if v is not None})
        return self.render(
            "chatops_admin/playground.html",
            identities=self._identities(), communities=list(Community.select().order_by(Community.slug)),
            roles=list(Role.select().order_by(Role.slug)), reply=reply, error=error, chosen=defaults,
            mrkdwn=mrkdwn, csrf_form=CsrfForm(),
        ), status

    @expose("/")
    def index(self):
        return self._page(as_=request.args.get("as", ""), text=request.args.get("text", ""))

    def _invocation(self, form) -> tuple[Invocation, dict]:
        as_ = (form.get("as") or "").strip()
        community_slug = (form.get("community") or "").strip()
        role_slug = (form.get("role") or "").strip()
        channel = (form.get("channel") or "").strip() or None
        if not as_:
            if not role_slug or not community_slug:
                raise PlaygroundError("Pick an identity, or a role and a community for a test persona.")
            as_ = str(ensure_persona(role_slug, community_slug, actor_label()))
        platform, _, user_id = as_.partition(":")
        ident = identity.find_identity(platform, user_id) if user_id else None
        if ident is None:
            raise PlaygroundError(f"There is no identity {as_!r}; pick one from the list.")
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

    @expose("/run", methods=("POST",))
    def run(self):
        self._checked()
        text = (request.form.get("text") or "").strip()
        try:
            if not text:
                raise PlaygroundError("Type a command, like `help` or `whoami`.")
            inv, chosen = self._invocation(request.form)
        except PlaygroundError as exc:
            return self._page(error=str(exc), status=400, text=text, as_=request.form.get("as"),
                              community=request.form.get("community"), role=request.form.get("role"))
        reply = state().chatops_app.router.handle(inv)
        audit.record(correlation_id=reply.correlation_id or secrets.token_hex(6), actor=actor_label(), platform="web",
                     command="admin.playground.run",
                     arguments={"as": chosen["as_"], "command": text.split()[0][:64], "community": chosen["community"]},
                     outcome="executed", detail="ran a command in the playground", at=state().clock())
        return self._page(reply=reply, text=text, **chosen)

    @expose("/press", methods=("POST",))
    def press(self):
        self._checked()
        ref = (request.form.get("action_ref") or "").strip()
        try:
            if not ref:
                raise PlaygroundError("That button carries no action.")
            inv, chosen = self._invocation(request.form)
        except PlaygroundError as exc:
            return self._page(error=str(exc), status=400)
        reply = state().chatops_app.router.handle_action(ref, inv)
        audit.record(correlation_id=reply.correlation_id or secrets.token_hex(6), actor=actor_label(), platform="web",
                     command="admin.playground.press",
                     arguments={"as": chosen["as_"], "button": (request.form.get("label") or "")[:64]},
                     outcome="executed", detail="pressed a button in the playground", at=state().clock())
        if reply.replayed:
            flash("That reply was replayed from an earlier delivery.", "info")
        return self._page(reply=reply, text=request.form.get("text", ""), **chosen)
