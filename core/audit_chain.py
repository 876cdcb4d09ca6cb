"""The audit log's hash chain: sealed when a transaction commits, walked by `verify_chain`.

Writers insert audit rows during their transaction without any lock. At commit
a `before_commit` listener takes the one-row `audit_chain_head` (FOR UPDATE on
PostgreSQL; SQLite's BEGIN IMMEDIATE holds the database already), numbers the
transaction's rows on from the head and hashes each over the previous hash. The
head lock is held only from there to COMMIT, so concurrent writers queue for
a few statements, not for their whole transaction, and the chain has no gaps.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timezone

from sqlalchemy import bindparam, event, select, update
from sqlalchemy.orm import Session

from .audit import GENESIS_HASH, PENDING, AuditChainHead, AuditEntry

HEAD_ID = 1
REWRITTEN = "audit_pending_rewritten"
_CHUNK = 500  # ids per IN list

_entries, _head = AuditEntry.__table__, AuditChainHead.__table__
_CONTENT = (_entries.c.id, _entries.c.at, _entries.c.actor_id, _entries.c.action, _entries.c.ip,
            _entries.c.object_type, _entries.c.object_id, _entries.c.instance_id, _entries.c.task_id,
            _entries.c.element_id, _entries.c.detail, _entries.c.changes)
# Built once: constructing a statement per commit costs more than running it on SQLite.
_LOCK_HEAD = select(_head.c.seq, _head.c.hash).where(_head.c.id == HEAD_ID).with_for_update()
_PENDING_ROWS = (select(*_CONTENT).where(_entries.c.id.in_(bindparam("ids", expanding=True)))
                 .order_by(_entries.c.id))
_UNSEAL = (update(_entries).where(_entries.c.id.in_(bindparam("ids", expanding=True)))
           .values(chain_seq=None, prev_hash=None, row_hash=None))
_MOVE_HEAD = update(_head).where(_head.c.id == HEAD_ID).values(seq=bindparam("seq"), hash=bindparam("hash"))
_SEAL = (update(_entries).where(_entries.c.id == bindparam("entry_id"))
         .values(chain_seq=bindparam("seq"), prev_hash=bindparam("prev"), row_hash=bindparam("hash")))


def entry_hash(prev_hash: str, seq: int, row) -> str:
    """Return the hash of an entry: SHA-256 of the previous hash and the entry's canonical JSON.

    `row` maps the content columns to their values as the database gives them back.
    """
    at = row["at"] if row["at"].tzinfo else row["at"].replace(tzinfo=timezone.utc)
    content = {name: row[name] for name in _HASHED}
    content.update(seq=seq, at=at.astimezone(timezone.utc).isoformat(timespec="microseconds"))
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


_HASHED = ("actor_id", "action", "ip", "object_type", "object_id", "instance_id", "task_id", "element_id",
           "detail", "changes")


def _as_stored(values: dict) -> dict:
    # What a JSON column gives back: string keys, lists for tuples, and so on.
    detail, changes = json.loads(json.dumps([values["detail"], values["changes"]]))
    return {**values, "detail": detail, "changes": changes}


@event.listens_for(Session, "before_commit")
def seal_pending(session: Session) -> None:
    """Chain the audit rows this transaction wrote, just before it commits.

    The hashes are made from the values `record` wrote, without reading the rows back;
    should a row be gone all the same, the rows are read and sealed again.
    """
    if not session.info.get(PENDING) or session.in_nested_transaction():
        return
    session.flush()  # nothing but COMMIT may follow the head lock, or writers could deadlock on it
    pending = session.info.pop(PENDING)
    connection = session.connection()
    head = connection.execute(_LOCK_HEAD).one()
    if session.info.pop(REWRITTEN, False):
        seals, last = _seals(head, _read_back(connection, pending))
    else:
        seals, last = _seals(head, ((entry_id, _as_stored(values)) for entry_id, (_, values)
                                    in sorted(pending.items())))
    if seals and connection.execute(_SEAL, seals).rowcount != len(seals):
        connection.execute(_UNSEAL, {"ids": sorted(pending)})
        seals, last = _seals(head, _read_back(connection, pending))
        if seals:
            connection.execute(_SEAL, seals)
    if seals:
        connection.execute(_MOVE_HEAD, {"seq": last[0], "hash": last[1]})


def note_pending_rewritten(session: Session) -> None:
    """Tell the seal that this transaction changed audit rows it wrote: hash them as stored, not as written.

    For the demo, which moves the history it has just made into the past before it
    commits; once committed, a changed row is tampering and `verify_chain` says so.
    """
    session.info[REWRITTEN] = True


def _read_back(connection, pending) -> list:
    ids = sorted(pending)
    return [(row.id, row._mapping) for start in range(0, len(ids), _CHUNK)
            for row in connection.execute(_PENDING_ROWS, {"ids": ids[start:start + _CHUNK]})]


def _seals(head, rows):
    seq, prev = head
    seals = []
    for entry_id, content in rows:
        seq += 1
        row_hash = entry_hash(prev, seq, content)
        seals.append({"entry_id": entry_id, "seq": seq, "prev": prev, "hash": row_hash})
        prev = row_hash
    return seals, (seq, prev)


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous_transaction) -> None:
    pending = session.info.get(PENDING)
    if pending and previous_transaction.nested:
        gone = [i for i, (savepoint, _) in pending.items() if _within(savepoint, previous_transaction)]
        for entry_id in gone:
            del pending[entry_id]


def _within(transaction, outer) -> bool:
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False


@event.listens_for(Session, "after_transaction_end")
def _forget_pending(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(PENDING, None)
        session.info.pop(REWRITTEN, None)


@dataclass
class VerifyResult:
    """What `verify_chain` found: the number of chained entries, and the first break if any."""
    entries: int
    problem: str | None = None
    seq: int | None = None
    entry_id: int | None = None

    @property
    def is_intact(self) -> bool:
        return self.problem is None

    def __str__(self) -> str:
        if self.is_intact:
            return f"audit log intact: {self.entries} entries"
        where = ", ".join(f"{k} {v}" for k, v in (("seq", self.seq), ("id", self.entry_id)) if v is not None)
        return f"audit log broken at entry {where}: {self.problem}"


def verify_chain(session: Session) -> VerifyResult:
    """Walk the chain in order and report the first entry altered, removed or reordered."""
    head = session.execute(select(_head.c.seq, _head.c.hash).where(_head.c.id == HEAD_ID)).one_or_none()
    if head is None:
        return VerifyResult(0, "the chain head row is missing")
    walked = select(*_CONTENT, _entries.c.chain_seq, _entries.c.prev_hash, _entries.c.row_hash) \
        .where(_entries.c.chain_seq.is_not(None)).order_by(_entries.c.chain_seq)
    seq, prev, count = 0, GENESIS_HASH, 0
    rows = session.execute(walked.execution_options(yield_per=1000))
    try:  # a server-side cursor on PostgreSQL: closed however the walk ends
        for row in rows:
            problem = _break_at(session, row, seq + 1, prev)
            if problem:
                return VerifyResult(count, problem, row.chain_seq, row.id)
            seq, prev, count = row.chain_seq, row.row_hash, count + 1
    finally:
        rows.close()
    if head.seq > seq:
        return VerifyResult(count, f"the head names {head.seq} entries but the log ends at seq {seq}: "
                                   f"the last {head.seq - seq} entries were removed", head.seq)
    if head.seq < seq or head.hash != prev:
        return VerifyResult(count, "the chain head does not match the last entry", seq)
    return _unchained(session, count)


def _break_at(session: Session, row, expected_seq: int, prev: str) -> str | None:
    if row.chain_seq != expected_seq:
        missing = (f"seq {expected_seq}" if row.chain_seq == expected_seq + 1
                   else f"seq {expected_seq} to {row.chain_seq - 1}")
        return f"the entries before it ({missing}) were removed"
    if row.prev_hash != prev:
        return "its prev_hash is not the hash of the entry before it: entries were reordered or replaced"
    if entry_hash(prev, row.chain_seq, row._mapping) != row.row_hash:
        owner = _seq_whose_content_this_is(session, row)
        if owner is not None:
            return f"its content is that of entry seq {owner}: the two were swapped"
        return "its content was altered after it was written (the hash does not match)"
    return None


def _seq_whose_content_this_is(session: Session, moved) -> int | None:
    others = select(_entries.c.chain_seq, _entries.c.prev_hash, _entries.c.row_hash) \
        .where(_entries.c.chain_seq.is_not(None), _entries.c.id != moved.id)
    content, rows = moved._mapping, session.execute(others.execution_options(yield_per=1000))
    try:
        for other in rows:
            if other.prev_hash and entry_hash(other.prev_hash, other.chain_seq, content) == other.row_hash:
                return other.chain_seq
    finally:
        rows.close()
    return None


def _unchained(session: Session, count: int) -> VerifyResult:
    # A committed row outside the chain was written around the log (this session's own are pending).
    stray = select(_entries.c.id).where(_entries.c.chain_seq.is_(None)).order_by(_entries.c.id)
    pending = session.info.get(PENDING)
    if pending:
        stray = stray.where(_entries.c.id.not_in(sorted(pending)))
    found = session.scalar(stray.limit(1))
    if found is not None:
        return VerifyResult(count, "it is not in the chain: written around the audit log", None, found)
    return VerifyResult(count)
