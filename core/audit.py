"""The audit trail: one row per operation, written in the operation's own transaction."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from .db import Base, UTCDateTime, utcnow


class AuditEntry(Base):
    """Every operation: who did what, when, with which data. An instance's history is its entries."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_instance_id_id", "instance_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(64))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"))
    task_id: Mapped[str | None] = mapped_column(String(36))
    element_id: Mapped[str | None] = mapped_column(String(255))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)

    # By name: core imports no domain package; accounts maps User on the same Base.
    actor: Mapped["User | None"] = relationship("User", lazy="joined")


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
