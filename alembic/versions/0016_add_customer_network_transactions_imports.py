"""add the customer network, transactions, behaviour events, merges, duplicates and import jobs

Companies get a phone, an email, an address and the pinyin initials of their name
(filled here for the rows there are). New tables: company and contact links (the
relationship network), company aliases, orders, payments and refunds, returns,
behaviour events (unique per sender and sender's id), merged records, duplicate
candidates, import jobs and their rejected rows. The bundled groups get the new
permissions to import, export, merge and send events; a new group `data` (data
stewards) gets them all.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

# What this migration adds to the bundled groups (see accounts.permissions.DEFAULT_GROUP_PERMISSIONS).
NEW_GROUP_PERMISSIONS = {
    "directors": ("companies.export", "companies.merge"),
    "integrations": ("companies.import", "events.write", "transactions.write"),
    "data": ("companies.read.all", "companies.import", "companies.export", "companies.merge",
             "transactions.write"),
}
COMPANY_COLUMNS = [("phone", sa.String(40)), ("email", sa.String(320)), ("address", sa.String(255)),
                   ("name_initials", sa.String(255))]
TABLES = ("duplicate_candidates", "import_jobs", "merged_records", "company_aliases", "company_links",
          "import_rejections", "behaviour_events", "contact_links", "orders", "order_returns", "payments")


def name_initials(name: str) -> str:
    """Return the lower-case pinyin initials of `name` (the same rule as customers.search.initials)."""
    from pypinyin import Style, lazy_pinyin

    return "".join(part[0] for part in lazy_pinyin(name, style=Style.FIRST_LETTER, errors="default")
                   if part and part[0].isalnum()).lower()


def upgrade() -> None:
    for name, type_ in COMPANY_COLUMNS:
        op.add_column("companies", sa.Column(name, type_, nullable=True))
    op.create_index(op.f("ix_companies_name_initials"), "companies", ["name_initials"])
    companies = sa.table("companies", sa.column("id", sa.Integer), sa.column("name", sa.String),
                         sa.column("name_initials", sa.String))
    connection = op.get_bind()
    for company_id, name in connection.execute(sa.select(companies.c.id, companies.c.name)).all():
        connection.execute(companies.update().where(companies.c.id == company_id)
                           .values(name_initials=name_initials(name)))

    op.create_table(
        "duplicate_candidates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("left_id", sa.Integer(), nullable=False),
        sa.Column("right_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("found_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("left_id < right_id", name=op.f("ck_duplicate_candidates_ordered_pair")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duplicate_candidates")),
        sa.UniqueConstraint("kind", "left_id", "right_id", name="uq_duplicate_candidates_pair")
    )
    op.create_index("ix_duplicate_candidates_kind_status_score", "duplicate_candidates", ["kind", "status", "score"])

    op.create_table(
        "import_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=True),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("encoding", sa.String(length=20), nullable=True),
        sa.Column("total_rows", sa.Integer(), nullable=False),
        sa.Column("processed_rows", sa.Integer(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=True),
        sa.Column("quality", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_jobs"))
    )
    op.create_table(
        "merged_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("loser_id", sa.Integer(), nullable=False),
        sa.Column("survivor_id", sa.Integer(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("merged_by", sa.Integer(), nullable=True),
        sa.Column("merged_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merged_records")),
        sa.UniqueConstraint("kind", "loser_id", name="uq_merged_records_kind_loser_id")
    )
    op.create_index(op.f("ix_merged_records_survivor_id"), "merged_records", ["survivor_id"])

    op.create_table(
        "company_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_company_aliases_company_id_companies"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_company_aliases"))
    )
    op.create_index(op.f("ix_company_aliases_company_id"), "company_aliases", ["company_id"])
    op.create_index(op.f("ix_company_aliases_name"), "company_aliases", ["name"])

    op.create_table(
        "company_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("from_company_id", sa.Integer(), nullable=False),
        sa.Column("to_company_id", sa.Integer(), nullable=False),
        sa.Column("share_ppm", sa.Integer(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=120), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("from_company_id <> to_company_id", name=op.f("ck_company_links_not_to_itself")),
        sa.CheckConstraint("share_ppm IS NULL OR (share_ppm > 0 AND share_ppm <= 1000000)", name=op.f("ck_company_links_share_in_range")),
        sa.ForeignKeyConstraint(["from_company_id"], ["companies.id"], name=op.f("fk_company_links_from_company_id_companies"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["to_company_id"], ["companies.id"], name=op.f("fk_company_links_to_company_id_companies"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_company_links"))
    )
    op.create_index("ix_company_links_from_company_id_kind", "company_links", ["from_company_id", "kind"])
    op.create_index("ix_company_links_to_company_id_kind", "company_links", ["to_company_id", "kind"])

    op.create_table(
        "import_rejections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("column", sa.String(length=255), nullable=True),
        sa.Column("rule", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["import_jobs.id"], name=op.f("fk_import_rejections_job_id_import_jobs"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_rejections"))
    )
    op.create_index("ix_import_rejections_job_id_row", "import_rejections", ["job_id", "row"])

    op.create_table(
        "behaviour_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=80), nullable=False),
        sa.Column("external_id", sa.String(length=120), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("properties", sa.JSON(), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("company_id IS NOT NULL OR contact_id IS NOT NULL", name=op.f("ck_behaviour_events_names_someone")),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_behaviour_events_company_id_companies"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], name=op.f("fk_behaviour_events_contact_id_contacts"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_behaviour_events")),
        sa.UniqueConstraint("source", "external_id", name="uq_behaviour_events_source_external_id")
    )
    op.create_index("ix_behaviour_events_company_id_occurred_at", "behaviour_events", ["company_id", "occurred_at"])
    op.create_index("ix_behaviour_events_contact_id_occurred_at", "behaviour_events", ["contact_id", "occurred_at"])

    op.create_table(
        "contact_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("from_contact_id", sa.Integer(), nullable=False),
        sa.Column("to_contact_id", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=120), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("from_contact_id <> to_contact_id", name=op.f("ck_contact_links_not_to_itself")),
        sa.ForeignKeyConstraint(["from_contact_id"], ["contacts.id"], name=op.f("fk_contact_links_from_contact_id_contacts"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["to_contact_id"], ["contacts.id"], name=op.f("fk_contact_links_to_contact_id_contacts"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_links"))
    )
    op.create_index("ix_contact_links_from_contact_id_kind", "contact_links", ["from_contact_id", "kind"])
    op.create_index("ix_contact_links_to_contact_id_kind", "contact_links", ["to_contact_id", "kind"])

    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("ordered_on", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("source", sa.String(length=120), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_orders_amount_not_negative")),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_orders_company_id_companies"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], name=op.f("fk_orders_contact_id_contacts"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("number", name=op.f("uq_orders_number"))
    )
    op.create_index("ix_orders_company_id_ordered_on", "orders", ["company_id", "ordered_on"])

    op.create_table(
        "order_returns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("returned_on", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reason", sa.String(length=255), nullable=True),
        sa.Column("source", sa.String(length=120), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_order_returns_amount_not_negative")),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_order_returns_company_id_companies"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_order_returns_order_id_orders"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_returns")),
        sa.UniqueConstraint("reference", name=op.f("uq_order_returns_reference"))
    )
    op.create_index("ix_order_returns_company_id_returned_on", "order_returns", ["company_id", "returned_on"])
    op.create_index(op.f("ix_order_returns_order_id"), "order_returns", ["order_id"])

    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("method", sa.String(length=40), nullable=True),
        sa.Column("source", sa.String(length=120), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payments_amount_positive")),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_payments_company_id_companies"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_payments_order_id_orders"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("reference", name=op.f("uq_payments_reference"))
    )
    op.create_index("ix_payments_company_id_paid_on", "payments", ["company_id", "paid_on"])
    op.create_index(op.f("ix_payments_order_id"), "payments", ["order_id"])
    grants = sa.table("group_permissions", sa.column("group_name", sa.String), sa.column("permission", sa.String))
    op.bulk_insert(grants, [{"group_name": group, "permission": permission}
                            for group, permissions in NEW_GROUP_PERMISSIONS.items() for permission in permissions])


def downgrade() -> None:
    grants = sa.table("group_permissions", sa.column("group_name", sa.String), sa.column("permission", sa.String))
    for group, permissions in NEW_GROUP_PERMISSIONS.items():
        op.execute(grants.delete().where(grants.c.group_name == group, grants.c.permission.in_(permissions)))
    for table in reversed(TABLES):
        op.drop_table(table)
    op.drop_index(op.f("ix_companies_name_initials"), table_name="companies")
    for name, _ in reversed(COMPANY_COLUMNS):
        op.drop_column("companies", name)
