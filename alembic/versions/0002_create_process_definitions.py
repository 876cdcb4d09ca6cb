"""create process definitions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "process_definitions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("is_executable", sa.Boolean(), nullable=False),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.Column("stages", sa.JSON(), nullable=False),
        sa.Column("deployed_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("deployed_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("key", "version", name="uq_process_definitions_key_version"),
        sa.UniqueConstraint("key", "content_hash", name="uq_process_definitions_key_content_hash"),
    )
    op.create_index(op.f("ix_process_definitions_key"), "process_definitions", ["key"])


def downgrade() -> None:
    op.drop_index(op.f("ix_process_definitions_key"), table_name="process_definitions")
    op.drop_table("process_definitions")
