"""Messages and signals: who waits for them, and delivering them from outside.

SpiffWorkflow keeps an instance's waiting catch events inside its serialised
run, where no query can find them. So after every persist the waiting message
and signal catches of an instance (receive tasks, intermediate catch events,
boundary events) are written as `event_subscriptions` rows, each with its
correlation key evaluated from the data at the moment it started waiting; a
message start event of a process's newest version is a row without instance.

A message (Camunda's message correlation) goes to exactly one waiting catch,
chosen by name and correlation key or instance id, else starts an instance of
the newest process whose start event catches it. A signal goes to every
instance waiting for it, and starts every process with a signal start.
Deliveries lock the instance as every engine step does, and catch on the very
task the row names, so the message's data lands where the process waits.

Correlation: the catching element's extension property `correlation_key`
(Camunda Modeler: Extension properties), else the process's, is an expression
over the instance data, `${order_number}` or plain Python.
"""
from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts import require
from accounts.models import User
from core.audit import record
from core.errors import Conflict, InvalidInput, NotFound

from . import bpmn, definitions, instances, variables
from .models import EventSubscription, ProcessDefinition

MAX_KEY_LENGTH = 255
# How deep a signal thrown by an instance may set off further throws, within one transaction.
MAX_SIGNAL_DEPTH = 5


@dataclass
class Delivery:
    """Where a message went: the instance, the element that caught it, and whether it started it."""
    instance_id: int
    element_id: str
    started: bool
    status: str


def kind_of(event_definition) -> str | None:
    """Return 'message' or 'signal' for the event definitions delivered from outside, else None."""
    if isinstance(event_definition, MessageEventDefinition):
        return "message"
    if isinstance(event_definition, SignalEventDefinition):
        return "signal"
    return None


def has_catch_events(workflow) -> bool:
    """Tell whether the workflow's specs catch any message or signal; most processes do not."""
    return any(_spec_catches(spec) for spec in (workflow.spec, *workflow.subprocess_specs.values()))


def waiting_for(instance) -> list[EventSubscription]:
    """Return what the instance waits for; no query for the processes that catch no events."""
    spec, subprocess_specs = definitions.specs_for(instance.definition)
    if not any(_spec_catches(s) for s in (spec, *subprocess_specs.values())):
        return []
    return instance.subscriptions


def _spec_catches(spec) -> bool:
    cached = getattr(spec, "_dealflow_catches_events", None)
    if cached is None:
        cached = any(kind_of(getattr(ts, "event_definition", None)) and hasattr(ts, "catch")
                     for ts in spec.task_specs.values())
        spec._dealflow_catches_events = cached  # specs are cached and never change after parsing
    return cached


# --- keeping the rows in step -----------------------------------------------------------------

def sync_instance_subscriptions(session: Session, instance, workflow) -> None:
    """Make the instance's subscription rows match the message and signal catches it waits on."""
    if not has_catch_events(workflow):
        return
    waiting = {}
    if instance.status not in ("completed", "terminated", "error"):
        for task in workflow.get_tasks(state=TaskState.WAITING):
            kind = kind_of(getattr(task.task_spec, "event_definition", None))
            if kind is not None and hasattr(task.task_spec, "catch"):
                waiting[str(task.id)] = (kind, task)
    with session.no_autoflush:
        rows = {row.task_id: row for row in session.scalars(
            select(EventSubscription).where(EventSubscription.instance_id == instance.id))}
    for task_id, row in rows.items():
        if task_id not in waiting:
            session.delete(row)
    for task_id, (kind, task) in waiting.items():
        if task_id not in rows:
            session.add(EventSubscription(
                kind=kind, name=task.task_spec.event_definition.name, instance_id=instance.id,
                task_id=task_id, element_id=task.task_spec.bpmn_id,
                correlation_key=_correlation_key(workflow, task)))


def _correlation_key(workflow, task) -> str | None:
    expression = (getattr(task.task_spec, "extensions", None) or {}).get(bpmn.CORRELATION_KEY)
    if not expression:
        return None
    try:
        value = workflow.script_engine.evaluate(task, expression)
    except Exception:  # a key the data lacks yet: the instance is reached by its id only
        return None
    return None if value is None else str(value)[:MAX_KEY_LENGTH]


def register_start_events(session: Session, definition: ProcessDefinition, spec) -> None:
    """Replace a process's message and signal start rows by those of `definition` (its newest version)."""
    older = select(ProcessDefinition.id).where(ProcessDefinition.key == definition.key)
    session.execute(EventSubscription.__table__.delete().where(
        EventSubscription.instance_id.is_(None), EventSubscription.definition_id.in_(older)))
    if not definition.is_executable:
        return
    for start_event in spec.start.outputs:
        event_definition = getattr(start_event, "event_definition", None)
        kind = kind_of(event_definition)
        if kind is not None:
            session.add(EventSubscription(kind=kind, name=event_definition.name,
                                          definition_id=definition.id, element_id=start_event.bpmn_id))


# --- delivering -------------------------------------------------------------------------------

def deliver_message(session: Session, name: str, *, data: dict, actor: User | None,
                    correlation_key: str | None = None, instance_id: int | None = None) -> Delivery:
    """Deliver message `name` to the one catch waiting for it, or start the process it starts.

    Raises:
        Forbidden: the actor lacks `messages.send`.
        NotFound: nothing waits for the message and no process starts with it.
        Conflict: several instances wait and neither key nor instance id says which.
        InvalidInput: bad data (too large, or a name the process protects).
    """
    if actor is not None:
        require(actor, "messages.send")
    data = instances._checked_data(data)
    query = (select(EventSubscription)
             .where(EventSubscription.kind == "message", EventSubscription.name == name,
                    EventSubscription.instance_id.is_not(None))
             .order_by(EventSubscription.id))
    if instance_id is not None:
        query = query.where(EventSubscription.instance_id == instance_id)
    if correlation_key is not None:
        query = query.where(EventSubscription.correlation_key == correlation_key)
    rows = list(session.scalars(query.limit(50)))
    if len({row.instance_id for row in rows}) > 1:
        ids = sorted({row.instance_id for row in rows})
        text = (f"{len(ids)}{'+' if len(rows) == 50 else ''} process instances wait for message {name!r} "
                f"({', '.join(map(str, ids[:10]))}); say which with correlation_key or process_instance_id")
        raise Conflict(text, [{"message": text, "field": "process_instance_id"}])
    if rows:
        return _deliver_to(session, rows[0], data, actor)
    if instance_id is None:
        start = session.scalar(select(EventSubscription).where(
            EventSubscription.kind == "message", EventSubscription.name == name,
            EventSubscription.instance_id.is_(None)).order_by(EventSubscription.definition_id.desc()).limit(1))
        if start is not None:
            return _start_with(session, start, data, actor, correlation_key)
    said = (f" with correlation key {correlation_key!r}" if correlation_key is not None else "") + \
           (f" in process instance {instance_id}" if instance_id is not None else "")
    text = f"nothing waits for message {name!r}{said}" + (
        ", and no process starts with it" if instance_id is None else "")
    raise NotFound(text, [{"message": text, "field": "name"}])


def _deliver_to(session: Session, row: EventSubscription, data: dict, actor: User | None) -> Delivery:
    instance = instances.lock_instance(session, row.instance_id)
    # Re-read under the lock: a concurrent delivery may have taken this wait already.
    if session.get(EventSubscription, row.id, populate_existing=True) is None:
        raise Conflict(f"process instance {row.instance_id} stopped waiting for {row.kind} {row.name!r} "
                       "meanwhile; send it again")
    _check_data(instance, data, actor)
    workflow = instances.load_workflow(instance)
    task = _waiting_task(workflow, row)
    _catch(task, data)
    record(session, f"instance.{row.kind}_received", actor=actor, instance_id=instance.id,
           element_id=row.element_id,
           detail={"name": row.name, "correlation_key": row.correlation_key, "data": data})
    instances.advance(session, instance, workflow, actor=actor)
    return Delivery(instance.id, row.element_id, False, instance.status)


def _start_with(session: Session, row: EventSubscription, data: dict, actor: User | None,
                correlation_key: str | None) -> Delivery:
    definition = session.get(ProcessDefinition, row.definition_id)
    element_id, kind, name = row.element_id, row.kind, row.name

    def catch(workflow, instance):
        workflow.do_engine_steps()
        task = next((t for t in workflow.get_tasks(state=TaskState.WAITING)
                     if t.task_spec.bpmn_id == element_id), None)
        if task is not None:
            _catch(task, data)
        record(session, f"instance.{kind}_received", actor=actor, instance_id=instance.id,
               element_id=element_id, detail={"name": name, "correlation_key": correlation_key,
                                              "data": data, "started": True})

    instance = instances.start_instance_of(session, definition, data=data, business_key=None,
                                           actor=actor, before_advance=catch)
    return Delivery(instance.id, element_id, True, instance.status)


def _check_data(instance, data: dict, actor: User | None) -> None:
    # The sender is an integration, not the process: it may not set what the process protects.
    rules = variables.rules_for(instance.definition)
    variables.check(rules, data, refuse=None if actor is None else "set")


def _waiting_task(workflow, row: EventSubscription):
    try:
        task = workflow.get_task_from_id(UUID(row.task_id))
    except Exception:
        task = None
    if task is None or task.state != TaskState.WAITING:
        raise Conflict(f"process instance {row.instance_id} no longer waits at {row.element_id}")
    return task


def _catch(task, data: dict) -> None:
    event = BpmnEvent(task.task_spec.event_definition, payload=dict(data))
    task.task_spec.catch(task, event)
    task.task_spec._update(task)
    # Camunda sets message variables on the process instance, not only on the path that
    # caught it: the work that goes on (the task a non-interrupting event leaves) sees them too.
    for other in task.workflow.top_workflow.get_tasks(
            state=TaskState.READY | TaskState.WAITING | TaskState.STARTED):
        other.data.update(data)


def broadcast_signal(session: Session, name: str, *, data: dict, actor: User | None,
                     skip_instance: int | None = None) -> int:
    """Deliver signal `name` to every instance waiting for it and start every process it starts.

    Each instance is locked and advanced in a savepoint of its own, so one that
    fails (it changed meanwhile, its next step breaks) is left as it was and the
    others still get the signal. Returns how many instances it reached.
    """
    if actor is not None:
        require(actor, "messages.send")
    data = instances._checked_data(data)
    rows = list(session.scalars(select(EventSubscription).where(
        EventSubscription.kind == "signal", EventSubscription.name == name)
        .order_by(EventSubscription.instance_id, EventSubscription.id)))
    by_instance: dict[int, list[EventSubscription]] = {}
    starts = []
    for row in rows:
        if row.instance_id is None:
            starts.append(row)
        elif row.instance_id != skip_instance:
            by_instance.setdefault(row.instance_id, []).append(row)
    reached = 0
    for instance_id, waits in by_instance.items():
        try:
            with session.begin_nested():
                _signal_instance(session, instance_id, waits, data, actor)
            reached += 1
        except (Conflict, NotFound, InvalidInput):
            continue  # stopped waiting meanwhile, or refuses the data: the others still get it
    for row in starts:
        with session.begin_nested():
            _start_with(session, row, data, actor, None)
        reached += 1
    record(session, "signal.broadcast", actor=actor,
           detail={"name": name, "count": reached, "data": data})
    return reached


def _signal_instance(session: Session, instance_id: int, waits: list, data: dict, actor) -> None:
    instance = instances.lock_instance(session, instance_id)
    live = [row for row in waits if session.get(EventSubscription, row.id, populate_existing=True)]
    if not live:
        raise NotFound(f"process instance {instance_id} stopped waiting")
    _check_data(instance, data, actor)
    workflow = instances.load_workflow(instance)
    for row in live:  # a signal reaches every catch waiting for it, in one instance too
        task = _waiting_task(workflow, row)
        _catch(task, data)
        record(session, "instance.signal_received", actor=actor, instance_id=instance.id,
               element_id=row.element_id, detail={"name": row.name, "data": data})
    instances.advance(session, instance, workflow, actor=actor)


def take_thrown_signals(workflow) -> list[BpmnEvent]:
    """Remove and return the signals the workflow threw that nothing in it caught."""
    if not workflow.bpmn_events:
        return []
    events = workflow.get_events()
    # Messages thrown inside are not routed between instances (refused at upload); drop them
    # so that they do not pile up in the stored state.
    return [e for e in events if isinstance(e.event_definition, SignalEventDefinition)]


def forward_thrown_signals(session: Session, instance, thrown: list, actor: User | None) -> None:
    """Broadcast the signals an instance threw to the other instances waiting for them."""
    depth = session.info.get("signal_depth", 0)
    if depth >= MAX_SIGNAL_DEPTH:
        return
    session.info["signal_depth"] = depth + 1
    try:
        for event in thrown:
            record(session, "instance.signal_thrown", actor=actor, instance_id=instance.id,
                   detail={"name": event.event_definition.name})
            # Not the thrower's data: a signal says that something happened, to anyone listening.
            broadcast_signal(session, event.event_definition.name, data={}, actor=None,
                             skip_instance=instance.id)
    finally:
        session.info["signal_depth"] = depth
