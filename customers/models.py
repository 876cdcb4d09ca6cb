"""The customer tables: companies in groups, their external keys, contacts and their consent.

The schema comes from alembic/versions/0008_create_crm_records.py,
0015_add_customer_master_data.py and 0016_add_customer_network_transactions_imports.py;
these classes map it. Money is in the currency's minor unit (分 for CNY) everywhere.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (JSON, BigInteger, Boolean, CheckConstraint, Date, Float, ForeignKey, Index, Integer,
                        LargeBinary, String, Text, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime, utcnow

SIZE_BANDS = ("micro", "small", "medium", "large")  # 国家统计局 微型、小型、中型、大型企业
CHANNELS = ("email", "phone", "sms", "wechat", "visit")
# company -> company: `from` holds shares in / supplies / buys from / partners with / competes with `to`.
COMPANY_LINK_KINDS = ("shareholder", "supplier", "customer", "partner", "competitor")
# contact -> contact: `from` reports to / influences `to` (the decision chain).
CONTACT_LINK_KINDS = ("reports_to", "influences")
ORDER_STATUSES = ("open", "confirmed", "shipped", "completed", "cancelled")
PAYMENT_KINDS = ("payment", "refund")
FULL_SHARE_PPM = 1_000_000  # a shareholding of 100 %, in parts per million


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
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(320))
    address: Mapped[str | None] = mapped_column(String(255))
    # Lower-case pinyin initials of the name ("zgyd" for 中国移动), for search; kept by customers.companies.
    name_initials: Mapped[str | None] = mapped_column(String(255), index=True)

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


class CompanyAlias(Base):
    """Another name a company is known by: a merged duplicate's, a former or a short name."""

    __tablename__ = "company_aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255), index=True)
    source: Mapped[str] = mapped_column(String(40))  # "merge", "import", "manual"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CompanyLink(Base):
    """A typed, dated edge between two companies, with where it is known from."""

    __tablename__ = "company_links"
    __table_args__ = (
        CheckConstraint("from_company_id <> to_company_id", name="not_to_itself"),
        CheckConstraint("share_ppm IS NULL OR (share_ppm > 0 AND share_ppm <= 1000000)", name="share_in_range"),
        Index("ix_company_links_to_company_id_kind", "to_company_id", "kind"),
        Index("ix_company_links_from_company_id_kind", "from_company_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    from_company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    to_company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    # shareholder only: the part of `to` that `from` holds, in parts per million (exact sums, no float drift).
    share_ppm: Mapped[int | None] = mapped_column(Integer)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ContactLink(Base):
    """A typed, dated edge between two contacts: who reports to and who influences whom."""

    __tablename__ = "contact_links"
    __table_args__ = (
        CheckConstraint("from_contact_id <> to_contact_id", name="not_to_itself"),
        Index("ix_contact_links_from_contact_id_kind", "from_contact_id", "kind"),
        Index("ix_contact_links_to_contact_id_kind", "to_contact_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    from_contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    to_contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Order(Base):
    """A company's order, as the ERP knows it; `number` is the ERP's and unique."""

    __tablename__ = "orders"
    __table_args__ = (CheckConstraint("amount >= 0", name="amount_not_negative"),
                      Index("ix_orders_company_id_ordered_on", "company_id", "ordered_on"))

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    number: Mapped[str] = mapped_column(String(64), unique=True)
    ordered_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    status: Mapped[str] = mapped_column(String(12), default="open")
    source: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Payment(Base):
    """Money in (a payment) or back out (a refund) for a company, optionally against one order."""

    __tablename__ = "payments"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),
                      Index("ix_payments_company_id_paid_on", "company_id", "paid_on"))

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(8), default="payment")
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    paid_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    method: Mapped[str | None] = mapped_column(String(40))
    source: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OrderReturn(Base):
    """Goods a company sent back, with their value, optionally against one order."""

    __tablename__ = "order_returns"
    __table_args__ = (CheckConstraint("amount >= 0", name="amount_not_negative"),
                      Index("ix_order_returns_company_id_returned_on", "company_id", "returned_on"))

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"), index=True)
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    returned_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    reason: Mapped[str | None] = mapped_column(String(255))
    source: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BehaviourEvent(Base):
    """Something a company or contact did (a web visit, a trial log line, a campaign reply), once per sender id.

    `company_id` is filled from the contact when only a contact is named, so the
    360 view reads one index.
    """

    __tablename__ = "behaviour_events"
    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_behaviour_events_source_external_id"),
        CheckConstraint("company_id IS NOT NULL OR contact_id IS NOT NULL", name="names_someone"),
        Index("ix_behaviour_events_company_id_occurred_at", "company_id", "occurred_at"),
        Index("ix_behaviour_events_contact_id_occurred_at", "contact_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(80))  # the sender: "website", "trial", a token's name
    external_id: Mapped[str] = mapped_column(String(120))  # the sender's id of the event
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    properties: Mapped[dict | None] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MergedRecord(Base):
    """A company or contact merged into another: what it was, so its id still answers and nothing is lost."""

    __tablename__ = "merged_records"
    __table_args__ = (UniqueConstraint("kind", "loser_id", name="uq_merged_records_kind_loser_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # "company" or "contact"
    loser_id: Mapped[int] = mapped_column(Integer)
    survivor_id: Mapped[int] = mapped_column(Integer, index=True)
    snapshot: Mapped[dict] = mapped_column(JSON)  # the loser's fields as they were
    merged_by: Mapped[int | None] = mapped_column(Integer)
    merged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DuplicateCandidate(Base):
    """Two companies or two contacts that may be one, with the score and reasons; open until merged or dismissed."""

    __tablename__ = "duplicate_candidates"
    __table_args__ = (UniqueConstraint("kind", "left_id", "right_id", name="uq_duplicate_candidates_pair"),
                      CheckConstraint("left_id < right_id", name="ordered_pair"),
                      Index("ix_duplicate_candidates_kind_status_score", "kind", "status", "score"))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # "companies" or "contacts"
    left_id: Mapped[int] = mapped_column(Integer)
    right_id: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), default="open")  # "open", "dismissed"
    found_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ImportJob(Base):
    """One uploaded file being imported (or dry-run) in the background, with its counts and quality report."""

    __tablename__ = "import_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(10), default="queued")  # queued, running, done, failed
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    mapping: Mapped[dict | None] = mapped_column(JSON)
    file_sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes | None] = mapped_column(LargeBinary)  # dropped when the job ends
    encoding: Mapped[str | None] = mapped_column(String(20))
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    processed_rows: Mapped[int] = mapped_column(Integer, default=0)
    counts: Mapped[dict | None] = mapped_column(JSON)  # created, updated, unchanged, merged, rejected
    quality: Mapped[list | None] = mapped_column(JSON)  # per rule: {rule, field, passed, failed}
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ImportRejection(Base):
    """One reason one row of an import was refused: its number in the file, the column and why."""

    __tablename__ = "import_rejections"
    __table_args__ = (Index("ix_import_rejections_job_id_row", "job_id", "row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("import_jobs.id", ondelete="CASCADE"))
    row: Mapped[int] = mapped_column(Integer)  # 1 is the header; data starts at 2, as a spreadsheet shows it
    column: Mapped[str | None] = mapped_column(String(255))
    rule: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(500))
