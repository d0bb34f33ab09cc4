"""Sign-in, sessions, cookies, lockout and CSRF."""
from __future__ import annotations

from admin.models import AdminLoginAttempt, AdminSession
from chatops.models import AuditEvent, Tier

from .conftest import PASSWORD, csrf, page_token

ANON_SKIP = ("/admin/login", "/admin/logout", "/admin/static", "/admin/_assets")


def admin_urls(app):
    for rule in app.url_map.iter_rules():
        path = rule.rule
        if not path.startswith("/admin") or path.startswith(ANON_SKIP):
            continue
        path = path.replace("<export_type>", "csv").replace("<path:filename>", "x")
        yield path, rule.methods


def test_every_view_sends_anonymous_users_to_sign_in(panel):
    client = panel.client()
    checked = 0
    for path, methods in admin_urls(panel.app):
        method = "GET" if "GET" in methods else "POST"
        resp = client.open(path + "?id=1", method=method)
        assert resp.status_code == 302, (method, path, resp.status_code)
        assert resp.location.startswith("/admin/login"), (path, resp.location)
        checked += 1
    assert checked > 40  # index, every model view's list/new/edit/details/delete/action/export, playground, audit


def test_sign_in_then_sign_out_ends_the_server_session(panel):
    panel.user("ana", "viewer")
    client = panel.client()
    assert client.get("/admin/").status_code == 302
    resp = client.post("/admin/login", data={"csrf_token": page_token(client, "/admin/login"),
                                             "username": "ana", "password": PASSWORD, "next": "/admin/tier/"})
    assert resp.status_code == 302 and resp.location == "/admin/tier/"
    cookie = client.get_cookie("chatops_session")
    assert client.get("/admin/").status_code == 200
    assert AdminSession.select().where(AdminSession.ended_at.is_null()).count() == 1
    resp = client.post("/admin/logout", data={"csrf_token": page_token(client)})
    assert resp.status_code == 302 and resp.location.startswith("/admin/login")
    assert client.get("/admin/").status_code == 302
    # A copy of the old cookie is worthless: the server ended the session.
    other = panel.client()
    other.set_cookie(cookie.key, cookie.value)
    assert other.get("/admin/").status_code == 302
    commands = [e.command for e in AuditEvent.select().order_by(AuditEvent.seq)]
    assert "admin.login" in commands and "admin.logout" in commands


def test_sign_in_starts_a_fresh_session(panel):
    panel.user("ana", "viewer")
    client = panel.client()
    client.get("/admin/login")
    before = client.get_cookie("chatops_session").value  # the anonymous session holding the CSRF secret
    client.post("/admin/login", data={"csrf_token": page_token(client, "/admin/login"), "username": "ana",
                                      "password": PASSWORD})
    after = client.get_cookie("chatops_session").value
    assert after != before
    from flask.sessions import SecureCookieSessionInterface
    data = SecureCookieSessionInterface().get_signing_serializer(panel.app).loads(after)
    assert set(data) == {"chatops_admin_token"}  # nothing from before the sign-in survived


def test_open_redirects_are_refused(panel):
    panel.user("ana", "viewer")
    client = panel.client()
    resp = client.post("/admin/login", data={"csrf_token": page_token(client, "/admin/login"), "username": "ana",
                                             "password": PASSWORD, "next": "https://evil.example/admin"})
    assert resp.location == "/admin/"


def test_session_cookie_is_httponly_samesite_and_secure_over_https(panel):
    panel.user("ana", "viewer")
    for base, secure in (("http://localhost", False), ("https://localhost", True)):
        client = panel.client()
        token = csrf(client.get("/admin/login", base_url=base).text)
        resp = client.post("/admin/login", base_url=base, data={"csrf_token": token, "username": "ana",
                                                                  "password": PASSWORD})
        header = resp.headers["Set-Cookie"]
        assert "HttpOnly" in header and "SameSite=Lax" in header
        assert ("Secure" in header) is secure


def test_wrong_password_is_refused_and_audited(panel):
    panel.user("ana", "admin")
    client = panel.client()
    resp = client.post("/admin/login", data={"csrf_token": page_token(client, "/admin/login"), "username": "ana",
                                             "password": "wrong password!"})
    assert resp.status_code == 401
    assert "Wrong username or password" in resp.text
    assert client.get("/admin/").status_code == 302
    last = AuditEvent.select().order_by(AuditEvent.seq.desc()).first()
    assert (last.command, last.outcome, last.actor) == ("admin.login", "denied", "admin:ana")
    # An unknown user gets the very same answer.
    resp = client.post("/admin/login", data={"csrf_token": page_token(client, "/admin/login"), "username": "nobody",
                                             "password": "wrong password!"})
    assert resp.status_code == 401 and "Wrong username or password" in resp.text


def test_lockout_after_repeated_failures_then_unlock_after_the_window(panel):
    panel.user("ana", "admin")
    client = panel.client()

    def attempt(password):
        return client.post("/admin/login", data={"csrf_token": page_token(client, "/admin/login"),
                                                 "username": "ana", "password": password})

    for _ in range(4):
        assert attempt("not the password").status_code == 401
    assert attempt("not the password").status_code == 429  # the 5th failure locks
    resp = attempt(PASSWORD)  # even the right password is refused while locked
    assert resp.status_code == 429 and "Too many failed sign-ins" in resp.text
    assert client.get("/admin/").status_code == 302
    panel.runner.clock.advance(minutes=16)
    assert attempt(PASSWORD).status_code == 302
    assert client.get("/admin/").status_code == 200
    outcomes = [a.outcome for a in AdminLoginAttempt.select().order_by(AdminLoginAttempt.id)]
    assert outcomes == ["failed"] * 5 + ["locked", "ok"]


def test_idle_sessions_expire(panel):
    client = panel.login("ana", "viewer")
    assert client.get("/admin/").status_code == 200
    panel.runner.clock.advance(minutes=61)
    assert client.get("/admin/").status_code == 302


def test_an_active_session_still_ends_at_its_absolute_lifetime(make_runner):
    """CHATOPS_ADMIN_SESSION_HOURS: kept busy (never idle), a session still ends that long after sign-in."""
    from chatops.builtin import commands as builtin_commands
    from chatops.settings import Settings

    from .conftest import Panel, demo_group

    panel = Panel(make_runner(builtin_commands, demo_group, builtins=False,
                              settings=Settings.from_env({"CHATOPS_SECRET_KEY": "test-secret",
                                                          "CHATOPS_ADMIN_SESSION_HOURS": "2"})))
    client = panel.login("ana", "viewer")
    for _ in range(3):  # 1 h 45 min of activity, a request every 35 minutes: inside both limits
        panel.runner.clock.advance(minutes=35)
        assert client.get("/admin/").status_code == 200
    panel.runner.clock.advance(minutes=14)  # 1 h 59 min after sign-in
    assert client.get("/admin/").status_code == 200
    panel.runner.clock.advance(minutes=2)   # 2 h 1 min: over the lifetime, though not idle
    assert client.get("/admin/").status_code == 302
    assert client.get("/admin/").status_code == 302  # and it stays ended


def test_post_without_csrf_token_is_refused(panel):
    client = panel.login("ed", "editor")
    tier = panel.runner.tier("general")
    resp = client.post("/admin/tier/new/", data={"slug": "x", "name": "X", "rank": "1", "cred_weight": "1"})
    assert resp.status_code == 200  # the form again, not a redirect to the new row
    assert Tier.select().where(Tier.slug == "x").count() == 0
    resp = client.post("/admin/tier/edit/?id=%d" % tier.id, data={"slug": "general", "name": "Changed", "rank": "0",
                                                                  "cred_weight": "1"})
    assert Tier.get_by_id(tier.id).name == "General"
    client.post("/admin/tier/delete/", data={"id": tier.id})
    client.post("/admin/tier/action/", data={"action": "delete", "rowid": [tier.id]})
    assert Tier.select().where(Tier.id == tier.id).count() == 1
    assert client.post("/admin/logout").status_code == 302 and client.get("/admin/").status_code == 200
    other = panel.client()
    assert other.post("/admin/login", data={"username": "ed", "password": PASSWORD}).status_code == 400
    assert not AuditEvent.select().where(AuditEvent.command.startswith("admin.tier")).exists()


def test_roles_gate_views_and_changes(panel):
    viewer = panel.login("vic", "viewer")
    editor = panel.login("ed", "editor")
    assert viewer.get("/admin/tier/").status_code == 200
    assert viewer.get("/admin/adminuser/").status_code == 403
    assert editor.get("/admin/adminuser/").status_code == 403
    assert viewer.get("/admin/playground/").status_code == 403
    assert editor.get("/admin/playground/").status_code == 200
    token = page_token(viewer, "/admin/tier/")
    viewer.post("/admin/tier/new/", data={"csrf_token": token, "slug": "v", "name": "V", "rank": "1", "cred_weight": "1"})
    assert not Tier.select().where(Tier.slug == "v").exists()
    token = page_token(editor, "/admin/tier/new/")
    editor.post("/admin/tier/new/", data={"csrf_token": token, "slug": "e", "name": "E", "rank": "1", "cred_weight": "1"})
    assert Tier.select().where(Tier.slug == "e").exists()
