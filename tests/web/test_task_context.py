"""Task pages with their context, through Flask's test client on both databases: the deal summary
above the form, what a discount approval decides on, gate errors at their fields, required marks,
and the lost-deal fields that count only when the deal is lost. tests/ui/test_task_form.py shows
and hides those fields in a browser."""
from __future__ import annotations

import re

import pytest

from tests.conftest import PROCESSES
from tests.processes.funnel import GOOD_DATA, TENDER_DATA
from tests.web.test_pages import deploy, field_html, login, post, text


@pytest.fixture
def boss(app, users):
    client = app.test_client()
    assert login(client, "admin", "admin-pass-1").status_code == 302
    return client


def open_tasks(api, instance_id) -> dict[str, dict]:
    body = api["admin"].get(f"/api/process-instances/{instance_id}").get_json()
    return {t["name"]: t for t in body["tasks"] if t["status"] == "open"}


def complete(api, instance_id, name, data):
    task = open_tasks(api, instance_id)[name]
    response = api["admin"].post(f"/api/tasks/{task['id']}/complete", json={"data": data})
    assert response.status_code == 200, response.get_json()


@pytest.fixture
def deal(api):
    """A deal for 华为 owned by alice, worked up to the negotiation."""
    deploy(api["admin"], PROCESSES / "sales_funnel.bpmn")
    company = api["admin"].post("/api/companies", json={"name": "华为"}).get_json()
    made = api["admin"].post("/api/opportunities", json={"company_id": company["id"], "name": "华为 CRM 200 席",
                                                         "amount": 500000, "owner": "alice"})
    assert made.status_code == 201, made.get_json()
    instance_id = made.get_json()["instance_id"]
    for name in ("qualify_lead", "confirm_needs", "design_solution"):
        complete(api, instance_id, name, GOOD_DATA[name])
    return {"instance_id": instance_id, "company_id": company["id"]}


def summary_of(page: str) -> str:
    return page[page.index('class="card deal-summary"'):page.index('<div class="columns">')]


def summary_value(page: str, name: str) -> str:
    found = re.search(rf'data-summary="{name}"><dt>[^<]*</dt><dd>(.*?)</dd>', summary_of(page), re.S)
    return found[1].strip() if found else ""


def test_the_negotiation_shows_the_deal_it_is_about(api, boss, deal):
    task = open_tasks(api, deal["instance_id"])["negotiate"]
    page = text(boss.get(f"/tasks/{task['id']}"))
    assert summary_value(page, "company") == f'<a href="/companies/{deal["company_id"]}">华为</a>'
    assert summary_value(page, "deal_name") == "华为 CRM 200 席"
    assert summary_value(page, "amount") == "¥480,000", "the quote made in 方案制定"
    assert summary_value(page, "owner") == "alice"
    assert summary_value(page, "stage") == "商务谈判 · 已在本阶段 0 天"
    assert "待审批内容" not in page, "nothing to approve here"


def test_the_discount_approval_shows_the_discount_amounts_and_terms_it_decides_on(api, boss, deal):
    complete(api, deal["instance_id"], "negotiate", {**GOOD_DATA["negotiate"], "discount_percent": 15})
    task = open_tasks(api, deal["instance_id"])["approve_discount"]
    page = text(boss.get(f"/tasks/{task['id']}"))
    review = page[page.index('class="review-box"'):page.index('class="summary-list"')]
    figures = {name: value for name, _label, value in
               re.findall(r'data-summary="(\w+)"><dt>([^<]*)</dt><dd>([^<]*)</dd>', review)}
    assert figures == {"discount_percent": "15 %", "amount": "¥480,000", "agreed_amount": "¥456,000",
                       "payment_terms": "30 % upfront", "expected_close_date": "2027-02-01"}
    assert "待审批内容" in review and "折扣" in review and "成交金额" in review
    assert summary_value(page, "company").endswith(">华为</a>"), "the deal is summarised beside it"
    approved = field_html(page, "discount_approved")
    assert 'class="req"' in approved and approved.count(" required") == 2, "both radios are required"


def test_optional_fields_carry_no_asterisk(api, boss, deal):
    complete(api, deal["instance_id"], "negotiate", {**GOOD_DATA["negotiate"], "discount_percent": 15})
    task = open_tasks(api, deal["instance_id"])["approve_discount"]
    page = text(boss.get(f"/tasks/{task['id']}"))
    assert 'class="req"' not in field_html(page, "approval_note")
    assert " required" not in field_html(page, "approval_note")


def test_gate_errors_appear_at_their_fields_in_the_interfaces_language(api, boss, deal):
    task = open_tasks(api, deal["instance_id"])["negotiate"]
    form = {"discount_percent": "5", "payment_terms": "", "outcome": "continue"}
    response = post(boss, f"/tasks/{task['id']}/complete", form, page=f"/tasks/{task['id']}")
    assert response.status_code == 422
    page = text(response)
    agreed = field_html(page, "agreed_amount")
    assert '<span class="field-error" id="e-agreed_amount-1">已商定成交金额</span>' in agreed
    assert 'aria-invalid="true"' in agreed and 'aria-describedby="e-agreed_amount-1"' in agreed
    assert "已约定付款条件" in field_html(page, "payment_terms")
    assert "aria-invalid" not in field_html(page, "discount_percent"), "the discount meets its gate"
    assert 'class="checklist"' not in page, "every unmet criterion is at its field"
    assert "The agreed amount is set" not in page
    assert summary_value(page, "deal_name") == "华为 CRM 200 席", "the summary stays on a refused form"

    post(boss, "/language", {"locale": "en", "next": f"/tasks/{task['id']}"}, page=f"/tasks/{task['id']}")
    page = text(post(boss, f"/tasks/{task['id']}/complete", form, page=f"/tasks/{task['id']}"))
    assert '<span class="field-error" id="e-agreed_amount-1">The agreed amount is set</span>' in page
    assert "已商定成交金额" not in page
    assert "<dt>Owner</dt>" in summary_of(page) and "0 days in this stage" in summary_of(page)


def test_the_lost_fields_are_declared_conditional_and_count_only_when_lost(api, boss, deal):
    task = open_tasks(api, deal["instance_id"])["negotiate"]
    schema = api["admin"].get(f"/api/tasks/{task['id']}").get_json()["form"]
    lost = {"if": {"properties": {"outcome": {"const": "lost"}}, "required": ["outcome"]},
            "then": {"required": ["lost_reason", "lost_note"]}}
    assert schema["required"] == [] and schema["allOf"] == [lost]
    assert schema["properties"]["lost_reason"]["x-visible-when"] == lost["if"]

    page = text(boss.get(f"/tasks/{task['id']}"))
    reason = field_html(page, "lost_reason")
    assert "data-visible-when=" in reason and 'class="req"' in reason
    assert 'id="h-lost_reason">仅当“结果”为“丢单”时填写。</span>' in reason, "said in words, for no script"

    path = f"/tasks/{task['id']}/complete"
    response = post(boss, path, {"outcome": "lost", "lost_reason": "", "lost_note": ""}, page=f"/tasks/{task['id']}")
    assert response.status_code == 422
    page = text(response)
    for name in ("lost_reason", "lost_note"):
        assert "此项为必填项" in field_html(page, name) and 'aria-invalid="true"' in field_html(page, name)
    assert "aria-invalid" not in field_html(page, "agreed_amount"), "a lost deal needs no agreed amount"

    moving_on = {**{k: str(v) for k, v in GOOD_DATA["negotiate"].items()}, "outcome": "continue",
                 "lost_reason": "price", "lost_note": "typed, then changed my mind"}
    response = post(boss, path, moving_on, page=f"/tasks/{task['id']}")
    assert response.status_code == 302, "the lost fields are not needed when moving on"
    data = api["admin"].get(f"/api/process-instances/{deal['instance_id']}").get_json()["data"]
    assert "lost_reason" not in data and "lost_note" not in data, "a hidden field's value does not count"
    assert list(open_tasks(api, deal["instance_id"])) == ["sign_contract"]


def test_a_tender_task_shows_the_tender_it_is_about(api, boss):
    deploy(api["admin"], PROCESSES / "tender.bpmn")
    made = api["admin"].post("/api/tenders", json={"buyer": "国家电网"})
    assert made.status_code == 201, made.get_json()
    instance_id = made.get_json()["instance_id"]
    complete(api, instance_id, "announce", TENDER_DATA["announce"])
    task = open_tasks(api, instance_id)["score_bid"]
    page = text(boss.get(f"/tasks/{task['id']}"))
    assert (summary_value(page, "title"), summary_value(page, "buyer"), summary_value(page, "budget"),
            summary_value(page, "submission_deadline")) == ("ERP for the grid", "国家电网", "¥2,000,000",
                                                            "2027-01-10")
    assert summary_value(page, "stage").startswith("招标 · 已在本阶段 0 天")
