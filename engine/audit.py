"""The audit trail: one row per operation, written in the operation's own transaction."""
from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from .db import utcnow
from .models import AuditEntry

_ADD_ENTRY = insert(AuditEntry.__table__)


def record(session: Session, action: str, *, actor=None, instance_id: int | None = None,
           task_id: str | None = None, element_id: str | None = None,
           detail: dict | None = None) -> None:
    """Write an audit entry for `action` in the session's transaction.

    A plain INSERT rather than an ORM object: every engine step writes one, and the
    unit of work would cost more than the step. The instance and the actor named
    must have been flushed already, as they have once they have an id.
    """
    session.connection().execute(_ADD_ENTRY, {
        "at": utcnow(), "action": action, "actor_id": getattr(actor, "id", None),
        "instance_id": instance_id, "task_id": task_id, "element_id": element_id,
        "detail": detail or {}})


def instance_history(session: Session, instance_id: int) -> list[AuditEntry]:
    """Return an instance's history, oldest first."""
    return list(session.scalars(select(AuditEntry).where(AuditEntry.instance_id == instance_id)
                                .order_by(AuditEntry.id)))
