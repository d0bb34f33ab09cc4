"""The panel's sign-in pages and request helpers (Flask side of :mod:`admin.security`).

    /admin/login    GET form, POST sign-in (CSRF-checked): a fresh session on success
    /admin/logout   POST (CSRF-checked): ends the server-side session and clears the cookie

``current_user()`` is the signed-in :class:`~admin.models.AdminUser` or None;
views call ``require(role)`` semantics through :mod:`admin.views.base`.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_admin.form import SecureForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import InputRequired, Length

from admin.formatting import iso
from admin.models import AdminUser
from admin.security import AuthPolicy, authenticate, end_session, session_user, start_session

bp = Blueprint("chatops_admin", __name__, url_prefix="/admin", template_folder="templates",
               static_folder="static", static_url_path="/_assets")

SESSION_KEY = "chatops_admin_token"
log = logging.getLogger("chatops.admin")


@dataclass
class PanelState:
    """What the panel keeps per Flask app (``flask_app.extensions["chatops_admin"]``)."""

    chatops_app: object
    policy: AuthPolicy
    clock: Callable
    export_max_rows: int


def state() -> PanelState:
    return current_app.extensions["chatops_admin"]


def now():
    return state().clock()


def current_user() -> AdminUser | None:
    if "chatops_admin_user" not in g:
        g.chatops_admin_user = session_user(session.get(SESSION_KEY), now=now(), policy=state().policy)
    return g.chatops_admin_user


def actor_label(user: AdminUser | None = None) -> str:
    user = user or current_user()
    return f"admin:{user.username}" if user else "admin:?"


class CsrfForm(SecureForm):
    """An empty form: just the CSRF token, for buttons that POST."""


class LoginForm(SecureForm):
    username = StringField("Username", validators=[InputRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[InputRequired(), Length(max=1024)])
    next = HiddenField()


def safe_next(target: str | None) -> str:
    """Only same-site paths under /admin: never an open redirect."""
    default = url_for("admin.index")
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/admin") or target.startswith("//") or "\\" in target:
        return default
    return target


_proxy_warned: list[bool] = []


def _remote_addr() -> str:
    """The client's address, which sign-ins are throttled by. Behind a reverse proxy every request comes
    from the proxy, unless the app is wrapped in werkzeug's ProxyFix (which says so in the environ)."""
    if (not _proxy_warned and request.headers.get("X-Forwarded-For")
            and "werkzeug.proxy_fix.orig" not in request.environ):
        _proxy_warned.append(True)
        log.warning("admin panel: requests carry X-Forwarded-For but the app is not wrapped in werkzeug's "
                    "ProxyFix, so sign-ins are throttled by the proxy's address %s, shared by every client "
                    "(see docs/admin.md, Security)", request.remote_addr)
    return request.remote_addr or ""


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm(request.form if request.method == "POST" else None)
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
        if current_user() is not None:
            return redirect(safe_next(form.next.data))
        return render_template("chatops_admin/login.html", form=form, error=None)
    if not form.validate():
        error = "Your sign-in form expired; please try again." if "csrf_token" in form.errors else \
            "Enter a username and a password."
        return render_template("chatops_admin/login.html", form=form, error=error), 400
    result = authenticate(form.username.data, form.password.data, now=now(), policy=state().policy,
                          remote_addr=_remote_addr())
    if result.user is None:
        if result.outcome == "locked":
            minutes = max(1, int((result.retry_after.total_seconds() + 59) // 60)) if result.retry_after else 1
            error = (f"Too many failed sign-ins for this username from your address. "
                     f"Try again in {minutes} minute(s).")
            status = 429
        else:
            error = "Wrong username or password."
            status = 401
        form.password.data = ""
        return render_template("chatops_admin/login.html", form=form, error=error), status
    # A fresh session: nothing from before the sign-in survives (no session fixation).
    end_session(session.get(SESSION_KEY), now=now())
    session.clear()
    session[SESSION_KEY] = start_session(result.user, now=now(), remote_addr=_remote_addr())
    g.pop("chatops_admin_user", None)
    return redirect(safe_next(form.next.data))


@bp.route("/logout", methods=["POST"])
def logout():
    form = CsrfForm(request.form)
    if not form.validate():
        flash("Sign-out needs a valid form; please use the Sign out button.", "error")
        return redirect(url_for("admin.index"))
    end_session(session.get(SESSION_KEY), now=now())
    session.clear()
    g.pop("chatops_admin_user", None)
    response = redirect(url_for("chatops_admin.login"))
    return response


def server_now_iso() -> str:
    """The panel's clock as ISO 8601 UTC, for ``<meta name="chatops-server-now">``: admin/static/clock.js
    counts ages and SLA countdowns from it, so they tick right whatever the browser's clock says."""
    return iso(now())


@bp.app_context_processor
def _template_helpers():
    return {"chatops_admin_user": current_user, "chatops_csrf_form": CsrfForm, "chatops_server_now": server_now_iso}


class PanelSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, with a Secure flag that follows the request's scheme (``auto``)."""

    def __init__(self, mode: str = "auto") -> None:
        if mode not in ("auto", "always", "never"):
            raise ValueError("CHATOPS_ADMIN_SECURE_COOKIE must be auto, always or never")
        self.mode = mode

    def get_cookie_secure(self, app) -> bool:
        if self.mode == "always":
            return True
        if self.mode == "never":
            return False
        return bool(request and request.is_secure) or bool(app.config.get("SESSION_COOKIE_SECURE"))
