"""Durable timers: every waiting timer is a row with its due time, fired exactly once.

SpiffWorkflow evaluates timers only when asked. We ask at the right moment:
after every persist the waiting timer events of an instance are written as rows;
a worker claims due rows with a lease (PostgreSQL: FOR UPDATE SKIP LOCKED) and
fires each one in its own transaction, under the instance's row lock, which
moves or deletes the row as it advances the instance. A worker that dies
mid-fire leaves a lease that runs out, and another worker takes the row over.

A fire whose step fails is retried with exponential backoff; after
MAX_ATTEMPTS the instance goes to status error with the reason, and an admin can
retry it.
"""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (CycleTimerEventDefinition,
                                                              DurationTimerEventDefinition,
                                                              TimeDateEventDefinition,
                                                              TimerEventDefinition)
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import event, func, or_, select, text, update
from sqlalchemy.orm import Session

from core.audit import record
from core.db import is_postgresql, utcnow
from .models import ProcessDefinition, Timer

MAX_ATTEMPTS = 5
BACKOFF_SECONDS = 1.0  # first retry after 1 s, then 2, 4, 8
LEASE = timedelta(seconds=float(os.environ.get("CRM_TIMER_LEASE_SECONDS", "60")))
NOTIFY_CHANNEL = "dealflow_timers"

# Called with the earliest new due time after a commit that created or moved timers.
WAKERS: list = []


def due_time(task) -> datetime | None:
    """Return when a waiting timer task falls due, from what SpiffWorkflow computed for it."""
    definition = getattr(task.task_spec, "event_definition", None)
    value = task.internal_data.get("event_value")
    if value is None or not isinstance(definition, TimerEventDefinition):
        return None
    if isinstance(definition, CycleTimerEventDefinition):
        return _aware(datetime.fromisoformat(value["next"])) if value.get("cycles") else None
    if isinstance(definition, DurationTimerEventDefinition):
        return TimerEventDefinition.get_datetime(value)
    if isinstance(definition, TimeDateEventDefinition):
        due = TimerEventDefinition.parse_time_or_duration(value)
        return due if isinstance(due, datetime) else None
    return None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def sync_instance_timers(session: Session, instance, workflow) -> None:
    """Make the instance's timer rows match the workflow's waiting timer events."""
    if not has_timer_events(workflow):
        return
    waiting = {}
    for task in workflow.get_tasks(state=TaskState.WAITING):
        due = due_time(task)
        if due is not None:
            waiting[str(task.id)] = (due, task.task_spec.bpmn_id)
    with session.no_autoflush:
        rows = {row.task_id: row for row in session.scalars(
            select(Timer).where(Timer.instance_id == instance.id))}
    for task_id, row in rows.items():
        if task_id not in waiting:
            session.delete(row)
    for task_id, (due, element_id) in waiting.items():
        row = rows.get(task_id)
        if row is None:
            session.add(Timer(kind="event", instance_id=instance.id, task_id=task_id,
                              element_id=element_id, due_at=due, attempts=0, status="waiting"))
            _announce(session, due)
        elif row.due_at != due:
            row.due_at, row.attempts, row.lease_until, row.leased_by = due, 0, None, None
            _announce(session, due)


def has_timer_events(workflow) -> bool:
    """Tell whether the workflow's specs have any timer event; most sales steps have none."""
    specs = (workflow.spec, *workflow.subprocess_specs.values())
    return any(_spec_has_timers(spec) for spec in specs)


def _spec_has_timers(spec) -> bool:
    cached = getattr(spec, "_dealflow_has_timers", None)
    if cached is None:
        cached = any(_is_timer(getattr(ts, "event_definition", None)) for ts in spec.task_specs.values())
        spec._dealflow_has_timers = cached  # specs are cached and never change after parsing
    return cached


def _is_timer(definition) -> bool:
    if isinstance(definition, TimerEventDefinition):
        return True
    return any(_is_timer(d) for d in getattr(definition, "event_definitions", ()) or ())


def schedule_start_timers(session: Session, definition: ProcessDefinition, spec) -> None:
    """Replace a process's timer-start schedule by the one of `definition` (its newest version)."""
    older = select(ProcessDefinition.id).where(ProcessDefinition.key == definition.key)
    session.execute(Timer.__table__.delete().where(Timer.kind == "start",
                                                   Timer.definition_id.in_(older)))
    if not definition.is_executable:
        return
    for start_event in spec.start.outputs:
        schedule = _start_schedule(getattr(start_event, "event_definition", None))
        if schedule is not None:
            due, interval, remaining = schedule
            session.add(Timer(kind="start", definition_id=definition.id, element_id=start_event.bpmn_id,
                              due_at=due, interval_seconds=interval, remaining=remaining,
                              attempts=0, status="waiting"))
            _announce(session, due)


def _start_schedule(definition) -> tuple[datetime, float | None, int | None] | None:
    from .state import SCRIPT_ENGINE

    if not isinstance(definition, TimerEventDefinition):
        return None
    value = SCRIPT_ENGINE.environment.evaluate(definition.expression, {})
    if isinstance(definition, CycleTimerEventDefinition):
        cycles, start, duration = TimerEventDefinition.parse_iso_recurring_interval(value)
        return start, duration.total_seconds(), cycles
    if isinstance(definition, DurationTimerEventDefinition):
        duration = TimerEventDefinition.get_timedelta_from_start(TimerEventDefinition.parse_iso_duration(value))
        return utcnow() + duration, None, 1
    return TimerEventDefinition.parse_time_or_duration(value), None, 1


def _announce(session: Session, due: datetime) -> None:
    pending = session.info.setdefault("timer_dues", [])
    if not pending and is_postgresql(session):
        # Delivered on commit only, so a worker never wakes for a timer that was rolled back.
        session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": NOTIFY_CHANNEL})
    pending.append(due)


@event.listens_for(Session, "after_commit")
def _wake_after_commit(session: Session) -> None:
    dues = session.info.pop("timer_dues", None)
    if dues:
        for wake in list(WAKERS):
            wake(min(dues))


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop("timer_dues", None)


def claim_due(session: Session, worker: str, *, limit: int = 50, now: datetime | None = None) -> list[int]:
    """Lease up to `limit` due timers to `worker` and return their ids, earliest first."""
    now = now or utcnow()
    query = (select(Timer.id).where(Timer.status == "waiting", Timer.due_at <= now,
                                    or_(Timer.lease_until.is_(None), Timer.lease_until < now))
             .order_by(Timer.due_at).limit(limit))
    if is_postgresql(session):
        query = query.with_for_update(skip_locked=True)
    ids = list(session.scalars(query))
    if ids:
        session.execute(update(Timer).where(Timer.id.in_(ids))
                        .values(lease_until=now + LEASE, leased_by=worker))
    return ids


def next_due(session: Session) -> datetime | None:
    """Return when the next waiting timer falls due (or its lease runs out), or None."""
    due = session.scalar(select(func.min(Timer.due_at)).where(Timer.status == "waiting",
                                                              Timer.lease_until.is_(None)))
    leased = session.scalar(select(func.min(Timer.lease_until)).where(Timer.status == "waiting"))
    candidates = [_aware(moment) for moment in (due, leased) if moment is not None]
    return min(candidates) if candidates else None


def fire(session: Session, timer_id: int, worker: str) -> bool:
    """Fire a timer leased to `worker`; return False when it is no longer ours to fire.

    Raises whatever the process step raises, so that the caller can roll back and
    call `record_failure` in a fresh transaction.
    """
    from . import instances

    timer = _leased(session, timer_id, worker)
    if timer is None:
        return False
    if timer.kind == "start":
        return _fire_start(session, timer)
    instance = instances.lock_instance(session, timer.instance_id)
    timer = _leased(session, timer_id, worker)  # the lock may have waited for another fire
    if timer is None:
        return False
    if instance.status in ("completed", "terminated", "error"):
        session.delete(timer)
        return False
    workflow = instances.load_workflow(instance)
    workflow.refresh_timers()
    record(session, "timer.fired", instance_id=instance.id, task_id=timer.task_id,
           element_id=timer.element_id, detail={"due_at": timer.due_at.isoformat(), "worker": worker})
    timer.lease_until, timer.leased_by = None, None
    instances.advance(session, instance, workflow, actor=None, raise_errors=True)
    return True


def _leased(session: Session, timer_id: int, worker: str) -> Timer | None:
    timer = session.scalars(select(Timer).where(Timer.id == timer_id)
                            .execution_options(populate_existing=True)).first()
    return timer if timer is not None and timer.leased_by == worker else None


def _fire_start(session: Session, timer: Timer) -> bool:
    from . import instances

    definition = session.get(ProcessDefinition, timer.definition_id)
    instance = instances.start_instance_of(session, definition, data={}, business_key=None,
                                           actor=None, fired_start_event=timer.element_id)
    record(session, "timer.fired", instance_id=instance.id, element_id=timer.element_id,
           detail={"due_at": timer.due_at.isoformat(), "kind": "start"})
    if timer.remaining is not None and timer.remaining > 0:
        timer.remaining -= 1
    if timer.remaining == 0 or not timer.interval_seconds:
        session.delete(timer)
    else:
        timer.due_at = timer.due_at + timedelta(seconds=timer.interval_seconds)
        timer.lease_until, timer.leased_by, timer.attempts = None, None, 0
        _announce(session, timer.due_at)
    return True


def record_failure(session: Session, timer_id: int, error: str) -> None:
    """Count a failed fire: retry later with backoff, or after MAX_ATTEMPTS fail the instance."""
    from . import instances

    timer = session.get(Timer, timer_id)
    if timer is None:
        return
    timer.attempts += 1
    timer.last_error = error
    timer.lease_until, timer.leased_by = None, None
    if timer.attempts < MAX_ATTEMPTS:
        timer.due_at = utcnow() + timedelta(seconds=BACKOFF_SECONDS * 2 ** (timer.attempts - 1))
        _announce(session, timer.due_at)
        return
    timer.status = "failed"
    if timer.instance_id is not None:
        instances.mark_failed(session, timer.instance_id, element_id=timer.element_id,
                              message=f"timer {timer.element_id} failed {timer.attempts} times: {error}")


def retry_failed_timers(session: Session, instance_id: int) -> int:
    """Put an instance's failed timers back in the queue, due now; return how many."""
    rows = list(session.scalars(select(Timer).where(Timer.instance_id == instance_id,
                                                    Timer.status == "failed")))
    for row in rows:
        row.status, row.attempts, row.due_at = "waiting", 0, utcnow()
        _announce(session, row.due_at)
    return len(rows)
