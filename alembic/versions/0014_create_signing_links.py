"""create signing_links (a customer's one-time signing link) and contracts.superseded_by_id

The two go together: a redrafted deal contract supersedes the old one, whose
signing links stop working.

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa

revision = "0014"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signing_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("signer_name", sa.String(255), nullable=False),
        sa.Column("signer_email", sa.String(254), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["contract_id"], ["contracts.id"],
                                name=op.f("fk_signing_links_contract_id_contracts")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"],
                                name=op.f("fk_signing_links_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signing_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_signing_links_token_hash")),
    )
    op.create_index(op.f("ix_signing_links_contract_id"), "signing_links", ["contract_id"])
    # A plain integer, as owner_id in 0010: SQLite cannot add a foreign key to an existing table.
    op.add_column("contracts", sa.Column("superseded_by_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("contracts", "superseded_by_id")
    op.drop_index(op.f("ix_signing_links_contract_id"), table_name="signing_links")
    op.drop_table("signing_links")
