"""GET /api/companies/{id}/360: what a salesperson sees of one customer, and its timeline page by page."""
from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Api, make_token
from tests.processes.conftest import fast_passwords, people, team  # noqa: F401
from tests.processes.funnel import LOST, complete, drive_funnel, open_deal, open_tender

NDJSON = {"Content-Type": "application/x-ndjson"}


@pytest.fixture
def erp(app, client):
    return Api(client, make_token(app, "erp", groups=("integrations",)))


def ok(response, status=(200, 201)):
    assert response.status_code in status, response.get_json()
    return response.get_json()


def test_the_360_of_a_customer_with_deals_a_tender_money_events_and_a_committee(team, erp):
    sales = team["sales"]
    parent = ok(sales.post("/api/companies", json={"name": "华为集团"}))
    open_one = open_deal(team, "华为", amount=300_000)
    company_id = open_one["company_id"]
    ok(sales.patch(f"/api/companies/{company_id}", json={"parent_id": parent["id"], "city": "深圳",
                                                          "phone": "0755-28780808"}))
    ok(sales.post("/api/company-links", json={"kind": "shareholder", "from_company_id": parent["id"],
                                              "to_company_id": company_id, "percent": 80}))
    won, lost = open_deal(team, "华为"), open_deal(team, "华为")
    drive_funnel(team, won["instance_id"])
    complete(team, lost["instance_id"], "qualify_lead", LOST)
    tender = open_tender(team, company_id=company_id, title="华为 ERP 招标")
    wang = ok(sales.post("/api/contacts", json={
        "company_id": company_id, "name": "王总", "title": "CFO", "email": "wang@huawei.com",
        "consents": [{"channel": "email", "granted": True, "source": "展会表格"}]}))
    ok(sales.post(f"/api/opportunities/{open_one['id']}/committee", json={
        "contact_id": wang["id"], "role": "decision_maker", "influence": 0.9, "attitude": "champion"}))
    base = f"/api/companies/{company_id}"
    ok(erp.post(f"{base}/orders", json={"number": "SO-1", "ordered_on": "2026-10-01", "amount": 1_000_000}))
    ok(erp.post(f"{base}/payments", json={"reference": "PAY-1", "paid_on": "2026-10-05", "amount": 400_000,
                                          "order_number": "SO-1"}))
    ok(erp.post(f"{base}/returns", json={"reference": "RET-1", "returned_on": "2026-10-06", "amount": 100_000,
                                         "order_number": "SO-1", "reason": "wrong model"}))
    events = [{"id": f"v{n}", "type": "web_visit" if n % 3 else "trial_log",
               "occurred_at": f"2026-11-{n + 1:02d}T08:00:00+08:00", "company_id": company_id} for n in range(6)]
    ok(erp.post("/api/events", data="\n".join(json.dumps(e) for e in events), headers=NDJSON))

    view = ok(sales.get(f"{base}/360"))
    company = view["company"]
    assert (company["name"], company["city"], company["phone"], company["parent"]) == (
        "华为", "深圳", "+8675528780808", "华为集团")
    assert {f["field"] for f in company["quality_flags"]} == {"credit_code", "industry_division", "province"}
    assert view["group"] == {"parents": [{"id": parent["id"], "name": "华为集团"}], "subsidiary_count": 0}
    controller = view["control"]["ultimate_controller"]
    assert (controller["name"], controller["effective_percent"], controller["basis"]) == ("华为集团", 80.0, "majority")
    assert view["control"]["group"]["parent_links_agree"] is True
    deals = view["deals"]
    assert [d["id"] for d in deals["open"]] == [open_one["id"]]
    assert [d["id"] for d in deals["won"]] == [won["id"]] and [d["id"] for d in deals["lost"]] == [lost["id"]]
    assert (deals["open"][0]["amount"], deals["open"][0]["currency"], deals["open"][0]["owner"]) == (
        30_000_000, "CNY", "sales-user")  # 分: the deal was opened at ¥300,000
    assert deals["won"][0]["stage"] and deals["won"][0]["instance_id"] == won["instance_id"]
    assert [(t["id"], t["title"], t["outcome"]) for t in view["tenders"]] == [(tender["id"], "华为 ERP 招标", "open")]
    [contact] = view["contacts"]
    assert (contact["name"], contact["consents"]["email"]["granted"], contact["consents"]["email"]["source"]) == (
        "王总", True, "展会表格")
    assert [(r["deal_id"], r["role"], r["influence"]) for r in contact["roles"]] == [
        (open_one["id"], "decision_maker", 0.9)]
    assert view["orders"]["count"] == 1 and view["orders"]["latest"][0]["number"] == "SO-1"
    assert view["payments"]["latest"][0]["order_number"] == "SO-1"
    assert view["returns"]["latest"][0]["reason"] == "wrong model"
    assert view["totals"] == {"CNY": {"ordered": 1_000_000, "paid": 400_000, "refunded": 0, "returned": 100_000,
                                      "outstanding": 500_000}}
    assert (view["behaviour"]["total"], view["behaviour"]["by_type"]) == (6, {"web_visit": 4, "trial_log": 2})
    assert view["behaviour"]["last_at"].startswith("2026-11-06T00:00:00")
    timeline = view["timeline"]
    kinds = [item["kind"] for item in timeline["items"]]
    assert {"order", "payment", "return", "event", "deal", "tender", "company"} <= set(kinds)
    assert kinds.count("deal") == 5  # three opened, one won, one lost
    assert [i["at"] for i in timeline["items"]] == sorted((i["at"] for i in timeline["items"]), reverse=True)
    assert timeline["next_before"] is None
    titles = {i["title"] for i in timeline["items"]}
    assert "order SO-1: 10,000.00 CNY (open)" in titles and "return RET-1: 1,000.00 CNY" in titles


def test_the_timeline_pages_with_before_and_loses_nothing(api, erp):
    company_id = ok(api["alice"].post("/api/companies", json={"name": "翻页公司"}))["id"]
    base = f"/api/companies/{company_id}"
    for n in range(30):
        ok(erp.post(f"{base}/orders", json={"number": f"SO-{n}", "ordered_on": f"2026-09-{n % 28 + 1:02d}",
                                            "amount": 100}))
    for n in range(20):
        ok(erp.post(f"{base}/payments", json={"reference": f"P-{n}", "paid_on": "2026-09-15", "amount": 100}))
    events = [{"id": f"e{n}", "type": "web_visit", "company_id": company_id,
               "occurred_at": "2026-09-15T00:00:00Z" if n < 10 else f"2026-10-01T{n % 24:02d}:00:00Z"}
              for n in range(70)]
    ok(erp.post("/api/events", data="\n".join(json.dumps(e) for e in events), headers=NDJSON))
    seen, before, pages = [], None, 0
    while True:
        page = ok(api["alice"].get(f"{base}/360" + (f"?before={before}" if before else "")))["timeline"]
        pages += 1
        assert len(page["items"]) <= 50
        seen.extend(page["items"])
        before = page["next_before"]
        if before is None:
            break
    assert pages == 3 and len(seen) == 30 + 20 + 70 + 1
    assert len({(i["ref"]["type"], i["ref"]["id"]) for i in seen}) == len(seen)
    assert [i["at"] for i in seen] == sorted((i["at"] for i in seen), reverse=True)
    assert seen[-1]["kind"] == "company" or seen[-1]["at"] <= seen[0]["at"]
    for forged in ("not-a-cursor", cursor(["2026-10-01T00:00:00+00:00", "event", 10**30]),
                   cursor(["9999-12-31T23:00:00+00:00", "order", 1]), cursor(["2026-10-01T00:00:00", "event", 1]),
                   cursor({"at": 1})):
        bad = api["alice"].get(f"{base}/360?before={forged}")
        assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "before", forged


def cursor(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def test_a_member_who_cannot_see_the_company_gets_404(api, app, client):
    company_id = ok(api["alice"].post("/api/companies", json={"name": "保密公司"}))["id"]
    stranger = Api(client, make_token(app, "stranger", groups=("sales",)))
    assert stranger.get(f"/api/companies/{company_id}/360").status_code == 404
    assert stranger.get(f"/api/companies/{company_id}/events").status_code == 404
    assert api["alice"].get("/api/companies/999999/360").status_code == 404


def test_script_in_names_comes_back_as_plain_text(api, erp):
    name = "<script>alert('x')</script>公司"
    company_id = ok(api["alice"].post("/api/companies", json={"name": name}))["id"]
    ok(api["alice"].post("/api/contacts", json={"company_id": company_id, "name": "<b>李</b>"}))
    ok(erp.post(f"/api/companies/{company_id}/orders", json={"number": "<img src=x>", "ordered_on": "2026-10-01",
                                                             "amount": 1}))
    response = api["alice"].get(f"/api/companies/{company_id}/360")
    assert response.mimetype == "application/json"
    view = response.get_json()
    assert view["company"]["name"] == name and view["contacts"][0]["name"] == "<b>李</b>"
    assert view["orders"]["latest"][0]["number"] == "<img src=x>"
    assert "order <img src=x>: 0.01 CNY (open)" in {i["title"] for i in view["timeline"]["items"]}


def test_the_360_view_and_the_transactions_import_no_crm_and_no_flask(database_url):
    code = ("import sys, customers.transactions, customers.events, customers.view360; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('crm', 'signing', 'engine', 'flask', 'web')))")
    run = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parents[2], capture_output=True,
                         text=True, check=True)
    assert run.stdout.strip() == "[]"
