"""Audit chain benchmark: what sealing the hash chain at commit adds to a transaction.

Run with `.venv/bin/python -m bench.audit`. On SQLite (a file in a temporary
folder, WAL) and on PostgreSQL (a throwaway database at CRM_TEST_POSTGRES_URL),
it times commits of a transaction that writes 3 audit rows with
`core.audit.record`, as an engine step or a CRM write does, once with the chain
(the `before_commit` listener of core.audit_chain: lock the head, read the 3 rows,
hash them, one executemany UPDATE, update the head) and once without it (the
listener removed: the plain INSERTs the log had before). Timed: BEGIN to COMMIT,
one transaction at a time. Rounds alternate the two modes so that a busy
machine skews both alike; the figure is the median per commit over all rounds,
and the ratio with / without. It also prints the chain's verify time per 1,000
entries. This is a benchmark, not a test: nothing asserts on time. Without a
reachable PostgreSQL it says so and measures SQLite only.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import delete, event
from sqlalchemy.orm import Session

import accounts  # noqa: F401  maps User, whom audit entries name
from core import audit, migrations
from core.audit import AuditEntry
from core.audit_chain import seal_pending
from core.db import make_engine, make_session_factory
from tests import databases

ROWS_PER_COMMIT = 3


def time_commits(factory, count: int) -> list[float]:
    """Return the seconds each of `count` commits of ROWS_PER_COMMIT audit rows took."""
    times = []
    for i in range(count):
        started = time.perf_counter()
        with factory.begin() as session:
            for step in range(ROWS_PER_COMMIT):
                audit.record(session, "instance.variables_set", object_type="instance", object_id=str(i),
                             ip="192.0.2.1", detail={"step": step, "data": {"amount": 480000}},
                             changes={"amount": [None, 480000]})
        times.append(time.perf_counter() - started)
    return times


def measure(url: str, rounds: int, commits: int) -> dict:
    """Return the median commit time with and without the chain on the database at `url`."""
    migrations.upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    time_commits(factory, 50)  # warm up: connections, statement caches
    chained, plain = [], []
    for _ in range(rounds):
        chained += time_commits(factory, commits)
        event.remove(Session, "before_commit", seal_pending)
        try:
            plain += time_commits(factory, commits)
        finally:
            event.listen(Session, "before_commit", seal_pending)
    with factory.begin() as session:  # the rows written without the chain are not in it
        session.execute(delete(AuditEntry.__table__).where(AuditEntry.chain_seq.is_(None)))
    with factory() as session:
        started = time.perf_counter()
        result = audit.verify_chain(session)
        verify_seconds = time.perf_counter() - started
    engine.dispose()
    with_chain, without = statistics.median(chained), statistics.median(plain)
    return {"with_ms": with_chain * 1000, "without_ms": without * 1000, "ratio": with_chain / without,
            "added_ms": (with_chain - without) * 1000, "verified": result.entries,
            "verify_ms_per_1000": verify_seconds * 1000 / max(result.entries, 1) * 1000,
            "intact": result.is_intact}


def report(name: str, figures: dict) -> None:
    print(f"{name:<11} with chain {figures['with_ms']:6.3f} ms/commit   without {figures['without_ms']:6.3f} ms"
          f"   ratio {figures['ratio']:.2f}   added {figures['added_ms']:+.3f} ms"
          f"   verify {figures['verify_ms_per_1000']:.1f} ms per 1,000 entries"
          f" ({figures['verified']} entries, {'intact' if figures['intact'] else 'BROKEN'})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.audit", description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--commits", type=int, default=200, help="commits per mode and round")
    args = parser.parse_args(argv)
    print(f"{ROWS_PER_COMMIT} audit rows per commit, {args.rounds} alternating rounds of "
          f"{args.commits} commits per mode; medians per commit")
    with tempfile.TemporaryDirectory() as folder:
        report("SQLite", measure(f"sqlite:///{Path(folder) / 'bench.db'}", args.rounds, args.commits))
    problem = databases.postgres_problem()
    if problem:
        print(f"PostgreSQL not reachable at {databases.POSTGRES_ADMIN_URL} ({problem}): skipped")
        return 0
    url = databases.create_postgres_database("dealflow_bench")
    try:
        report("PostgreSQL", measure(url, args.rounds, args.commits))
    finally:
        databases.drop_postgres_database(url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
