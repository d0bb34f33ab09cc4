"""The admin migration, `chatops admin` and the demo seeder."""
from __future__ import annotations

import re

import peewee
from click.testing import CliRunner

from admin import demo
from admin.cli import admin as admin_cli
from admin.models import AdminUser
from chatops import schema
from chatops.models import AuditEvent

from .conftest import csrf


def test_migration_applied_and_idempotent(panel):
    db = panel.runner.db
    assert {"admin_user", "admin_session", "admin_login_attempt"} <= set(db.get_tables())
    assert schema.upgrade(db) == []  # running again changes nothing
    assert "300_admin_users" not in schema.pending(db)
    index_columns = {tuple(i.columns) for i in db.get_indexes("admin_login_attempt")}
    assert ("username", "at") in index_columns


def test_cli_creates_users_and_refuses_bad_input(panel):
    cli = CliRunner()
    obj = {"app": panel.runner.app}
    result = cli.invoke(admin_cli, ["create-user", "ana", "--role", "editor", "--password", "long enough pw"], obj=obj)
    assert result.exit_code == 0, result.output
    assert AdminUser.get(AdminUser.username == "ana").role == "editor"
    assert AdminUser.get(AdminUser.username == "ana").password_hash.startswith("$argon2id$")
    result = cli.invoke(admin_cli, ["create-user", "ana", "--password", "long enough pw"], obj=obj)
    assert result.exit_code == 1 and "already a user" in result.output
    result = cli.invoke(admin_cli, ["create-user", "bo", "--password", "short"], obj=obj)
    assert result.exit_code == 1 and "at least 10" in result.output
    result = cli.invoke(admin_cli, ["list-users"], obj=obj)
    assert "ana" in result.output and "editor" in result.output
    assert AuditEvent.select().where(AuditEvent.command == "admin.admin_user.create").count() == 1


def test_demo_seed_is_idempotent_and_its_login_works(panel):
    lines: list[str] = []
    demo.seed(lines.append)
    demo.seed(lines.append)
    assert AdminUser.select().where(AdminUser.username == "demo").count() == 1
    password = re.search(r"password '([^']+)'", lines[0]).group(1)
    assert "password '" not in lines[1]
    client = panel.client()
    token = csrf(client.get("/admin/login").text)
    resp = client.post("/admin/login", data={"csrf_token": token, "username": "demo", "password": password})
    assert resp.status_code == 302 and client.get("/admin/playground/").status_code == 200


def test_list_pages_cost_a_fixed_number_of_queries_and_no_count(panel, caplog):
    runner = panel.runner
    runner.tier("premium")
    for i in range(30):
        runner.community(f"c{i}", tier="premium", slack_team=f"T{i}")
        runner.person(f"p{i}", roles=["member"], identities=[f"slack:U{i}"], communities=[f"c{i}"])
    client = panel.login("vic", "viewer")
    import logging
    for url in ("/admin/community/", "/admin/identity/", "/admin/personrole/", "/admin/membership/",
                "/admin/audit_event/"):
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="peewee"):
            assert client.get(url).status_code == 200
        sql = [r.getMessage() for r in caplog.records if r.name == "peewee"]
        assert not any("COUNT(" in s.upper() for s in sql), url
        assert len(sql) <= 6, (url, len(sql), sql)
