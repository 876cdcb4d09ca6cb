"""create timers

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""
from alembic import op
import sqlalchemy as sa

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "timers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("instance_id", sa.Integer(),
                  sa.ForeignKey("process_instances.id", ondelete="CASCADE"), nullable=True),
        sa.Column("task_id", sa.String(36), nullable=True),
        sa.Column("definition_id", sa.Integer(),
                  sa.ForeignKey("process_definitions.id", ondelete="CASCADE"), nullable=True),
        sa.Column("element_id", sa.String(255), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("interval_seconds", sa.Float(), nullable=True),
        sa.Column("remaining", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("leased_by", sa.String(80), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('event', 'start')", name="kind"),
        sa.CheckConstraint("status IN ('waiting', 'failed')", name="status"),
        sa.UniqueConstraint("task_id"),
    )
    op.create_index(op.f("ix_timers_instance_id"), "timers", ["instance_id"])
    op.create_index("ix_timers_status_due_at", "timers", ["status", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_timers_status_due_at", table_name="timers")
    op.drop_index(op.f("ix_timers_instance_id"), table_name="timers")
    op.drop_table("timers")
