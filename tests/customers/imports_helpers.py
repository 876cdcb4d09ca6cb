"""Shared by the import tests: credit codes, files written here, a job run to its end."""
from __future__ import annotations

import csv
import io

import openpyxl
from sqlalchemy import func, select
from stdnum.cn import uscc

import accounts
from accounts.models import User
from customers import imports
from customers.models import Company, CompanyExternalKey, Contact, ImportRejection


def credit_code(n: int) -> str:
    """Return the n-th valid 统一社会信用代码 of the tests."""
    body = f"91440300MA5F{n:05d}"
    return body + uscc.calc_check_digit(body)


def csv_bytes(rows: list[list], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def importer(session_factory, name: str = "dana"):
    """A user of the `data` group, who may import and export; committed."""
    with session_factory.begin() as session:
        user = accounts.find_user(session, name) or accounts.create_user(session, name, f"{name}-password-1",
                                                                         groups=["data"])
        return user.id


def run(session_factory, kind: str, content: bytes, filename: str = "file.csv", user_id: int | None = None,
        **options):
    """Submit `content` as an import of `kind` and run it at once; return the finished job."""
    limits = options.pop("limits", imports.DEFAULT_LIMITS)
    with session_factory.begin() as session:
        actor = session.get(User, user_id) if user_id else None
        job_id = imports.submit(session, kind, filename, content, actor=actor, limits=limits, **options).id
    return imports.run_job(session_factory, job_id, limits=limits)


def rejections_of(session_factory, job) -> list[tuple]:
    with session_factory() as session:
        return [(r.row, r.column, r.rule) for r in session.scalars(
            select(ImportRejection).where(ImportRejection.job_id == job.id)
            .order_by(ImportRejection.row, ImportRejection.id))]


def table_counts(session_factory) -> dict:
    with session_factory() as session:
        return {model.__tablename__: session.scalar(select(func.count()).select_from(model))
                for model in (Company, CompanyExternalKey, Contact)}
