"""index tasks by instance and status: every engine step looks up its instance's open tasks

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # With an index on instance_id alone, finding an instance's open tasks reads every
    # task the instance ever had, so a step cost more the longer the instance lived.
    # The pair's leading column still serves the foreign key's ON DELETE CASCADE.
    op.create_index("ix_tasks_instance_id_status", "tasks", ["instance_id", "status"])
    op.drop_index("ix_tasks_instance_id", table_name="tasks")


def downgrade() -> None:
    op.create_index("ix_tasks_instance_id", "tasks", ["instance_id"])
    op.drop_index("ix_tasks_instance_id_status", table_name="tasks")
