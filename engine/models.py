"""The engine's tables: process definitions, instances, human tasks, stage visits, timers.

The schema itself comes from the Alembic migrations; these classes map it.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (JSON, Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import User
from core.audit import AuditEntry
from core.db import Base, UTCDateTime, utcnow

INSTANCE_STATUSES = ("running", "waiting", "completed", "terminated", "error")
TASK_STATUSES = ("open", "completed", "cancelled")

class ProcessDefinition(Base):
    __tablename__ = "process_definitions"
    __table_args__ = (
        UniqueConstraint("key", "version", name="uq_process_definitions_key_version"),
        UniqueConstraint("key", "content_hash", name="uq_process_definitions_key_content_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255))
    file_name: Mapped[str] = mapped_column(String(255))
    content_hash: Mapped[str] = mapped_column(String(64))
    # Every file needed to build the spec: the process's own file, called processes, DMN.
    files: Mapped[dict] = mapped_column(JSON, deferred=True)
    is_executable: Mapped[bool] = mapped_column(Boolean)
    problems: Mapped[list] = mapped_column(JSON, default=list)
    stages: Mapped[list] = mapped_column(JSON, default=list)
    deployed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProcessInstance(Base):
    __tablename__ = "process_instances"
    __table_args__ = (
        CheckConstraint("status IN ('running', 'waiting', 'completed', 'terminated', 'error')",
                        name="status"),
        Index("ix_process_instances_key_status", "process_key", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definitions.id"), index=True)
    process_key: Mapped[str] = mapped_column(String(255))
    business_key: Mapped[str | None] = mapped_column(String(255), index=True)
    status: Mapped[str] = mapped_column(String(16), default="running")
    stage: Mapped[str | None] = mapped_column(String(255))
    # The SpiffWorkflow serializer's JSON without the spec (rebuilt from `files`),
    # pruned of finished history so that its size follows the live frontier only.
    state: Mapped[str] = mapped_column(Text, deferred=True)
    serializer_version: Mapped[str] = mapped_column(String(16))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    error_message: Mapped[str | None] = mapped_column(Text)
    error_element_id: Mapped[str | None] = mapped_column(String(255))
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Whose case this is (the data's `owner`, else who started it): what visibility goes by.
    # No foreign key, see migration 0010.
    owner_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    definition: Mapped[ProcessDefinition] = relationship(lazy="joined", innerjoin=True)
    tasks: Mapped[list[HumanTask]] = relationship(viewonly=True, order_by="HumanTask.created_at")
    history: Mapped[list[AuditEntry]] = relationship(viewonly=True, order_by="AuditEntry.id")
    timers: Mapped[list[Timer]] = relationship(viewonly=True, order_by="Timer.due_at")
    subscriptions: Mapped[list[EventSubscription]] = relationship(viewonly=True,
                                                                  order_by="EventSubscription.id")

    __mapper_args__ = {"version_id_col": lock_version}


class HumanTask(Base):
    """A row per user task, open or done: what the inbox lists and the API completes."""

    __tablename__ = "tasks"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'completed', 'cancelled')", name="status"),
        Index("ix_tasks_status_assignee_id", "status", "assignee_id"),
        Index("ix_tasks_status_due_at", "status", "due_at"),
        Index("ix_tasks_status_priority", "status", "priority"),
        # Every engine step asks for its instance's open tasks (see migration 0009).
        Index("ix_tasks_instance_id_status", "instance_id", "status"),
    )

    # SpiffWorkflow's task UUID: stable across save and restore.
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"))
    element_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(255))
    stage: Mapped[str | None] = mapped_column(String(255))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    priority: Mapped[int] = mapped_column(Integer, default=50)
    form: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    instance: Mapped[ProcessInstance] = relationship(lazy="joined")
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id], lazy="joined")
    candidate_groups: Mapped[list[TaskGroup]] = relationship(cascade="all, delete-orphan",
                                                             lazy="selectin")

    @property
    def group_names(self) -> list[str]:
        return [g.group_name for g in self.candidate_groups]


class TaskGroup(Base):
    """A group whose members may work on a task (Camunda's candidateGroups)."""

    __tablename__ = "task_groups"

    task_id: Mapped[str] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True)
    group_name: Mapped[str] = mapped_column(String(80), primary_key=True, index=True)


class StageVisit(Base):
    """When an instance entered and left a stage: the source of funnel reports."""

    __tablename__ = "stage_visits"
    __table_args__ = (Index("ix_stage_visits_process_key_stage", "process_key", "stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"),
                                             index=True)
    process_key: Mapped[str] = mapped_column(String(255))
    stage: Mapped[str] = mapped_column(String(255))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Timer(Base):
    """A waiting timer with its due time: an instance's timer event, or a process's timer start.

    Workers claim due rows with a lease; firing deletes or moves the row in the
    same transaction that advances the instance, which makes a fire happen once.
    """

    __tablename__ = "timers"
    __table_args__ = (
        CheckConstraint("kind IN ('event', 'start')", name="kind"),
        CheckConstraint("status IN ('waiting', 'failed')", name="status"),
        Index("ix_timers_status_due_at", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(8), default="waiting")
    instance_id: Mapped[int | None] = mapped_column(
        ForeignKey("process_instances.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    definition_id: Mapped[int | None] = mapped_column(ForeignKey("process_definitions.id",
                                                                ondelete="CASCADE"))
    element_id: Mapped[str] = mapped_column(String(255))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Timer start cycles: seconds between fires and how many remain (-1: forever).
    interval_seconds: Mapped[float | None] = mapped_column(Float)
    remaining: Mapped[int | None] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    leased_by: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EventSubscription(Base):
    """What waits for a message or a signal: an instance's catching task, or a message start event.

    Rows follow the workflow (rewritten after every persist), so a delivery finds
    its instance by (kind, name, correlation_key) without loading any workflow.
    A start row (instance_id NULL) belongs to the newest version of its process.
    """

    __tablename__ = "event_subscriptions"
    __table_args__ = (
        CheckConstraint("kind IN ('message', 'signal')", name="kind"),
        CheckConstraint("instance_id IS NOT NULL OR definition_id IS NOT NULL",
                        name="instance_or_definition"),
        Index("ix_event_subscriptions_kind_name_correlation_key", "kind", "name", "correlation_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(255))
    # Evaluated from the instance's data when it started waiting; None: reached by instance id only.
    correlation_key: Mapped[str | None] = mapped_column(String(255))
    instance_id: Mapped[int | None] = mapped_column(
        ForeignKey("process_instances.id", ondelete="CASCADE"), index=True)
    definition_id: Mapped[int | None] = mapped_column(ForeignKey("process_definitions.id",
                                                                ondelete="CASCADE"))
    task_id: Mapped[str | None] = mapped_column(String(36))
    element_id: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
