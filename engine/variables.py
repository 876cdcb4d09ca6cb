"""Process variables from outside: which names a caller may set, and which values a process can live with.

Three doors put data into an instance: start data, `set_variables` (the
`/variables` route, for integrations) and a repair by an admin. All of them
check values the same way, before anything is stored, so that a bad value is a
422 at the door and never an instance that fails at its next step:

- keys are identifiers; a value is at most MAX_DEPTH deep and all of them at
  most MAX_BYTES as JSON;
- a name that is a form field anywhere in the process must be valid for that
  field (a `long` an integer in range, a `date` a date, an `enum` one of its values);
- a name a timer uses as its whole expression (`${stale_after}`) must parse as
  that timer's kind: an ISO 8601 duration between 0 and MAX_DURATION, a date-time,
  or a cycle.

Which names a caller may set is the process's to say (engine.bpmn_variables):
`protected_variables` never from outside, `protected_after_start` only as start
data. The system itself (actor None: the contract archive, a won tender opening
its deal) and an admin repairing an instance may set any name.
"""
from __future__ import annotations

import ast
import json
import keyword
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from jsonschema import Draft202012Validator
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (CycleTimerEventDefinition,
                                                              DurationTimerEventDefinition,
                                                              TimerEventDefinition)
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import InvalidInput, ProcessError

from . import bpmn, definitions
from .bpmn_variables import PROTECTED, PROTECTED_AFTER_START, declared_names, matches
from .forms import NS
from .models import ProcessDefinition

MAX_DEPTH = 32
MAX_BYTES = 256 * 1024
MAX_NAME = 64
MAX_REASON = 500
MAX_DURATION = timedelta(days=3660)  # ten years: longer is a typo, and overflows soon after
PROTECTED_MESSAGE = "protected by the process: only the process sets it"
_LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED


@dataclass(frozen=True)
class Rules:
    """What a process declares about its variables."""
    protected: tuple[str, ...]
    protected_after_start: tuple[str, ...]
    fields: dict  # name -> the JSON Schemas of the form fields of that name
    timers: dict  # name -> [(kind, element id)] of the timers whose whole expression it is


_cache: dict[tuple[str, str], Rules] = {}
_cache_lock = threading.Lock()


def rules_for(definition: ProcessDefinition) -> Rules:
    """Return the variable rules of a definition, built once per process version."""
    cache_key = (definition.key, definition.content_hash)
    rules = _cache.get(cache_key)
    if rules is None:
        rules = _build_rules(definition)
        with _cache_lock:
            _cache[cache_key] = rules
    return rules


def rules_of_instance(session: Session, definition: ProcessDefinition) -> Rules:
    """Return the rules for an instance of `definition`, protecting what its newest version protects too.

    Deals started before their process named a variable as protected stay
    open to forgery otherwise; designers add protection far more often than
    they take it away.
    """
    rules = rules_for(definition)
    newest = session.execute(select(ProcessDefinition.id, ProcessDefinition.content_hash)
                             .where(ProcessDefinition.key == definition.key)
                             .order_by(ProcessDefinition.version.desc()).limit(1)).first()
    if newest is None or newest.content_hash == definition.content_hash:
        return rules
    latest = _cache.get((definition.key, newest.content_hash)) or rules_for(
        definitions.get_definition(session, newest.id))
    return Rules(tuple(dict.fromkeys(rules.protected + latest.protected)),
                 tuple(dict.fromkeys(rules.protected_after_start + latest.protected_after_start)),
                 rules.fields, rules.timers)


def _build_rules(definition: ProcessDefinition) -> Rules:
    spec, subprocess_specs = definitions.specs_for(definition)
    fields, timers = {}, {}
    for task_spec in (t for s in [spec, *subprocess_specs.values()] for t in s.task_specs.values()):
        info = (getattr(task_spec, "extensions", None) or {}).get(bpmn.TASK_KEY) or {}
        for name, schema in ((info.get("form_schema") or {}).get("properties") or {}).items():
            fields.setdefault(name, []).append(schema)
        timer = getattr(task_spec, "event_definition", None)
        name = _bare_name(getattr(timer, "expression", None)) if isinstance(timer, TimerEventDefinition) else None
        if name:
            timers.setdefault(name, []).append((_timer_kind(timer), task_spec.bpmn_id))
    process = _process_element(definition)
    protected = declared_names(process, PROTECTED)[0] if process is not None else []
    after_start = declared_names(process, PROTECTED_AFTER_START)[0] if process is not None else []
    return Rules(tuple(protected), tuple(after_start), fields, timers)


def _process_element(definition: ProcessDefinition):
    names = sorted(definition.files, key=lambda n: n != definition.file_name)
    for name in (n for n in names if n.lower().endswith(".bpmn")):
        doc, _ = bpmn.load_file(name, definition.files[name].encode("utf-8"))
        found = doc.root.xpath("bpmn:process[@id=$key]", namespaces=NS, key=definition.key) if doc else []
        if found:
            return found[0]
    return None


def _bare_name(expression: str | None) -> str | None:
    try:
        body = ast.parse(expression or "", mode="eval").body
    except SyntaxError:
        return None
    return body.id if isinstance(body, ast.Name) else None


def _timer_kind(timer) -> str:
    if isinstance(timer, CycleTimerEventDefinition):
        return "cycle"
    return "duration" if isinstance(timer, DurationTimerEventDefinition) else "date"


# --- checking what a caller sends -------------------------------------------------------------

def checked_reason(reason) -> str:
    """Return the reason a person gives for setting variables; raise InvalidInput without one."""
    if not isinstance(reason, str) or not 1 <= len(reason.strip()) <= MAX_REASON:
        raise InvalidInput("say why you set these variables", [
            {"message": f"a reason of 1 to {MAX_REASON} characters is required", "field": "reason"}])
    return reason.strip()


def check(rules: Rules, data: dict, *, refuse: str | None, unset=()) -> None:
    """Raise InvalidInput, one problem per field, unless every name and value in `data` may go in.

    Args:
        refuse: which protected names to refuse: "start" (protected_variables),
            "set" (those and protected_after_start) or None (the system, a repair).
        unset: names to delete (a repair): only their spelling is checked.
    """
    problems = []
    for name in [*data, *unset]:
        problem = _name_problem(name)
        if problem is None and refuse and _is_protected(rules, name, refuse):
            problem = f"{name} is {PROTECTED_MESSAGE}"
        if problem is None and name in data:
            problem = value_problem(rules, name, data[name])
        if problem:
            problems.append({"message": problem, "field": name})
    if not problems:
        size = len(json.dumps(data, default=str, ensure_ascii=False).encode("utf-8"))
        if size > MAX_BYTES:
            problems.append({"message": f"the data is {size} bytes as JSON; at most {MAX_BYTES}",
                             "field": "data"})
    if problems:
        raise InvalidInput(f"{len(problems)} variable(s) cannot be set: {problems[0]['message']}", problems)


def _is_protected(rules: Rules, name: str, refuse: str) -> bool:
    return matches(name, rules.protected) or (refuse == "set" and matches(name, rules.protected_after_start))


def _name_problem(name) -> str | None:
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name) \
            or name.startswith("__") or len(name) > MAX_NAME:
        return f"{str(name)[:MAX_NAME]!r} is not a variable name (letters, digits and _, at most {MAX_NAME})"
    return None


def value_problem(rules: Rules, name: str, value) -> str | None:
    """Return why `value` cannot be the value of variable `name` in this process, or None."""
    if depth_of(value) > MAX_DEPTH:
        return f"{name} is nested more than {MAX_DEPTH} levels deep"
    for schema in rules.fields.get(name, ()):
        error = next(iter(Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
                          .iter_errors(value)), None)
        if error is not None:
            return f"{name} ({schema.get('title') or name}): {error.message}"
    for kind, element_id in rules.timers.get(name, ()):
        problem = timer_value_problem(kind, value)
        if problem:
            return f"{name} is the timer {element_id}'s value: {problem}"
    return None


def depth_of(value, limit: int = MAX_DEPTH) -> int:
    """Return how deeply `value` nests lists and objects, counting no further than limit + 1."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list, tuple)):
            depth += 1
            deepest = max(deepest, depth)
            if depth > limit:
                return depth
            stack.extend((v, depth) for v in (item.values() if isinstance(item, dict) else item))
    return deepest


def timer_value_problem(kind: str, value) -> str | None:
    """Return why `value` cannot drive a timer of `kind` (duration, date, cycle), or None."""
    if not isinstance(value, str) or len(value) > 100:
        return f"{value!r:.60} is not a text such as {_EXAMPLES[kind]}"
    try:
        if kind == "duration":
            length = TimerEventDefinition.get_timedelta_from_start(TimerEventDefinition.parse_iso_duration(value))
            if not timedelta(0) <= length <= MAX_DURATION:
                return f"{value!r} is not between PT0S and {MAX_DURATION.days} days"
        elif kind == "date":
            if not isinstance(TimerEventDefinition.parse_time_or_duration(value), datetime):
                raise ValueError(value)
        else:
            TimerEventDefinition.parse_iso_recurring_interval(value)
    except Exception:  # SpiffWorkflow's parsers raise bare Exceptions, among others
        return f"{value!r} is not an ISO 8601 {kind} such as {_EXAMPLES[kind]}"
    return None


_EXAMPLES = {"duration": "P14D or PT4H", "date": "2027-01-10T17:00:00+08:00", "cycle": "R3/PT1H"}


# --- what changed, for the audit entry --------------------------------------------------------

def changes(before: dict, data: dict, unset=()) -> dict:
    """Return {name: [before, after]} of a change, bad old values shown as a note, not copied."""
    def shown(value):
        if depth_of(value) > MAX_DEPTH or len(json.dumps(value, default=str)) > MAX_BYTES:
            return f"<{type(value).__name__} too deep or too large to show>"
        return value
    result = {name: [shown(before.get(name)), value] for name, value in data.items()}
    result.update({name: [shown(before.get(name)), None] for name in unset})
    return result


# --- repairing a stored run -------------------------------------------------------------------

def repaired_state(state: str, data: dict, unset=()) -> str:
    """Return a stored run with `unset` deleted from every task and `data` set on the live ones.

    Works on the serialiser's JSON, not on a restored workflow: a value too deep
    for SpiffWorkflow to restore is exactly what a repair has to take out.
    """
    run = json.loads(state)
    for task in _stored_tasks(run):
        task_data = task.setdefault("data", {})
        for name in unset:
            task_data.pop(name, None)
        is_live = bool(task.get("state", 0) & _LIVE)
        task_data.update({k: v for k, v in data.items() if is_live or k in task_data})
        # SpiffWorkflow keeps what a step changed too; a bad value lives on there.
        updates = (task.get("delta") or {}).get("updates")
        if isinstance(updates, dict):
            for name in [*unset, *data]:
                updates.pop(name, None)
    return json.dumps(run)


def _stored_tasks(run: dict):
    yield from (run.get("tasks") or {}).values()
    for sub in (run.get("subprocesses") or {}).values():
        yield from (sub.get("tasks") or {}).values()


def unloadable(visible_data: dict | None, exc: Exception) -> ProcessError:
    """Return the error to show for a stored run SpiffWorkflow cannot restore, naming the variable.

    The names come from the instance's visible data: the run itself may be too
    deep even for the JSON decoder on a busy stack.
    """
    names = sorted(name for name, value in (visible_data or {}).items() if depth_of(value) > MAX_DEPTH)
    what = f"the variable {', '.join(names)} is" if names else "its data is"
    return ProcessError(f"this instance cannot be loaded: {what} nested too deep ({type(exc).__name__}); "
                        "an admin can repair it (POST .../variables with repair: true)")


def timer_failure(workflow, exc: Exception) -> ProcessError | None:
    """Return a located error when a bad timer value made an engine step fail, else None."""
    for task in workflow.get_tasks():
        timer = getattr(task.task_spec, "event_definition", None)
        name = _bare_name(getattr(timer, "expression", None)) if isinstance(timer, TimerEventDefinition) else None
        if name is None or task.has_state(TaskState.FINISHED_MASK) or name not in task.data:
            continue
        problem = timer_value_problem(_timer_kind(timer), task.data[name])
        if problem:
            return ProcessError(f"the timer {task.task_spec.bpmn_id} cannot start: the variable {name}: "
                                f"{problem}; an admin can repair it (POST .../variables with repair: true)",
                                element_id=task.task_spec.bpmn_id)
    return None
