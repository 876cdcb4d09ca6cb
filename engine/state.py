"""How a running workflow is stored: SpiffWorkflow's serializer JSON, without the spec.

Two choices keep saving cheap however long an instance lives:
- the spec is not stored with each instance; it is rebuilt once per definition
  from the definition's files and cached, so a save writes only the run;
- finished history is pruned: every task above the nearest common ancestor of
  the unfinished tasks is dropped, so the stored tree follows the live frontier
  and not the number of steps taken. The history lives in the audit table.
"""
from __future__ import annotations

import json
from datetime import date
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.config import DEFAULT_CONFIG
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.util.task import TaskState

from .scripting import make_script_engine

SCRIPT_ENGINE = make_script_engine()


class RunOnlyWorkflowConverter(BpmnWorkflowConverter):
    """Convert a top-level workflow without its specs; they are passed back in on restore."""

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, spec=None, subprocess_specs=None):
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _registry():
    registry = BpmnWorkflowSerializer.configure({**DEFAULT_CONFIG, BpmnWorkflow: RunOnlyWorkflowConverter})
    # Form dates and script results may be plain dates, which Spiff's registry lacks.
    registry.register(date, lambda value: {"value": value.isoformat()},
                      lambda dct: date.fromisoformat(dct["value"]))
    return registry


SERIALIZER = BpmnWorkflowSerializer(_registry())
SERIALIZER_VERSION = SERIALIZER.VERSION


def new_workflow(spec, subprocess_specs, data: dict | None = None) -> BpmnWorkflow:
    """Create a workflow for `spec` whose start carries `data`."""
    workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=SCRIPT_ENGINE)
    if data:
        workflow.task_tree.data.update(data)
    return workflow


def dump_workflow(workflow: BpmnWorkflow) -> str:
    """Prune finished history and serialise the run to JSON."""
    prune_finished_history(workflow)
    return SERIALIZER.serialize_json(workflow)


def load_workflow(state: str, spec, subprocess_specs) -> BpmnWorkflow:
    """Restore a run saved by `dump_workflow` onto its (cached) specs."""
    dct = json.loads(state)
    SERIALIZER.migrate(dct)
    workflow = SERIALIZER.registry.restore(dct, spec=spec, subprocess_specs=subprocess_specs)
    workflow.script_engine = SCRIPT_ENGINE
    return workflow


def prune_finished_history(workflow: BpmnWorkflow) -> None:
    """Drop finished tasks above the live frontier, in the workflow and each subprocess."""
    for wf in [workflow, *workflow.subprocesses.values()]:
        if wf.tasks and not getattr(wf.spec, "conditional_paths", None):
            # Ad hoc path completion walks the root's children, so such specs keep their tree.
            _prune(workflow, wf)


def _prune(top: BpmnWorkflow, wf) -> None:
    new_root = _frontier_root(wf)
    if new_root is None or new_root is wf.task_tree:
        return
    kept = {task.id for task in new_root}
    for task_id in [tid for tid in wf.tasks if tid not in kept]:
        del wf.tasks[task_id]
        _forget_subprocess(top, task_id)
    new_root._parent = None
    wf.task_tree = new_root
    if wf.last_task is not None and wf.last_task.id not in kept:
        wf.last_task = None


def _forget_subprocess(top: BpmnWorkflow, task_id) -> None:
    sub = top.subprocesses.pop(task_id, None)
    if sub is not None:
        for inner_id in list(sub.tasks):
            _forget_subprocess(top, inner_id)


def _frontier_root(wf):
    """Return the nearest common ancestor of the unfinished tasks (or its parent), or None."""
    unfinished = [t for t in wf.tasks.values() if not t.has_state(TaskState.FINISHED_MASK)]
    if not unfinished:
        return None
    common = [unfinished[0], *_ancestors(unfinished[0])]
    for task in unfinished[1:]:
        ids = {t.id for t in (task, *_ancestors(task))}
        common = [t for t in common if t.id in ids]
    lca = common[0]
    # Keep the parent of an unfinished task: data is inherited from it when the
    # task becomes ready, and boundary events look at their split.
    if not lca.has_state(TaskState.FINISHED_MASK) and lca.parent is not None:
        lca = lca.parent
    return lca


def _ancestors(task):
    parent = task.parent
    while parent is not None:
        yield parent
        parent = parent.parent
