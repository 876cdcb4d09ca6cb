"""The contract tables: a contract, its archived revisions, every event on it, its signing links.

The schema comes from alembic/versions/0005_create_contracts.py and
0014_create_signing_links.py; these classes map it.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime, utcnow
from accounts.models import User

STATUSES = ("rendered", "sealed", "completed")
REVISION_KINDS = ("rendered", "sealed", "signed", "completed")


class Contract(Base):
    __tablename__ = "contracts"
    __table_args__ = (
        CheckConstraint("status IN ('rendered', 'sealed', 'completed')", name="status"),
        Index("ix_contracts_status_created_at", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    instance_id: Mapped[int | None] = mapped_column(
        ForeignKey("process_instances.id", ondelete="SET NULL"), index=True)
    customer: Mapped[str] = mapped_column(String(255), index=True)
    title: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="rendered")
    # What was rendered and embedded as contract.json: the ERP's copy of the deal.
    data: Mapped[dict] = mapped_column(JSON)
    # Where each signature goes: {"company": {"page": 4, "rect": [x1, y1, x2, y2]}, ...}.
    layout: Mapped[dict] = mapped_column(JSON)
    # What the newest revision's signatures say, read from the file after each step.
    signatures: Mapped[list] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    # Set when legal redrafts the deal's contract: this one can no longer be sent or signed.
    superseded_by_id: Mapped[int | None] = mapped_column(Integer)

    created_by: Mapped[User | None] = relationship(lazy="selectin")
    revisions: Mapped[list[ContractRevision]] = relationship(
        order_by="ContractRevision.number", lazy="selectin")
    events: Mapped[list[ContractEvent]] = relationship(order_by="ContractEvent.id", lazy="selectin")

    __mapper_args__ = {"version_id_col": lock_version}

    @property
    def latest_revision(self) -> ContractRevision | None:
        return self.revisions[-1] if self.revisions else None

    @property
    def sha256(self) -> str | None:
        latest = self.latest_revision
        return latest.sha256 if latest else None


class ContractRevision(Base):
    """One stored version of the PDF, addressed by its SHA-256; rows and files are never changed."""

    __tablename__ = "contract_revisions"
    __table_args__ = (
        UniqueConstraint("contract_id", "number", name="uq_contract_revisions_contract_id_number"),
        CheckConstraint("kind IN ('rendered', 'sealed', 'signed', 'completed')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"))
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ContractEvent(Base):
    """Something that happened to a contract: drafted, rendered, viewed, sealed, signed, completed."""

    __tablename__ = "contract_events"
    __table_args__ = (Index("ix_contract_events_contract_id_id", "contract_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    action: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The person acting, as shown: a user's name, or a customer's "name <email>".
    actor_name: Mapped[str | None] = mapped_column(String(320))
    ip: Mapped[str | None] = mapped_column(String(45))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)

    actor: Mapped[User | None] = relationship(lazy="selectin")


class SigningLink(Base):
    """A personal, one-time link for the customer's signer; only the token's SHA-256 is kept."""

    __tablename__ = "signing_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    signer_name: Mapped[str] = mapped_column(String(255))
    signer_email: Mapped[str] = mapped_column(String(254))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    contract: Mapped[Contract] = relationship(lazy="joined")
