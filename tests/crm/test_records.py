"""The CRM records through the REST API: company groups, contacts, decision committees, deals."""
from __future__ import annotations

import pytest

from tests.processes.funnel import GOOD_DATA, complete, open_deal


def add_company(api, name, parent_id=None, **extra):
    response = api.post("/api/companies", json={"name": name, "parent_id": parent_id, **extra})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_company_group_shows_every_subsidiary_at_any_depth_with_its_deals(team):
    api = team["sales"]
    group = add_company(api, "中国移动", industry="Telecom")
    guangdong = add_company(api, "广东移动", group["id"], city="广州")
    add_company(api, "浙江移动", group["id"], city="杭州")
    shenzhen = add_company(api, "深圳移动", guangdong["id"], city="深圳")
    add_company(api, "华为")
    open_deal(team, "深圳移动", amount=300000)
    open_deal(team, "华为", amount=900000)
    shown = api.get(f"/api/companies/{group['id']}/group").get_json()
    assert shown["company_count"] == 4 and shown["parents"] == []
    assert [(c["name"], [s["name"] for s in c["subsidiaries"]]) for c in shown["subsidiaries"]] == [
        ("广东移动", ["深圳移动"]), ("浙江移动", [])]
    assert shown["totals"]["open"] == {"deals": 1, "amount": 300000, "weighted_amount": 30000.0}
    branch = api.get(f"/api/companies/{guangdong['id']}/group").get_json()
    assert (branch["company_count"], [p["name"] for p in branch["parents"]]) == (2, ["中国移动"])
    in_group = api.get(f"/api/opportunities?group_of={group['id']}").get_json()
    assert [d["company"] for d in in_group] == ["深圳移动"]
    assert api.get(f"/api/companies/{shenzhen['id']}").get_json()["parent"] == "广东移动"
    assert [c["name"] for c in api.get(f"/api/companies?parent_id={group['id']}").get_json()] == [
        "广东移动", "浙江移动"]


@pytest.mark.parametrize("change", ["self", "subsidiary", "unknown"])
def test_a_company_cannot_join_a_group_below_itself(team, change):
    api = team["sales"]
    top = add_company(api, "中国电信")
    middle = add_company(api, "江苏电信", top["id"])
    bottom = add_company(api, "南京电信", middle["id"])
    parent_id = {"self": top["id"], "subsidiary": bottom["id"], "unknown": 999999}[change]
    response = api.patch(f"/api/companies/{top['id']}", json={"parent_id": parent_id})
    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == ["parent_id"]
    moved = api.patch(f"/api/companies/{bottom['id']}", json={"parent_id": top["id"], "city": "南京"})
    assert (moved.get_json()["parent"], moved.get_json()["city"]) == ("中国电信", "南京")


def test_a_salespersons_lead_creates_its_company_once(team):
    for _ in range(2):
        instance = team["sales"].post("/api/process-instances", json={"process_key": "sales_funnel"}).get_json()
        complete(team, instance["id"], "qualify_lead", {**GOOD_DATA["qualify_lead"], "company": "比亚迪"})
    [company] = team["sales"].get("/api/companies?q=比亚迪").get_json()
    deals = team["sales"].get(f"/api/opportunities?company_id={company['id']}").get_json()
    assert [(d["company"], d["stage"], d["owner"]) for d in deals] == [("比亚迪", "需求确认", "sales-user")] * 2


def test_the_decision_committee_of_a_deal(team):
    api = team["sales"]
    deal = open_deal(team, "华为")
    people = {name: api.post("/api/contacts", json={"company_id": deal["company_id"], "name": name,
                                                    "title": title, "email": f"{key}@example.cn"}).get_json()
              for name, title, key in (("王总", "CFO", "wang"), ("李工", "IT manager", "li"))}
    added = api.post(f"/api/opportunities/{deal['id']}/committee", json={
        "contact_id": people["李工"]["id"], "role": "evaluator", "influence": 0.4, "attitude": "supporter"})
    assert added.status_code == 201
    api.post(f"/api/opportunities/{deal['id']}/committee", json={
        "contact_id": people["王总"]["id"], "role": "decision_maker", "influence": 0.9, "attitude": "skeptic"})
    again = api.post(f"/api/opportunities/{deal['id']}/committee", json={
        "contact_id": people["王总"]["id"], "role": "user", "influence": 0.1})
    assert again.status_code == 409
    committee = api.get(f"/api/opportunities/{deal['id']}/committee").get_json()
    shown = [(m["contact"], m["contact_title"], m["role"], m["influence"], m["attitude"]) for m in committee]
    assert shown == [
        ("王总", "CFO", "decision_maker", 0.9, "skeptic"), ("李工", "IT manager", "evaluator", 0.4, "supporter")]
    assert api.delete(f"/api/opportunities/{deal['id']}/committee/{added.get_json()['id']}").status_code == 204
    assert len(api.get(f"/api/opportunities/{deal['id']}/committee").get_json()) == 1
    contacts = api.get(f"/api/contacts?company_id={deal['company_id']}").get_json()
    assert sorted(c["name"] for c in contacts) == ["李工", "王总"]


@pytest.mark.parametrize("method, path, body, status, field", [
    ("post", "/api/companies", {"industry": "x"}, 422, "name"),
    ("post", "/api/contacts", {"company_id": 999999, "name": "x"}, 422, "company_id"),
    ("post", "/api/contacts", {"company_id": 1, "name": "x", "email": "not-mail"}, 422, "email"),
    ("post", "/api/opportunities", {"company_id": 999999}, 404, None),
    ("post", "/api/opportunities", {"company_id": "COMPANY", "owner": "nobody"}, 422, "owner"),
    ("post", "/api/opportunities", {"company_id": "COMPANY", "stale_after": "two weeks"}, 422, "stale_after"),
    ("post", "/api/opportunities/DEAL/committee", {"contact_id": 1, "role": "boss", "influence": 2}, 422,
     "influence"),
    ("post", "/api/opportunities/DEAL/committee", {"contact_id": 1, "role": "boss", "influence": 0.5}, 422,
     "role"),
    ("post", "/api/tenders", {"title": "x"}, 422, "buyer"),
    ("get", "/api/reports/conversion?from=yesterday", None, 422, "from"),
    ("get", "/api/reports/conversion?by=week", None, 422, "by"),
    ("get", "/api/opportunities?colour=red", None, 422, "colour"),
    ("get", "/api/companies/999999/group", None, 404, None),
])
def test_bad_crm_requests_are_refused_naming_the_field(team, method, path, body, status, field):
    deal = open_deal(team, "华为")
    path = path.replace("DEAL", str(deal["id"]))
    if body and body.get("company_id") == "COMPANY":
        body = {**body, "company_id": deal["company_id"]}
    response = getattr(team["sales"], method)(path, json=body) if body else getattr(team["sales"], method)(path)
    assert response.status_code == status, response.get_json()
    if field:
        assert field in [e.get("field") for e in response.get_json()["errors"]]


def test_company_names_are_unique(team):
    add_company(team["sales"], "华为")
    assert team["sales"].post("/api/companies", json={"name": "华为"}).status_code == 409


def test_openapi_lists_the_crm_routes(client):
    document = client.get("/api/openapi.json").get_json()
    listed = {(path, method) for path, ops in document["paths"].items() for method in ops}
    expected = {("/api/companies", "get"), ("/api/companies", "post"), ("/api/companies/{id}/group", "get"),
                ("/api/contacts", "post"), ("/api/opportunities", "post"), ("/api/opportunities/{id}", "get"),
                ("/api/opportunities/{id}/committee", "post"),
                ("/api/opportunities/{id}/committee/{member_id}", "delete"), ("/api/tenders", "post"),
                ("/api/tenders/{id}", "get"), ("/api/reports/conversion", "get"),
                ("/api/reports/stage-durations", "get"), ("/api/reports/pipeline", "get"),
                ("/api/reports/forecast", "get"), ("/api/reports/win-loss", "get"),
                ("/api/reports/tender-win-rate", "get")}
    assert expected <= listed
    assert {"Company", "Opportunity", "CommitteeMember", "Tender", "ConversionReport"} <= set(
        document["components"]["schemas"])
