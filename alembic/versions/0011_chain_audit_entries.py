"""chain the audit entries: ip, object, changes, and a hash chain with its head row

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""
import hashlib
import json
from datetime import timezone

from alembic import op
import sqlalchemy as sa

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

GENESIS_HASH = "0" * 64
CONTENT = ("id", "at", "actor_id", "action", "ip", "object_type", "object_id", "instance_id", "task_id",
           "element_id", "detail", "changes")
NEW_COLUMNS = (("ip", sa.String(45)), ("object_type", sa.String(40)), ("object_id", sa.String(64)),
               ("changes", sa.JSON()), ("chain_seq", sa.BigInteger()), ("prev_hash", sa.String(64)),
               ("row_hash", sa.String(64)))


def entry_hash(prev_hash, seq, row):
    # core.audit_chain.entry_hash as of this revision: the rows chained here must verify there.
    at = row["at"] if row["at"].tzinfo else row["at"].replace(tzinfo=timezone.utc)
    content = {"seq": seq, "at": at.astimezone(timezone.utc).isoformat(timespec="microseconds"),
               **{name: row[name] for name in CONTENT if name not in ("id", "at")}}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def upgrade() -> None:
    for name, type_ in NEW_COLUMNS:
        op.add_column("audit_entries", sa.Column(name, type_, nullable=True))
    op.create_index(op.f("ix_audit_entries_chain_seq"), "audit_entries", ["chain_seq"], unique=True)
    op.create_index(op.f("ix_audit_entries_actor_id"), "audit_entries", ["actor_id"])
    op.create_index("ix_audit_entries_object", "audit_entries", ["object_type", "object_id"])
    head = op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain_head")),
    )
    seq, prev = _chain_existing_entries()
    op.bulk_insert(head, [{"id": 1, "seq": seq, "hash": prev}])


def _chain_existing_entries():
    types = {"at": sa.DateTime(), "detail": sa.JSON(), "changes": sa.JSON()}
    entries = sa.table("audit_entries", *(sa.column(name, types.get(name)) for name in CONTENT),
                       sa.column("chain_seq"), sa.column("prev_hash"), sa.column("row_hash"))
    connection = op.get_bind()
    seq, prev, seals = 0, GENESIS_HASH, []
    for row in connection.execute(sa.select(*(entries.c[name] for name in CONTENT)).order_by(entries.c.id)):
        seq += 1
        row_hash = entry_hash(prev, seq, row._mapping)
        seals.append({"entry_id": row.id, "seq": seq, "prev": prev, "hash": row_hash})
        prev = row_hash
    if seals:
        connection.execute(entries.update().where(entries.c.id == sa.bindparam("entry_id"))
                           .values(chain_seq=sa.bindparam("seq"), prev_hash=sa.bindparam("prev"),
                                   row_hash=sa.bindparam("hash")), seals)
    return seq, prev


def downgrade() -> None:
    op.drop_table("audit_chain_head")
    op.drop_index("ix_audit_entries_object", table_name="audit_entries")
    op.drop_index(op.f("ix_audit_entries_actor_id"), table_name="audit_entries")
    op.drop_index(op.f("ix_audit_entries_chain_seq"), table_name="audit_entries")
    for name, _ in reversed(NEW_COLUMNS):
        op.drop_column("audit_entries", name)
