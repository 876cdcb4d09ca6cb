"""Import jobs: a file stored as a queued job, run in ONE transaction, its report kept, one audit entry.

`submit` reads the header at once, so that a file nothing can read (a wrong
encoding, a missing required column, over the size limit) is refused before a
job exists. `run_job` claims the job, imports every row in one transaction
with the job's result and its audit entry, and commits; when anything fails,
the transaction is rolled back whole and a second one marks the job failed.
A dry run imports inside a savepoint and rolls it back: its counts are those a
real run would have.
"""
from __future__ import annotations

import gc
import hashlib
import logging
import threading
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import insert, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from accounts.permissions import Actor, as_actor
from accounts.visibility import sees_all
from core.audit import record
from core.db import get_or_raise, utcnow
from core.errors import DomainError, NotFound
import accounts
from accounts.models import User

from . import columns as cols, prepare, reading
from .base import Companies
from .company_import import CompanyImport
from .linked_import import ContactImport, EventImport, OrderImport, PaymentImport, RelationshipImport
from .report import Report
from ..models import ImportJob, ImportRejection

log = logging.getLogger(__name__)
HANDLERS = {"companies": CompanyImport, "contacts": ContactImport, "relationships": RelationshipImport,
            "orders": OrderImport, "payments": PaymentImport, "events": EventImport}
JOBS = ImportJob.__table__
# job id -> rows processed, for a job running in this process (SQLite lets no one else write meanwhile).
PROGRESS: dict[int, int] = {}
Progress = Callable[[int, int], None]


def submit(session: Session, kind: str, filename: str, content: bytes, *, mapping: dict | None = None,
           dry_run: bool = False, actor: Actor | None = None,
           limits: reading.Limits = reading.DEFAULT_LIMITS) -> ImportJob:
    """Store `content` as a queued import job of `kind`; refuse at once a file whose header cannot be used."""
    accounts.require(actor, "companies.import")
    sheet = reading.open_sheet(filename, content, limits)
    cols.resolve(kind, sheet.header, mapping)
    job = ImportJob(kind=kind, filename=filename[:255], dry_run=dry_run, mapping=mapping or None,
                    file_sha256=hashlib.sha256(content).hexdigest(), content=content, encoding=sheet.encoding,
                    total_rows=sheet.total_rows, created_by=getattr(actor, "id", None), status="queued")
    session.add(job)
    session.flush()
    return job


_GC_LOCK = threading.Lock()
_GC_STATE = {"imports": 0, "was_enabled": False}  # imports running now, in any thread


class _CollectorPaused:
    """Pause Python's cyclic garbage collector while an import runs, as bulk loaders do.

    An import holds hundreds of thousands of small dicts and tuples (the rows of a batch,
    the companies looked up, the keys seen), and allocates many more: the collector would
    walk the ones held again and again, a third of a re-import's time at 50,000 companies.
    An import makes little cyclic garbage; what there is is collected once the last
    import running lets the collector go again. Reference counting frees the rest meanwhile.
    """

    def __enter__(self):
        with _GC_LOCK:
            if _GC_STATE["imports"] == 0:
                _GC_STATE["was_enabled"] = gc.isenabled()
                gc.disable()
            _GC_STATE["imports"] += 1

    def __exit__(self, *exc):
        with _GC_LOCK:
            _GC_STATE["imports"] -= 1
            if _GC_STATE["imports"] == 0 and _GC_STATE["was_enabled"]:
                gc.enable()


def import_rows(session: Session, job: ImportJob, content: bytes, *, actor: Actor | None,
                limits: reading.Limits = reading.DEFAULT_LIMITS, progress: Progress | None = None) -> Report:
    """Import every row of `content` as `job` says, in the session's transaction; return the report."""
    with _CollectorPaused():
        return _import_rows(session, job, content, actor=actor, limits=limits, progress=progress)


def _import_rows(session: Session, job: ImportJob, content: bytes, *, actor: Actor | None,
                 limits: reading.Limits, progress: Progress | None) -> Report:
    report = Report()
    owner_id = getattr(actor, "id", None)
    handler = HANDLERS[job.kind](session, Companies(session, owner_id, report), report, owner_id)
    total_rows = job.total_rows or 0
    analyze_at = FIRST_ANALYZE if session.get_bind().dialect.name == "postgresql" else None
    analyzed = (0, 0)  # rows of the kind and companies created when the tables were last analyzed
    for items in prepare.batches(job.kind, job.filename, content, job.mapping, limits, report):
        batch = []
        for row in items:
            report.rows += 1
            if isinstance(row, prepare.WideRow):
                report.check("limits", "columns", False)
                report.reject(row.line, f"column {limits.max_columns + 1} onwards", "limits",
                              f"{row.count:,} columns, over the limit of {limits.max_columns}")
                report.outcome("rejected")
            elif row.values is None or not handler.unique(row, row.values):
                row.reject()
            else:
                batch.append((row, row.values))
        if batch:
            handler.write(batch)
        if analyze_at is not None and report.rows >= analyze_at:
            analyzed = _analyze(session, job.kind, report, analyzed)
            analyze_at *= 2
        if progress:
            progress(report.rows, max(total_rows, report.rows))
    handler.finish()
    if progress:
        progress(report.rows, report.rows)
    return report


# PostgreSQL plans the lookups of each batch with the statistics of the tables as they were before the
# job; tables that grow from empty to 100,000 rows in the job's transaction would be scanned whole for every
# batch. ANALYZE runs inside a transaction and sees its rows: at 8,000 rows, 16,000, ... (a few times a job).
FIRST_ANALYZE = 8_000
# The tables each kind's rows go into; any kind can make companies (an unknown ERP code), counted apart.
GROWS = {"companies": ("companies", "company_external_keys"), "contacts": ("contacts",),
         "relationships": ("company_links",), "orders": ("orders",), "payments": ("payments",),
         "events": ("behaviour_events",)}


def _analyze(session: Session, kind: str, report: Report, analyzed: tuple[int, int]) -> tuple[int, int]:
    """ANALYZE the tables that grew since the last time (none on a re-import); return the counts as of now."""
    now = (report.counts["created"], report.counts["companies_created"])
    tables = [*(GROWS[kind] if now[0] > analyzed[0] else ()),
              *(("companies", "company_external_keys") if now[1] > analyzed[1] else ())]
    if tables:
        session.execute(text(f"ANALYZE {', '.join(dict.fromkeys(tables))}"))
    return now


def run_job(factory: sessionmaker, job_id: int, *, limits: reading.Limits = reading.DEFAULT_LIMITS,
            progress: Progress | None = None) -> ImportJob:
    """Run the claimed or queued job `job_id` to its end; return it done or failed (never half-written)."""
    def track(done: int, total: int) -> None:
        PROGRESS[job_id] = done
        if progress:
            progress(done, total)

    try:
        with factory.begin() as session:
            job = get_or_raise(session, ImportJob, job_id, "import job")
            actor = _actor(session, job.created_by)
            job.status, job.started_at = "running", job.started_at or utcnow()
            if job.dry_run:
                with session.begin_nested() as savepoint:
                    report = import_rows(session, job, job.content, actor=actor, limits=limits, progress=track)
                    savepoint.rollback()
            else:
                report = import_rows(session, job, job.content, actor=actor, limits=limits, progress=track)
            _finish(session, job, report, actor)
    except Exception as error:  # the job's boundary: whatever went wrong, the job ends failed, not half-written
        if isinstance(error, DomainError):
            message = error.message
        elif isinstance(error, DBAPIError):
            message = f"the database refused a write: {str(error.orig).strip().splitlines()[0][:300]}"
        else:
            log.exception("import job %s failed", job_id)
            message = "internal error; it has been logged"
        with factory.begin() as session:
            job = session.get(ImportJob, job_id)
            job.status, job.error, job.content, job.finished_at = "failed", message, None, utcnow()
            record(session, "import.failed", actor=_actor(session, job.created_by), object_type="import_job",
                   object_id=job.id, detail={"kind": job.kind, "filename": job.filename,
                                             "sha256": job.file_sha256, "error": message})
    finally:
        PROGRESS.pop(job_id, None)
    with factory() as session:
        return session.get(ImportJob, job_id)


def _finish(session: Session, job: ImportJob, report: Report, actor) -> None:
    if report.rejections:
        session.execute(insert(ImportRejection.__table__), [{"job_id": job.id, **r} for r in report.rejections])
    job.status, job.finished_at, job.content = "done", utcnow(), None
    job.processed_rows = job.total_rows = report.rows
    job.counts, job.quality = report.as_counts(), report.quality()
    record(session, "import.finished", actor=actor, object_type="import_job", object_id=job.id,
           detail={"kind": job.kind, "filename": job.filename, "sha256": job.file_sha256,
                   "dry_run": job.dry_run, "counts": job.counts})


def _actor(session: Session, user_id: int | None):
    if user_id is None:
        return None
    user = session.get(User, user_id)
    return as_actor(user) if user is not None else None


STALE_AFTER = timedelta(seconds=reading.DEFAULT_LIMITS.max_seconds * 2)


def claim_next(factory: sessionmaker) -> int | None:
    """Mark the oldest queued job running and return its id; a job left running by a crashed process is requeued."""
    with factory.begin() as session:
        session.execute(update(JOBS).where(JOBS.c.status == "running", JOBS.c.content.is_not(None),
                                           JOBS.c.started_at < utcnow() - STALE_AFTER).values(status="queued"))
    while True:
        with factory.begin() as session:
            job_id = session.scalar(select(JOBS.c.id).where(JOBS.c.status == "queued").order_by(JOBS.c.id)
                                    .limit(1))
            if job_id is None:
                return None
            claimed = session.execute(update(JOBS).where(JOBS.c.id == job_id, JOBS.c.status == "queued")
                                      .values(status="running", started_at=utcnow())).rowcount
        if claimed:  # another worker may have taken it between the two statements
            return job_id


def get_job(session: Session, job_id: int, *, actor: Actor | None = None) -> ImportJob:
    """Return the job if `actor` created it or sees every company; raise NotFound otherwise."""
    job = session.get(ImportJob, job_id)
    actor = as_actor(actor)
    if job is None or (actor is not None and job.created_by != actor.id and not sees_all(actor, "companies")):
        raise NotFound(f"no import job {job_id}")
    # Read by the job's schema; set on the object, not its column, so this request writes nothing.
    job.live_processed_rows = PROGRESS.get(job_id, job.processed_rows) if job.status == "running" \
        else job.processed_rows
    return job


def rejections(session: Session, job: ImportJob, limit: int | None = None) -> list[ImportRejection]:
    """Return the job's rejections by row, the first `limit` of them if given."""
    query = (select(ImportRejection).where(ImportRejection.job_id == job.id)
             .order_by(ImportRejection.row, ImportRejection.id))
    return list(session.scalars(query.limit(limit) if limit else query))
