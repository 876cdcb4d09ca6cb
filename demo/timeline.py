"""Spread the demo's freshly made history over the past months, as if it had happened then.

The demo works every deal through the engine within a second; reports on time
in stage would show nothing. So, after the fact, each instance gets a plausible
time line: every stage visit a length typical of its stage, ending a few days
ago. Every timestamp of the instance (stage visits, audit entries, task rows,
the instance itself, its opportunity or tender) is moved by the same piecewise
shift, so their order and the gaps between them within a stage are kept.
Timer due times are left alone: reminders fall due from the real creation time.

The bundled processes set no due date or priority on their user tasks (a modeler
may, with camunda:dueDate and camunda:priority, which the engine evaluates when it
makes the task). So schedule_open_tasks gives the demo's open tasks the ones a
sales manager would, on the moved time line: some are overdue, big deals come first.
"""
from __future__ import annotations

import random
from bisect import bisect_right
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.models import Opportunity, Tender
from core import audit_chain
from core.audit import AuditEntry
from engine.models import HumanTask, ProcessInstance, StageVisit
from engine.tasks import DEFAULT_PRIORITY

# Days a task may take before it is overdue, counted from when it was made; 7 for others.
DUE_DAYS = {"qualify_lead": 5, "confirm_needs": 10, "design_solution": 14, "negotiate": 14,
            "approve_discount": 2, "sign_contract": 7, "deliver": 60, "after_sales": 90,
            "evaluation_result": 5, "award": 3}
# Priority by the deal's amount (CNY), from the largest; the engine's default is 50.
PRIORITY_BY_AMOUNT = [(2_000_000, 80), (1_000_000, 65), (500_000, 50), (0, 30)]
TENDER_PRIORITY = 75  # tender dates are set by the buyer and do not move
OFFICE = ZoneInfo("Asia/Shanghai")  # where the demo's people work: tasks fall due at 18:00 there

# Typical days in each stage, (shortest, longest).
TYPICAL_DAYS = {"线索获取": (4, 12), "需求确认": (7, 20), "方案制定": (10, 25), "商务谈判": (10, 30),
                "合同签署": (5, 15), "交付实施": (25, 60), "售后服务": (30, 90),
                "招标": (5, 10), "投标": (10, 20), "评标": (5, 12), "定标": (3, 7)}


def spread_history(session: Session, instance_ids: list[int], *, now: datetime, seed: int = 7,
                   last_change_days: dict[int, float] | None = None) -> None:
    """Move each instance's history back in time; `last_change_days` fixes some instances' latest step."""
    rng = random.Random(seed)
    # Before the commit that seals them, so the chain covers the moved times.
    audit_chain.note_pending_rewritten(session)
    for instance_id in instance_ids:
        visits = list(session.scalars(select(StageVisit).where(StageVisit.instance_id == instance_id)
                                      .order_by(StageVisit.entered_at, StageVisit.id)))
        if not visits:
            continue
        days_ago = (last_change_days or {}).get(instance_id, rng.uniform(1, 12))
        anchors = _anchors(visits, now - timedelta(days=days_ago), rng)
        _shift_instance(session, instance_id, lambda moment: _mapped(anchors, moment))


def _anchors(visits: list[StageVisit], last_change: datetime, rng: random.Random) -> list[tuple]:
    """Return (original moment, new moment) pairs, in order: each visit's entry and exit."""
    lengths = [timedelta(days=rng.uniform(*TYPICAL_DAYS.get(v.stage, (3, 10)))) for v in visits]
    last = visits[-1]
    moment = last_change - lengths[-1] if last.left_at is not None else last_change
    entered = [moment]
    for length in reversed(lengths[:-1]):
        moment -= length
        entered.insert(0, moment)
    anchors = []
    for visit, new_entry, length in zip(visits, entered, lengths):
        anchors.append((visit.entered_at, new_entry))
        if visit.left_at is not None:
            anchors.append((visit.left_at, new_entry + length))
    return anchors


def _mapped(anchors: list[tuple], moment: datetime | None) -> datetime | None:
    """Map a moment between two anchors proportionally; before the first or after the last, by offset.

    The work of a stage, done in the original run between its entry and its exit,
    so lands spread over the stage's new length, its completion near the exit.
    """
    if moment is None:
        return None
    index = bisect_right([original for original, _ in anchors], moment) - 1
    if index < 0:
        return anchors[0][1] + (moment - anchors[0][0])
    original, new = anchors[index]
    if index + 1 == len(anchors):
        return new + (moment - original)
    next_original, next_new = anchors[index + 1]
    span = (next_original - original).total_seconds()
    share = (moment - original).total_seconds() / span if span > 0 else 0.0
    return new + (next_new - new) * share


def _shift_instance(session: Session, instance_id: int, shift) -> None:
    rows = [
        (StageVisit, StageVisit.instance_id, ("entered_at", "left_at")),
        (AuditEntry, AuditEntry.instance_id, ("at",)),
        (HumanTask, HumanTask.instance_id, ("created_at", "completed_at")),
        (ProcessInstance, ProcessInstance.id, ("created_at", "updated_at", "ended_at")),
        (Opportunity, Opportunity.instance_id, ("created_at", "updated_at", "closed_at")),
        (Tender, Tender.instance_id, ("created_at", "updated_at", "closed_at")),
    ]
    for model, column, attributes in rows:
        for row in session.scalars(select(model).where(column == instance_id)):
            for attribute in attributes:
                setattr(row, attribute, shift(getattr(row, attribute)))
    session.flush()


def schedule_open_tasks(session: Session, instance_ids: list[int]) -> None:
    """Give the instances' open tasks a due date and a priority, unless their process set one."""
    rows = session.scalars(select(HumanTask).where(HumanTask.instance_id.in_(instance_ids),
                                                   HumanTask.status == "open"))
    for row in rows:
        if row.due_at is None:
            row.due_at = _end_of_day(row.created_at + timedelta(days=DUE_DAYS.get(row.element_id, 7)))
        if row.priority == DEFAULT_PRIORITY:
            row.priority = _priority(row.instance)
    session.flush()


def _end_of_day(moment: datetime) -> datetime:
    """Return 18:00 in the demo team's office, Shanghai, of the day `moment` falls on there, in UTC."""
    local = moment.astimezone(OFFICE)
    return local.replace(hour=18, minute=0, second=0, microsecond=0).astimezone(timezone.utc)


def _priority(instance: ProcessInstance) -> int:
    if instance.process_key == "tender":
        return TENDER_PRIORITY
    data = instance.data or {}
    amount = data.get("agreed_amount") or data.get("amount") or 0
    return next(priority for floor, priority in PRIORITY_BY_AMOUNT if amount >= floor)
