"""CSV exports of the panel: one function defuses every cell a spreadsheet would run as a formula.

    writer.writerow([safe_cell(v) for v in row])      # what every export of the panel does
    class AuditEventView(SafeExportMixin, ModelView)  # Flask-Admin's export goes through safe_cell

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or
a line feed (or their full-width forms, which some spreadsheets read the same way)
gets a leading ``'``, so ``=HYPERLINK("http://evil.example")`` typed in a chat
message arrives in Excel or LibreOffice as text, not as a formula (CSV / formula
injection). Numbers stay numbers; anything else is exported as its text.
"""
from __future__ import annotations

from chatops.text import FORMULA_PREFIXES, safe_cell  # noqa: F401 - the one function, shared with the cred export


class SafeExportMixin:
    """For Flask-Admin model views: every exported value goes through :func:`safe_cell` (the column titles
    are the view's own labels)."""

    export_types = ["csv"]  # csv only: the one writer whose cells this mixin sees

    def get_export_value(self, model, name):
        return safe_cell(super().get_export_value(model, name))
