"""create the CRM records: companies, contacts, tenders, opportunities, decision committees

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""
from alembic import op
import sqlalchemy as sa

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "companies",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("parent_id", sa.Integer(), sa.ForeignKey("companies.id", ondelete="SET NULL"),
                  nullable=True),
        sa.Column("industry", sa.String(80), nullable=True),
        sa.Column("city", sa.String(80), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
        sa.UniqueConstraint("name"),
    )
    op.create_index(op.f("ix_companies_parent_id"), "companies", ["parent_id"])
    op.create_table(
        "contacts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("company_id", sa.Integer(), sa.ForeignKey("companies.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("title", sa.String(120), nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("phone", sa.String(40), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index(op.f("ix_contacts_company_id"), "contacts", ["company_id"])
    op.create_table(
        "tenders",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("instance_id", sa.Integer(),
                  sa.ForeignKey("process_instances.id", ondelete="CASCADE"), nullable=False),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("company_id", sa.Integer(), sa.ForeignKey("companies.id", ondelete="SET NULL"),
                  nullable=True),
        sa.Column("owner_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("stage", sa.String(255), nullable=True),
        sa.Column("outcome", sa.String(8), nullable=False),
        sa.Column("budget", sa.BigInteger(), nullable=True),
        sa.Column("registration_deadline", sa.Date(), nullable=True),
        sa.Column("questions_deadline", sa.Date(), nullable=True),
        sa.Column("submission_deadline", sa.Date(), nullable=True),
        sa.Column("opening_date", sa.Date(), nullable=True),
        sa.Column("award_date", sa.Date(), nullable=True),
        sa.Column("bid_score", sa.Integer(), nullable=True),
        sa.Column("bid_price", sa.BigInteger(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("awarded_amount", sa.BigInteger(), nullable=True),
        sa.Column("winner", sa.String(255), nullable=True),
        sa.Column("winning_price", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("outcome IN ('open', 'no_bid', 'missed', 'won', 'lost')", name="outcome"),
        sa.UniqueConstraint("instance_id"),
    )
    op.create_index(op.f("ix_tenders_company_id"), "tenders", ["company_id"])
    op.create_table(
        "opportunities",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("instance_id", sa.Integer(),
                  sa.ForeignKey("process_instances.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("company_id", sa.Integer(), sa.ForeignKey("companies.id", ondelete="SET NULL"),
                  nullable=True),
        sa.Column("owner_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("tender_id", sa.Integer(), sa.ForeignKey("tenders.id", ondelete="SET NULL"),
                  nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("expected_close_date", sa.Date(), nullable=True),
        sa.Column("stage", sa.String(255), nullable=True),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("outcome", sa.String(8), nullable=False),
        sa.Column("lost_reason", sa.String(32), nullable=True),
        sa.Column("lost_note", sa.Text(), nullable=True),
        sa.Column("win_reason", sa.String(32), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("outcome IN ('open', 'won', 'lost')", name="outcome"),
        sa.CheckConstraint("probability >= 0 AND probability <= 1", name="probability"),
        sa.UniqueConstraint("instance_id"),
        sa.UniqueConstraint("tender_id"),
    )
    op.create_index(op.f("ix_opportunities_company_id"), "opportunities", ["company_id"])
    op.create_index("ix_opportunities_outcome_stage", "opportunities", ["outcome", "stage"])
    op.create_table(
        "committee_members",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("opportunity_id", sa.Integer(),
                  sa.ForeignKey("opportunities.id", ondelete="CASCADE"), nullable=False),
        sa.Column("contact_id", sa.Integer(), sa.ForeignKey("contacts.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("influence", sa.Float(), nullable=False),
        sa.Column("attitude", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "role IN ('decision_maker', 'influencer', 'evaluator', 'user', 'gatekeeper')", name="role"),
        sa.CheckConstraint(
            "attitude IN ('champion', 'supporter', 'neutral', 'skeptic', 'opponent')", name="attitude"),
        sa.CheckConstraint("influence >= 0 AND influence <= 1", name="influence"),
        sa.UniqueConstraint("opportunity_id", "contact_id",
                            name="uq_committee_members_opportunity_id_contact_id"),
    )
    op.create_index(op.f("ix_committee_members_contact_id"), "committee_members", ["contact_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_committee_members_contact_id"), table_name="committee_members")
    op.drop_table("committee_members")
    op.drop_index("ix_opportunities_outcome_stage", table_name="opportunities")
    op.drop_index(op.f("ix_opportunities_company_id"), table_name="opportunities")
    op.drop_table("opportunities")
    op.drop_index(op.f("ix_tenders_company_id"), table_name="tenders")
    op.drop_table("tenders")
    op.drop_index(op.f("ix_contacts_company_id"), table_name="contacts")
    op.drop_table("contacts")
    op.drop_index(op.f("ix_companies_parent_id"), table_name="companies")
    op.drop_table("companies")
