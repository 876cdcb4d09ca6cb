"""The audit log: one row per write, in the write's own transaction, hash-chained at commit.

`record()` is a plain INSERT on the hot path. The chain (core.audit_chain) is made
when the transaction commits: the rows it wrote get consecutive `chain_seq`
numbers and each `row_hash` covers the previous row's hash, so that an edited,
removed or reordered row shows in `verify_chain()`.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from .db import Base, UTCDateTime, utcnow

# What an entry is about, when it is about one record.
OBJECT_TYPES = ("company", "contact", "opportunity", "committee_member", "user", "token", "contract",
                "instance", "task", "definition", "permission", "tender", "timer", "company_link", "contact_link")
# session.info key: {id: (savepoint, values)} of the audit rows this transaction wrote, chained at commit.
PENDING = "audit_pending_ids"
MAX_PAGE = 500
GENESIS_HASH = "0" * 64  # the prev_hash of the first entry, and the head's hash of an empty log


class AuditEntry(Base):
    """Every write: who did what to which object, when, from where, and what changed."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_instance_id_id", "instance_id", "id"),
                      Index("ix_audit_entries_object", "object_type", "object_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(64))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"))
    task_id: Mapped[str | None] = mapped_column(String(36))
    element_id: Mapped[str | None] = mapped_column(String(255))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    ip: Mapped[str | None] = mapped_column(String(45))
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(64))
    changes: Mapped[dict | None] = mapped_column(JSON)
    # Null until the writing transaction commits and core.audit_chain seals the row.
    chain_seq: Mapped[int | None] = mapped_column(BigInteger, index=True, unique=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    row_hash: Mapped[str | None] = mapped_column(String(64))

    # By name: core imports no domain package; accounts maps User on the same Base.
    actor: Mapped["User | None"] = relationship("User", lazy="joined")


class AuditChainHead(Base):
    """The one row naming the chain's last entry: removing the newest rows shows against it."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


_ADD_ENTRY = insert(AuditEntry.__table__)


def record(session: Session, action: str, *, actor=None, instance_id: int | None = None,
           task_id: str | None = None, element_id: str | None = None,
           detail: dict | None = None, object_type: str | None = None, object_id=None,
           changes: dict | None = None, ip: str | None = None) -> None:
    """Write an audit entry for `action` in the session's transaction.

    A plain INSERT rather than an ORM object: every engine step writes one, and the
    unit of work would cost more than the step. The instance and the actor named
    must have been flushed already, as they have once they have an id. Without an
    object named, the entry is about its task or instance, or the kind its action
    names ("user.created" is about a user). `ip` defaults to the actor's.
    """
    object_type, object_id = _object_of(action, object_type, object_id, instance_id, task_id)
    values = {"at": utcnow(), "action": action, "actor_id": getattr(actor, "id", None),
              "instance_id": instance_id, "task_id": task_id, "element_id": element_id,
              "detail": detail or {}, "ip": ip or getattr(actor, "ip", None), "object_type": object_type,
              "object_id": None if object_id is None else str(object_id)[:64], "changes": changes}
    result = session.connection().execute(_ADD_ENTRY, values)
    # Kept for the seal at commit, with the savepoint it was written in (if it is rolled back, so is the row).
    session.info.setdefault(PENDING, {})[result.inserted_primary_key[0]] = (
        session.get_nested_transaction(), values)


def _object_of(action, object_type, object_id, instance_id, task_id):
    if object_type is not None:
        return object_type, object_id
    if task_id is not None and action.startswith("task."):
        return "task", task_id
    kind = action.partition(".")[0]
    if kind in OBJECT_TYPES:
        return kind, object_id
    if instance_id is not None:
        return "instance", instance_id
    return None, object_id


def changes_of(record_, fields, new_values: dict) -> dict:
    """Return {field: [before, after]} for the `fields` of `record_` that `new_values` changes."""
    return {name: [getattr(record_, name), new_values[name]] for name in fields
            if name in new_values and getattr(record_, name) != new_values[name]}


def instance_history(session: Session, instance_id: int) -> list[AuditEntry]:
    """Return an instance's history, oldest first."""
    return list(session.scalars(select(AuditEntry).where(AuditEntry.instance_id == instance_id)
                                .order_by(AuditEntry.id)))


@dataclass
class AuditQuery:
    """Filters of the audit log; None matches anything."""
    actor: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    instance_id: int | None = None
    before_id: int | None = None
    limit: int = 100


def list_entries(session: Session, query: AuditQuery) -> list[AuditEntry]:
    """Return the entries matching `query`, newest first, at most `query.limit` (<= MAX_PAGE)."""
    found = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(max(1, min(query.limit, MAX_PAGE)))
    for condition in _conditions(query):
        found = found.where(condition)
    return list(session.scalars(found))


def iter_entries(session: Session, query: AuditQuery | None = None):
    """Yield every entry matching `query` (all of them by default), oldest first, in batches."""
    found = select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=1000)
    for condition in _conditions(query or AuditQuery()):
        found = found.where(condition)
    yield from session.scalars(found)


def _conditions(query: AuditQuery):
    if query.actor:
        yield AuditEntry.actor.has(name=query.actor)
    for name in ("object_type", "object_id", "action", "instance_id"):
        if getattr(query, name) is not None:
            yield getattr(AuditEntry, name) == getattr(query, name)
    if query.since is not None:
        yield AuditEntry.at >= query.since
    if query.until is not None:
        yield AuditEntry.at < query.until
    if query.before_id is not None:
        yield AuditEntry.id < query.before_id


CSV_COLUMNS = ("id", "chain_seq", "at", "actor", "ip", "action", "object_type", "object_id",
               "instance_id", "task_id", "element_id", "detail", "changes", "row_hash")
# A spreadsheet runs a cell starting with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def write_csv(entries, stream) -> None:
    """Write `entries` as CSV to a text stream, every cell safe to open in a spreadsheet."""
    import json

    writer = csv.writer(stream)
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        values = {"actor": entry.actor.name if entry.actor else "", "at": entry.at.isoformat(),
                  "detail": json.dumps(entry.detail, ensure_ascii=False, sort_keys=True),
                  "changes": json.dumps(entry.changes, ensure_ascii=False, sort_keys=True)
                  if entry.changes is not None else ""}
        writer.writerow([_safe_cell(values[c] if c in values else getattr(entry, c)) for c in CSV_COLUMNS])


def _safe_cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def verify_chain(session: Session):
    """Walk the chain in order; return a VerifyResult naming the first entry altered, removed or reordered."""
    return audit_chain.verify_chain(session)


# Last, and the module only: core.audit_chain imports this one, and registers the seal at commit.
from . import audit_chain  # noqa: E402
