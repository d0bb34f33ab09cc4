"""Mount the admin panel on the Flask app: ``init_app(flask_app, chatops_app)`` (adapters/web.py calls it).

    from adapters.web import create_app
    flask_app = create_app()          # /admin is here when the admin package is installed

Flask-Admin (Bootstrap 4, assets from the wheel and admin/static: no CDN) over
the same peewee models. Every page needs a signed-in panel user; forms and
buttons carry CSRF tokens; the session cookie is HttpOnly, SameSite=Lax and
Secure over https.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

from flask import Flask, current_app, request, send_from_directory
from flask_admin import Admin, AdminIndexView, expose
from flask_admin.theme import Bootstrap4Theme

from admin.audit_view import AuditEventView
from admin.auditing import PanelAccessMixin
from admin.auth import PanelSessionInterface, PanelState, bp
from admin.headers import CspTemplateLoader, csp_nonce, secure_headers
from admin.playground import PlaygroundView, check_allowed
from admin.security import AuthPolicy
from admin.views import CORE_VIEWS
from chatops.models import AuditEvent
from chatops.plugins import load_all

log = logging.getLogger("chatops.admin")

# Views for tables other parts own: ``chatops.admin_views`` entry points, each add_views(admin).
VIEW_GROUP = "chatops.admin_views"


STATIC = Path(__file__).parent / "static"


def _favicon():
    return send_from_directory(STATIC, "favicon.ico", mimetype="image/vnd.microsoft.icon", max_age=86400)


class HomeView(PanelAccessMixin, AdminIndexView):
    @expose("/")
    def index(self):
        recent = list(AuditEvent.select().order_by(AuditEvent.seq.desc()).limit(10))
        return self.render("chatops_admin/index.html", recent=recent,
                           playground="playground" in current_app.blueprints, inbox="desk" in current_app.blueprints)


def init_app(flask_app: Flask, chatops_app, *, clock: Callable | None = None) -> Admin:
    settings = chatops_app.settings
    flask_app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                            SESSION_COOKIE_NAME="chatops_session")
    flask_app.session_interface = PanelSessionInterface(settings.admin.secure_cookie)
    export_max = settings.admin.export_max_rows
    flask_app.extensions["chatops_admin"] = PanelState(
        chatops_app=chatops_app, policy=AuthPolicy.from_settings(settings),
        clock=clock or chatops_app.router.clock, export_max_rows=export_max)
    flask_app.register_blueprint(bp)

    # Flask-Admin's templates without inline event handlers (see admin.headers), before any is loaded.
    if not isinstance(flask_app.jinja_env.loader, CspTemplateLoader):
        flask_app.jinja_env.loader = CspTemplateLoader(flask_app.jinja_env.loader)
    admin = Admin(flask_app, name="chatops", url="/admin", index_view=HomeView(name="Home", url="/admin"),
                  theme=Bootstrap4Theme(base_template="chatops_admin/base.html"), csp_nonce_generator=csp_nonce)
    for view, model, name, category in CORE_VIEWS:
        admin.add_view(view(model, name=name, category=category))
    admin.add_view(AuditEventView(AuditEvent, name="Audit log", endpoint="audit_event", export_max_rows=export_max))
    if settings.admin.playground == "on":  # off: no routes at all (404) and no menu entry
        check_allowed(settings.admin.playground_as)
        admin.add_view(PlaygroundView(name="Playground", endpoint="playground"))
    for _name, add_views in load_all(VIEW_GROUP):
        add_views(admin)

    @flask_app.after_request
    def _admin_headers(response):
        if request.path.startswith("/admin") or request.path == "/favicon.ico":
            secure_headers(response, static=request.path.startswith(("/admin/static", "/admin/_assets"))
                           or request.path == "/favicon.ico")
        return response

    if "favicon" not in flask_app.view_functions and not any(r.rule == "/favicon.ico"
                                                             for r in flask_app.url_map.iter_rules()):
        flask_app.add_url_rule("/favicon.ico", "favicon", _favicon)

    return admin
