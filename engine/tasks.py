"""Human tasks: the rows behind the inbox, and claim, unclaim and complete.

Who may work on a task: an admin always; a claimed task only its assignee; an
unclaimed task any member of one of its candidate groups, or anybody when the
task names no group.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from uuid import UUID

from jsonschema import Draft202012Validator
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, exists, insert, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from . import bpmn, instances, visibility
from accounts.permissions import Actor
from core.audit import record
from core.db import as_loaded, get_or_raise, utcnow
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from accounts.models import User

from .data_limits import DataLimitExceeded, json_size
from .models import HumanTask, TaskGroup
from .state import SCRIPT_ENGINE

DEFAULT_PRIORITY = 50


_tasks, _task_groups = HumanTask.__table__, TaskGroup.__table__
_OPEN_OF_INSTANCE = select(_tasks.c.id, _tasks.c.stage).where(
    _tasks.c.instance_id == bindparam("instance_id"), _tasks.c.status == "open")
# One row per candidate group (one row with no group name when it has none).
_TASK_WITH_GROUPS = (select(_tasks, _task_groups.c.group_name)
                     .outerjoin(_task_groups, _task_groups.c.task_id == _tasks.c.id)
                     .where(_tasks.c.id == bindparam("task_id")))
_ADD_TASK, _ADD_TASK_GROUP = insert(_tasks), insert(_task_groups)
_CLOSE_TASKS = (update(_tasks).where(_tasks.c.id.in_(bindparam("task_ids", expanding=True)),
                                     _tasks.c.status == "open")
                .values(status=bindparam("new_status"), completed_at=bindparam("closed_at"),
                        completed_by_id=bindparam("closed_by")))


@dataclass(frozen=True)
class OpenTask:
    """An open task row as an engine step sees it."""
    id: str
    stage: str | None


def sync_open_tasks(session: Session, instance, workflow) -> list[OpenTask]:
    """Make the open task rows match the workflow's ready user tasks; return them.

    Plain statements, not the unit of work: this runs on every engine step.
    """
    ready = {str(t.id): t for t in workflow.get_tasks(state=TaskState.READY, manual=True)}
    connection = session.connection()
    rows = {row.id: OpenTask(row.id, row.stage)
            for row in connection.execute(_OPEN_OF_INSTANCE, {"instance_id": instance.id})}
    # Gone without being completed here: an interrupting boundary event, a cancel.
    gone = [task_id for task_id in rows if task_id not in ready]
    if gone:
        _close(session, gone, "cancelled", actor=None)
    open_rows = [rows[task_id] for task_id in ready if task_id in rows]
    new_rows = [_new_row(session, instance, task) for task_id, task in ready.items() if task_id not in rows]
    if new_rows:
        connection.execute(_ADD_TASK, [values for values, _ in new_rows])
        groups = [{"task_id": values["id"], "group_name": name}
                  for values, names in new_rows for name in names]
        if groups:
            connection.execute(_ADD_TASK_GROUP, groups)
        open_rows += [OpenTask(values["id"], values["stage"]) for values, _ in new_rows]
    return open_rows


def _close(session: Session, task_ids: list[str], status: str, *, actor) -> None:
    """Close open task rows with one UPDATE, and tell copies the session holds."""
    closed = {"status": status, "completed_at": utcnow(), "completed_by_id": getattr(actor, "id", None)}
    session.connection().execute(_CLOSE_TASKS, {"task_ids": task_ids, "new_status": status,
                                                "closed_at": closed["completed_at"],
                                                "closed_by": closed["completed_by_id"]})
    for task_id in task_ids:
        held = session.identity_map.get(identity_key(HumanTask, task_id))
        if held is not None:
            for name, value in closed.items():
                set_committed_value(held, name, value)


def _new_row(session: Session, instance, task) -> tuple[dict, list[str]]:
    info = bpmn.describe_task(task.task_spec)
    values = {"id": str(task.id), "instance_id": instance.id, "element_id": task.task_spec.bpmn_id,
              "title": info.title, "stage": info.stage, "form": info.form_schema,
              "priority": _priority(task, info.priority), "due_at": _due_at(task, info.due_date),
              "assignee_id": _assignee_id(session, task, info.assignee), "status": "open",
              "created_at": utcnow(), "completed_at": None, "completed_by_id": None}
    return values, list(dict.fromkeys(info.candidate_groups))


def _evaluate(task, expression: str | None):
    if not expression:
        return None
    try:
        return SCRIPT_ENGINE.evaluate(task, expression)
    except Exception:  # a bad attribute must not stop the process; the task just lacks it
        return None


def _assignee_id(session: Session, task, expression: str | None) -> int | None:
    name = _evaluate(task, expression)
    if not isinstance(name, str):
        return None
    return session.scalar(select(User.id).where(User.name == name))


def _priority(task, expression: str | None) -> int:
    value = _evaluate(task, expression)
    try:
        return int(value) if value is not None else DEFAULT_PRIORITY
    except (TypeError, ValueError):
        return DEFAULT_PRIORITY


def _due_at(task, expression: str | None) -> datetime | None:
    value = _evaluate(task, expression)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, date):
        return datetime.combine(value, time(), tzinfo=timezone.utc)
    if isinstance(value, str):
        try:
            if value.upper().startswith("P"):
                return utcnow() + timedelta(**TimerEventDefinition.parse_iso_duration(value))
            return _parse_datetime(value)
        except (ValueError, TypeError):
            return None
    return None


def _parse_datetime(text: str) -> datetime:
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def may_work_on(user: User | Actor, row: HumanTask) -> bool:
    """Tell whether `user` may claim or complete the task."""
    if row.assignee_id is not None and not user.is_admin:
        return row.assignee_id == user.id
    return is_candidate(user, row)


def is_candidate(user: User | Actor, row: HumanTask) -> bool:
    """Tell whether `user` could take the task while nobody has claimed it."""
    groups = set(row.group_names)
    return user.is_admin or not groups or bool(groups & user.group_names)


def list_open_tasks(session: Session, user: User | Actor, *, instance_id: int | None = None,
                    assigned_to_me: bool = False, group: str | None = None) -> list[HumanTask]:
    """Return the open tasks `user` may work on, most urgent first."""
    query = select(HumanTask).where(HumanTask.status == "open")
    if not user.is_admin:
        any_group = exists().where(TaskGroup.task_id == HumanTask.id)
        in_my_groups = exists().where(TaskGroup.task_id == HumanTask.id,
                                      TaskGroup.group_name.in_(user.group_names or {""}))
        query = query.where(or_(HumanTask.assignee_id == user.id,
                                HumanTask.assignee_id.is_(None) & (in_my_groups | ~any_group)))
    if instance_id is not None:
        query = query.where(HumanTask.instance_id == instance_id)
    if assigned_to_me:
        query = query.where(HumanTask.assignee_id == user.id)
    if group:
        query = query.where(exists().where(TaskGroup.task_id == HumanTask.id,
                                           TaskGroup.group_name == group))
    query = query.order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.priority.desc(),
                           HumanTask.created_at)
    return list(session.scalars(query))


def get_task(session: Session, task_id: str, *, actor: User | Actor | None = None) -> HumanTask:
    """Return the task row with `task_id` if `actor` may see it (None: the system); raise NotFound otherwise.

    A task is in sight of whoever may work on it and of whoever sees its instance.
    """
    row = get_or_raise(session, HumanTask, task_id, "task")
    if actor is not None and not may_work_on(actor, row):
        visibility.require_visible(session, actor, row.instance_id, "task", task_id)
    return row


def _refuse(session: Session, actor, row: HumanTask, message: str) -> None:
    # Out of sight is not found; in sight but not one's to work on is forbidden.
    visibility.require_visible(session, actor, row.instance_id, "task", row.id)
    raise Forbidden(message)


def claim_task(session: Session, task_id: str, *, actor: User) -> HumanTask:
    """Assign an open task to `actor`."""
    row = _open_task(session, task_id)
    if row.assignee_id not in (None, actor.id):
        # Those who could have taken it learn who was quicker; to others it is out of sight.
        if not is_candidate(actor, row):
            visibility.require_visible(session, actor, row.instance_id, "task", task_id)
        raise Conflict(f"task {task_id} is already claimed by {row.assignee.name}")
    if not may_work_on(actor, row):
        _refuse(session, actor, row, f"you are not in a group of task {task_id}")
    row.assignee_id, row.assignee = actor.id, session.get(User, actor.id)
    record(session, "task.claimed", actor=actor, instance_id=row.instance_id, task_id=row.id,
           element_id=row.element_id)
    return row


def unclaim_task(session: Session, task_id: str, *, actor: User) -> HumanTask:
    """Give an open task back to its groups."""
    row = _open_task(session, task_id)
    if row.assignee_id != actor.id and not actor.is_admin:
        _refuse(session, actor, row, f"task {task_id} is not assigned to you")
    row.assignee_id, row.assignee = None, None
    record(session, "task.unclaimed", actor=actor, instance_id=row.instance_id, task_id=row.id,
           element_id=row.element_id)
    return row


def complete_task(session: Session, task_id: str, data: dict | None, *,
                  actor: User | Actor) -> HumanTask:
    """Validate `data` against the task's form, complete the task and advance the instance.

    Raises:
        Conflict: the task is no longer open, or the instance changed meanwhile.
        Forbidden: the actor may not work on it.
        InvalidInput: one problem per missing or invalid field.
    """
    instance = instances.lock_instance_of_task(session, task_id)
    row = _open_task(session, task_id)
    set_committed_value(row, "instance", instance)
    if not may_work_on(actor, row):
        _refuse(session, actor, row, f"you may not complete task {task_id}")
    data = data if data is not None else {}
    workflow = instances.load_workflow(instance)
    task = workflow.get_task_from_id(UUID(task_id))
    if task is None or task.state != TaskState.READY:
        raise Conflict(f"task {task_id} is no longer ready")
    problems = form_problems(row.form, data) + gate_problems(task, data)
    if problems:
        raise InvalidInput("the task cannot be completed yet", problems)
    task.set_data(**data)
    task.run()
    _close(session, [task_id], "completed", actor=actor)
    record(session, "task.completed", actor=actor, instance_id=instance.id, task_id=row.id,
           element_id=row.element_id, detail={"title": row.title, "data": data})
    instances.advance(session, instance, workflow, actor=actor)
    return row


def _open_task(session: Session, task_id: str) -> HumanTask:
    # Read afresh, after the instance lock: another transaction may have completed it meanwhile.
    rows = session.connection().execute(_TASK_WITH_GROUPS, {"task_id": task_id}).all()
    if not rows:
        raise NotFound(f"no task {task_id}")
    row = as_loaded(session, HumanTask, {column.name: rows[0][i] for i, column in enumerate(_tasks.c)})
    groups = [as_loaded(session, TaskGroup, {"task_id": task_id, "group_name": r.group_name})
              for r in rows if r.group_name is not None]
    set_committed_value(row, "candidate_groups", groups)
    if row.status != "open":
        raise Conflict(f"task {task_id} is already {row.status}")
    return row


def gate_problems(task, data: dict) -> list[dict]:
    """Return one problem per stage-gate criterion of the task that `data` does not meet."""
    gates = bpmn.gates_of(task.task_spec)
    if not gates:
        return []
    context = {**task.data, **data}
    fields = set((bpmn.describe_task(task.task_spec).form_schema or {}).get("properties") or {})
    problems = []
    for criterion, condition in gates:
        try:
            is_met = bool(SCRIPT_ENGINE.environment.evaluate(condition, dict(context)))
        except Exception:  # a value the condition needs is missing: the criterion is not met
            is_met = False
        if not is_met:
            problem = {"message": criterion, "element_id": task.task_spec.bpmn_id, "gate": True}
            subject = gate_field(condition, fields)
            if subject:
                problem["field"] = subject
            problems.append(problem)
    return problems


def gate_field(condition: str, fields: set[str]) -> str | None:
    """Return the form field a gate condition is about, if it is about exactly one.

    A form field the condition only compares with a text (`outcome == 'lost' or ...`), or
    a yes/no field beside another (`approved or not empty note`), is the case it applies
    in, not its subject; a condition over process facts (a signed contract) or over
    several fields belongs to no one field.
    """
    try:
        tree = ast.parse(condition, mode="eval")
    except SyntaxError:
        return None
    guards, flags = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and isinstance(node.left, ast.Name) and all(
                isinstance(c, ast.Constant) and isinstance(c.value, str) for c in node.comparators):
            guards.add(node.left.id)
        if isinstance(node, ast.BoolOp):
            flags.update(v.id for v in node.values if isinstance(v, ast.Name))
    named = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id in fields}
    subjects = named - guards
    if len(subjects) > 1:  # `approved or not empty note`: the yes/no is the case, the note the subject
        subjects -= flags
    return subjects.pop() if len(subjects) == 1 else None


def form_problems(schema: dict, data) -> list[dict]:
    """Return one problem per missing or invalid field of `data` under the form's JSON Schema."""
    if not isinstance(data, dict):
        return [{"message": "must be an object", "field": "data"}]
    try:
        json_size(data, limit=instances.MAX_DATA_BYTES)
    except DataLimitExceeded as err:
        return [{"message": err.problem, "field": err.path}]
    fields = (schema or {}).get("properties") or {}
    # Facts a gate relies on (a signed contract, an approval) come from integrations as
    # process variables; a form may only carry its own fields, or it could forge them.
    problems = [{"message": "not a field of this form", "field": key} for key in data if key not in fields]
    validator = Draft202012Validator(schema or {}, format_checker=Draft202012Validator.FORMAT_CHECKER)
    missing = [name for name in (schema or {}).get("required", []) if name not in data]
    for error in validator.iter_errors(data):
        if error.validator == "required":
            # Top-level or from an `if/then` (a field needed only while a condition holds).
            missing += [name for name in error.validator_value
                        if name not in data and not error.absolute_path]
        elif error.validator not in ("if", "allOf"):
            field = ".".join(str(p) for p in error.absolute_path) or "data"
            problems.append({"message": f"{_title(schema, field)}: {error.message}", "field": field})
    problems[:0] = [{"message": f"{_title(schema, name)} is required", "field": name}
                    for name in dict.fromkeys(missing)]
    return problems


def _title(schema: dict, field: str) -> str:
    return (schema.get("properties") or {}).get(field, {}).get("title") or field
