"""Orders, payments, refunds and returns through the API: totals per currency, resends, conflicts, bad input."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from core import audit
from tests.conftest import Api, make_token


@pytest.fixture
def erp(app, client, users):
    """A token of the ERP integration: it records transactions and sees every company."""
    return Api(client, make_token(app, "erp", groups=("integrations",)))


def add_company(api, name):
    response = api.post("/api/companies", json={"name": name})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def post(api, path, body, expect=201):
    response = api.post(path, json=body)
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def test_totals_per_currency_count_refunds_and_returns_against_orders(api, erp):
    company = add_company(api["alice"], "杭州海康")
    base = f"/api/companies/{company}"
    post(erp, f"{base}/orders", {"number": "SO-1", "ordered_on": "2026-10-01", "amount": 1_000_000})
    post(erp, f"{base}/orders", {"number": "SO-2", "ordered_on": "2026-10-05", "amount": 500_000,
                                 "status": "shipped"})
    post(erp, f"{base}/orders", {"number": "SO-3", "ordered_on": "2026-10-06", "amount": 9_999,
                                 "status": "cancelled"})
    post(erp, f"{base}/orders", {"number": "SO-US", "ordered_on": "2026-10-07", "amount": 20_000,
                                 "currency": "USD"})
    paid = post(erp, f"{base}/payments", {"reference": "PAY-1", "paid_on": "2026-10-10", "amount": 800_000,
                                          "order_number": "SO-1", "method": "bank transfer"})
    refund = post(erp, f"{base}/payments", {"reference": "REF-1", "kind": "refund", "paid_on": "2026-10-12",
                                            "amount": 50_000, "order_number": "SO-1"})
    returned = post(erp, f"{base}/returns", {"reference": "RET-1", "returned_on": "2026-10-11", "amount": 100_000,
                                             "order_number": "SO-2", "reason": "damaged in transit"})
    assert (paid["order_number"], refund["kind"], returned["order_number"]) == ("SO-1", "refund", "SO-2")
    listed = api["alice"].get(f"{base}/payments").get_json()
    assert [(p["reference"], p["kind"], p["order_number"]) for p in listed["items"]] == [
        ("REF-1", "refund", "SO-1"), ("PAY-1", "payment", "SO-1")]
    # outstanding = ordered (not cancelled) - paid + refunded - returned
    assert listed["totals"] == {
        "CNY": {"ordered": 1_500_000, "paid": 800_000, "refunded": 50_000, "returned": 100_000,
                "outstanding": 650_000},
        "USD": {"ordered": 20_000, "paid": 0, "refunded": 0, "returned": 0, "outstanding": 20_000}}
    orders = api["alice"].get(f"{base}/orders").get_json()
    assert [o["number"] for o in orders["items"]] == ["SO-US", "SO-3", "SO-2", "SO-1"]
    assert orders["totals"] == listed["totals"]
    assert api["alice"].get(f"{base}/returns").get_json()["items"][0]["reason"] == "damaged in transit"


def test_an_order_resent_unchanged_is_a_no_op_and_changed_a_conflict_naming_the_number(api, erp, session):
    company = add_company(api["alice"], "比亚迪")
    order = {"number": "SO-9", "ordered_on": "2026-11-01", "amount": 300_000}
    first = post(erp, f"/api/companies/{company}/orders", order)
    again = post(erp, f"/api/companies/{company}/orders", order, expect=200)
    assert again["id"] == first["id"]
    clash = erp.post(f"/api/companies/{company}/orders", json={**order, "amount": 300_001})
    assert clash.status_code == 409
    assert [e["field"] for e in clash.get_json()["errors"]] == ["number"]
    assert "amount" in clash.get_json()["errors"][0]["message"]
    assert len(api["alice"].get(f"/api/companies/{company}/orders").get_json()["items"]) == 1
    payment = {"reference": "P-9", "paid_on": "2026-11-02", "amount": 1}
    post(erp, f"/api/companies/{company}/payments", payment)
    post(erp, f"/api/companies/{company}/payments", payment, expect=200)
    clash = erp.post(f"/api/companies/{company}/payments", json={**payment, "kind": "refund"})
    assert (clash.status_code, clash.get_json()["errors"][0]["field"]) == (409, "reference")
    entries = audit.list_entries(session, audit.AuditQuery(object_type="order"))
    assert [(e.action, e.changes["number"]) for e in entries] == [("order.recorded", [None, "SO-9"])]


def test_an_order_changes_status_and_a_cancelled_order_leaves_the_totals(api, erp, session):
    company = add_company(api["alice"], "格力")
    made = post(erp, f"/api/companies/{company}/orders", {"number": "SO-5", "ordered_on": "2026-11-01",
                                                          "amount": 70_000})
    changed = erp.patch(f"/api/orders/{made['id']}", json={"status": "cancelled"})
    assert (changed.status_code, changed.get_json()["status"]) == (200, "cancelled")
    totals = api["alice"].get(f"/api/companies/{company}/orders").get_json()["totals"]
    assert totals["CNY"]["ordered"] == 0 and totals["CNY"]["outstanding"] == 0
    assert erp.patch(f"/api/orders/{made['id']}", json={"status": "lost"}).status_code == 422
    [entry] = audit.list_entries(session, audit.AuditQuery(action="order.changed"))
    assert entry.changes == {"status": ["open", "cancelled"]}


def test_refunds_and_returns_name_an_order_of_the_same_company(api, erp):
    mine, other = add_company(api["alice"], "甲公司"), add_company(api["alice"], "乙公司")
    post(erp, f"/api/companies/{other}/orders", {"number": "SO-OTHER", "ordered_on": "2026-11-01", "amount": 1})
    for path, body in (("payments", {"reference": "R-1", "kind": "refund", "paid_on": "2026-11-02", "amount": 1}),
                       ("returns", {"reference": "RT-1", "returned_on": "2026-11-02", "amount": 1})):
        response = erp.post(f"/api/companies/{mine}/{path}", json={**body, "order_number": "SO-OTHER"})
        assert response.status_code == 422
        assert [e["field"] for e in response.get_json()["errors"]] == ["order_number"]
    assert api["alice"].get(f"/api/companies/{mine}/payments").get_json()["items"] == []


FAR = (date.today() + timedelta(days=400)).isoformat()


@pytest.mark.parametrize("path, body, field", [
    ("orders", {"number": "X", "ordered_on": "2026-11-01", "amount": -1}, "amount"),
    ("orders", {"number": "X", "ordered_on": "2026-11-01", "amount": 1, "currency": "XYZ"}, "currency"),
    ("orders", {"number": "X", "ordered_on": "2026-11-01", "amount": 1, "status": "paid"}, "status"),
    ("orders", {"number": "X", "ordered_on": "1900-01-01", "amount": 1}, "ordered_on"),
    ("orders", {"number": "X", "ordered_on": FAR, "amount": 1}, "ordered_on"),
    ("orders", {"number": "X", "ordered_on": "2026-11-01", "amount": 2**63}, "amount"),
    ("orders", {"ordered_on": "2026-11-01", "amount": 1}, "number"),
    ("orders", {"number": "  ", "ordered_on": "2026-11-01", "amount": 1}, "number"),
    ("orders", {"number": "X", "ordered_on": "2026-11-01", "amount": 1, "contact_id": 999999}, "contact_id"),
    ("payments", {"reference": "X", "paid_on": "2026-11-01", "amount": 0}, "amount"),
    ("payments", {"reference": "X", "paid_on": "2026-11-01", "amount": 1, "kind": "gift"}, "kind"),
    ("payments", {"reference": "X", "paid_on": "not a date", "amount": 1}, "paid_on"),
    ("payments", {"reference": "X", "paid_on": "2026-11-01", "amount": 1, "order_number": "NONE"}, "order_number"),
    ("returns", {"reference": "X", "returned_on": "2026-11-01", "amount": -5}, "amount"),
    ("returns", {"reference": "X" * 65, "returned_on": "2026-11-01", "amount": 5}, "reference"),
])
def test_a_bad_transaction_is_a_422_naming_its_field_and_adds_nothing(api, erp, path, body, field):
    company = add_company(api["alice"], "坏数据公司")
    response = erp.post(f"/api/companies/{company}/{path}", json=body)
    assert response.status_code == 422, response.get_json()
    assert [e["field"] for e in response.get_json()["errors"]] == [field]
    assert api["alice"].get(f"/api/companies/{company}/{path}").get_json()["items"] == []


def test_writes_need_the_permission_and_reads_a_company_in_sight(api, erp, app, client):
    company = add_company(api["alice"], "私有公司")
    order = {"number": "SO-P", "ordered_on": "2026-11-01", "amount": 1}
    refused = api["alice"].post(f"/api/companies/{company}/orders", json=order)
    assert refused.status_code == 403 and "transactions.write" in refused.get_json()["errors"][0]["message"]
    post(erp, f"/api/companies/{company}/orders", order)
    stranger = Api(client, make_token(app, "stranger", groups=("sales",)))
    assert stranger.get(f"/api/companies/{company}/orders").status_code == 404
    steward = Api(client, make_token(app, "steward", groups=("data",)))
    assert steward.get(f"/api/companies/{company}/orders").status_code == 200
    assert api["alice"].get("/api/companies/999999/orders").status_code == 404
