"""The core never imports a web or chat framework (chatops/README.md): checked statically and at run time."""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import chatops

FORBIDDEN = ("flask", "flask_admin", "slack_bolt", "slack_sdk", "discord")
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
        found += [n for n in names if n.split(".")[0] in FORBIDDEN]
    return found


def test_the_static_check_catches_what_it_should():
    assert forbidden_imports("def f():\n    from flask import Flask\n") == ["flask"]
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
        f"print(json.dumps(sorted(n for n in sys.modules if n.split('.')[0] in {FORBIDDEN!r})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=CORE.parent)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
