"""The REST API as an ERP or OA system uses it: deploy, start, work tasks, read history."""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import FIXTURES, PROCESSES, deploy


def start(api_client, key, data=None, business_key=None, expect=201):
    response = api_client.post("/api/process-instances", json={
        "process_key": key, "data": data or {}, "business_key": business_key})
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def open_task(api_client, instance_id):
    tasks = api_client.get(f"/api/tasks?instance_id={instance_id}").get_json()
    assert len(tasks) == 1, tasks
    return api_client.get(f"/api/tasks/{tasks[0]['id']}").get_json()


def test_requests_without_a_valid_token_are_refused(client, users):
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic eA=="}):
        response = client.get("/api/tasks", headers=headers)
        assert response.status_code == 401
        assert response.get_json()["errors"][0]["message"]


def test_only_admins_and_designers_deploy(api):
    response = api["alice"].post("/api/process-definitions",
                                 data={"file": [(io.BytesIO(b"<x/>"), "a.bpmn")]})
    assert response.status_code == 403
    body = deploy(api["designer"], FIXTURES / "loop.bpmn")
    assert [(d["key"], d["version"], d["executable"]) for d in body] == [("loop", 1, True)]


def test_versions_follow_content(api, tmp_path):
    first = deploy(api["admin"], FIXTURES / "loop.bpmn")[0]
    again = deploy(api["admin"], FIXTURES / "loop.bpmn")[0]
    assert (again["id"], again["version"], again["created"]) == (first["id"], 1, False)
    changed = tmp_path / "loop.bpmn"
    changed.write_text((FIXTURES / "loop.bpmn").read_text().replace("Do a step", "Do one step"))
    second = deploy(api["admin"], changed)[0]
    assert (second["version"], second["created"]) == (2, True)
    listed = api["alice"].get("/api/process-definitions").get_json()
    assert [(d["key"], d["version"]) for d in listed] == [("loop", 2)]


def test_a_running_instance_keeps_the_version_it_started_on(api, tmp_path):
    deploy(api["admin"], FIXTURES / "loop.bpmn")
    instance = start(api["alice"], "loop")
    changed = tmp_path / "loop.bpmn"
    changed.write_text((FIXTURES / "loop.bpmn").read_text().replace("Do a step", "Renamed step"))
    deploy(api["admin"], changed)
    task = open_task(api["alice"], instance["id"])
    assert task["title"] == "Do a step"
    done = api["alice"].post(f"/api/tasks/{task['id']}/complete", json={"data": {"done": True}})
    assert done.status_code == 200
    shown = api["alice"].get(f"/api/process-instances/{instance['id']}").get_json()
    assert (shown["version"], shown["status"]) == (1, "completed")
    assert start(api["alice"], "loop")["version"] == 2


def test_invalid_bpmn_is_refused_with_file_line_and_nothing_is_stored(api):
    broken = io.BytesIO(b'<?xml version="1.0"?>\n<bpmn:definitions xmlns:bpmn="x">\n<oops>\n')
    good = (FIXTURES / "loop.bpmn").open("rb")
    response = api["admin"].post("/api/process-definitions",
                                 data={"file": [(good, "loop.bpmn"), (broken, "broken.bpmn")]})
    assert response.status_code == 422
    problems = response.get_json()["errors"]
    assert problems and all(p["file"] == "broken.bpmn" and p.get("line") for p in problems)
    assert api["admin"].get("/api/process-definitions").get_json() == []


def test_an_upload_over_the_limit_is_413(api, app):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = api["admin"].post("/api/process-definitions",
                                 data={"file": [(io.BytesIO(b"x" * 5000), "big.bpmn")]})
    assert response.status_code == 413
    assert response.get_json()["errors"][0]["message"]


@pytest.mark.parametrize("body, status, field", [
    ("not json", 400, "body"),
    ({}, 422, "process_key"),
    ({"process_key": "loop", "data": []}, 422, "data"),
    ({"process_key": "nope"}, 404, "process_key"),
    ({"process_key": "loop", "colour": "red"}, 422, "colour"),
])
def test_start_refuses_bad_requests_naming_the_field(api, body, status, field):
    deploy(api["admin"], FIXTURES / "loop.bpmn")
    if isinstance(body, str):
        response = api["alice"].post("/api/process-instances", data=body,
                                     content_type="application/json")
    else:
        response = api["alice"].post("/api/process-instances", json=body)
    assert response.status_code == status
    assert field in [p.get("field") for p in response.get_json()["errors"]]


def test_a_task_carries_camunda_attributes_and_its_form(api):
    deploy(api["admin"], FIXTURES / "scripted.bpmn")
    instance = start(api["alice"], "scripted", {"amount": 300, "quantity": 5, "owner": "alice"},
                     business_key="DEAL-1")
    assert (instance["status"], instance["stage"], instance["data"]["total"]) == ("running", "review", 1500)
    task = open_task(api["bob"], instance["id"])
    assert (task["name"], task["title"], task["group"], task["priority"]) == (
        "review", "Review the quote", "managers", 80)
    due = datetime.fromisoformat(task["due_at"])
    assert abs(due - (datetime.now(timezone.utc) + timedelta(days=2))) < timedelta(minutes=5)
    form = task["form"]
    assert set(form["required"]) == {"approved", "discount"}
    assert form["properties"]["discount"]["maximum"] == 30
    assert api["alice"].get(f"/api/tasks?instance_id={instance['id']}").get_json() == []


@pytest.mark.parametrize("data, fields", [
    ({}, {"approved", "discount"}),
    ({"approved": True, "discount": 45}, {"discount"}),
    ({"approved": "yes", "discount": 5}, {"approved"}),
    ({"approved": True, "discount": 5, "channel": "fax"}, {"channel"}),
])
def test_completion_data_is_validated_one_error_per_field(api, data, fields):
    deploy(api["admin"], FIXTURES / "scripted.bpmn")
    instance = start(api["alice"], "scripted", {"amount": 1, "quantity": 1})
    task = open_task(api["bob"], instance["id"])
    response = api["bob"].post(f"/api/tasks/{task['id']}/complete", json={"data": data})
    assert response.status_code == 422
    assert {p["field"] for p in response.get_json()["errors"]} == fields
    assert api["bob"].get(f"/api/tasks/{task['id']}").get_json()["status"] == "open"


def test_a_date_field_takes_only_dates(api):
    deploy(api["admin"], PROCESSES / "sales_funnel.bpmn")
    instance = start(api["alice"], "sales_funnel")
    lead = open_task(api["alice"], instance["id"])
    assert api["alice"].post(f"/api/tasks/{lead['id']}/complete", json={"data": {
        "company": "华为", "contact": "Li Wei"}}).status_code == 200
    needs = open_task(api["alice"], instance["id"])
    data = {"budget": 500000, "decision_maker": "CFO", "need": "CRM", "timeline": "next spring"}
    response = api["alice"].post(f"/api/tasks/{needs['id']}/complete", json={"data": data})
    assert response.status_code == 422
    assert [p["field"] for p in response.get_json()["errors"]] == ["timeline"]
    data["timeline"] = "2027-03-01"
    assert api["alice"].post(f"/api/tasks/{needs['id']}/complete", json={"data": data}).status_code == 200


def test_work_a_process_through_to_the_end(api):
    deploy(api["admin"], FIXTURES / "scripted.bpmn")
    instance = start(api["alice"], "scripted", {"amount": 300, "quantity": 5, "owner": "alice"})
    review = open_task(api["bob"], instance["id"])
    assert api["alice"].post(f"/api/tasks/{review['id']}/complete",
                             json={"data": {"approved": True, "discount": 5}}).status_code == 403
    done = api["bob"].post(f"/api/tasks/{review['id']}/complete",
                           json={"data": {"approved": True, "discount": 5, "channel": "partner"}})
    assert done.status_code == 200
    again = api["bob"].post(f"/api/tasks/{review['id']}/complete",
                            json={"data": {"approved": True, "discount": 5}})
    assert again.status_code == 409
    sign = open_task(api["alice"], instance["id"])
    assert (sign["name"], sign["assignee"]) == ("sign", "alice")
    assert api["bob"].get(f"/api/tasks?assignee=me").get_json() == []
    assert api["alice"].post(f"/api/tasks/{sign['id']}/complete", json={"data": {}}).status_code == 200
    shown = api["alice"].get(f"/api/process-instances/{instance['id']}").get_json()
    assert shown["status"] == "completed"
    assert shown["data"]["channel"] == "partner"
    actions = [(h["action"], h["actor"]) for h in shown["history"]]
    assert ("task.completed", "bob") in actions and ("task.completed", "alice") in actions
    assert actions[0] == ("instance.started", "alice") and actions[-1][0] == "instance.completed"
    completed = [h for h in shown["history"] if h["action"] == "task.completed"]
    assert completed[0]["detail"]["data"] == {"approved": True, "discount": 5, "channel": "partner"}
    stages = [h["detail"]["stage"] for h in shown["history"] if h["action"] == "stage.entered"]
    assert stages == ["review", "signing"]


def test_claim_and_unclaim(api):
    deploy(api["admin"], FIXTURES / "loop.bpmn")
    instance = start(api["alice"], "loop")
    task = open_task(api["alice"], instance["id"])
    claimed = api["alice"].post(f"/api/tasks/{task['id']}/claim").get_json()
    assert claimed["assignee"] == "alice"
    assert api["bob"].post(f"/api/tasks/{task['id']}/claim").status_code == 409
    # Claimed by alice on alice's instance: out of bob's sight now, so not found rather than forbidden.
    assert api["bob"].post(f"/api/tasks/{task['id']}/complete", json={"data": {}}).status_code == 404
    assert api["bob"].get(f"/api/tasks?instance_id={instance['id']}").get_json() == []
    assert [t["id"] for t in api["alice"].get("/api/tasks?assignee=me").get_json()] == [task["id"]]
    assert api["carol"].post(f"/api/tasks/{task['id']}/unclaim").status_code == 404
    assert api["alice"].post(f"/api/tasks/{task['id']}/unclaim").get_json()["assignee"] is None
    assert [t["id"] for t in api["bob"].get("/api/tasks?group=sales").get_json()] == [task["id"]]
    assert api["carol"].post(f"/api/tasks/{task['id']}/claim").status_code == 404
    assert len(api["admin"].get("/api/tasks").get_json()) == 1


def test_a_script_reaching_outside_fails_the_instance_not_the_server(api):
    deploy(api["admin"], FIXTURES / "evil_script.bpmn")
    instance = start(api["alice"], "evil_script")
    assert instance["status"] == "error"
    assert instance["error"]["element_id"] == "escape"
    assert "import" in instance["error"]["message"].lower()
    assert api["alice"].get("/api/tasks").get_json() == []
    assert api["alice"].get("/api/process-definitions").status_code == 200


def test_the_bundled_funnel_shows_its_seven_stages_in_order(api):
    deploy(api["admin"], PROCESSES / "sales_funnel.bpmn")
    instance = start(api["alice"], "sales_funnel")
    assert instance["stage"] == "线索获取"
    assert instance["stages"] == ["线索获取", "需求确认", "方案制定", "商务谈判", "合同签署",
                                  "交付实施", "售后服务"]


def test_openapi_lists_every_route_of_the_contract(client):
    document = client.get("/api/openapi.json").get_json()
    expected = {("/api/process-definitions", "post"), ("/api/process-definitions", "get"),
                ("/api/process-instances", "post"), ("/api/process-instances/{id}", "get"),
                ("/api/tasks", "get"), ("/api/tasks/{id}", "get"), ("/api/tasks/{id}/claim", "post"),
                ("/api/tasks/{id}/unclaim", "post"), ("/api/tasks/{id}/complete", "post")}
    listed = {(path, method) for path, ops in document["paths"].items() for method in ops}
    assert expected <= listed
    assert "Task" in document["components"]["schemas"]


@pytest.mark.parametrize("data, unmet", [
    ({}, {"预算已确认 The budget is confirmed", "已找到决策人 A decision maker is named",
          "时间表在一年内 The timeline is within a year"}),
    ({"budget": 0, "decision_maker": "", "timeline": "2026-12-01"},
     {"预算已确认 The budget is confirmed", "已找到决策人 A decision maker is named"}),
    ({"budget": 10, "decision_maker": "CFO", "timeline": "2099-01-01"},
     {"时间表在一年内 The timeline is within a year"}),
])
def test_an_unmet_stage_gate_lists_every_criterion_and_keeps_the_task_open(api, data, unmet):
    deploy(api["admin"], FIXTURES / "gated.bpmn")
    instance = start(api["alice"], "gated")
    task = open_task(api["alice"], instance["id"])
    response = api["alice"].post(f"/api/tasks/{task['id']}/complete", json={"data": data})
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert {e["message"] for e in errors if e.get("gate")} == unmet
    assert all(e["element_id"] == "confirm_needs" for e in errors if e.get("gate"))
    assert api["alice"].get(f"/api/tasks/{task['id']}").get_json()["status"] == "open"


def test_a_met_stage_gate_lets_the_deal_move_on(api):
    deploy(api["admin"], FIXTURES / "gated.bpmn")
    instance = start(api["alice"], "gated")
    task = open_task(api["alice"], instance["id"])
    data = {"budget": 10, "decision_maker": "CFO", "timeline": "2026-12-24"}
    assert api["alice"].post(f"/api/tasks/{task['id']}/complete", json={"data": data}).status_code == 200
    assert api["alice"].get(f"/api/process-instances/{instance['id']}").get_json()["status"] == "completed"


def test_variables_set_from_outside_open_a_gate(api):
    deploy(api["admin"], FIXTURES / "gated.bpmn")
    instance = start(api["alice"], "gated")
    task = open_task(api["alice"], instance["id"])
    response = api["admin"].post(f"/api/process-instances/{instance['id']}/variables",
                                 json={"data": {"budget": 99, "decision_maker": "CFO"},
                                       "reason": "the ERP has the budget"})
    assert response.status_code == 200
    assert [h["action"] for h in response.get_json()["history"]][-1] == "instance.variables_set"
    done = api["alice"].post(f"/api/tasks/{task['id']}/complete", json={"data": {"timeline": "2026-12-24"}})
    assert done.status_code == 200, done.get_json()
    shown = api["alice"].get(f"/api/process-instances/{instance['id']}").get_json()
    assert (shown["status"], shown["data"]["budget"]) == ("completed", 99)
    again = api["admin"].post(f"/api/process-instances/{instance['id']}/variables",
                              json={"data": {"x": 1}, "reason": "late"})
    assert again.status_code == 409
    refused = api["alice"].post(f"/api/process-instances/{instance['id']}/variables",
                                json={"data": {"x": 1}, "reason": "why not"})
    assert refused.status_code == 403


def test_each_missing_field_is_named_once(api):
    deploy(api["admin"], FIXTURES / "scripted.bpmn")
    instance = start(api["alice"], "scripted", {"amount": 1, "quantity": 1})
    task = open_task(api["bob"], instance["id"])
    response = api["bob"].post(f"/api/tasks/{task['id']}/complete", json={"data": {}})
    assert sorted(p["field"] for p in response.get_json()["errors"]) == ["approved", "discount"]


def test_a_token_carries_its_users_current_rights_on_every_request(api, session_factory):
    deploy(api["admin"], FIXTURES / "loop.bpmn")
    instance = start(api["alice"], "loop")
    task = open_task(api["alice"], instance["id"])
    with session_factory() as session:
        from accounts import get_user

        alice = get_user(session, "alice")
        alice.groups = []  # taken out of sales: the loop's task is no longer hers to do
        session.commit()
    refused = api["alice"].post(f"/api/tasks/{task['id']}/complete", json={"data": {"done": True}})
    assert refused.status_code == 403, refused.get_json()
    assert api["alice"].get(f"/api/tasks?instance_id={instance['id']}").get_json() == []
    with session_factory() as session:
        from accounts import get_user

        get_user(session, "alice").is_active = False
        session.commit()
    gone = api["alice"].get("/api/tasks")
    assert gone.status_code == 401
    assert "revoked" in gone.get_json()["errors"][0]["message"]


def test_completing_an_unknown_or_finished_task_names_it_and_changes_nothing(api):
    deploy(api["admin"], FIXTURES / "loop.bpmn")
    instance = start(api["alice"], "loop")
    task = open_task(api["alice"], instance["id"])
    missing = api["alice"].post("/api/tasks/00000000-0000-0000-0000-000000000000/complete",
                                json={"data": {}})
    assert missing.status_code == 404
    assert "00000000-0000-0000-0000-000000000000" in missing.get_json()["errors"][0]["message"]
    done = api["alice"].post(f"/api/tasks/{task['id']}/complete", json={"data": {"done": False}})
    assert done.status_code == 200 and done.get_json()["status"] == "completed"
    before = api["alice"].get(f"/api/process-instances/{instance['id']}").get_json()
    again = api["alice"].post(f"/api/tasks/{task['id']}/complete", json={"data": {"done": True}})
    assert again.status_code == 409 and "already completed" in again.get_json()["errors"][0]["message"]
    assert api["alice"].get(f"/api/process-instances/{instance['id']}").get_json() == before
