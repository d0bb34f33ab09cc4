"""Fixtures for the admin panel tests: a runner with a Flask app, panel users and a signed-in client."""
from __future__ import annotations

import re

import pytest

from adapters.web import create_app
from admin.security import create_user
from chatops.builtin import commands as builtin_commands
from chatops.commands import Category, CommandGroup
from chatops.context import Context
from chatops.reply import Reply
from chatops.settings import Settings

PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')

demo_group = CommandGroup("admin-tests")


@demo_group.command(category=Category.INTERNAL_TASK, mutates=True)
def rename_thing(ctx: Context, thing: str, name: str) -> Reply:
    """Rename a thing (a test command with a Confirm button)."""
    ctx.confirm(f"Rename {thing}", changes=[("name", "old", name)])
    return Reply.text(f"Renamed {thing} to {name}", style="success")


def csrf(html: str) -> str:
    match = CSRF.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


class Panel:
    def __init__(self, runner, settings_env: dict | None = None):
        self.runner = runner
        self.app = create_app(runner.app)
        self.app.config["TESTING"] = True

    def client(self):
        return self.app.test_client()

    def user(self, username: str, role: str):
        return create_user(username, PASSWORD, role=role, by="test")

    def login(self, username: str, role: str | None = None, password: str = PASSWORD):
        if role:
            self.user(username, role)
        client = self.client()
        token = csrf(client.get("/admin/login").text)
        resp = client.post("/admin/login", data={"csrf_token": token, "username": username, "password": password})
        assert resp.status_code == 302, resp.text
        return client


def page_token(client, url: str = "/admin/") -> str:
    return csrf(client.get(url).text)


@pytest.fixture
def panel(make_runner):
    runner = make_runner(builtin_commands, demo_group, builtins=False,
                         settings=Settings.from_env({"CHATOPS_SECRET_KEY": "test-secret"}))
    return Panel(runner)
