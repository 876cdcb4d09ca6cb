"""Process instances: start, advance until people or time are needed, persist each step.

Every call here runs inside the caller's transaction and only flushes: the
engine step, the task rows, the stage visit and the audit entry commit
together or not at all, so a killed process loses no completed step and
leaves nothing half-done.

Status: `running` while people have open tasks, `waiting` while only timers or
events can move it on, then `completed`, `terminated` or `error`.
"""
from __future__ import annotations

import json
from datetime import datetime

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from accounts import Actor, require
from accounts.models import User
from accounts.permissions import as_actor
from core.audit import record
from core.db import as_loaded, get_or_raise, is_postgresql, utcnow
from core.errors import Conflict, InvalidInput, NotFound

from . import bpmn, definitions, events, state, tasks, timers, variables, visibility
from .data_limits import check_data_size
from .models import HumanTask, ProcessDefinition, ProcessInstance, StageVisit

MAX_DATA_BYTES = 256 * 1024

# Called as listener(session, instance, workflow) at the end of every persist, before the
# flush: domain packages (crm) keep their records in step with instances from here, in
# the same transaction. The engine imports none of them; they append themselves.
INSTANCE_LISTENERS: list = []


def start_instance(session: Session, process_key: str, *, data: dict | None = None,
                   business_key: str | None = None, actor: User | None) -> ProcessInstance:
    """Start the newest version of `process_key` and run it until it waits."""
    definition = definitions.get_latest(session, process_key)
    return start_instance_of(session, definition, data=data, business_key=business_key, actor=actor)


def start_instance_of(session: Session, definition: ProcessDefinition, *, data: dict | None,
                      business_key: str | None, actor: User | None,
                      fired_start_event: str | None = None, before_advance=None) -> ProcessInstance:
    """Start `definition`; `fired_start_event` names a timer start event that has just fired.

    `before_advance(workflow, instance)` runs once the row exists, before the first
    steps: a message start event catches its message there.
    """
    if not definition.is_executable:
        raise InvalidInput(f"process {definition.key!r} version {definition.version} cannot run",
                           definition.problems or None)
    data = _checked_data(data or {})
    # Only the system (a won tender opening its deal at 合同签署) and those who repair
    # instances may start one past what the process protects, entry_stage included.
    may_set_protected = actor is None or as_actor(actor).can("instances.repair")
    variables.check(variables.rules_for(definition), data, refuse=None if may_set_protected else "start")
    spec, subprocess_specs = definitions.specs_for(definition)
    workflow = state.new_workflow(spec, subprocess_specs, data)
    instance = ProcessInstance(definition=definition, definition_id=definition.id,
                               process_key=definition.key, business_key=business_key,
                               status="running", state="{}",
                               serializer_version=state.SERIALIZER_VERSION, data=data,
                               started_by_id=getattr(actor, "id", None))
    instance.owner_id = owner_of(session, instance, data)
    session.add(instance)
    session.flush()
    record(session, "instance.started", actor=actor, instance_id=instance.id,
           detail={"process_key": definition.key, "version": definition.version,
                   "business_key": business_key, "data": data})
    if fired_start_event:
        _fire_start_event(workflow, fired_start_event)
    if before_advance is not None:
        before_advance(workflow, instance)
    advance(session, instance, workflow, actor=actor)
    return instance


def _fire_start_event(workflow: BpmnWorkflow, element_id: str) -> None:
    # The schedule is ours, not SpiffWorkflow's: mark the start event's own timer
    # as fired so that the instance does not wait for it a second time. A cycle
    # only moves on when a cycle completes, so it gets one cycle, already due.
    workflow.do_engine_steps()
    for task in workflow.get_tasks(state=TaskState.WAITING):
        if task.task_spec.bpmn_id != element_id:
            continue
        if isinstance(task.task_spec.event_definition, CycleTimerEventDefinition):
            task._set_internal_data(event_value={"cycles": 1, "next": "2000-01-01T00:00:00+00:00",
                                                 "duration": 0})
        else:
            task._set_internal_data(event_fired=True)
    for _ in range(2):  # the first refresh runs the cycle, the second completes the event
        workflow.refresh_timers()
        workflow.do_engine_steps()


def get_instance(session: Session, instance_id: int, *, actor: Actor | None = None) -> ProcessInstance:
    """Return the instance with `instance_id` if `actor` sees it (None: the system); raise NotFound otherwise."""
    instance = get_or_raise(session, ProcessInstance, instance_id, "process instance")
    visibility.require_visible(session, actor, instance.id, "process instance", instance_id)
    return instance


_instances, _definitions = ProcessInstance.__table__, ProcessDefinition.__table__
# The definition comes along (without its files) because every step needs its specs.
_DEFINITION_COLUMNS = [c for c in _definitions.c if c.name != "files"]
_LOCK = (select(_instances, *(c.label(f"definition__{c.name}") for c in _DEFINITION_COLUMNS))
         .join_from(_instances, _definitions, _instances.c.definition_id == _definitions.c.id))
_OF_TASK = (select(HumanTask.__table__.c.instance_id)
            .where(HumanTask.__table__.c.id == bindparam("task_id")).scalar_subquery())
# (SQLite, PostgreSQL) statements by what names the instance.
_LOCKS = {by: (_LOCK.where(where), _LOCK.where(where).with_for_update(of=_instances))
          for by, where in (("instance_id", _instances.c.id == bindparam("instance_id")),
                            ("task_id", _instances.c.id == _OF_TASK))}


def lock_instance(session: Session, instance_id: int) -> ProcessInstance:
    """Return the instance, locked against concurrent writers until the transaction ends.

    PostgreSQL takes a row lock; SQLite needs none because every transaction
    there starts with BEGIN IMMEDIATE and so holds the database's write lock.
    The row is read with a plain SELECT, state and definition included, and
    handed to the session as if the ORM had loaded it: every step starts here,
    and the ORM's own load costs more than the engine step.
    """
    instance = _lock(session, "instance_id", instance_id)
    if instance is None:
        raise NotFound(f"no process instance {instance_id}")
    return instance


def lock_instance_of_task(session: Session, task_id: str) -> ProcessInstance:
    """Return the instance of task `task_id`, locked as `lock_instance` does."""
    instance = _lock(session, "task_id", task_id)
    if instance is None:
        raise NotFound(f"no task {task_id}")
    return instance


def _lock(session: Session, by: str, key) -> ProcessInstance | None:
    query = _LOCKS[by][is_postgresql(session)]
    row = session.connection().execute(query, {by: key}).mappings().first()
    if row is None:
        return None
    definition = as_loaded(session, ProcessDefinition,
                           {c.name: row[f"definition__{c.name}"] for c in _DEFINITION_COLUMNS})
    instance = as_loaded(session, ProcessInstance, {c.name: row[c.name] for c in _instances.c})
    set_committed_value(instance, "definition", definition)
    return instance


def load_workflow(instance: ProcessInstance) -> BpmnWorkflow:
    """Restore the instance's SpiffWorkflow run onto its definition's cached specs."""
    spec, subprocess_specs = definitions.specs_for(instance.definition)
    try:
        return state.load_workflow(instance.state, spec, subprocess_specs)
    except RecursionError as exc:  # data stored before values were checked at the door
        raise variables.unloadable(instance.data, exc) from exc


def advance(session: Session, instance: ProcessInstance, workflow: BpmnWorkflow, *,
            actor: User | None, raise_errors: bool = False) -> None:
    """Run engine steps until the workflow waits, then persist it.

    A failing step sets status error, unless `raise_errors` (timers retry first).
    """
    try:
        _run_engine(workflow)
    except SpiffWorkflowException as exc:
        if raise_errors:
            raise
        _mark_error(session, instance, exc, actor)
    except Exception as exc:  # SpiffWorkflow's timer parsers raise bare Exceptions
        located = variables.timer_failure(workflow, exc)
        if located is None:
            raise
        raise located from exc
    persist(session, instance, workflow, actor=actor)


def owner_of(session: Session, instance: ProcessInstance, data: dict) -> int | None:
    """Return whose case the instance is: the user its data names as `owner`, else as it was.

    Visibility goes by this. Names are looked up once per session: every step asks.
    """
    name = data.get("owner")
    if isinstance(name, str) and name:
        known = session.info.setdefault("user_ids_by_name", {})
        if name not in known:
            known[name] = session.scalar(select(User.id).where(User.name == name))
        if known[name] is not None:
            return known[name]
    return instance.owner_id if instance.owner_id is not None else instance.started_by_id


def _run_engine(workflow: BpmnWorkflow) -> None:
    # do_engine_steps ends by refreshing timers, which can make a due timer ready
    # after its loop has finished: run again until only people or time are awaited.
    workflow.do_engine_steps()
    while workflow.get_next_task(state=TaskState.READY, manual=False) is not None:
        workflow.do_engine_steps()


def persist(session: Session, instance: ProcessInstance, workflow: BpmnWorkflow, *,
            actor: User | None) -> None:
    """Write the run, the task rows, the stage and the status, checking the row's version.

    The instance row is written with one UPDATE guarded by `lock_version`, not by
    the unit of work, for speed; the ORM object is then told the new values as
    committed, so it stays in step and is not written a second time.
    """
    thrown = events.take_thrown_signals(workflow)
    open_tasks = tasks.sync_open_tasks(session, instance, workflow)
    timers.sync_instance_timers(session, instance, workflow)
    step = {"stage": _entered_stage(session, instance, workflow, open_tasks, actor),
            "state": state.dump_workflow(workflow), "serializer_version": state.SERIALIZER_VERSION,
            "data": _visible_data(workflow), "updated_at": utcnow(), "status": instance.status,
            "ended_at": instance.ended_at, "error_message": instance.error_message,
            "error_element_id": instance.error_element_id}
    step["owner_id"] = owner_of(session, instance, step["data"])
    if step["status"] != "error":
        step["status"] = _status(workflow, open_tasks)
        if step["status"] == "completed" and step["ended_at"] is None:
            step["ended_at"] = utcnow()
            _close_stage_visit(session, instance)
            record(session, "instance.completed", actor=actor, instance_id=instance.id)
    _write_step(session, instance, step)
    events.sync_instance_subscriptions(session, instance, workflow)
    session.expire(instance, ["tasks", "history", "timers", "subscriptions"])
    for listener in list(INSTANCE_LISTENERS):
        listener(session, instance, workflow)
    session.flush()
    if thrown:
        events.forward_thrown_signals(session, instance, thrown, actor)


_WRITE_STEP = update(_instances).where(_instances.c.id == bindparam("row_id"),
                                       _instances.c.lock_version == bindparam("expected_version"))


def _write_step(session: Session, instance: ProcessInstance, step: dict) -> None:
    version = instance.lock_version
    values = {**step, "lock_version": version + 1}
    written = session.connection().execute(
        _WRITE_STEP, {**values, "row_id": instance.id, "expected_version": version})
    if written.rowcount != 1:
        raise Conflict(f"process instance {instance.id} was changed meanwhile; reload and retry")
    for name, value in values.items():
        set_committed_value(instance, name, value)


def mark_failed(session: Session, instance_id: int, *, element_id: str | None, message: str) -> None:
    """Put an instance in status error with `message`, as a failed timer does."""
    instance = lock_instance(session, instance_id)
    instance.status, instance.error_message, instance.error_element_id = "error", message, element_id
    record(session, "instance.error", instance_id=instance_id, element_id=element_id,
           detail={"message": message})


def retry_instance(session: Session, instance_id: int, *, actor: User) -> ProcessInstance:
    """Let an admin run an instance in status error again: failed steps and failed timers."""
    require(actor, "instances.repair")
    instance = lock_instance(session, instance_id)
    if instance.status != "error":
        raise Conflict(f"process instance {instance_id} is not in error (it is {instance.status})")
    workflow = load_workflow(instance)
    for task in workflow.get_tasks(state=TaskState.ERROR):
        task._set_state(TaskState.READY)
    retried = timers.retry_failed_timers(session, instance.id)
    instance.status, instance.error_message, instance.error_element_id = "running", None, None
    record(session, "instance.retried", actor=actor, instance_id=instance.id,
           detail={"timers": retried})
    advance(session, instance, workflow, actor=actor)
    return instance


def _status(workflow: BpmnWorkflow, open_tasks) -> str:
    if workflow.is_completed():
        return "completed"
    return "running" if open_tasks else "waiting"


def _mark_error(session: Session, instance: ProcessInstance, exc: SpiffWorkflowException,
                actor: User | None) -> None:
    element_id = getattr(getattr(exc, "task_spec", None), "bpmn_id", None)
    instance.status = "error"
    instance.error_message = _describe(exc)
    instance.error_element_id = element_id
    record(session, "instance.error", actor=actor, instance_id=instance.id, element_id=element_id,
           detail={"message": instance.error_message})


def _describe(exc: Exception) -> str:
    notes = [n for n in getattr(exc, "notes", []) or getattr(exc, "__notes__", []) if n]
    return " ".join([str(exc), *notes]).strip()


def _entered_stage(session: Session, instance: ProcessInstance, workflow: BpmnWorkflow,
                   open_tasks, actor: User | None) -> str | None:
    """Return the stage the instance is in now, recording a visit when it has entered a new one."""
    stage = next((t.stage for t in open_tasks if t.stage), None)
    if stage is None:
        waiting = workflow.get_tasks(state=TaskState.WAITING | TaskState.STARTED)
        stage = next((s for s in (bpmn.stage_of(t.task_spec) for t in waiting) if s), None)
    if stage is None or stage == instance.stage:
        return instance.stage
    _close_stage_visit(session, instance)
    session.add(StageVisit(instance_id=instance.id, process_key=instance.process_key, stage=stage))
    record(session, "stage.entered", actor=actor, instance_id=instance.id,
           detail={"stage": stage, "previous": instance.stage})
    return stage


def _close_stage_visit(session: Session, instance: ProcessInstance) -> None:
    with session.no_autoflush:
        visit = session.scalar(select(StageVisit).where(StageVisit.instance_id == instance.id,
                                                        StageVisit.left_at.is_(None)))
    if visit is not None:
        visit.left_at = utcnow()


def stage_entered_at(session: Session, instance_id: int) -> datetime | None:
    """Return when the instance entered the stage it is in now (None: it is in none)."""
    return session.scalar(select(StageVisit.entered_at)
                          .where(StageVisit.instance_id == instance_id, StageVisit.left_at.is_(None))
                          .order_by(StageVisit.entered_at.desc(), StageVisit.id.desc()).limit(1))


def _visible_data(workflow: BpmnWorkflow) -> dict:
    # The work people face now carries the newest data (variables set from outside included).
    ready = workflow.get_next_task(state=TaskState.READY, manual=True)
    source = ready or workflow.last_task or workflow.task_tree
    data = {k: v for k, v in source.data.items() if k != "data_objects"}
    return json.loads(json.dumps(data, default=str))


def _checked_data(data) -> dict:
    if not isinstance(data, dict):
        raise InvalidInput("data must be a JSON object", [{"message": "must be an object", "field": "data"}])
    check_data_size(data, limit_bytes=MAX_DATA_BYTES, field="data")
    return data


def terminate_instance(session: Session, instance_id: int, *, actor: User) -> ProcessInstance:
    """Cancel every open task of an instance and mark it terminated."""
    instance = get_instance(session, instance_id)
    if instance.status in ("completed", "terminated"):
        raise Conflict(f"process instance {instance_id} has already ended")
    workflow = load_workflow(instance)
    workflow.cancel()
    instance.status = "terminated"
    instance.ended_at = utcnow()
    record(session, "instance.terminated", actor=actor, instance_id=instance.id)
    persist(session, instance, workflow, actor=actor)
    return instance


def set_variables(session: Session, instance_id: int, data: dict, *, actor: User | None,
                  reason: str | None = None, repair: bool = False, unset=()) -> ProcessInstance:
    """Merge `data` into the data of a running instance's current work.

    Like Camunda's process variables: an integration (an ERP) records facts the
    process waits on, and the next gate, condition or timer sees them. The data
    goes onto every ready or waiting task, from which it flows on as the process
    moves. A person needs `instances.variables.set` and a reason, and may not
    set what the process protects; every value is checked as form data is.

    Args:
        actor: None is the system itself (the contract archive, the demo), which
            may set protected names and needs no reason.
        repair: an admin's repair of an instance a bad value broke (needs
            `instances.repair`): any name, protected ones included; `unset` deletes names.

    Raises:
        Forbidden: the actor lacks the permission.
        InvalidInput: no reason, a protected name, or a bad value; nothing is stored.
        Conflict: the instance has ended.
    """
    data = _checked_data(data)
    if actor is not None:
        require(actor, "instances.repair" if repair else "instances.variables.set")
        reason = variables.checked_reason(reason)
    if unset and not repair:
        raise InvalidInput("only a repair deletes variables", [{"message": "needs repair: true", "field": "unset"}])
    instance = lock_instance(session, instance_id)
    visibility.require_visible(session, actor, instance.id, "process instance", instance_id)
    if instance.status in ("completed", "terminated"):
        raise Conflict(f"process instance {instance_id} has already ended")
    rules = variables.rules_of_instance(session, instance.definition)
    variables.check(rules, data, refuse=None if actor is None or repair else "set", unset=unset)
    changes = variables.changes(instance.data or {}, data, unset)
    if repair:
        set_committed_value(instance, "state", variables.repaired_state(instance.state, data, unset))
    workflow = load_workflow(instance)
    for task in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING | TaskState.STARTED):
        task.data.update(data)
    record(session, "instance.repaired" if repair else "instance.variables_set", actor=actor,
           instance_id=instance.id, detail={"reason": reason, "changes": changes})
    persist(session, instance, workflow, actor=actor)
    return instance


def record_process_facts(session: Session, instance_id: int, facts: dict, *,
                         actor: User | None, source: str) -> ProcessInstance:
    """Record facts the process's own integration has established, protected ones included.

    For domain code acting as the process (the contract archive records the
    sealed contract's id), never for what a caller sends: the actor is whom
    the audit names, not whose rights are checked.
    """
    instance = set_variables(session, instance_id, facts, actor=None)
    record(session, "instance.facts_recorded", actor=actor, instance_id=instance_id,
           detail={"source": source, "names": sorted(facts)})
    return instance
