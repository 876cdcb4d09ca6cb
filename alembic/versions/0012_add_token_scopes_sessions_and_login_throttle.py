"""add token scopes and expiry, service accounts, session versions, and a login throttle

Tokens get a name, scopes, an expiry and a revocation time; users a service flag
and a session version (bumped to end every page session); the lockout columns of
0007 give way to `login_attempts`, failures counted per account, per IP and per pair.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""
from datetime import datetime, timedelta, timezone

from alembic import op
import sqlalchemy as sa

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# Tokens made before expiry existed expire like new ones, counted from the upgrade.
DEFAULT_TOKEN_LIFETIME = timedelta(days=90)


def upgrade() -> None:
    # Plain ADD COLUMN on both backends: a batch copy of `users` would cascade deletes.
    op.add_column("api_tokens", sa.Column("name", sa.String(80), nullable=False, server_default=""))
    op.add_column("api_tokens", sa.Column("scopes", sa.JSON(), nullable=True))
    op.add_column("api_tokens", sa.Column("expires_at", sa.DateTime(), nullable=True))
    op.add_column("api_tokens", sa.Column("revoked_at", sa.DateTime(), nullable=True))
    tokens = sa.table("api_tokens", sa.column("expires_at", sa.DateTime()))
    expires = datetime.now(timezone.utc).replace(tzinfo=None) + DEFAULT_TOKEN_LIFETIME
    op.execute(tokens.update().values(expires_at=expires))
    op.add_column("users", sa.Column("is_service", sa.Boolean(), nullable=False,
                                     server_default=sa.false()))
    op.add_column("users", sa.Column("session_version", sa.Integer(), nullable=False,
                                     server_default=sa.text("1")))
    op.drop_column("users", "locked_until")
    op.drop_column("users", "failed_logins")
    op.create_table(
        "login_attempts",
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key", name=op.f("pk_login_attempts")),
    )


def downgrade() -> None:
    op.drop_table("login_attempts")
    op.add_column("users", sa.Column("failed_logins", sa.Integer(), nullable=False,
                                     server_default=sa.text("0")))
    op.add_column("users", sa.Column("locked_until", sa.DateTime(), nullable=True))
    op.drop_column("users", "session_version")
    op.drop_column("users", "is_service")
    op.drop_column("api_tokens", "revoked_at")
    op.drop_column("api_tokens", "expires_at")
    op.drop_column("api_tokens", "scopes")
    op.drop_column("api_tokens", "name")
