"""Everything the deal page shows of one deal, gathered in one call.

A deal is an opportunity row mirrored from its funnel instance (crm.tracking); what
people did to it lives in the instance: its data, history, tasks and timers. The
figures a salesperson asks for are read from there: the amount the deal was opened
with is in the start's audit entry (the quote later overwrites `amount` in the data),
the quote in the entry of the task that set it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.permissions import Actor
from engine import definitions, instances
from engine.models import HumanTask, ProcessInstance, Timer
from signing import service as contracts
from signing.archive import ArchiveError
from signing.models import Contract

from .deals import get_opportunity, list_committee
from .models import CommitteeMember, Opportunity


@dataclass
class DealView:
    """One deal as its page shows it; `verification` is the current contract's report (or None)."""

    opportunity: Opportunity
    instance: ProcessInstance
    stage_since: datetime | None
    start_amount: int | float | None
    quoted_amount: int | float | None
    committee: list[CommitteeMember]
    contracts: list[Contract]
    verification: dict | None
    open_tasks: list[HumanTask]
    timers: list[Timer]
    timer_names: dict[str, str] = field(default_factory=dict)

    @property
    def data(self) -> dict:
        return self.instance.data or {}


def get_deal_view(session: Session, opportunity_id: int, *, actor: Actor) -> DealView:
    """Return what the page of deal `opportunity_id` shows, if `actor` sees the deal; else NotFound.

    Contracts are those of the deal that `actor` may see; the newest one not superseded
    is verified from the archive's bytes (its verdict colours the page).
    """
    opportunity = get_opportunity(session, opportunity_id, actor=actor)
    instance = opportunity.instance
    found = contracts.list_contracts(session, instance_id=instance.id, actor=actor)
    current = next((c for c in found if c.superseded_by_id is None and c.latest_revision is not None), None)
    is_signed = current is not None and current.status != "rendered"
    verification = _verify(session, current, actor) if is_signed else None
    waiting = [t for t in instance.timers if t.status in ("waiting", "failed")]
    start_amount, quoted = _amounts(instance)
    return DealView(opportunity=opportunity, instance=instance,
                    stage_since=instances.stage_entered_at(session, instance.id),
                    start_amount=start_amount, quoted_amount=quoted,
                    committee=list_committee(session, opportunity_id, actor=actor),
                    contracts=found, verification=verification,
                    open_tasks=[t for t in instance.tasks if t.status == "open"],
                    timers=waiting, timer_names=_element_names(instance, {t.element_id for t in waiting}))


def _verify(session: Session, contract: Contract, actor: Actor) -> dict:
    # A revision missing from the archive verifies nothing; the deal's page still shows.
    try:
        return contracts.verify_contract(session, contract.id, actor=actor)
    except ArchiveError as exc:
        return {"id": contract.id, "verdict": "unreadable", "valid": False, "problems": [str(exc)]}


def _amounts(instance: ProcessInstance) -> tuple:
    """Return (the amount the deal was opened with, the latest amount a task set: the quote)."""
    start = quoted = None
    for entry in instance.history:
        data = (entry.detail or {}).get("data") or {}
        if not isinstance(data, dict) or data.get("amount") is None:
            continue
        if entry.action == "instance.started":
            start = data["amount"]
        elif entry.action == "task.completed":
            quoted = data["amount"]
    return start, quoted


def _element_names(instance: ProcessInstance, element_ids: set[str]) -> dict[str, str]:
    """Return the model's names of `element_ids` (timer events have names like "Stale")."""
    if not element_ids:
        return {}
    spec, subprocess_specs = definitions.specs_for(instance.definition)
    names = {}
    for one in (spec, *subprocess_specs.values()):
        for element_id in element_ids:
            task_spec = one.task_specs.get(element_id)
            if task_spec is not None and getattr(task_spec, "bpmn_name", None):
                names[element_id] = task_spec.bpmn_name
    return names


def find_deal_of_instance(session: Session, instance_id: int) -> int | None:
    """Return the id of the deal a funnel instance runs, or None (a tender, any other process)."""
    return session.scalar(select(Opportunity.id).where(Opportunity.instance_id == instance_id))
