"""Security headers of the panel, and Flask-Admin's templates without inline event handlers.

Every response under /admin (and /favicon.ico) carries:

- ``Content-Security-Policy``: scripts only from this origin, plus a per-request nonce for the few
  ``<script>`` blocks Flask-Admin itself inlines (modal forms, maps; none of the panel's own pages use
  one); styles, images, fonts, forms and XHR only from this origin (images also ``data:``, which
  Bootstrap's CSS uses); no plugins, no ``<base>``, no framing (``frame-ancestors 'none'``).
  No ``'unsafe-inline'``, no ``'unsafe-eval'``.
- ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY``, ``Referrer-Policy: same-origin``,
  ``Cache-Control: no-store`` (not on static files), and ``Strict-Transport-Security`` when the request
  came over https (behind a proxy: when ProxyFix says so).

Flask-Admin's templates put a few handlers inline (``onclick="return modelActions.execute(…)"`` on the
"With selected" actions, ``onclick="return faHelpers.safeConfirm(…)"`` on a row's delete button,
``onclick="return false;"`` on the filter menu, ``onclick="faForm.addInlineField(…)"`` for inline
models): :class:`CspTemplateLoader` rewrites them into ``data-`` attributes as the templates load, and
``admin/static/panel.js`` does the same from a file. A test fails if Flask-Admin changes them.
"""
from __future__ import annotations

import secrets

from flask import g, request
from jinja2 import BaseLoader

NONCE_KEY = "chatops_csp_nonce"
HSTS = "max-age=31536000"

# template → (inline handler, its data- attribute), exactly as Flask-Admin 2.x writes them.
REWRITES: dict[str, tuple[tuple[str, str], ...]] = {
    "admin/actions.html": (
        ("onclick=\"return modelActions.execute('{{ p[0] }}');\"", 'data-model-action="{{ p[0] }}"'),
    ),
    "admin/model/row_actions.html": (
        ("onclick=\"return faHelpers.safeConfirm('{{ _gettext('Are you sure you want to delete this record?') }}');\"",
         "data-confirm=\"{{ _gettext('Are you sure you want to delete this record?') }}\""),
    ),
    "admin/model/layout.html": (
        (' onclick="return false;"', ""),
    ),
    "admin/model/inline_list_base.html": (
        ("onclick=\"faForm.addInlineField(this, '{{ field.id }}');\"", 'data-add-inline="{{ field.id }}"'),
    ),
}


class CspTemplateLoader(BaseLoader):
    """The app's template loader, with :data:`REWRITES` applied to Flask-Admin's templates."""

    def __init__(self, inner: BaseLoader) -> None:
        self.inner = inner

    def get_source(self, environment, template):
        source, filename, uptodate = self.inner.get_source(environment, template)
        for old, new in REWRITES.get(template, ()):
            source = source.replace(old, new)
        return source, filename, uptodate

    def list_templates(self):
        return self.inner.list_templates()


def csp_nonce() -> str:
    """This request's nonce (Flask-Admin's ``csp_nonce_generator``): the same for every tag of a page."""
    if NONCE_KEY not in g:
        setattr(g, NONCE_KEY, secrets.token_urlsafe(16))
    return getattr(g, NONCE_KEY)


def content_security_policy(nonce: str | None) -> str:
    script = "'self'" + (f" 'nonce-{nonce}'" if nonce else "")
    return "; ".join((
        "default-src 'self'", f"script-src {script}", "style-src 'self'", "img-src 'self' data:",
        "font-src 'self'", "connect-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'self'",
        "frame-ancestors 'none'",
    ))


def secure_headers(response, *, static: bool):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy(g.get(NONCE_KEY)))
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", HSTS)
    if not static:
        headers.setdefault("Cache-Control", "no-store")
    return response
