"""Deals started on the first, linear funnel (v1) finish on it after the staged funnel is deployed."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from SpiffWorkflow.util.task import TaskState

from engine import bpmn, state
from tests.processes.funnel import deploy_bundled, open_tasks, show

V1 = Path(__file__).resolve().parent / "fixtures" / "sales_funnel_v1.bpmn"
# Saved from v1 at 商务谈判 (negotiate) with SpiffWorkflow's serializer, before the file changed.
V1_STATE = V1.with_name("sales_funnel_v1_state.json")
V1_DATA = {"negotiate": {"discount_percent": 5, "agreed_amount": 450000},
           "sign_contract": {"contract_signed": True}, "deliver": {"customer_accepted": True},
           "after_sales": {"satisfaction": 4}}


def test_a_state_saved_on_the_first_funnel_still_loads_and_completes():
    [process] = bpmn.parse_upload([(V1.name, V1.read_bytes())])
    spec, subprocess_specs = bpmn.build_specs(process.files, "sales_funnel")
    workflow = state.load_workflow(V1_STATE.read_text(), spec, subprocess_specs)
    done = []
    while not workflow.is_completed():
        [task] = workflow.get_tasks(state=TaskState.READY, manual=True)
        task.set_data(**V1_DATA[task.task_spec.bpmn_id])
        task.run()
        workflow.do_engine_steps()
        done.append(task.task_spec.bpmn_id)
        workflow = state.load_workflow(state.dump_workflow(workflow), spec, subprocess_specs)
    assert done == ["negotiate", "sign_contract", "deliver", "after_sales"]
    assert workflow.last_task.data["company"] == "华为"


def test_a_deal_started_on_v1_finishes_on_v1_after_the_staged_funnel_is_deployed(people):
    team = people
    v1 = team["admin"].post("/api/process-definitions", content_type="multipart/form-data",
                            data={"file": [(io.BytesIO(V1.read_bytes()), "sales_funnel.bpmn")]}).get_json()
    assert v1[0]["version"] == 1
    old = team["sales"].post("/api/process-instances", json={"process_key": "sales_funnel"}).get_json()
    deploy_bundled(team["admin"])  # the staged funnel: version 2
    steps = [("qualify_lead", {"company": "华为", "contact": "Li Wei"}),
             ("confirm_needs", {"budget": 1, "decision_maker": "CFO", "need": "CRM", "timeline": "2027-03-01"}),
             ("design_solution", {"solution_summary": "Cloud CRM for all", "amount": 480000}),
             *V1_DATA.items()]
    for name, data in steps:
        [task] = open_tasks(team["admin"], old["id"]).values()
        assert task["name"] == name
        assert team["admin"].post(f"/api/tasks/{task['id']}/complete", json={"data": data}).status_code == 200
    shown = show(team["admin"], old["id"])
    assert (shown["version"], shown["status"]) == (1, "completed")
    [deal] = team["sales"].get("/api/opportunities").get_json()
    assert (deal["outcome"], deal["amount"]) == ("won", 450000)
    new = team["sales"].post("/api/process-instances", json={"process_key": "sales_funnel"}).get_json()
    assert new["version"] == 2 and "lead_stale" in [t["element_id"] for t in new["timers"]]


V2 = V1.with_name("sales_funnel_v2.bpmn")
# Saved at 商务谈判 (negotiate) from the funnel before it declared protected_variables.
V2_STATE = V1.with_name("sales_funnel_v2_state.json")
V2_DATA = {"negotiate": {"discount_percent": 5, "agreed_amount": 456000, "payment_terms": "30 % upfront"},
           "sign_contract": {"signed_on": "2027-02-01"}, "deliver": {"customer_accepted": True},
           "after_sales": {"satisfaction": 5}}


@pytest.mark.parametrize("bpmn_file", [V2, V1.parents[3] / "processes" / "sales_funnel.bpmn"])
def test_a_state_saved_before_protected_variables_loads_and_completes(bpmn_file):
    """Only process properties changed: the old run goes on, on the old file and on the new one."""
    [process] = [p for p in bpmn.parse_upload([("sales_funnel.bpmn", bpmn_file.read_bytes())])
                 if p.key == "sales_funnel"]
    spec, subprocess_specs = bpmn.build_specs(process.files, "sales_funnel")
    workflow = state.load_workflow(V2_STATE.read_text(), spec, subprocess_specs)
    done = []
    while not workflow.is_completed():
        [task] = workflow.get_tasks(state=TaskState.READY, manual=True)
        if task.task_spec.bpmn_id == "sign_contract":
            task.data["contract_signed_by_both"] = True  # what the archive records
        task.set_data(**V2_DATA[task.task_spec.bpmn_id])
        task.run()
        workflow.do_engine_steps()
        done.append(task.task_spec.bpmn_id)
        workflow = state.load_workflow(state.dump_workflow(workflow), spec, subprocess_specs)
    assert done == ["negotiate", "sign_contract", "deliver", "after_sales"]
