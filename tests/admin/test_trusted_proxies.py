"""CHATOPS_TRUSTED_PROXIES: behind a reverse proxy, sign-ins are throttled by the real client address (werkzeug's
ProxyFix); without it, X-Forwarded-For is ignored (a client cannot choose its address)."""
from __future__ import annotations

from admin.models import AdminLoginAttempt
from chatops.settings import Settings

from .conftest import Panel, csrf


def _fail_from(panel, forwarded: str) -> str:
    client = panel.client()
    token = csrf(client.get("/admin/login", environ_base={"REMOTE_ADDR": "10.9.9.9"}).text)
    client.post("/admin/login", data={"csrf_token": token, "username": "ana", "password": "wrong password 1"},
                headers={"X-Forwarded-For": forwarded}, environ_base={"REMOTE_ADDR": "10.9.9.9"})
    return AdminLoginAttempt.select().order_by(AdminLoginAttempt.id.desc()).get().remote_addr


def test_behind_one_trusted_proxy_the_client_address_counts(make_runner):
    runner = make_runner(settings=Settings.from_env({"CHATOPS_SECRET_KEY": "k", "CHATOPS_TRUSTED_PROXIES": "1"}))
    panel = Panel(runner)
    panel.user("ana", "admin")
    assert _fail_from(panel, "203.0.113.7") == "203.0.113.7"


def test_without_trusted_proxies_a_forwarded_header_is_ignored(make_runner):
    runner = make_runner(settings=Settings.from_env({"CHATOPS_SECRET_KEY": "k"}))
    panel = Panel(runner)
    panel.user("ana", "admin")
    assert _fail_from(panel, "203.0.113.7") == "10.9.9.9"
