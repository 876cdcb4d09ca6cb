"""create the audit trail and the stage visits

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""
from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_entries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("instance_id", sa.Integer(),
                  sa.ForeignKey("process_instances.id", ondelete="CASCADE"), nullable=True),
        sa.Column("task_id", sa.String(36), nullable=True),
        sa.Column("element_id", sa.String(255), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
    )
    op.create_index(op.f("ix_audit_entries_at"), "audit_entries", ["at"])
    op.create_index("ix_audit_entries_instance_id_id", "audit_entries", ["instance_id", "id"])
    op.create_table(
        "stage_visits",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("instance_id", sa.Integer(),
                  sa.ForeignKey("process_instances.id", ondelete="CASCADE"), nullable=False),
        sa.Column("process_key", sa.String(255), nullable=False),
        sa.Column("stage", sa.String(255), nullable=False),
        sa.Column("entered_at", sa.DateTime(), nullable=False),
        sa.Column("left_at", sa.DateTime(), nullable=True),
    )
    op.create_index(op.f("ix_stage_visits_instance_id"), "stage_visits", ["instance_id"])
    op.create_index("ix_stage_visits_process_key_stage", "stage_visits", ["process_key", "stage"])


def downgrade() -> None:
    op.drop_index("ix_stage_visits_process_key_stage", table_name="stage_visits")
    op.drop_index(op.f("ix_stage_visits_instance_id"), table_name="stage_visits")
    op.drop_table("stage_visits")
    op.drop_index("ix_audit_entries_instance_id_id", table_name="audit_entries")
    op.drop_index(op.f("ix_audit_entries_at"), table_name="audit_entries")
    op.drop_table("audit_entries")
