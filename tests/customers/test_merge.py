"""Merging a duplicate company or contact: everything of the loser ends on the survivor, nothing is lost."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

import accounts
from customers import duplicates
from customers.models import (BehaviourEvent, CompanyLink, ContactLink, Order, OrderReturn, Payment)
from tests.conftest import Api, make_token
from tests.processes.conftest import fast_passwords, people, team  # noqa: F401
from tests.processes.funnel import GOOD_DATA, complete, drive_funnel, open_tender


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_DATA_DIR", str(tmp_path))
    return tmp_path


def add(api, path, expect=201, **body):
    response = api.post(path, json=body)
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def open_deal_for(team, company_id):
    return add(team["sales"], "/api/opportunities", company_id=company_id)


def test_a_merge_moves_everything_to_the_survivor(team, session, data_dir):
    sales, director = team["sales"], team["director"]
    top = add(sales, "/api/companies", name="华为投资控股有限公司")
    survivor = add(sales, "/api/companies", name="华为技术有限公司", erp_code="ERP-1", parent_id=top["id"])
    loser = add(sales, "/api/companies", name="华为技术（深圳）有限公司", erp_code="ERP-2", city="深圳",
                phone="0755-2878 0808", external_keys=[{"system": "tender", "key": "T-9"}])
    sales.patch(f"/api/companies/{survivor['id']}", json={"parent_id": None})
    sales.patch(f"/api/companies/{survivor['id']}", json={"parent_id": loser["id"]})  # its own parent: cleared
    child = add(sales, "/api/companies", name="华为终端有限公司", parent_id=loser["id"])
    supplier = add(sales, "/api/companies", name="富士康科技集团")
    person = add(sales, "/api/contacts", company_id=loser["id"], name="李伟", email="li.wei@huawei.example",
                 consents=[{"channel": "email", "granted": True, "source": "trade fair"}])
    boss = add(sales, "/api/contacts", company_id=survivor["id"], name="任总")

    deal = open_deal_for(team, loser["id"])
    add(sales, f"/api/opportunities/{deal['id']}/committee", contact_id=person["id"], role="evaluator",
        influence=0.5)
    drive_funnel(team, deal["instance_id"], until="sign_contract")
    contract = add(team["legal"], f"/api/process-instances/{deal['instance_id']}/contract")
    early = open_deal_for(team, loser["id"])
    tender = open_tender(team, company_id=loser["id"], title="园区网络")

    order = Order(company_id=loser["id"], contact_id=person["id"], number="SO-1", ordered_on=date(2026, 5, 1),
                  amount=1_000_000)
    session.add(order)
    session.flush()
    session.add_all([
        Payment(company_id=loser["id"], order_id=order.id, reference="PAY-1", paid_on=date(2026, 5, 9),
                amount=600_000),
        OrderReturn(company_id=loser["id"], order_id=order.id, reference="RET-1", returned_on=date(2026, 6, 1),
                    amount=50_000),
        BehaviourEvent(source="website", external_id="e1", company_id=loser["id"], contact_id=person["id"],
                       type="visit", occurred_at=datetime(2026, 5, 2, tzinfo=timezone.utc)),
        CompanyLink(kind="supplier", from_company_id=supplier["id"], to_company_id=loser["id"]),
        CompanyLink(kind="supplier", from_company_id=supplier["id"], to_company_id=survivor["id"]),
        CompanyLink(kind="shareholder", from_company_id=loser["id"], to_company_id=child["id"],
                    share_ppm=600_000),
        CompanyLink(kind="partner", from_company_id=survivor["id"], to_company_id=loser["id"]),
        ContactLink(kind="reports_to", from_contact_id=person["id"], to_contact_id=boss["id"]),
    ])
    session.commit()
    duplicates.scan(session, "companies")
    session.commit()

    assert sales.post(f"/api/companies/{survivor['id']}/merge", json={"from_id": loser["id"]}).status_code == 403
    merged = add(director, f"/api/companies/{survivor['id']}/merge", expect=200, from_id=loser["id"])
    assert (merged["id"], merged["city"], merged["phone"], merged["parent_id"]) == (
        survivor["id"], "深圳", "+8675528780808", None)
    assert {(k["system"], k["key"]) for k in merged["external_keys"]} == {
        ("erp", "ERP-1"), ("erp", "ERP-2"), ("tender", "T-9")}

    gone = director.get(f"/api/companies/{loser['id']}")
    assert gone.status_code == 404
    assert gone.get_json()["errors"][0]["message"] == f"company {loser['id']} was merged into {survivor['id']}"
    assert [c["name"] for c in sales.get(f"/api/contacts?company_id={survivor['id']}").get_json()] == ["任总", "李伟"]
    assert sales.get(f"/api/contacts/{person['id']}").get_json()["consents"]["email"]["granted"] is True
    deals = sales.get(f"/api/opportunities?company_id={survivor['id']}").get_json()
    assert {d["id"] for d in deals} == {deal["id"], early["id"]}
    assert [m["contact"] for m in sales.get(f"/api/opportunities/{deal['id']}/committee").get_json()] == ["李伟"]
    assert sales.get(f"/api/tenders/{tender['id']}").get_json()["company_id"] == survivor["id"]
    assert team["legal"].get(f"/api/contracts/{contract['id']}").get_json()["instance_id"] == deal["instance_id"]
    assert sales.get(f"/api/companies/{child['id']}").get_json()["parent_id"] == survivor["id"]

    session.expire_all()
    for row in (order, *session.query(Payment), *session.query(OrderReturn), *session.query(BehaviourEvent)):
        assert row.company_id == survivor["id"]
    links = {(l.kind, l.from_company_id, l.to_company_id, l.share_ppm) for l in session.query(CompanyLink)}
    assert links == {("supplier", supplier["id"], survivor["id"], None),
                     ("shareholder", survivor["id"], child["id"], 600_000)}
    assert [(l.from_contact_id, l.to_contact_id) for l in session.query(ContactLink)] == [(person["id"], boss["id"])]
    assert duplicates.list_candidates(session, "companies") == []

    # The deal's process still names the loser: its next step finds the survivor, not a new 华为技术（深圳）.
    complete(team, early["instance_id"], "qualify_lead", {**GOOD_DATA["qualify_lead"],
                                                          "company": "华为技术（深圳）有限公司"})
    assert sales.get(f"/api/opportunities/{early['id']}").get_json()["company_id"] == survivor["id"]
    # Only the survivor answers to the loser's name now: through its alias.
    assert [c["id"] for c in sales.get("/api/companies?q=深圳").get_json()] == [survivor["id"]]

    [entry] = director.get("/api/audit?action=company.merged").get_json()
    assert (entry["object_id"], entry["detail"]["loser_id"]) == (str(survivor["id"]), loser["id"])
    assert entry["detail"]["moved"]["contacts.company_id"] == 1
    assert entry["detail"]["moved"]["opportunities.company_id"] == 2
    assert entry["changes"]["city"] == [None, "深圳"]
    assert [a.name for a in merged_aliases(session, survivor["id"])] == ["华为技术（深圳）有限公司"]


def merged_aliases(session, company_id):
    from customers.models import CompanyAlias
    return session.query(CompanyAlias).filter_by(company_id=company_id, source="merge").all()


def test_a_merge_refuses_itself_an_unknown_company_and_one_out_of_sight(app, client, api, session):
    mine = add(api["alice"], "/api/companies", name="甲公司")
    theirs = add(api["bob"], "/api/companies", name="乙公司")
    accounts.permissions.grant(session, "sales", "companies.merge", actor=None)
    session.commit()
    alice = Api(client, make_token(app, "alice2", ("sales",)))
    own = add(alice, "/api/companies", name="丙公司")
    itself = alice.post(f"/api/companies/{own['id']}/merge", json={"from_id": own["id"]})
    assert itself.status_code == 422 and itself.get_json()["errors"][0]["field"] == "from_id"
    assert alice.post(f"/api/companies/{own['id']}/merge", json={"from_id": theirs["id"]}).status_code == 404
    assert alice.post(f"/api/companies/{own['id']}/merge", json={"from_id": 999_999}).status_code == 404
    assert alice.post(f"/api/companies/{own['id']}/merge", json={}).status_code == 422
    assert api["alice"].get(f"/api/companies/{mine['id']}").status_code == 200


def test_merging_contacts_moves_their_consents_links_and_orders(api, session):
    company = add(api["alice"], "/api/companies", name="联想集团")
    keep = add(api["alice"], "/api/contacts", company_id=company["id"], name="王芳", title="CIO")
    drop = add(api["alice"], "/api/contacts", company_id=company["id"], name="Wang Fang",
               mobile="13800138000", consents=[{"channel": "sms", "granted": False, "source": "call"}])
    other = add(api["alice"], "/api/contacts", company_id=company["id"], name="赵强")
    session.add_all([Order(company_id=company["id"], contact_id=drop["id"], number="SO-9",
                           ordered_on=date(2026, 1, 1), amount=10),
                     ContactLink(kind="influences", from_contact_id=drop["id"], to_contact_id=other["id"]),
                     ContactLink(kind="influences", from_contact_id=keep["id"], to_contact_id=other["id"]),
                     ContactLink(kind="reports_to", from_contact_id=keep["id"], to_contact_id=drop["id"])])
    session.commit()
    merged = add(api["admin"], f"/api/contacts/{keep['id']}/merge", expect=200, from_id=drop["id"])
    assert (merged["name"], merged["title"], merged["mobile"]) == ("王芳", "CIO", "+8613800138000")
    assert merged["consents"]["sms"]["granted"] is False
    gone = api["alice"].get(f"/api/contacts/{drop['id']}")
    assert gone.get_json()["errors"][0]["message"] == f"contact {drop['id']} was merged into {keep['id']}"
    session.expire_all()
    assert session.query(Order).one().contact_id == keep["id"]
    assert [(l.kind, l.from_contact_id, l.to_contact_id) for l in session.query(ContactLink)] == [
        ("influences", keep["id"], other["id"])]


def test_merging_a_group_into_a_company_below_it_leaves_no_cycle(api):
    sales = api["alice"]
    holding = add(sales, "/api/companies", name="某某控股")
    group = add(sales, "/api/companies", name="某某集团", parent_id=holding["id"])
    middle = add(sales, "/api/companies", name="某某华南", parent_id=group["id"])
    bottom = add(sales, "/api/companies", name="某某集团有限公司", parent_id=middle["id"])
    merged = add(api["admin"], f"/api/companies/{bottom['id']}/merge", expect=200, from_id=group["id"])
    assert merged["parent_id"] == holding["id"]
    assert sales.get(f"/api/companies/{middle['id']}").get_json()["parent_id"] == bottom["id"]
    tree = sales.get(f"/api/companies/{holding['id']}/group").get_json()
    assert tree["company_count"] == 3
