"""create process instances and their human tasks

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "process_instances",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("definition_id", sa.Integer(), sa.ForeignKey("process_definitions.id"),
                  nullable=False),
        sa.Column("process_key", sa.String(255), nullable=False),
        sa.Column("business_key", sa.String(255), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("stage", sa.String(255), nullable=True),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("serializer_version", sa.String(16), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("error_element_id", sa.String(255), nullable=True),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.Column("started_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("status IN ('running', 'waiting', 'completed', 'terminated', 'error')",
                           name="status"),
    )
    op.create_index(op.f("ix_process_instances_definition_id"), "process_instances",
                    ["definition_id"])
    op.create_index(op.f("ix_process_instances_business_key"), "process_instances",
                    ["business_key"])
    op.create_index("ix_process_instances_key_status", "process_instances",
                    ["process_key", "status"])
    op.create_table(
        "tasks",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("instance_id", sa.Integer(),
                  sa.ForeignKey("process_instances.id", ondelete="CASCADE"), nullable=False),
        sa.Column("element_id", sa.String(255), nullable=False),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("stage", sa.String(255), nullable=True),
        sa.Column("assignee_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("due_at", sa.DateTime(), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("form", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.Column("completed_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.CheckConstraint("status IN ('open', 'completed', 'cancelled')", name="status"),
    )
    op.create_index(op.f("ix_tasks_instance_id"), "tasks", ["instance_id"])
    op.create_index("ix_tasks_status_assignee_id", "tasks", ["status", "assignee_id"])
    op.create_index("ix_tasks_status_due_at", "tasks", ["status", "due_at"])
    op.create_index("ix_tasks_status_priority", "tasks", ["status", "priority"])
    op.create_table(
        "task_groups",
        sa.Column("task_id", sa.String(36), sa.ForeignKey("tasks.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("group_name", sa.String(80), primary_key=True),
    )
    op.create_index(op.f("ix_task_groups_group_name"), "task_groups", ["group_name"])


def downgrade() -> None:
    op.drop_index(op.f("ix_task_groups_group_name"), table_name="task_groups")
    op.drop_table("task_groups")
    for name in ("ix_tasks_status_priority", "ix_tasks_status_due_at",
                 "ix_tasks_status_assignee_id"):
        op.drop_index(name, table_name="tasks")
    op.drop_index(op.f("ix_tasks_instance_id"), table_name="tasks")
    op.drop_table("tasks")
    op.drop_index("ix_process_instances_key_status", table_name="process_instances")
    op.drop_index(op.f("ix_process_instances_business_key"), table_name="process_instances")
    op.drop_index(op.f("ix_process_instances_definition_id"), table_name="process_instances")
    op.drop_table("process_instances")
