"""The knowledge base in the panel: articles (edited and audited like every view) and "from a ticket".

Articles are searched in chat (`kb …`, and `/support` offers the best ones first) with the database's
full-text engine (chatops/support/search.py); the search index follows every edit here (SQLite
triggers, PostgreSQL expression index). ``POST /admin/kb_article/from-ticket/`` with ``ticket_id``
turns a resolved ticket's answer into an article in one step (editors), as `kb-from-ticket` does in chat.
"""
from __future__ import annotations

import secrets

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from wtforms import validators

from admin.auditing import AuditedModelView
from admin.auth import CsrfForm, actor_label, current_user, state
from admin.security import has_role
from chatops.commands import TicketType
from chatops.db import atomic
from chatops.errors import ChatOpsError
from chatops.models import Tier
from chatops.support import kb
from chatops.support.models import Article, Ticket
from chatops.support.tickets import Who

TYPES = tuple(t.value for t in TicketType)


def _listed(value: str) -> list[str]:
    return [v.strip().lower() for v in (value or "").split(",") if v.strip()]


def _known_types(form, field) -> None:
    unknown = [v for v in _listed(field.data) if v not in TYPES]
    if unknown:
        raise validators.ValidationError(f"unknown ticket type(s): {', '.join(unknown)}; use {', '.join(TYPES)}")


def _known_tiers(form, field) -> None:
    slugs = {t.slug.lower() for t in Tier.select(Tier.slug)}
    unknown = [v for v in _listed(field.data) if v not in slugs]
    if unknown:
        raise validators.ValidationError(f"unknown tier(s): {', '.join(unknown)}; tiers are {', '.join(sorted(slugs))}")


class ArticleView(AuditedModelView):
    column_list = ("id", "title", "tags", "ticket_types", "tiers", "published", "answered", "not_answered", "updated_at")
    column_labels = {"ticket_types": "For ticket types", "not_answered": "Not enough", "answered": "Answered it",
                     "source_ticket": "From ticket"}
    form_columns = ("title", "body", "tags", "ticket_types", "tiers", "published")
    column_searchable_list = ("title", "tags")
    column_filters = ("published",)
    column_sortable_list = ("id", "answered", "not_answered", "updated_at")
    form_args = {
        "ticket_types": {"validators": [_known_types], "description": "Comma-separated: " + ", ".join(TYPES) + "; empty: any."},
        "tiers": {"validators": [_known_tiers], "description": "Comma-separated tier slugs that may read it; empty: everyone."},
        "body": {"description": "Markdown: paragraphs, - bullets, `code`."},
    }
    form_widget_args = {"body": {"rows": 14}}

    def on_model_change(self, form, model, is_created):
        now = state().clock()
        model.updated_at = now
        if is_created:
            model.created_at = now
            model.author = actor_label()[:200]
        return super().on_model_change(form, model, is_created)

    @expose("/from-ticket/", methods=("POST",))
    def from_ticket_view(self):
        if not CsrfForm(request.form).validate():
            abort(400, "missing or expired CSRF token")
        user = current_user()
        if not has_role(user, "editor"):
            abort(403)
        raw = (request.form.get("ticket_id") or "").strip().lstrip("#")
        if not raw.isdigit() or len(raw) > 9:
            abort(400, "ticket_id must be a ticket number")
        ticket = Ticket.get_or_none(Ticket.id == int(raw))
        if ticket is None:
            abort(404, f"there is no ticket #{raw}")
        person = getattr(user, "person", None) if getattr(user, "person_id", None) else None
        who = Who(person, actor_label(user), platform="admin", is_staff=True)
        try:
            with atomic():
                article = kb.from_ticket(ticket, who, now=state().clock(), correlation_id=secrets.token_hex(6),
                                         title=(request.form.get("title") or "").strip() or None)
        except ChatOpsError as exc:
            flash(str(exc), "error")
            return redirect(url_for(".index_view"))
        flash(f"Article {article.ref} is published from ticket {ticket.ref}; edit it here.", "success")
        return redirect(url_for(".edit_view", id=article.id))


def add_views(admin) -> None:
    admin.add_view(ArticleView(Article, name="Knowledge base", endpoint="kb_article", category="Support"))
