"""Saving and restoring runs: what is stored stays small, and a restored run goes on correctly."""
from __future__ import annotations

import json

from SpiffWorkflow.util.task import TaskState

from engine import bpmn, state
from tests.conftest import FIXTURES, PROCESSES


def specs(path, key):
    parsed = bpmn.parse_upload([(path.name, path.read_bytes())])
    process = next(p for p in parsed if p.key == key)
    return bpmn.build_specs(process.files, key)


def ready_user_tasks(workflow):
    return workflow.get_tasks(state=TaskState.READY, manual=True)


def save_restore(workflow, spec, subs):
    return state.load_workflow(state.dump_workflow(workflow), spec, subs)


def test_stored_state_does_not_grow_with_history():
    spec, subs = specs(FIXTURES / "loop.bpmn", "loop")
    workflow = state.new_workflow(spec, subs, {"note": ""})
    workflow.do_engine_steps()
    sizes = {}
    for step in range(1, 301):
        [task] = ready_user_tasks(workflow)
        task.set_data(done=False, note=f"step {step}")
        task.run()
        workflow.do_engine_steps()
        stored = state.dump_workflow(workflow)
        sizes[step] = len(stored)
        workflow = state.load_workflow(stored, spec, subs)
    assert sizes[300] <= sizes[5] * 1.05
    [task] = ready_user_tasks(workflow)
    assert task.data["note"] == "step 300"
    task.set_data(done=True)
    task.run()
    workflow.do_engine_steps()
    assert workflow.is_completed()


def test_a_restored_run_keeps_data_and_routes_on_conditions():
    spec, subs = specs(FIXTURES / "scripted.bpmn", "scripted")
    workflow = state.new_workflow(spec, subs, {"amount": 600, "quantity": 2, "owner": "alice"})
    workflow.do_engine_steps()
    workflow = save_restore(workflow, spec, subs)
    [review] = ready_user_tasks(workflow)
    assert review.data["total"] == 1200
    review.set_data(approved=True, discount=0)
    review.run()
    workflow.do_engine_steps()
    workflow = save_restore(workflow, spec, subs)
    [sign] = ready_user_tasks(workflow)
    assert sign.task_spec.bpmn_id == "sign"
    sign.run()
    workflow.do_engine_steps()
    assert workflow.is_completed()
    assert json.loads(state.dump_workflow(workflow))["completed"] is True


def test_the_bundled_funnel_survives_save_and_restore_at_every_stage():
    spec, subs = specs(PROCESSES / "sales_funnel.bpmn", "sales_funnel")
    workflow = state.new_workflow(spec, subs, {})
    workflow.do_engine_steps()
    stages = []
    while not workflow.is_completed():
        workflow = save_restore(workflow, spec, subs)
        [task] = ready_user_tasks(workflow)
        stages.append(bpmn.stage_of(task.task_spec))
        task.set_data(discount_percent=0)  # the funnel routes on the negotiated discount
        task.run()
        workflow.do_engine_steps()
    assert stages == ["线索获取", "需求确认", "方案制定", "商务谈判", "合同签署", "交付实施", "售后服务"]


def test_dates_a_script_leaves_in_the_data_survive_save_and_restore():
    spec, subs = specs(FIXTURES / "loop.bpmn", "loop")
    workflow = state.new_workflow(spec, subs, {})
    workflow.do_engine_steps()
    [task] = ready_user_tasks(workflow)
    task.data["signed_on"] = __import__("datetime").date(2026, 12, 1)
    restored = save_restore(workflow, spec, subs)
    [task] = ready_user_tasks(restored)
    assert task.data["signed_on"].isoformat() == "2026-12-01"
