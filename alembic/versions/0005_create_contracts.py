"""create contracts, their archived revisions and their events

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""
from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contracts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("number", sa.String(64), nullable=False),
        sa.Column("instance_id", sa.Integer(),
                  sa.ForeignKey("process_instances.id", ondelete="SET NULL"), nullable=True),
        sa.Column("customer", sa.String(255), nullable=False),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("layout", sa.JSON(), nullable=False),
        sa.Column("signatures", sa.JSON(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.CheckConstraint("status IN ('rendered', 'sealed', 'completed')", name="status"),
        sa.UniqueConstraint("number"),
    )
    op.create_index(op.f("ix_contracts_instance_id"), "contracts", ["instance_id"])
    op.create_index(op.f("ix_contracts_customer"), "contracts", ["customer"])
    op.create_index(op.f("ix_contracts_created_at"), "contracts", ["created_at"])
    op.create_index("ix_contracts_status_created_at", "contracts", ["status", "created_at"])
    op.create_table(
        "contract_revisions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("contract_id", sa.Integer(), sa.ForeignKey("contracts.id"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('rendered', 'sealed', 'signed', 'completed')", name="kind"),
        sa.UniqueConstraint("contract_id", "number", name="uq_contract_revisions_contract_id_number"),
        sa.UniqueConstraint("sha256"),
    )
    op.create_table(
        "contract_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("contract_id", sa.Integer(), sa.ForeignKey("contracts.id"), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("actor_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("actor_name", sa.String(320), nullable=True),
        sa.Column("ip", sa.String(45), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
    )
    op.create_index("ix_contract_events_contract_id_id", "contract_events", ["contract_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_contract_events_contract_id_id", table_name="contract_events")
    op.drop_table("contract_events")
    op.drop_table("contract_revisions")
    op.drop_index("ix_contracts_status_created_at", table_name="contracts")
    op.drop_index(op.f("ix_contracts_created_at"), table_name="contracts")
    op.drop_index(op.f("ix_contracts_customer"), table_name="contracts")
    op.drop_index(op.f("ix_contracts_instance_id"), table_name="contracts")
    op.drop_table("contracts")
