"""Row-level visibility (finding 6): owners see their own, managers their teams', `*.read.all` all.

Out of sight is not found: every list, search, report, page and the inbox filter
the same way, and a record one may not see answers 404, not 403.
"""
from __future__ import annotations

import pytest

from accounts import teams
from tests.conftest import Api, make_token
from tests.processes.conftest import fast_passwords  # noqa: F401
from tests.signing.conftest import data_dir, keys_template, sample_contract  # noqa: F401
from tests.processes.funnel import deploy_bundled
from tests.web.test_pages import login, text

PEOPLE = {"sales1": ("sales",), "sales2": ("sales",), "plain": (), "mgr": ("sales",),
          "director": ("directors",)}


@pytest.fixture
def org(app, client, fast_passwords):
    """Two salespeople with a deal each; mgr manages sales1's team; plain is a member in no group."""
    people = {name: Api(client, make_token(app, name, groups)) for name, groups in PEOPLE.items()}
    people["admin"] = Api(client, make_token(app, "root", (), "admin"))
    with app.extensions["session_factory"].begin() as session:
        teams.create_team(session, "East", manager="mgr", members=["sales1"], actor=None)
    deploy_bundled(people["admin"])
    for owner, company in (("sales1", "甲公司"), ("sales2", "乙公司")):
        made = people[owner].post("/api/companies", json={"name": company})
        assert made.status_code == 201, made.get_json()
        contact = people[owner].post("/api/contacts", json={"company_id": made.get_json()["id"], "name": "王总"})
        deal = people[owner].post("/api/opportunities", json={"company_id": made.get_json()["id"],
                                                              "amount": 100000})
        assert deal.status_code == 201, deal.get_json()
        people[f"{owner}_deal"] = deal.get_json()
        people[f"{owner}_company"] = made.get_json()
        people[f"{owner}_contact"] = contact.get_json()
    return people


def names(api, path, key="name"):
    response = api.get(path)
    assert response.status_code == 200, response.get_json()
    return sorted(row[key] for row in response.get_json())


def test_each_sees_their_own_their_teams_or_all(org):
    expected = {"sales1": ["甲公司"], "sales2": ["乙公司"], "plain": [], "mgr": ["甲公司"],
                "director": ["乙公司", "甲公司"], "admin": ["乙公司", "甲公司"]}
    for who, companies in expected.items():
        assert names(org[who], "/api/opportunities", "company") == companies, who
        assert names(org[who], "/api/companies") == companies, who
        assert names(org[who], "/api/companies?q=公司") == companies, who
        assert len(org[who].get("/api/contacts").get_json()) == len(companies), who
        pipeline = org[who].get("/api/reports/pipeline").get_json()
        assert pipeline["total"]["deals"] == len(companies), who
        forecast = org[who].get("/api/reports/forecast").get_json()
        assert sum(m["deals"] for m in forecast["months"]) + forecast["unscheduled"]["deals"] \
            + forecast["later"]["deals"] == len(companies), who
        conversion = org[who].get("/api/reports/conversion").get_json()
        assert conversion["overall"]["entered"] == len(companies), who


def test_a_record_out_of_sight_is_not_found(org):
    plain, deal = org["plain"], org["sales1_deal"]
    company, contact = org["sales1_company"], org["sales1_contact"]
    task = org["sales1"].get(f"/api/tasks?instance_id={deal['instance_id']}").get_json()[0]
    for path in (f"/api/opportunities/{deal['id']}", f"/api/opportunities/{deal['id']}/committee",
                 f"/api/process-instances/{deal['instance_id']}", f"/api/tasks/{task['id']}",
                 f"/api/companies/{company['id']}", f"/api/companies/{company['id']}/group",
                 f"/api/contacts/{contact['id']}"):
        assert plain.get(path).status_code == 404, path
        assert org["sales2"].get(path).status_code == 404, path
        assert org["mgr"].get(path).status_code == 200, path
    assert plain.get(f"/api/tasks?instance_id={deal['instance_id']}").get_json() == []
    assert plain.patch(f"/api/companies/{company['id']}", json={"name": "改名"}).status_code == 404
    member = {"contact_id": contact["id"], "role": "decision_maker", "influence": 0.9}
    assert plain.post(f"/api/opportunities/{deal['id']}/committee", json=member).status_code == 404
    added = org["sales1"].post(f"/api/opportunities/{deal['id']}/committee", json=member)
    assert added.status_code == 201, added.get_json()
    gone = plain.delete(f"/api/opportunities/{deal['id']}/committee/{added.get_json()['id']}")
    assert gone.status_code == 404
    assert plain.post(f"/api/tasks/{task['id']}/complete", json={"data": {}}).status_code == 404
    assert org["sales1"].get(f"/api/companies/{company['id']}").get_json()["name"] == "甲公司"
    assert len(org["sales1"].get(f"/api/opportunities/{deal['id']}/committee").get_json()) == 1


def test_a_deal_cannot_be_opened_on_a_company_out_of_sight(org):
    response = org["sales2"].post("/api/opportunities", json={"company_id": org["sales1_company"]["id"]})
    assert response.status_code == 404
    contact = org["sales2"].post("/api/contacts", json={"company_id": org["sales1_company"]["id"], "name": "x"})
    assert contact.status_code == 422 and contact.get_json()["errors"][0]["field"] == "company_id"


def test_pages_filter_the_same_way(app, org):
    browser = app.test_client()
    login(browser, "plain", "plain-password")
    assert browser.get(f"/instances/{org['sales1_deal']['instance_id']}").status_code == 404
    board = text(browser.get("/pipeline"))
    assert "甲公司" not in board and "乙公司" not in board
    manager = app.test_client()
    login(manager, "mgr", "mgr-password")
    board = text(manager.get("/pipeline"))
    assert "甲公司" in board and "乙公司" not in board
    assert manager.get(f"/instances/{org['sales1_deal']['instance_id']}").status_code == 200


def test_tenders_and_contracts_out_of_sight_are_not_found(app, client, org, data_dir):
    tender = org["sales1"].post("/api/tenders", json={"buyer": "丙采购中心", "title": "数据平台招标"})
    assert tender.status_code == 201, tender.get_json()
    legal = Api(client, make_token(app, "legal1", ("legal",)))
    drafted = legal.post("/api/contracts", json=sample_contract(clauses=[{"title": "条款", "text": "正文"}]))
    assert drafted.status_code == 201, drafted.get_json()
    contract_id = drafted.get_json()["id"]
    for path in (f"/api/tenders/{tender.get_json()['id']}", f"/api/contracts/{contract_id}",
                 f"/api/contracts/{contract_id}/pdf", f"/api/contracts/{contract_id}/verify"):
        assert org["plain"].get(path).status_code == 404, path
        assert org["director"].get(path).status_code == 200, path
    assert org["plain"].get("/api/tenders").get_json() == []
    assert org["plain"].get("/api/contracts").get_json() == []
    assert [c["id"] for c in org["director"].get("/api/contracts").get_json()] == [contract_id]
    assert len(org["mgr"].get("/api/tenders").get_json()) == 1
    assert org["plain"].get("/api/reports/tender-win-rate").get_json()["open"] == 0
    assert org["director"].get("/api/reports/tender-win-rate").get_json()["open"] == 1
