"""Which contracts an actor sees: those of the deals it sees, those it drafted, or all with contracts.read.all."""
from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from accounts.permissions import Actor, as_actor
from accounts.visibility import sees_all
from core.errors import NotFound
from engine.visibility import instance_filter

from .models import Contract


def contract_filter(session: Session, actor: Actor | None) -> ColumnElement[bool] | None:
    """Return a condition on Contract for the contracts `actor` sees; None when it sees all."""
    actor = as_actor(actor)
    if sees_all(actor, "contracts"):
        return None
    of_seen_instances = instance_filter(session, actor, "contracts", Contract.instance_id)
    drafted = Contract.created_by_id == actor.id
    return drafted if of_seen_instances is None else or_(drafted, of_seen_instances)


def require_visible(session: Session, actor: Actor | None, contract_id: int) -> None:
    """Raise NotFound unless `actor` sees the contract: out of sight is not found."""
    condition = contract_filter(session, actor)
    if condition is not None and session.scalar(
            select(Contract.id).where(Contract.id == contract_id, condition)) is None:
        raise NotFound(f"no contract {contract_id}")
