"""add company master data and external keys, contact channels and consent

Companies: 统一社会信用代码, GB/T 4754-2017 industry, registered capital (minor
unit) and currency, founding date, province, size band, website, tags; a table of
keys in other systems. Contacts: department, mobile (E.164), WeChat id, preferred
channel, time zone; a table of consent per channel, its history kept.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

COMPANY_COLUMNS = [
    ("credit_code", sa.String(18)), ("industry_section", sa.String(1)), ("industry_division", sa.String(2)),
    ("registered_capital", sa.BigInteger()), ("founded_on", sa.Date()), ("province", sa.String(40)),
    ("size_band", sa.String(8)), ("website", sa.String(255)), ("tags", sa.JSON()),
]
CONTACT_COLUMNS = [
    ("department", sa.String(120)), ("mobile", sa.String(16)), ("wechat_id", sa.String(64)),
    ("preferred_channel", sa.String(8)),
]


def upgrade() -> None:
    for name, type_ in COMPANY_COLUMNS:
        op.add_column("companies", sa.Column(name, type_, nullable=True))
    op.add_column("companies", sa.Column("registered_capital_currency", sa.String(3), nullable=False,
                                         server_default="CNY"))
    # A unique index, not a constraint: SQLite cannot add a constraint to an existing table.
    op.create_index(op.f("ix_companies_credit_code"), "companies", ["credit_code"], unique=True)
    for name, type_ in CONTACT_COLUMNS:
        op.add_column("contacts", sa.Column(name, type_, nullable=True))
    op.add_column("contacts", sa.Column("timezone", sa.String(64), nullable=False,
                                        server_default="Asia/Shanghai"))
    op.create_table(
        "company_external_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("system", sa.String(40), nullable=False),
        sa.Column("key", sa.String(120), nullable=False),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], ondelete="CASCADE",
                                name=op.f("fk_company_external_keys_company_id_companies")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_company_external_keys")),
        sa.UniqueConstraint("system", "key", name="uq_company_external_keys_system_key"),
    )
    op.create_index(op.f("ix_company_external_keys_company_id"), "company_external_keys", ["company_id"])
    op.create_table(
        "contact_consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(120), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], ondelete="CASCADE",
                                name=op.f("fk_contact_consents_contact_id_contacts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_consents")),
    )
    op.create_index("ix_contact_consents_contact_id_channel", "contact_consents",
                    ["contact_id", "channel", "id"])


def downgrade() -> None:
    op.drop_index("ix_contact_consents_contact_id_channel", table_name="contact_consents")
    op.drop_table("contact_consents")
    op.drop_index(op.f("ix_company_external_keys_company_id"), table_name="company_external_keys")
    op.drop_table("company_external_keys")
    for name in ("timezone", *(name for name, _ in reversed(CONTACT_COLUMNS))):
        op.drop_column("contacts", name)
    op.drop_index(op.f("ix_companies_credit_code"), table_name="companies")
    for name in ("registered_capital_currency", *(name for name, _ in reversed(COMPANY_COLUMNS))):
        op.drop_column("companies", name)
