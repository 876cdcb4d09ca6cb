"""The bundled sales funnel, driven through the REST API: won, lost at each stage, gates, discounts."""
from __future__ import annotations

import pytest

from tests.processes.funnel import (FUNNEL_TASKS, GOOD_DATA, LOST, STAGES, complete, drive_funnel,
                                    gate_messages, open_deal, open_tasks, report_signed_by_both, show)


def test_a_deal_is_won_through_all_seven_stages(team):
    deal = open_deal(team, amount=400000, expected_close_date="2027-02-15")
    assert (deal["stage"], deal["probability"], deal["owner"], deal["outcome"]) == ("线索获取", 0.1, "sales-user",
                                                                                 "open")
    groups = {}
    for name in FUNNEL_TASKS:
        task = open_tasks(team["admin"], deal["instance_id"])[name]
        groups[name] = task["groups"]
        if name == "sign_contract":
            report_signed_by_both(team, deal["instance_id"])
        complete(team, deal["instance_id"], name, GOOD_DATA[name])
    assert groups == {"qualify_lead": ["sales"], "confirm_needs": ["sales"], "design_solution": ["sales"],
                      "negotiate": ["sales"], "sign_contract": ["legal"], "deliver": ["delivery"],
                      "after_sales": ["service"]}
    shown = show(team["admin"], deal["instance_id"])
    assert shown["status"] == "completed"
    assert [h["detail"]["stage"] for h in shown["history"] if h["action"] == "stage.entered"] == STAGES
    won = team["sales"].get(f"/api/opportunities/{deal['id']}").get_json()
    assert (won["outcome"], won["amount"], won["expected_close_date"], won["win_reason"]) == (
        "won", 456000, "2027-02-01", "solution")
    assert won["closed_at"] is not None and won["company"] == "华为"


def test_the_deal_counts_as_won_once_the_contract_is_signed(team):
    deal = open_deal(team)
    drive_funnel(team, deal["instance_id"], until="deliver")
    shown = team["sales"].get(f"/api/opportunities/{deal['id']}").get_json()
    assert (shown["stage"], shown["outcome"], shown["probability"], shown["status"]) == (
        "交付实施", "won", 1.0, "running")


@pytest.mark.parametrize("stage, task", list(zip(STAGES, FUNNEL_TASKS)))
def test_a_deal_can_be_lost_at_every_stage_whatever_its_gates_say(team, stage, task):
    deal = open_deal(team)
    drive_funnel(team, deal["instance_id"], until=task)
    complete(team, deal["instance_id"], task, LOST)
    shown = show(team["admin"], deal["instance_id"])
    assert (shown["status"], shown["stage"], shown["data"]["outcome"]) == ("completed", stage, "lost")
    assert open_tasks(team["admin"], deal["instance_id"]) == {}
    lost = team["sales"].get(f"/api/opportunities/{deal['id']}").get_json()
    assert (lost["outcome"], lost["stage"], lost["lost_reason"], lost["lost_note"], lost["probability"]) == (
        "lost", stage, "competitor", "They chose a local vendor", 0.0)


def test_losing_a_deal_needs_a_reason_from_the_list_and_a_note(team):
    deal = open_deal(team)
    body = complete(team, deal["instance_id"], "qualify_lead", {"outcome": "lost"}, expect=422)
    assert {(e["field"], e["message"]) for e in body["errors"]} == {
        ("lost_reason", "丢单原因 Reason lost is required"), ("lost_note", "丢单说明 Note on the loss is required")}
    body = complete(team, deal["instance_id"], "qualify_lead",
                    {"outcome": "lost", "lost_reason": "bad luck", "lost_note": "x"}, expect=422)
    assert {e["field"] for e in body["errors"]} == {"lost_reason"}
    form = open_tasks(team["admin"], deal["instance_id"])["qualify_lead"]
    schema = team["sales"].get(f"/api/tasks/{form['id']}").get_json()["form"]
    assert schema["properties"]["lost_reason"]["enum"] == ["price", "competitor", "no_budget", "no_decision",
                                                          "timing"]


GATES = {
    "qualify_lead": {"已填写客户公司 The customer company is named", "已填写联系人 A contact person is named"},
    "confirm_needs": {"预算已确认 The budget is confirmed", "已找到决策人 The decision maker is known",
                      "需求已明确 The need is understood", "时间表已确定 The timeline is set"},
    "design_solution": {"方案摘要已填写 The solution is summarised", "已报价 A quoted amount is given"},
    "negotiate": {"已商定成交金额 The agreed amount is set",
                  "已填写折扣（无折扣填 0） The discount is stated (0 for none)",
                  "已约定付款条件 Payment terms are agreed"},
    "sign_contract": {"合同已由双方签署 The contract is signed by both parties"},
    "deliver": {"客户已验收 The customer has accepted the delivery"},
    "after_sales": {"已记录客户满意度 Customer satisfaction is recorded"},
}


@pytest.mark.parametrize("task", FUNNEL_TASKS)
def test_each_stage_gate_refuses_with_every_unmet_criterion_and_the_task_stays_open(team, task):
    deal = team["sales"].post("/api/process-instances", json={"process_key": "sales_funnel"}).get_json()
    drive_funnel(team, deal["id"], until=task)
    body = complete(team, deal["id"], task, {}, expect=422)
    assert gate_messages(body) == GATES[task]
    assert all(e["element_id"] == task for e in body["errors"])
    assert task in open_tasks(team["admin"], deal["id"])
    if task == "sign_contract":
        report_signed_by_both(team, deal["id"])
    complete(team, deal["id"], task, GOOD_DATA[task])


@pytest.mark.parametrize("task, data, unmet", [
    ("confirm_needs", {**GOOD_DATA["confirm_needs"], "budget": 0}, {"预算已确认 The budget is confirmed"}),
    ("sign_contract", {"signed_on": "2027-02-01"}, {"合同已由双方签署 The contract is signed by both parties"}),
    ("deliver", {"customer_accepted": False, "delivery_note": "training pending"},
     {"客户已验收 The customer has accepted the delivery"}),
])
def test_a_gate_names_only_the_criteria_still_unmet(team, task, data, unmet):
    deal = open_deal(team)
    drive_funnel(team, deal["instance_id"], until=task)
    assert gate_messages(complete(team, deal["instance_id"], task, data, expect=422)) == unmet
    assert show(team["admin"], deal["instance_id"])["stage"] == STAGES[FUNNEL_TASKS.index(task)]


def test_a_discount_over_ten_percent_needs_a_sales_managers_approval(team):
    deal = open_deal(team)
    drive_funnel(team, deal["instance_id"], until="negotiate")
    complete(team, deal["instance_id"], "negotiate", {**GOOD_DATA["negotiate"], "discount_percent": 15})
    approval = open_tasks(team["admin"], deal["instance_id"])["approve_discount"]
    assert (approval["groups"], approval["stage"]) == (["sales_managers"], "商务谈判")
    assert show(team["admin"], deal["instance_id"])["stage"] == "商务谈判"
    complete(team, deal["instance_id"], "approve_discount", {"discount_approved": True}, expect=403,
             as_role="sales")
    complete(team, deal["instance_id"], "approve_discount", {"discount_approved": True})
    assert list(open_tasks(team["admin"], deal["instance_id"])) == ["sign_contract"]


def test_a_refused_discount_goes_back_to_negotiation_with_the_managers_reason(team):
    deal = open_deal(team)
    drive_funnel(team, deal["instance_id"], until="negotiate")
    complete(team, deal["instance_id"], "negotiate", {**GOOD_DATA["negotiate"], "discount_percent": 25})
    body = complete(team, deal["instance_id"], "approve_discount", {"discount_approved": False}, expect=422)
    assert gate_messages(body) == {"拒绝折扣时需说明理由 Say why when refusing the discount"}
    complete(team, deal["instance_id"], "approve_discount",
             {"discount_approved": False, "approval_note": "at most 12 %"})
    assert list(open_tasks(team["admin"], deal["instance_id"])) == ["negotiate"]
    complete(team, deal["instance_id"], "negotiate", {**GOOD_DATA["negotiate"], "discount_percent": 10})
    assert list(open_tasks(team["admin"], deal["instance_id"])) == ["sign_contract"]
    stages = [h["detail"]["stage"] for h in show(team["admin"], deal["instance_id"])["history"]
              if h["action"] == "stage.entered"]
    assert stages == STAGES[:5]


def test_the_opportunity_follows_the_deal_data(team):
    deal = open_deal(team, amount=300000)
    drive_funnel(team, deal["instance_id"], until="negotiate")
    shown = team["sales"].get(f"/api/opportunities/{deal['id']}").get_json()
    assert (shown["stage"], shown["amount"], shown["probability"], shown["weighted_amount"]) == (
        "商务谈判", 480000, 0.6, 288000.0)
    assert shown["expected_close_date"] == "2027-03-01"  # the BANT timeline until negotiation sets a date
