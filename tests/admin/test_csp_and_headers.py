"""Every page of the panel carries a Content-Security-Policy without inline scripts (a nonce only for what
Flask-Admin inlines), and no page has an inline script, handler or style; plus the other security headers
and the favicon."""
from __future__ import annotations

import re

import pytest

from admin.headers import REWRITES
from chatops import audit

from .conftest import csrf

SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.S | re.I)
TAG = re.compile(r"<[a-zA-Z][^>]*>", re.S)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
STYLE_ATTR = re.compile(r"\sstyle\s*=", re.I)


def policy(resp) -> dict[str, list[str]]:
    header = resp.headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {resp.request.path}"
    out = {}
    for part in header.split(";"):
        name, *values = part.split()
        out[name] = values
    return out


def assert_strict_page(resp, where: str) -> None:
    csp = policy(resp)
    assert csp["default-src"] == ["'self'"], where
    assert csp["frame-ancestors"] == ["'none'"] and csp["object-src"] == ["'none'"], where
    assert csp["style-src"] == ["'self'"], where
    scripts = csp["script-src"]
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts and "'self'" in scripts, where
    nonces = {v[len("'nonce-"):-1] for v in scripts if v.startswith("'nonce-")}
    html = resp.get_data(as_text=True)
    for attrs, body in SCRIPT.findall(html):
        if "src=" in attrs or 'type="application/json"' in attrs:
            continue
        nonce = re.search(r'nonce="([^"]+)"', attrs)
        assert nonce and nonce.group(1) in nonces, f"inline script without the page's nonce in {where}: {body[:80]}"
    for tag in TAG.findall(html):
        assert not HANDLER.search(tag), f"inline handler in {where}: {tag[:120]}"
        assert not STYLE_ATTR.search(tag), f"inline style in {where}: {tag[:120]}"
    assert "<style" not in html.lower(), where
    assert resp.headers["X-Content-Type-Options"] == "nosniff", where
    assert resp.headers["X-Frame-Options"] == "DENY", where
    assert resp.headers["Referrer-Policy"] == "same-origin", where
    assert "Strict-Transport-Security" not in resp.headers, where  # plain http here


def pages(panel):
    """Every GET page: each model view's list, create, details and edit; dashboard, playground, home, 404."""
    runner = panel.runner
    runner.tier("premium", rank=10)
    runner.community("maker", tier="premium", slack_team="T1")
    runner.person("Sam Support", roles=["support"], identities=["slack:U0SAMSUPP"], communities=["maker"])
    audit.record(correlation_id="c1", actor="slack:U0SAMSUPP", command="ping", outcome="allowed")
    urls = ["/admin/", "/admin/dashboard/", "/admin/playground/", "/admin/no-such-page/"]
    for view in panel.app.extensions["admin"][0]._views:
        if not hasattr(view, "_filter_args"):
            continue
        base = f"/admin/{view.endpoint}/"
        urls.append(base)
        if getattr(view, "allow_create", view.can_create):
            urls.append(base + "new/")
        row = view.model.select().first()
        if row is not None:
            pk = row.get_id()
            urls.append(f"{base}details/?id={pk}")
            if getattr(view, "allow_edit", view.can_edit):
                urls.append(f"{base}edit/?id={pk}")
    return urls


@pytest.mark.filterwarnings("ignore:'DateTimeField' renders:DeprecationWarning")
def test_every_page_has_a_strict_policy_and_no_inline_code(panel):
    client = panel.login("root", "admin")
    checked = 0
    for url in pages(panel):
        resp = client.get(url)
        assert resp.status_code in (200, 404), (url, resp.status_code)
        assert_strict_page(resp, url)
        checked += 1
    assert checked > 40
    # The sign-in page and a date filter on the audit log (Flask-Admin's date pickers) too.
    assert_strict_page(panel.client().get("/admin/login"), "/admin/login")
    view = next(v for v in panel.app.extensions["admin"][0]._views if v.endpoint == "audit_event")
    date = next(i for i, f in enumerate(view._filters) if f.name == "Date" and "between" in str(f.operation()))
    resp = client.get(f"/admin/audit_event/?flt0_{view.get_filter_arg(date, view._filters[date])}="
                      "2026-01-01+00:00:00+to+2026-01-06+00:00:00")
    assert resp.status_code == 200
    assert_strict_page(resp, "audit log, date filter")


def test_flask_admins_inline_handlers_are_rewritten(panel):
    """The rewrites still match Flask-Admin's templates (a new Flask-Admin that changed them fails here)."""
    env = panel.app.jinja_env
    inner = env.loader.inner
    for template, rewrites in REWRITES.items():
        source = inner.get_source(env, template)[0]
        for old, _new in rewrites:
            assert old in source, f"{template} no longer has {old!r}: update admin/headers.py REWRITES"
    client = panel.login("ed", "editor")
    panel.runner.tier("gold")
    page = client.get("/admin/tier/").text
    assert 'data-model-action="delete"' in page and 'data-confirm="Are you sure' in page
    assert "onclick" not in page
    assert "/admin/_assets/panel.js" in page and "/admin/_assets/panel.css" in page


def test_hsts_over_https_only(panel):
    client = panel.client()
    resp = client.get("/admin/login", base_url="https://localhost")
    assert resp.headers["Strict-Transport-Security"] == "max-age=31536000"
    token = csrf(resp.text)
    assert token
    assert "Strict-Transport-Security" not in client.get("/admin/login").headers


def test_static_files_are_cacheable_and_nosniff(panel):
    client = panel.client()
    with client.get("/admin/_assets/panel.js") as resp:
        assert resp.status_code == 200 and "no-store" not in resp.headers.get("Cache-Control", "")
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
    resp = client.get("/admin/login")
    assert resp.headers["Cache-Control"] == "no-store"


def test_favicon(panel):
    with panel.client().get("/favicon.ico") as resp:
        assert resp.status_code == 200 and resp.mimetype == "image/vnd.microsoft.icon"
        assert resp.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert 'rel="icon" href="/favicon.ico"' in panel.client().get("/admin/login").text
