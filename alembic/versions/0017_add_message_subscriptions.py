"""add event subscriptions: what instances and message start events wait for

A row per waiting message or signal catch (receive task, intermediate catch,
boundary event) of an instance, with the correlation key evaluated from the
instance's data when it started waiting, and a row per message start event of
a process's newest version (instance_id NULL). `POST /api/messages` and
`POST /api/signals` look them up by (kind, name, correlation_key). The
integrations group gets `messages.send` (admins have every permission).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

# What this migration adds to the bundled groups (see accounts.permissions.DEFAULT_GROUP_PERMISSIONS).
NEW_GROUP_PERMISSIONS = {"integrations": ("messages.send",)}


def upgrade() -> None:
    op.create_table(
        "event_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("correlation_key", sa.String(length=255), nullable=True),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("definition_id", sa.Integer(), nullable=True),
        sa.Column("task_id", sa.String(length=36), nullable=True),
        sa.Column("element_id", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('message', 'signal')", name=op.f("ck_event_subscriptions_kind")),
        sa.CheckConstraint("instance_id IS NOT NULL OR definition_id IS NOT NULL",
                           name=op.f("ck_event_subscriptions_instance_or_definition")),
        sa.ForeignKeyConstraint(["instance_id"], ["process_instances.id"],
                                name=op.f("fk_event_subscriptions_instance_id_process_instances"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["definition_id"], ["process_definitions.id"],
                                name=op.f("fk_event_subscriptions_definition_id_process_definitions"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_subscriptions")),
    )
    op.create_index("ix_event_subscriptions_kind_name_correlation_key", "event_subscriptions",
                    ["kind", "name", "correlation_key"])
    op.create_index(op.f("ix_event_subscriptions_instance_id"), "event_subscriptions", ["instance_id"])
    grants = sa.table("group_permissions", sa.column("group_name", sa.String), sa.column("permission", sa.String))
    op.bulk_insert(grants, [{"group_name": group, "permission": permission}
                            for group, permissions in NEW_GROUP_PERMISSIONS.items() for permission in permissions])


def downgrade() -> None:
    grants = sa.table("group_permissions", sa.column("group_name", sa.String), sa.column("permission", sa.String))
    for group, permissions in NEW_GROUP_PERMISSIONS.items():
        op.execute(grants.delete().where(grants.c.group_name == group, grants.c.permission.in_(permissions)))
    op.drop_index(op.f("ix_event_subscriptions_instance_id"), table_name="event_subscriptions")
    op.drop_index("ix_event_subscriptions_kind_name_correlation_key", table_name="event_subscriptions")
    op.drop_table("event_subscriptions")
