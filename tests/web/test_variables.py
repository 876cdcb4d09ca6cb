"""Process data only the process may set: findings 1, 2, 5 and 7 of issue 12, and the repair.

The demo users of the `api` fixture (admin, alice in sales, bob in sales and
managers, carol in legal), plus `plain` (a member in no group) and `erp` (an
integration: group integrations, which holds instances.variables.set).
"""
from __future__ import annotations

import io
import json

import pytest
from SpiffWorkflow.util.task import TaskState

from engine import instances
from tests.conftest import PROCESSES, Api, make_token
from tests.processes.funnel import GOOD_DATA

V2 = PROCESSES.parent / "tests" / "processes" / "fixtures" / "sales_funnel_v2.bpmn"
LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED


@pytest.fixture
def people(api, app, client):
    """The demo users plus `plain` and `erp`, with both bundled processes deployed."""
    people = dict(api)
    people["plain"] = Api(client, make_token(app, "plain", ()))
    people["erp"] = Api(client, make_token(app, "erp", ("integrations",)))
    deploy_files(people["admin"], PROCESSES / "sales_funnel.bpmn", PROCESSES / "tender.bpmn")
    return people


def deploy_files(admin: Api, *paths) -> None:
    files = [(io.BytesIO(p.read_bytes()), p.name.replace("_v2", "")) for p in paths]
    response = admin.post("/api/process-definitions", data={"file": files}, content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()


def open_deal(people, company="华为") -> int:
    """Open a deal as alice; return its instance id."""
    company_id = people["alice"].post("/api/companies", json={"name": company}).get_json()["id"]
    response = people["alice"].post("/api/opportunities", json={"company_id": company_id, "amount": 480000})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["instance_id"]


def show(people, instance_id) -> dict:
    # Plain json, not the app's checked loader: a broken instance's answer may hold what requests may not.
    return json.loads(people["admin"].get(f"/api/process-instances/{instance_id}").data)


def complete(people, instance_id, name, data, who="alice"):
    [task] = [t for t in show(people, instance_id)["tasks"] if t["status"] == "open" and t["name"] == name]
    return people[who].post(f"/api/tasks/{task['id']}/complete", json={"data": data})


def set_variables(api: Api, instance_id, body):
    return api.post(f"/api/process-instances/{instance_id}/variables", json=body)


def fields_of(response) -> set[str]:
    return {e.get("field") for e in response.get_json()["errors"]}


def drive_to_contract(people, instance_id) -> None:
    for name in ("qualify_lead", "confirm_needs", "design_solution", "negotiate"):
        assert complete(people, instance_id, name, GOOD_DATA[name]).status_code == 200


def test_nobody_sets_contract_signed_by_both_through_variables(people):
    """Finding 1: the contract gate opens only on the archive's word."""
    deal = open_deal(people)
    drive_to_contract(people, deal)
    body = {"data": {"contract_signed_by_both": True}, "reason": "signed, trust me"}
    assert set_variables(people["plain"], deal, body).status_code == 403
    for who in ("erp", "admin"):
        refused = set_variables(people[who], deal, body)
        assert refused.status_code == 422
        [error] = refused.get_json()["errors"]
        assert error["field"] == "contract_signed_by_both"
        assert "protected by the process: only the process sets it" in error["message"]
    gate = complete(people, deal, "sign_contract", GOOD_DATA["sign_contract"], who="carol")
    assert gate.status_code == 422
    shown = show(people, deal)
    assert shown["stage"] == "合同签署" and "contract_signed_by_both" not in shown["data"]


def test_the_archive_and_the_system_still_record_the_signature(people, app):
    deal = open_deal(people)
    drive_to_contract(people, deal)
    with app.extensions["session_factory"]() as session:  # as signing.service._report_to_process does
        instances.set_variables(session, deal, {"contract_id": 7, "contract_signed_by_both": True}, actor=None)
        session.commit()
    assert complete(people, deal, "sign_contract", GOOD_DATA["sign_contract"], who="carol").status_code == 200
    assert show(people, deal)["stage"] == "交付实施"


def test_an_integration_cannot_change_what_was_agreed_or_who_owns_the_deal(people):
    """Finding 2: ordinary members get 403; an integration gets 422 for each protected name."""
    deal = open_deal(people)
    drive_to_contract(people, deal)
    before = show(people, deal)["data"]
    forged = {"owner": "erp", "amount": 1, "agreed_amount": 45000, "discount_percent": 50,
              "customer_accepted": True, "discount_approved": True}
    body = {"data": forged, "reason": "the ERP says so"}
    assert set_variables(people["plain"], deal, body).status_code == 403
    assert set_variables(people["alice"], deal, body).status_code == 403  # sales1 after negotiating at 5 %
    refused = set_variables(people["erp"], deal, body)
    assert refused.status_code == 422
    assert fields_of(refused) == set(forged)
    after = show(people, deal)["data"]
    assert {k: after.get(k) for k in forged} == {k: before.get(k) for k in forged}


def test_an_integration_sets_an_open_variable_with_a_reason_and_the_change_is_recorded(people):
    deal = open_deal(people)
    missing = set_variables(people["erp"], deal, {"data": {"expected_close_date": "2027-03-01"}})
    assert missing.status_code == 422 and fields_of(missing) == {"reason"}
    done = set_variables(people["erp"], deal, {"data": {"expected_close_date": "2027-03-01"},
                                               "reason": "the customer moved the signing"})
    assert done.status_code == 200, done.get_json()
    [entry] = [h for h in done.get_json()["history"] if h["action"] == "instance.variables_set"]
    assert entry["actor"] == "erp"
    assert entry["detail"] == {"reason": "the customer moved the signing",
                               "changes": {"expected_close_date": [None, "2027-03-01"]}}


@pytest.mark.parametrize("data, field", [
    ({"budget": "lots"}, "budget"),  # a long field
    ({"budget": -1}, "budget"),  # below its min
    ({"timeline": "next spring"}, "timeline"),  # a date field
    ({"source": "rumour"}, "source"),  # an enum field
    ({"escalate_after": "P1000Y"}, "escalate_after"),  # a duration out of range
    ({"not-a-name": 1}, "not-a-name"),
])
def test_values_are_checked_as_form_data(people, data, field):
    deal = open_deal(people)
    refused = set_variables(people["erp"], deal, {"data": data, "reason": "sync"})
    assert refused.status_code == 422 and fields_of(refused) == {field}


def test_a_deal_cannot_start_past_its_gates(people):
    """Finding 5: entry_stage is the system's (a won tender) or a repairer's."""
    start = {"process_key": "sales_funnel", "data": {"entry_stage": "合同签署"}}
    for who in ("plain", "alice"):
        refused = people[who].post("/api/process-instances", json=start)
        assert refused.status_code == 422 and fields_of(refused) == {"entry_stage"}
    forged = people["alice"].post("/api/process-instances", json={
        "process_key": "sales_funnel", "data": {"agreed_amount": 1, "contract_signed_by_both": True}})
    assert fields_of(forged) == {"agreed_amount", "contract_signed_by_both"}
    bad = people["alice"].post("/api/process-instances", json={
        "process_key": "sales_funnel", "data": {"stale_after": "soon"}})
    assert bad.status_code == 422 and fields_of(bad) == {"stale_after"}
    owned = people["alice"].post("/api/process-instances", json={
        "process_key": "sales_funnel", "data": {"owner": "bob", "amount": 1000}})
    assert owned.status_code == 201  # who owns it and the first estimate come with the start
    migrated = people["admin"].post("/api/process-instances", json=start)
    assert migrated.status_code == 201 and migrated.get_json()["stage"] == "合同签署"


def test_the_tender_protects_its_decisions(people):
    tender = people["alice"].post("/api/tenders", json={"buyer": "国家电网"}).get_json()
    refused = set_variables(people["erp"], tender["instance_id"], {
        "data": {"bid_score": 100, "approve_bid": True, "awarded_amount": 5, "owner": "erp"}, "reason": "x"})
    assert fields_of(refused) == {"bid_score", "approve_bid", "awarded_amount", "owner"}
    late = set_variables(people["erp"], tender["instance_id"], {"data": {"submission_due": "whenever"},
                                                                "reason": "x"})
    assert late.status_code == 422 and fields_of(late) == {"submission_due"}


def deep(levels: int) -> dict:
    value: dict = {}
    for _ in range(levels):
        value = {"a": value}
    return value


@pytest.mark.parametrize("data, status", [({"notes": deep(900)}, 400), ({"notes": deep(40)}, 422),
                                          ({"stale_after": "soon"}, 422)])
def test_a_bad_value_is_refused_at_the_door_and_the_deal_still_moves(people, data, status):
    """Finding 7, the door: refused (400 past the body's 64 levels, else 422), nothing stored, work goes on."""
    deal = open_deal(people)
    refused = set_variables(people["erp"], deal, {"data": data, "reason": "sync"})
    assert refused.status_code == status
    assert fields_of(refused) == ({"body"} if status == 400 else set(data))
    assert not set(data) & set(show(people, deal)["data"]) - {"stale_after"}
    assert show(people, deal)["data"]["stale_after"] == "P14D"
    assert complete(people, deal, "qualify_lead", GOOD_DATA["qualify_lead"]).status_code == 200


def break_the_old_way(app, instance_id, name, value) -> None:
    """Store a bad value as /variables did before it checked values."""
    with app.extensions["session_factory"]() as session:
        instance = instances.lock_instance(session, instance_id)
        workflow = instances.load_workflow(instance)
        for task in workflow.get_tasks(state=LIVE):
            task.data[name] = value
        instances.persist(session, instance, workflow, actor=None)
        session.commit()


def test_an_instance_broken_by_a_bad_duration_answers_422_and_an_admin_repairs_it(people, app):
    deal = open_deal(people)
    break_the_old_way(app, deal, "stale_after", "soon")
    broken = complete(people, deal, "qualify_lead", GOOD_DATA["qualify_lead"])
    assert broken.status_code == 422
    [error] = broken.get_json()["errors"]
    assert error["element_id"] == "needs_stale" and "stale_after" in error["message"]
    repair = {"data": {"stale_after": "P14D"}, "repair": True, "reason": "broken before #12"}
    assert set_variables(people["erp"], deal, repair).status_code == 403
    assert set_variables(people["admin"], deal, {**repair, "reason": ""}).status_code == 422
    repaired = set_variables(people["admin"], deal, repair)
    assert repaired.status_code == 200, repaired.get_json()
    [entry] = [h for h in repaired.get_json()["history"] if h["action"] == "instance.repaired"]
    assert entry["detail"]["changes"] == {"stale_after": ["soon", "P14D"]}
    assert complete(people, deal, "qualify_lead", GOOD_DATA["qualify_lead"]).status_code == 200
    assert show(people, deal)["stage"] == "需求确认"


def test_an_instance_too_deep_to_load_answers_422_and_an_admin_unsets_the_variable(people, app):
    deal = open_deal(people)
    break_the_old_way(app, deal, "notes", deep(900))
    broken = complete(people, deal, "qualify_lead", GOOD_DATA["qualify_lead"])
    assert broken.status_code == 422 and "notes" in broken.get_json()["errors"][0]["message"]
    not_without_repair = set_variables(people["admin"], deal, {"unset": ["notes"], "reason": "x"})
    assert not_without_repair.status_code == 422 and fields_of(not_without_repair) == {"unset"}
    repaired = set_variables(people["admin"], deal, {"unset": ["notes"], "repair": True,
                                                     "reason": "a 900-deep object from before #12"})
    assert repaired.status_code == 200, repaired.get_json()
    assert "notes" not in repaired.get_json()["data"]
    [entry] = [h for h in repaired.get_json()["history"] if h["action"] == "instance.repaired"]
    assert entry["detail"]["changes"]["notes"][1] is None
    assert complete(people, deal, "qualify_lead", GOOD_DATA["qualify_lead"]).status_code == 200


def test_a_deal_on_the_previous_funnel_is_protected_by_the_newest_one(api, app, client):
    """The funnel before protected_variables (v2): its deals are covered once v3 is deployed."""
    erp = Api(client, make_token(app, "erp", ("integrations",)))
    deploy_files(api["admin"], V2)
    old = api["alice"].post("/api/process-instances", json={"process_key": "sales_funnel"}).get_json()
    deploy_files(api["admin"], PROCESSES / "sales_funnel.bpmn")
    refused = set_variables(erp, old["id"], {"data": {"contract_signed_by_both": True}, "reason": "x"})
    assert refused.status_code == 422 and fields_of(refused) == {"contract_signed_by_both"}
    assert show({"admin": api["admin"]}, old["id"])["version"] == 1


def test_a_misspelt_protected_variables_property_is_reported_at_deploy():
    from engine import bpmn

    text = (PROCESSES / "tender.bpmn").read_text(encoding="utf-8").replace(
        'value="approve_bid, ', 'value="approve-bid, ', 1)
    [process] = bpmn.parse_upload([("tender.bpmn", text.encode("utf-8"))])
    assert not process.is_executable
    assert [p.element_id for p in process.problems if "approve-bid" in p.message] == ["tender"]
