"""The README stays true: its settings table matches chatops.settings, and its plugin example runs."""
from __future__ import annotations

import re
from pathlib import Path

from chatops.settings import markdown_table

README = Path(__file__).resolve().parent.parent / "README.md"


def _block_after(marker: str) -> str:
    text = README.read_text()
    start = text.index(f"<!-- readme-example: {marker} -->")
    match = re.compile(r"```python\n(.*?)```", re.S).search(text, start)
    assert match, f"no python block after {marker}"
    return match.group(1)


def test_settings_table_lists_every_setting():
    text = README.read_text()
    table = text.split("<!-- settings-table -->")[1].split("<!-- /settings-table -->")[0].strip()
    assert table == markdown_table(), "README settings table is stale: paste `chatops settings --markdown` into it"


def test_plugin_example_and_its_test_run():
    namespace: dict = {"__name__": "readme_example"}
    exec(compile(_block_after("plugin"), "README:plugin", "exec"), namespace)
    exec(compile(_block_after("plugin-test"), "README:plugin-test", "exec"), namespace)
    tests = [v for k, v in namespace.items() if k.startswith("test_") and callable(v)]
    assert len(tests) == 2
    for test in tests:
        test()
