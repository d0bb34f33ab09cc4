"""Every number the panel reads from a request: oversized or invalid → 400 with a message, never 500.

The sweep covers each model view's page, page_size, sort, desc, id (details, edit, delete), every filter
(the ticket-id filter included), bulk-action row ids, the person pickers' offset and limit, the audit
log's ``before``, number fields of forms, and the dashboard's ``days``.
"""
from __future__ import annotations

import pytest
from wtforms.fields.core import UnboundField

from admin.auditing import AuditedModelView
from admin.params import int_bounds
from chatops import audit

from .conftest import page_token

OVERSIZED = ["99999999999999999999999", "9223372036854775808", "-9223372036854775809"]
INVALID = ["abc", "1e999", "\u00b2", "\u0663", "nan", "1.5", " "]
NUMERIC_FILTERS = ("Int", "Float")


@pytest.fixture
def root(panel):
    panel.app.config.update(TESTING=False, PROPAGATE_EXCEPTIONS=False)  # a crash is a 500 answer, not a raise
    for i in range(3):
        audit.record(correlation_id=f"c{i}", actor="slack:U1", command="ping", outcome="allowed")
    return panel.login("root", "admin")


def model_views(panel):
    return [v for v in panel.app.extensions["admin"][0]._views if hasattr(v, "_filter_args")]


def numeric_filter(view, flt) -> bool:
    return int_bounds(getattr(flt, "column", None)) is not None and "Boolean" not in type(flt).__name__ \
        and "Empty" not in type(flt).__name__


def get(client, url, failures, expect_400=False):
    resp = client.get(url)
    if resp.status_code >= 500 or (expect_400 and resp.status_code != 400):
        failures.append((resp.status_code, url))
    elif expect_400:
        text = resp.get_data(as_text=True)
        if "must be" not in text and "needs" not in text:
            failures.append(("no message", url))
    return resp


def test_oversized_and_invalid_numbers_in_urls_answer_400(panel, root):
    failures: list = []
    checked = 0
    for view in model_views(panel):
        base = f"/admin/{view.endpoint}/"
        int_pk = int_bounds(view.model._meta.primary_key) is not None
        for value in OVERSIZED + INVALID:
            for param in ("page", "page_size", "sort", "desc"):
                get(root, f"{base}?{param}={value}", failures, expect_400=value.strip() != "")
                checked += 1
            if view.endpoint == "audit_event":
                get(root, f"{base}?before={value}", failures, expect_400=value.strip() != "")
                get(root, f"{base}export/csv/?page={value}", failures, expect_400=value.strip() != "")
            for action, allowed in (("details/", view.can_view_details),
                                    ("edit/", getattr(view, "allow_edit", view.can_edit))):
                get(root, f"{base}{action}?id={value}", failures,
                    expect_400=allowed and int_pk and value.strip() != "")
                checked += 1
            for idx, flt in enumerate(view._filters or []):
                key = view.get_filter_arg(idx, flt)
                get(root, f"{base}?flt0_{key}={value}", failures,
                    expect_400=numeric_filter(view, flt) and value.strip() != "")
                checked += 1
            for name in (view._form_ajax_refs or {}):
                for param in ("offset", "limit"):
                    get(root, f"{base}ajax/lookup/?name={name}&query=a&{param}={value}", failures,
                        expect_400=value.strip() != "")
    for value in OVERSIZED + INVALID:
        get(root, f"/admin/dashboard/?days={value}", failures)
    assert checked > 1000
    assert not failures, failures[:40]


def test_the_ticket_id_filter(panel, root):
    view = next(v for v in model_views(panel) if v.endpoint == "ticketevent")
    idx, flt = next((i, f) for i, f in enumerate(view._filters) if f.name == "Ticket id")
    url = f"/admin/ticketevent/?flt0_{view.get_filter_arg(idx, flt)}="
    resp = root.get(url + "99999999999999999999")
    assert resp.status_code == 400 and "Ticket id" in resp.text and "whole number" in resp.text
    assert root.get(url + "12").status_code == 200
    assert root.get(url + "2147483648").status_code == 400  # beyond the 32-bit id column


def test_valid_numbers_still_work(panel, root):
    tier = panel.runner.tier("gold", rank=3)
    assert root.get("/admin/tier/?page=0&page_size=20&sort=0&desc=1").status_code == 200
    assert root.get(f"/admin/tier/details/?id={tier.id}").status_code == 200
    assert root.get("/admin/tier/details/?id=2147483647").status_code == 302  # in range, no such row
    assert root.get("/admin/audit_event/?before=9223372036854775807").status_code == 200
    assert root.get("/admin/identity/ajax/lookup/?name=person&query=a&offset=0&limit=10").status_code == 200


def test_oversized_ids_in_posts_answer_400_not_500(panel, root):
    failures = []
    for view in model_views(panel):
        if not isinstance(view, AuditedModelView) or int_bounds(view.model._meta.primary_key) is None:
            continue
        token = page_token(root, f"/admin/{view.endpoint}/")
        for value in OVERSIZED + ["abc"]:
            for url, data in ((f"/admin/{view.endpoint}/delete/", {"csrf_token": token, "id": value}),
                              (f"/admin/{view.endpoint}/action/",
                               {"csrf_token": token, "action": "delete", "rowid": [value]})):
                resp = root.post(url, data=data)
                if resp.status_code >= 500 or (view.can_delete and resp.status_code not in (400, 302)):
                    failures.append((resp.status_code, url, value))
    assert not failures, failures


# WTForms' own deprecation (a warning outside tests, an error under this suite's filterwarnings=error).
@pytest.mark.filterwarnings("ignore:'DateTimeField' renders:DeprecationWarning")
def test_number_fields_of_forms_refuse_out_of_range_values(panel, root):
    failures = []
    for view in model_views(panel):
        if not isinstance(view, AuditedModelView) or not view.can_create:
            continue
        form_class = view._create_form_class
        fields = [(n, getattr(form_class, n).field_class.__name__) for n in dir(form_class)
                  if isinstance(getattr(form_class, n, None), UnboundField)]
        url = f"/admin/{view.endpoint}/new/"
        token = page_token(root)
        for name, kind in fields:
            if kind not in ("IntegerField", "FloatField", "DecimalField", "SelectField", "QuerySelectField",
                                  "ModelSelectField", "AjaxSelectField", "SelectQueryField"):
                continue
            for value in OVERSIZED + ["1e999", "nan"]:
                resp = root.post(url, data={"csrf_token": token, name: value})
                if resp.status_code >= 500:
                    failures.append((resp.status_code, url, name, value))
    assert not failures, failures
    token = page_token(root, "/admin/tier/new/")
    resp = root.post("/admin/tier/new/", data={"csrf_token": token, "slug": "big", "name": "Big",
                                               "rank": "2147483648", "cred_weight": "1"})
    assert resp.status_code == 200 and "Number must be between" in resp.text
    resp = root.post("/admin/tier/new/", data={"csrf_token": token, "slug": "inf", "name": "Inf", "rank": "1",
                                               "cred_weight": "inf"})
    assert resp.status_code == 200 and "finite number" in resp.text
    # A picker (form_ajax_refs) given an id that is no row: a form error (Flask-Admin raised DoesNotExist: 500).
    token = page_token(root, "/admin/identity/new/")
    from chatops.models import Identity

    for value in ("999999", "99999999999999999999999", "abc"):
        resp = root.post("/admin/identity/new/", data={"csrf_token": token, "platform": "slack", "user_id": "U9",
                                                       "person": value})
        assert resp.status_code == 200 and ("Not a valid choice" in resp.text or "This field is required" in resp.text)
    assert not Identity.select().where(Identity.user_id == "U9").exists()
