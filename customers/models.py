"""The customer tables: companies in groups, their external keys, contacts and their consent.

The schema comes from alembic/versions/0008_create_crm_records.py and
0015_add_customer_master_data.py; these classes map it.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (JSON, BigInteger, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime, utcnow

SIZE_BANDS = ("micro", "small", "medium", "large")  # 国家统计局 微型、小型、中型、大型企业
CHANNELS = ("email", "phone", "sms", "wechat", "visit")


class Company(Base):
    """A customer or prospect; `parent` makes groups of any depth (集团 and its subsidiaries)."""

    __tablename__ = "companies"
    __table_args__ = (CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id", ondelete="SET NULL"),
                                                  index=True)
    # Free text from before GB/T 4754 codes; still shown for old rows.
    industry: Mapped[str | None] = mapped_column(String(80))
    city: Mapped[str | None] = mapped_column(String(80))
    # Who looks after the company; no foreign key, see migration 0010.
    owner_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True, index=True)
    industry_section: Mapped[str | None] = mapped_column(String(1))
    industry_division: Mapped[str | None] = mapped_column(String(2))
    # In the currency's minor unit (分 for CNY): exact, and an integer on every database.
    registered_capital: Mapped[int | None] = mapped_column(BigInteger)
    registered_capital_currency: Mapped[str] = mapped_column(String(3), default="CNY")
    founded_on: Mapped[date | None] = mapped_column(Date)
    province: Mapped[str | None] = mapped_column(String(40))
    size_band: Mapped[str | None] = mapped_column(String(8))
    website: Mapped[str | None] = mapped_column(String(255))
    tags: Mapped[list | None] = mapped_column(JSON, default=list)

    parent: Mapped[Company | None] = relationship(remote_side=[id], lazy="joined", join_depth=1)
    external_keys: Mapped[list[CompanyExternalKey]] = relationship(
        lazy="selectin", order_by="CompanyExternalKey.system", cascade="all, delete-orphan",
        back_populates="company")

    @property
    def erp_code(self) -> str | None:
        return next((k.key for k in self.external_keys if k.system == "erp"), None)


class CompanyExternalKey(Base):
    """A company's key in another system (ERP, the tender platform, ...): one company per key."""

    __tablename__ = "company_external_keys"
    __table_args__ = (UniqueConstraint("system", "key", name="uq_company_external_keys_system_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    system: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(120))

    company: Mapped[Company] = relationship(back_populates="external_keys")


class Contact(Base):
    """A person at a company."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    title: Mapped[str | None] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    department: Mapped[str | None] = mapped_column(String(120))
    mobile: Mapped[str | None] = mapped_column(String(16))  # E.164: + and at most 15 digits
    wechat_id: Mapped[str | None] = mapped_column(String(64))
    preferred_channel: Mapped[str | None] = mapped_column(String(8))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")

    company: Mapped[Company] = relationship(lazy="joined")
    consents: Mapped[list[ContactConsent]] = relationship(
        lazy="selectin", order_by="ContactConsent.id", cascade="all, delete-orphan")

    @property
    def current_consents(self) -> dict:
        """Return {channel: the latest consent row} for each channel with one."""
        return {row.channel: row for row in self.consents}  # ordered by id: the latest wins


class ContactConsent(Base):
    """A contact's yes or no to one channel, where it came from and when; the latest row per channel holds."""

    __tablename__ = "contact_consents"
    __table_args__ = (Index("ix_contact_consents_contact_id_channel", "contact_id", "channel", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(8))
    granted: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(120))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
