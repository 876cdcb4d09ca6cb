"""The audit trail: one row per operation, written in the operation's own transaction."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import AuditEntry


def record(session: Session, action: str, *, actor=None, instance_id: int | None = None,
           task_id: str | None = None, element_id: str | None = None,
           detail: dict | None = None) -> AuditEntry:
    """Add an audit entry for `action` to the session's unit of work."""
    entry = AuditEntry(action=action, actor_id=getattr(actor, "id", None), instance_id=instance_id,
                       task_id=task_id, element_id=element_id, detail=detail or {})
    session.add(entry)
    return entry


def instance_history(session: Session, instance_id: int) -> list[AuditEntry]:
    """Return an instance's history, oldest first."""
    return list(session.scalars(select(AuditEntry).where(AuditEntry.instance_id == instance_id)
                                .order_by(AuditEntry.id)))
