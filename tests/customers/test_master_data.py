"""Company and contact master data through the API: codes checked, phones in E.164, consent as a history."""
from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from stdnum.cn import uscc

from core import audit

KNOWN_VALID = "91350100M000100Y43"


def credit_code(body17: str) -> str:
    """Return a valid 统一社会信用代码 made from its first 17 characters."""
    return body17 + uscc.calc_check_digit(body17)


def add_company(api, name, expect=201, **fields):
    response = api.post("/api/companies", json={"name": name, **fields})
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def error_fields(response, status=422):
    assert response.status_code == status, response.get_json()
    return [e["field"] for e in response.get_json()["errors"]]


def test_a_company_keeps_its_master_data_and_shows_it(api, users):
    code = credit_code("91440300MA5F" + "00001")
    made = add_company(api["alice"], "深圳科技有限公司", credit_code=code.lower(), industry_division="65",
                       registered_capital=500_000_000, founded_on="2018-03-01", province="广东省", city="深圳",
                       size_band="medium", website="https://www.example.cn", tags=["重点客户", " 华南 ", "重点客户"],
                       erp_code="C-1001", external_keys=[{"system": "Tender", "key": "T-7"}])
    shown = api["alice"].get(f"/api/companies/{made['id']}").get_json()
    assert {k: shown[k] for k in ("credit_code", "industry_section", "industry_section_name", "industry_division",
                                  "industry_division_name", "registered_capital", "registered_capital_currency",
                                  "founded_on", "province", "size_band", "website", "tags", "erp_code")} == {
        "credit_code": code, "industry_section": "I", "industry_section_name": "信息传输、软件和信息技术服务业",
        "industry_division": "65", "industry_division_name": "软件和信息技术服务业",
        "registered_capital": 500_000_000, "registered_capital_currency": "CNY", "founded_on": "2018-03-01",
        "province": "广东省", "size_band": "medium", "website": "https://www.example.cn",
        "tags": ["重点客户", "华南"], "erp_code": "C-1001"}
    assert shown["external_keys"] == [{"system": "erp", "key": "C-1001"}, {"system": "tender", "key": "T-7"}]
    assert add_company(api["alice"], "福州公司", credit_code=KNOWN_VALID)["credit_code"] == KNOWN_VALID


def test_old_rows_with_free_text_industry_stay_readable(api):
    made = add_company(api["alice"], "老客户", industry="Telecom")
    assert (made["industry"], made["industry_section"], made["tags"]) == ("Telecom", None, [])


@pytest.mark.parametrize("fields, field", [
    ({"credit_code": KNOWN_VALID[:-1] + "X"}, "credit_code"),
    ({"credit_code": "91350100M000100Y4"}, "credit_code"),
    ({"industry_section": "Z"}, "industry_section"),
    ({"industry_division": "98"}, "industry_division"),
    ({"industry_section": "C", "industry_division": "65"}, "industry_division"),
    ({"founded_on": (date.today() + timedelta(days=2)).isoformat()}, "founded_on"),
    ({"registered_capital": -1}, "registered_capital"),
    ({"registered_capital_currency": "XYZ"}, "registered_capital_currency"),
    ({"size_band": "huge"}, "size_band"),
    ({"website": "javascript:alert(1)"}, "website"),
    ({"owner_id": 99999}, "owner_id"),
    ({"tags": ["x" * 41]}, "tags.0"),
    ({"tags": [str(n) for n in range(31)]}, "tags"),
])
def test_a_bad_master_data_value_is_a_422_naming_its_field_and_adds_nothing(api, fields, field):
    assert error_fields(api["alice"].post("/api/companies", json={"name": "坏公司", **fields})) == [field]
    assert api["alice"].get("/api/companies?q=坏公司").get_json() == []
    made = add_company(api["alice"], "好公司")
    assert error_fields(api["alice"].patch(f"/api/companies/{made['id']}", json=fields)) == [field]


def test_a_credit_code_or_external_key_belongs_to_one_company(api):
    first = add_company(api["alice"], "甲", credit_code=KNOWN_VALID, erp_code="E1",
                        external_keys=[{"system": "crm2", "key": "K1"}])
    assert error_fields(api["alice"].post("/api/companies", json={"name": "乙", "credit_code": KNOWN_VALID}),
                        409) == ["credit_code"]
    assert error_fields(api["alice"].post("/api/companies", json={"name": "乙", "erp_code": "E1"}),
                        409) == ["erp_code"]
    second = add_company(api["alice"], "乙", external_keys=[{"system": "crm3", "key": "K1"}])  # other system
    taken = api["alice"].patch(f"/api/companies/{second['id']}",
                               json={"external_keys": [{"system": "crm2", "key": "K1"}]})
    assert error_fields(taken, 409) == ["external_keys"]
    kept = api["alice"].patch(f"/api/companies/{first['id']}", json={"credit_code": KNOWN_VALID, "erp_code": "E2"})
    assert (kept.status_code, kept.get_json()["erp_code"]) == (200, "E2")
    assert add_company(api["alice"], "丙", erp_code="E1")["erp_code"] == "E1"  # freed by the change


def test_company_changes_are_audited_before_and_after(api, session):
    made = add_company(api["alice"], "审计公司", credit_code=KNOWN_VALID, founded_on="2001-01-01")
    api["alice"].patch(f"/api/companies/{made['id']}", json={"industry_division": "27", "erp_code": "E9",
                                                             "founded_on": "2002-02-02"})
    entries = audit.list_entries(session, audit.AuditQuery(object_type="company", object_id=str(made["id"])))
    changed, created = entries
    assert created.changes == {"name": [None, "审计公司"], "credit_code": [None, KNOWN_VALID],
                               "founded_on": [None, "2001-01-01"]}
    assert changed.action == "company.changed" and changed.changes == {
        "industry_section": [None, "C"], "industry_division": [None, "27"],
        "founded_on": ["2001-01-01", "2002-02-02"], "external_keys": [[], ["erp:E9"]]}


def add_contact(api, company_id, expect=201, **fields):
    response = api.post("/api/contacts", json={"company_id": company_id, "name": "王经理", **fields})
    assert response.status_code == expect, response.get_json()
    return response.get_json()


@pytest.mark.parametrize("typed, stored", [("138 0013 8000", "+8613800138000"),
                                           ("+86 138-0013-8000", "+8613800138000"),
                                           ("(010) 6552 9988", "+861065529988"),
                                           ("+852 6123 4567", "+85261234567")])
def test_a_mobile_is_kept_in_e164(api, typed, stored):
    company = add_company(api["alice"], "电话公司")
    contact = add_contact(api["alice"], company["id"], mobile=typed, department="采购部", wechat_id="wang_01",
                          preferred_channel="wechat")
    assert (contact["mobile"], contact["department"], contact["wechat_id"], contact["preferred_channel"],
            contact["timezone"]) == (stored, "采购部", "wang_01", "wechat", "Asia/Shanghai")


@pytest.mark.parametrize("fields, field", [
    ({"mobile": "12345"}, "mobile"), ({"mobile": "not a phone"}, "mobile"),
    ({"preferred_channel": "fax"}, "preferred_channel"), ({"timezone": "Asia/Beijing"}, "timezone"),
    ({"consents": [{"channel": "pigeon", "granted": True, "source": "form"}]}, "consents.channel"),
])
def test_a_bad_contact_value_is_a_422_naming_its_field(api, fields, field):
    company = add_company(api["alice"], "联系公司")
    assert error_fields(api["alice"].post("/api/contacts", json={"company_id": company["id"], "name": "李",
                                                                  **fields})) == [field]
    assert api["alice"].get(f"/api/contacts?company_id={company['id']}").get_json() == []
    contact = add_contact(api["alice"], company["id"])
    assert error_fields(api["alice"].patch(f"/api/contacts/{contact['id']}", json=fields)) == [field]


def test_consent_is_a_history_whose_latest_row_per_channel_holds(api, session):
    company = add_company(api["alice"], "同意公司")
    contact = add_contact(api["alice"], company["id"], timezone="Europe/Berlin", consents=[
        {"channel": "email", "granted": True, "source": "展会登记表"},
        {"channel": "sms", "granted": True, "source": "展会登记表"}])
    assert contact["timezone"] == "Europe/Berlin"
    assert {c: (v["granted"], v["source"]) for c, v in contact["consents"].items()} == {
        "email": (True, "展会登记表"), "sms": (True, "展会登记表")}
    changed = api["alice"].patch(f"/api/contacts/{contact['id']}", json={
        "title": "总监", "consents": [{"channel": "sms", "granted": False, "source": "短信回复 TD"}]})
    shown = api["alice"].get(f"/api/contacts/{contact['id']}").get_json()
    assert changed.get_json() == shown
    assert {c: (v["granted"], v["source"]) for c, v in shown["consents"].items()} == {
        "email": (True, "展会登记表"), "sms": (False, "短信回复 TD")}
    assert shown["consents"]["sms"]["recorded_at"] >= shown["consents"]["email"]["recorded_at"]
    [change, _] = audit.list_entries(session, audit.AuditQuery(object_type="contact", object_id=str(contact["id"])))
    assert change.changes["title"] == [None, "总监"]
    assert [c["granted"] for c in change.changes["consent.sms"]] == [True, False]


def test_contacts_of_a_company_out_of_sight_stay_out_of_sight(api):
    company = add_company(api["admin"], "看不见的公司")
    contact = add_contact(api["admin"], company["id"])
    assert api["alice"].patch(f"/api/contacts/{contact['id']}", json={"title": "x"}).status_code == 404
    assert error_fields(api["alice"].post("/api/contacts", json={"company_id": company["id"], "name": "x"})) == [
        "company_id"]


def test_customers_imports_no_crm(database_url):
    # database_url: one run per backend, like every test here; the import does not touch the database.
    code = ("import sys, customers.companies, customers.contacts, customers.master_data; "
            "print(sorted(m for m in sys.modules if m == 'crm' or m.startswith(('crm.', 'flask'))))")
    run = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parents[2], capture_output=True,
                         text=True, check=True)
    assert run.stdout.strip() == "[]"
