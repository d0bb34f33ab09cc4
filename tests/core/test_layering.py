"""The core never imports a web or chat framework, an adapter, the admin panel or a web server, and does
no network I/O of its own (chatops/README.md): checked statically and at run time. Importing any module
creates no file and needs no environment."""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import chatops

FRAMEWORKS = ("flask", "flask_admin", "slack_bolt", "slack_sdk", "discord", "adapters", "admin", "waitress",
              "gunicorn", "werkzeug")  # never loaded by importing the core, not even indirectly
FORBIDDEN = FRAMEWORKS + (  # never imported by a core module itself (its dependencies may use sockets)
    "socket", "http", "urllib3", "requests", "httpx", "aiohttp", "ssl", "websocket", "websockets")
# Modules of the standard library that do network I/O, named by their full dotted path.
NETWORK = ("urllib.request", "http.client", "http.server", "smtplib", "ftplib", "socketserver", "asyncio.streams")
CORE = Path(chatops.__file__).parent


def core_files() -> list[Path]:
    return sorted(p for p in CORE.rglob("*.py") if "__pycache__" not in p.parts)


def core_modules() -> list[str]:
    names = []
    for path in core_files():
        rel = path.relative_to(CORE.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        if "migrations" in parts:  # peewee-migrate loads these by path, not as modules
            continue
        names.append(".".join(parts))
    return names


def forbidden_imports(source: str) -> list[str]:
    """Every forbidden top-level package imported anywhere in ``source`` (including inside functions)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif (isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute))
              and getattr(node.func, "attr", getattr(node.func, "id", "")) in ("import_module", "__import__")
              and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            names = [node.args[0].value]
        else:
            continue
        found += [n for n in names if n.split(".")[0] in FORBIDDEN or n.startswith(NETWORK)]
    return found


def test_the_static_check_catches_what_it_should():
    assert forbidden_imports("def f():\n    from flask import Flask\n") == ["flask"]
    assert forbidden_imports("from adapters.web import create_app") == ["adapters.web"]
    assert forbidden_imports("import admin.panel") == ["admin.panel"]
    assert forbidden_imports("from waitress import serve") == ["waitress"]
    assert forbidden_imports("import urllib.request") == ["urllib.request"]
    assert forbidden_imports("import http.client") == ["http.client"]
    assert forbidden_imports("import socket") == ["socket"]
    assert forbidden_imports("import urllib.parse") == []
    assert forbidden_imports("import slack_sdk.web as w") == ["slack_sdk.web"]
    assert forbidden_imports("import importlib\nimportlib.import_module('discord')") == ["discord"]
    assert forbidden_imports("from .flask import x\nimport flasky\nimport discordant") == []


def test_no_core_module_imports_a_framework_statically():
    files = core_files()
    assert len(files) > 15
    offenders = {str(p.relative_to(CORE)): found for p in files
                 if (found := forbidden_imports(p.read_text(encoding="utf-8")))}
    assert offenders == {}


def test_no_core_module_imports_a_framework_at_run_time():
    modules = core_modules()
    assert "chatops.router" in modules and "chatops.cli" in modules
    code = (
        "import importlib, json, sys\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m)\n"
        f"print(json.dumps(sorted(n for n in sys.modules if n.split('.')[0] in {FRAMEWORKS!r})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=CORE.parent)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_importing_any_module_creates_no_file_and_reads_no_environment(tmp_path):
    """In an empty directory, with a setting that is not valid in the environment: every core module
    imports, and the directory stays empty (no Huey file, no database, no spool)."""
    modules = core_modules()
    code = "import importlib\n" + "".join(f"importlib.import_module({m!r})\n" for m in modules)
    env = {"PATH": "/usr/bin:/bin", "CHATOPS_OPS_APPROVAL_TTL_MINUTES": "not a number",
           "PYTHONPATH": str(CORE.parent)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=tmp_path, env=env)
    assert out.returncode == 0, out.stderr
    assert list(tmp_path.iterdir()) == []


def test_every_sentence_in_messages_is_used():
    """chatops.messages holds the core's user-facing sentences; one nobody uses is a sentence that drifted."""
    import re
    from pathlib import Path

    from chatops import messages

    root = Path(__file__).resolve().parents[2]
    names = [n for n in vars(messages) if n.isupper() and isinstance(getattr(messages, n), str)]
    sources = "\n".join(p.read_text(encoding="utf-8") for d in ("chatops", "adapters", "admin")
                        for p in (root / d).rglob("*.py") if p.name != "messages.py")
    unused = [n for n in names if not re.search(rf"\b{n}\b", sources)]
    assert not unused, f"sentences in chatops/messages.py that nothing uses: {unused}"
