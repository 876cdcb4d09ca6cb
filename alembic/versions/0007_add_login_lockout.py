"""add login lockout: failed login count and locked-until time on users

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""
from alembic import op
import sqlalchemy as sa

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE on both backends (SQLite >= 3.35 drops columns too): a batch
    # copy of `users` would cascade deletes into the tables that reference it.
    op.add_column("users", sa.Column("failed_logins", sa.Integer(), nullable=False,
                                     server_default=sa.text("0")))
    op.add_column("users", sa.Column("locked_until", sa.DateTime(), nullable=True))


def downgrade() -> None:
    op.drop_column("users", "locked_until")
    op.drop_column("users", "failed_logins")
