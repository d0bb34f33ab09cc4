r"""Cutting text to a length: the one ``clip`` every part uses (chat limits, panel columns, echoed input).

    >>> clip("a long summary", 8)
    'a long …'
    >>> clip("`rm -rf`\x00", 40, quoted=True)   # safe inside a `code span`
    "'rm -rf'?"
    >>> clip("two\n  lines", 40, one_line=True)
    'two lines'
    >>> clip("Remove the seller fee of one seller", 24, at_word=True)
    'Remove the seller fee …'
"""
from __future__ import annotations

ELLIPSIS = "…"


def clip(text: str, limit: int, *, quoted: bool = False, one_line: bool = False, at_word: bool = False) -> str:
    """``text`` cut to at most ``limit`` characters, ending with "…" when it was cut.

    ``quoted``: for echoing user input inside a `code span`: unprintable characters become "?" and
    backticks "'", so the input cannot end the span or hide text. ``one_line``: runs of whitespace,
    line breaks included, become one space. ``at_word``: cut between words (a title), unless that
    would keep less than half of ``limit``.
    """
    if quoted:
        text = "".join(ch if ch.isprintable() else "?" for ch in text).replace("`", "'")
    if one_line:
        text = " ".join(text.split())
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if at_word and text[limit - 1] != " ":
        space = cut.rfind(" ")
        if space >= limit // 2:
            cut = cut[: space + 1]
    return cut + ELLIPSIS


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
"""What makes a spreadsheet run a CSV cell as a formula (full-width forms included)."""


def safe_cell(value):
    """The value for one CSV cell: numbers and empty cells as they are, text that a spreadsheet would run as a
    formula (``=HYPERLINK(…)``, ``@SUM(…)``) defused with a leading ``'`` — every CSV export uses this one.

    >>> safe_cell("=1+1"), safe_cell("ok"), safe_cell(3), safe_cell(None)
    ("'=1+1", 'ok', 3, None)
    """
    if value is None or isinstance(value, (bool, int, float)):
        return value
    text = value if isinstance(value, str) else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text

