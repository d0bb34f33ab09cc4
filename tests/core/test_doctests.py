"""The ``>>>`` examples in chatops' docstrings run and give what they show (the standard library's doctest).

Examples that need a request, a backend or a database of their own (``ctx.confirm(...)``, ``router.handle(...)``)
are not runnable on their own; tests/core/test_docstring_examples.py checks that those call what exists."""
from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import chatops

MODULES = sorted(m.name for m in pkgutil.walk_packages(chatops.__path__, "chatops.")
                 if ".migrations" not in m.name)
RUNNABLE = [name for name in MODULES if ">>>" in (importlib.import_module(name).__doc__ or "")]


def test_the_pure_modules_show_runnable_examples():
    assert {"chatops.text", "chatops.parser", "chatops.settings", "chatops.support.sla", "chatops.testing",
            "chatops.ops.deflection"} <= set(RUNNABLE)


@pytest.mark.parametrize("name", RUNNABLE)
def test_docstring_examples_run(name, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # an example that makes a file makes it here
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tried = 0
    for test in finder.find(module, name):
        result = runner.run(test, out=lambda text: pytest.fail(f"{name}: docstring example failed\n{text}"))
        tried += result.attempted
    assert tried > 0
