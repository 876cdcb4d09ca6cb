"""The CRM tables: opportunities, decision committees, tenders (companies and contacts: customers.models).

The schema comes from alembic/versions/0008_create_crm_records.py; these classes
map it. Opportunities and tenders are one per process instance and are kept in
step with it by crm.tracking; people edit committees.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (BigInteger, CheckConstraint, Date, Float, ForeignKey, Index, Integer, String,
                        Text, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime, utcnow
from accounts.models import User
from customers.models import Company, Contact
from engine.models import ProcessInstance

COMMITTEE_ROLES = ("decision_maker", "influencer", "evaluator", "user", "gatekeeper")
ATTITUDES = ("champion", "supporter", "neutral", "skeptic", "opponent")
OUTCOMES = ("open", "won", "lost")
TENDER_OUTCOMES = ("open", "no_bid", "missed", "won", "lost")
LOST_REASONS = {"price": "价格 Price", "competitor": "输给竞争对手 Competitor",
                "no_budget": "没有预算 No budget", "no_decision": "没有决策 No decision",
                "timing": "时机不对 Timing"}
WIN_REASONS = {"price": "价格 Price", "solution": "方案 Solution fit", "relationship": "关系 Relationship",
               "references": "案例 References", "service": "服务 Service"}


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Tender(Base):
    """A public tender we follow, one per `tender` process instance, with its milestone dates."""

    __tablename__ = "tenders"
    __table_args__ = (CheckConstraint(_in("outcome", TENDER_OUTCOMES), name="outcome"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"),
                                             unique=True)
    title: Mapped[str] = mapped_column(String(255))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id", ondelete="SET NULL"),
                                                   index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    stage: Mapped[str | None] = mapped_column(String(255))
    outcome: Mapped[str] = mapped_column(String(8), default="open")
    budget: Mapped[int | None] = mapped_column(BigInteger)
    registration_deadline: Mapped[date | None] = mapped_column(Date)
    questions_deadline: Mapped[date | None] = mapped_column(Date)
    submission_deadline: Mapped[date | None] = mapped_column(Date)
    opening_date: Mapped[date | None] = mapped_column(Date)
    award_date: Mapped[date | None] = mapped_column(Date)
    bid_score: Mapped[int | None] = mapped_column(Integer)
    bid_price: Mapped[int | None] = mapped_column(BigInteger)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    awarded_amount: Mapped[int | None] = mapped_column(BigInteger)
    winner: Mapped[str | None] = mapped_column(String(255))
    winning_price: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    company: Mapped[Company | None] = relationship(lazy="joined")
    owner: Mapped[User | None] = relationship(lazy="joined")
    instance: Mapped[ProcessInstance] = relationship(lazy="select")


class Opportunity(Base):
    """A deal: one per `sales_funnel` instance, its amount, stage, probability and outcome."""

    __tablename__ = "opportunities"
    __table_args__ = (
        CheckConstraint(_in("outcome", OUTCOMES), name="outcome"),
        CheckConstraint("probability >= 0 AND probability <= 1", name="probability"),
        Index("ix_opportunities_outcome_stage", "outcome", "stage"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"),
                                             unique=True)
    name: Mapped[str] = mapped_column(String(255))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id", ondelete="SET NULL"),
                                                   index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Unique: a won tender leads to one deal, however often its instance is saved.
    tender_id: Mapped[int | None] = mapped_column(ForeignKey("tenders.id", ondelete="SET NULL"), unique=True)
    amount: Mapped[int | None] = mapped_column(BigInteger)
    expected_close_date: Mapped[date | None] = mapped_column(Date)
    stage: Mapped[str | None] = mapped_column(String(255))
    probability: Mapped[float] = mapped_column(Float, default=0.0)
    outcome: Mapped[str] = mapped_column(String(8), default="open")
    lost_reason: Mapped[str | None] = mapped_column(String(32))
    lost_note: Mapped[str | None] = mapped_column(Text)
    win_reason: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    company: Mapped[Company | None] = relationship(lazy="joined")
    owner: Mapped[User | None] = relationship(lazy="joined")
    instance: Mapped[ProcessInstance] = relationship(lazy="select")

    @property
    def weighted_amount(self) -> float:
        return (self.amount or 0) * self.probability


class CommitteeMember(Base):
    """A contact's part in a deal's decision: role, influence (0 to 1) and attitude."""

    __tablename__ = "committee_members"
    __table_args__ = (
        UniqueConstraint("opportunity_id", "contact_id",
                         name="uq_committee_members_opportunity_id_contact_id"),
        CheckConstraint(_in("role", COMMITTEE_ROLES), name="role"),
        CheckConstraint(_in("attitude", ATTITUDES), name="attitude"),
        CheckConstraint("influence >= 0 AND influence <= 1", name="influence"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("opportunities.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    influence: Mapped[float] = mapped_column(Float)
    attitude: Mapped[str] = mapped_column(String(16), default="neutral")
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    contact: Mapped[Contact] = relationship(lazy="joined")
