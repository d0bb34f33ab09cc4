"""The usage examples in module docstrings call what exists, the way it can be called.

Each indented line of a module docstring that parses as Python is an example; every call in it to a
function of that module (or of a chatops module it names) must exist and accept the arguments shown
(checked with ``inspect.signature(...).bind``; the values are not evaluated). A review found four
examples calling functions that did not exist or with the wrong arguments."""
from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import textwrap

import pytest

import chatops

MODULES = sorted(m.name for m in pkgutil.walk_packages(chatops.__path__, "chatops.")
                 if ".migrations" not in m.name)


def _examples(doc: str) -> list[ast.AST]:
    trees = []
    for line in doc.splitlines():
        if not line.startswith("    "):
            continue
        code = line.strip().split("  #")[0]
        try:
            trees.append(ast.parse(textwrap.dedent(code)))
        except SyntaxError:
            continue  # prose, a shell line, a fragment with "..."
    return trees


def _target(module, func: ast.expr):
    """The callable an example's call refers to, or None when it is not one we can tell."""
    if isinstance(func, ast.Name):
        return getattr(module, func.id, None)
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        owner = getattr(module, func.value.id, None)
        if owner is None and func.value.id == module.__name__.rsplit(".", 1)[-1]:
            # `intake.submit(...)` in chatops/support/intake.py names the module — unless it is an instance
            # of one of its classes (`router.handle(...)` in chatops/router.py)
            methods = {n for _, cls in inspect.getmembers(module, inspect.isclass) for n in dir(cls)}
            if func.attr in methods:
                return None
            owner = module
        if inspect.ismodule(owner) and owner.__name__.startswith("chatops"):
            return getattr(owner, func.attr, _MISSING)
    return None


_MISSING = object()


@pytest.mark.parametrize("name", MODULES)
def test_module_docstring_examples_call_what_exists(name):
    module = importlib.import_module(name)
    problems = []
    for tree in _examples(module.__doc__ or ""):
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            target = _target(module, node.func)
            shown = ast.unparse(node)[:80]
            if target is _MISSING:
                problems.append(f"{shown}: no such function")
                continue
            if target is None or not callable(target) or any(
                    isinstance(a, ast.Starred) or (isinstance(a, ast.Constant) and a.value is Ellipsis)
                    for a in node.args):
                continue  # *args, or `f(...)`: arguments not shown
            try:
                signature = inspect.signature(target)
            except (TypeError, ValueError):
                continue
            if any(k.arg is None for k in node.keywords):  # **kwargs in the example
                continue
            try:
                signature.bind(*node.args, **{k.arg: k.value for k in node.keywords})
            except TypeError as exc:
                problems.append(f"{shown}: {exc}")
    assert not problems, f"{name}: " + "; ".join(problems)
