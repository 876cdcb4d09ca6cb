"""Drive the bundled processes through the REST API as the people they name would."""
from __future__ import annotations

import io

from tests.conftest import PROCESSES, Api, make_token

STAGES = ["线索获取", "需求确认", "方案制定", "商务谈判", "合同签署", "交付实施", "售后服务"]
FUNNEL_TASKS = ["qualify_lead", "confirm_needs", "design_solution", "negotiate", "sign_contract", "deliver",
                "after_sales"]
GOOD_DATA = {
    "qualify_lead": {"company": "华为", "contact": "Li Wei", "source": "referral"},
    "confirm_needs": {"budget": 500000, "decision_maker": "CFO", "need": "CRM for 200 seats",
                      "timeline": "2027-03-01"},
    "design_solution": {"solution_summary": "Cloud CRM, 200 seats, 3 years", "amount": 480000},
    "negotiate": {"discount_percent": 5, "agreed_amount": 456000, "payment_terms": "30 % upfront",
                  "expected_close_date": "2027-02-01"},
    "sign_contract": {"signed_on": "2027-02-01", "win_reason": "solution"},
    "deliver": {"customer_accepted": True, "accepted_on": "2027-04-01"},
    "after_sales": {"satisfaction": 5},
}
LOST = {"outcome": "lost", "lost_reason": "competitor", "lost_note": "They chose a local vendor"}
# Who works on each task: the role in `make_team`.
WORKER = {"qualify_lead": "sales", "confirm_needs": "sales", "design_solution": "sales", "negotiate": "sales",
          "sign_contract": "legal", "deliver": "delivery", "after_sales": "delivery",
          "approve_discount": "manager", "announce": "sales", "score_bid": "manager",
          "director_approval": "director", "technical_proposal": "delivery", "commercial_proposal": "sales",
          "pricing": "manager", "bid_bond": "sales", "submit_bid": "sales", "opening": "sales",
          "answer_questions": "sales", "evaluation_result": "sales", "award": "manager"}
GROUPS = {"sales": ("sales",), "manager": ("sales", "sales_managers"), "legal": ("legal",),
          "delivery": ("delivery", "service"), "director": ("directors",)}


def make_team(app, client) -> dict[str, Api]:
    """Return one Api per role (sales, manager, legal, delivery, director) and an admin."""
    team = {role: Api(client, make_token(app, f"{role}-user", groups)) for role, groups in GROUPS.items()}
    team["admin"] = Api(client, make_token(app, "boss", (), "admin"))
    return team


def deploy_bundled(admin: Api) -> None:
    """Deploy processes/sales_funnel.bpmn and processes/tender.bpmn."""
    files = [(io.BytesIO((PROCESSES / name).read_bytes()), name)
             for name in ("sales_funnel.bpmn", "tender.bpmn")]
    response = admin.post("/api/process-definitions", data={"file": files}, content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()


def show(api: Api, instance_id: int) -> dict:
    """Return the instance as the API shows it."""
    return api.get(f"/api/process-instances/{instance_id}").get_json()


def open_tasks(api: Api, instance_id: int) -> dict[str, dict]:
    """Return the instance's open tasks by element id."""
    return {t["name"]: t for t in show(api, instance_id)["tasks"] if t["status"] == "open"}


def complete(team: dict, instance_id: int, name: str, data: dict, expect: int = 200, as_role=None):
    """Complete the open task `name` as its worker; return the response body."""
    task = open_tasks(team["admin"], instance_id)[name]
    response = team[as_role or WORKER[name]].post(f"/api/tasks/{task['id']}/complete", json={"data": data})
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def open_deal(team: dict, company: str = "华为", **body) -> dict:
    """Create a company and open a deal for it as the salesperson; return the opportunity."""
    made = team["sales"].post("/api/companies", json={"name": company})
    company_id = made.get_json()["id"] if made.status_code == 201 else \
        team["sales"].get(f"/api/companies?q={company}").get_json()[0]["id"]
    response = team["sales"].post("/api/opportunities", json={"company_id": company_id, **body})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def report_signed_by_both(team: dict, instance_id: int) -> None:
    """Record, as the contract archive does once both signatures verify, that the contract is signed.

    tests/processes/test_contract_signing.py signs for real; the other funnel tests
    take this integration step as given, through an admin's repair: the name is
    protected, so nothing short of the archive or a repair sets it.
    """
    response = team["admin"].post(f"/api/process-instances/{instance_id}/variables", json={
        "data": {"contract_signed_by_both": True}, "repair": True,
        "reason": "signed on paper before the archive: record what the archive would"})
    assert response.status_code == 200, response.get_json()


def drive_funnel(team: dict, instance_id: int, until: str | None = None) -> None:
    """Complete each stage's work with data that meets its gates, up to the task `until`."""
    for name in FUNNEL_TASKS:
        if name == until:
            return
        if name == "sign_contract":
            report_signed_by_both(team, instance_id)
        complete(team, instance_id, name, GOOD_DATA[name])


def gate_messages(body: dict) -> set[str]:
    """Return the unmet stage-gate criteria of a 422 body."""
    return {e["message"] for e in body["errors"] if e.get("gate")}


TENDER_DATA = {
    "announce": {"title": "ERP for the grid", "budget": 2000000, "registration_deadline": "2026-12-10",
                 "questions_deadline": "2026-12-15", "submission_deadline": "2027-01-10",
                 "opening_date": "2027-01-12"},
    "score_bid": {"fit": 4, "relationship": 3, "competition": 3, "margin": 3, "capability": 4},  # 69
    "technical_proposal": {"technical_summary": "SAP S/4 on premises, 18 months"},
    "commercial_proposal": {"commercial_summary": "Fixed price, 3 milestones"},
    "pricing": {"bid_price": 1900000},
    "bid_bond": {"bond_amount": 40000, "bond_paid": True},
    "submit_bid": {"submitted_on": "2027-01-09", "receipt_number": "TB-0042"},
    "opening": {"opened_on": "2027-01-12", "bidders": 5, "has_questions": True,
                "clarification_deadline": "2027-01-15"},
    "answer_questions": {"answers_sent_on": "2027-01-14"},
    "evaluation_result": {"evaluation_rank": 1, "technical_score": 88},
    "award": {"won": True, "awarded_amount": 1850000, "award_date": "2027-01-20"},
}
LOW_SCORES = {"fit": 2, "relationship": 2, "competition": 3, "margin": 2, "capability": 3}  # 46
BID_WORK = ["technical_proposal", "commercial_proposal", "pricing", "bid_bond"]
TO_AWARD = ["announce", "score_bid", *BID_WORK, "submit_bid", "opening", "answer_questions",
            "evaluation_result"]


def open_tender(team: dict, **body) -> dict:
    """Follow a tender as the salesperson; return its record."""
    response = team["sales"].post("/api/tenders", json={"buyer": "国家电网", **body})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def drive_tender(team: dict, instance_id: int, names: list[str], **overrides) -> None:
    """Complete the tender tasks `names` in order with TENDER_DATA, or the data in `overrides`."""
    for name in names:
        complete(team, instance_id, name, overrides.get(name, TENDER_DATA[name]))
