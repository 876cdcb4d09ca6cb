"""add permissions, teams and owners: group grants, nested teams, an owner on instances and companies

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# What the bundled groups are granted (accounts.permissions.DEFAULT_GROUP_PERMISSIONS on this day).
DEFAULT_GROUP_PERMISSIONS = {
    "legal": ("contracts.draft", "contracts.seal", "contracts.send", "contracts.record_signature",
              "contracts.read.all"),
    "sales": ("contracts.send",),
    "directors": ("deals.read.all", "tenders.read.all", "companies.read.all", "instances.read.all",
                  "contracts.read.all", "audit.read"),
    "integrations": ("instances.read.all", "instances.variables.set", "deals.read.all",
                     "companies.read.all"),
}


def upgrade() -> None:
    grants = op.create_table(
        "group_permissions",
        sa.Column("group_name", sa.String(80), nullable=False),
        sa.Column("permission", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("group_name", "permission", name=op.f("pk_group_permissions")),
    )
    op.bulk_insert(grants, [{"group_name": group, "permission": permission}
                            for group, permissions in DEFAULT_GROUP_PERMISSIONS.items()
                            for permission in permissions])
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("manager_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("parent_id IS NULL OR parent_id <> id", name=op.f("ck_teams_not_own_parent")),
        sa.ForeignKeyConstraint(["parent_id"], ["teams.id"], name=op.f("fk_teams_parent_id_teams"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["manager_id"], ["users.id"], name=op.f("fk_teams_manager_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
        sa.UniqueConstraint("name", name=op.f("uq_teams_name")),
    )
    op.create_index(op.f("ix_teams_parent_id"), "teams", ["parent_id"])
    op.create_index(op.f("ix_teams_manager_id"), "teams", ["manager_id"])
    op.create_table(
        "team_members",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_team_members_team_id_teams"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_team_members_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("team_id", "user_id", name=op.f("pk_team_members")),
    )
    op.create_index(op.f("ix_team_members_user_id"), "team_members", ["user_id"])
    # Plain ADD COLUMN on both backends: a batch copy of these tables would cascade deletes
    # into the tables that reference them, and SQLite cannot add a foreign key afterwards.
    # So owner_id is a plain integer on both; users are disabled, never deleted.
    for table in ("process_instances", "companies"):
        op.add_column(table, sa.Column("owner_id", sa.Integer(), nullable=True))
        op.create_index(op.f(f"ix_{table}_owner_id"), table, ["owner_id"])
    # An instance's owner: its deal's or tender's owner where there is one, else who started it.
    op.execute("UPDATE process_instances SET owner_id = COALESCE("
               "(SELECT owner_id FROM opportunities WHERE opportunities.instance_id = process_instances.id),"
               "(SELECT owner_id FROM tenders WHERE tenders.instance_id = process_instances.id),"
               " started_by_id)")


def downgrade() -> None:
    for table in ("companies", "process_instances"):
        op.drop_index(op.f(f"ix_{table}_owner_id"), table_name=table)
        op.drop_column(table, "owner_id")
    op.drop_index(op.f("ix_team_members_user_id"), table_name="team_members")
    op.drop_table("team_members")
    op.drop_index(op.f("ix_teams_manager_id"), table_name="teams")
    op.drop_index(op.f("ix_teams_parent_id"), table_name="teams")
    op.drop_table("teams")
    op.drop_table("group_permissions")
