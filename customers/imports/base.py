"""What every kind of import shares: a row's cells read by field, and companies found by credit code, ERP code or name.

Writes are Core statements in batches (executemany): an ORM object per row
would cost several times the INSERT itself at 100,000 rows.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import NamedTuple

from sqlalchemy import any_, bindparam, insert, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from core.db import utcnow

from .. import search
from ..models import Company, CompanyExternalKey
from .columns import Column
from .export import FORMULA_STARTS
from .report import Report
from .values import ValueProblem

ERP = "erp"
CHUNK = 900  # IN lists stay under SQLite's 999 host parameters of older builds
# An unknown reference that looks like this is an ERP code, and makes a company with that code.
ERP_LIKE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,63}")

COMPANIES, KEYS = Company.__table__, CompanyExternalKey.__table__


def among(session: Session, column, values):
    """Return `column IN values`; on PostgreSQL `column = ANY(array)`, one parameter however many values.

    psycopg converts a statement's placeholders anew for every long statement, and
    900 of them cost more than the query itself.
    """
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(values)


def as_dicts(result):
    """Yield each row of `result` as a plain dict (what .mappings() and dict() make, without their cost per row)."""
    keys = tuple(result.keys())
    for row in result:
        yield dict(zip(keys, row))


def chunks(values: Iterable, size: int = CHUNK):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start:start + size]


class Row:
    """One data row: its cells, the values read from them by field, and the problems found in it."""

    __slots__ = ("line", "cells", "columns", "report", "values", "problems")

    def __init__(self, line: int, cells: list, columns: dict[str, Column], report: Report):
        self.line, self.cells, self.columns, self.report = line, cells, columns, report
        self.values: dict = {}
        self.problems: list = []

    def has(self, field: str) -> bool:
        return field in self.columns

    def raw(self, field: str):
        column = self.columns.get(field)
        if column is None or column.index >= len(self.cells):
            return None
        value = self.cells[column.index]
        return value.strip() if isinstance(value, str) else value

    def require(self, field: str) -> None:
        """Make a field required for this row alone (a shareholding needs its percent): count it, refuse it empty."""
        if self.raw(field) not in (None, ""):
            self.report.passed["completeness", field] += 1
        else:
            self.report.check("completeness", field, False)
            self.problem(field, "completeness", "is required", count=False)

    def problem(self, field: str, rule: str, reason: str, count: bool = True) -> None:
        column = self.columns.get(field)
        self.problems.append((column.index if column else -1, column.header if column else field, rule, reason))
        if count:
            self.report.check(rule, field, False)

    def reject(self) -> bool:
        """Record the row's problems as rejections; tell whether there were any."""
        if not self.problems:
            return False
        for _, column, rule, reason in sorted(self.problems, key=lambda problem: problem[0]):
            self.report.reject(self.line, column, rule, reason)  # in the file's column order
        self.report.outcome("rejected")
        return True


class Field(NamedTuple):
    """How one field is read from its cell: text within `limit` characters, or through `parse`.

    `parse(cell)` returns the stored value or raises ValueProblem; with `contextual`,
    `parse(cell, values, column)` also sees the fields of the row read before it (an
    amount reads its currency) and the column (a header in 万元 scales the amount). `default` stands
    for an empty cell or a missing column (an order's status "open").
    """

    name: str
    limit: int | None = None
    parse: Callable | None = None
    required: bool = False
    contextual: bool = False
    default: object = None  # the value of an empty cell or a missing column


def read_rows(rows: list[Row], fields: tuple[Field, ...], max_chars: int) -> None:
    """Read `fields` into each row's values, one column at a time across the rows; problems go to the rows.

    A batch is read column by column, not row by row, so that what is the same for a
    whole column (where its cell is, how it is parsed, the report's counters) is looked
    up once per batch instead of once per cell: 400,000 rows of 5 to 11 fields are
    millions of cells, and the per-cell lookups were most of an import's checking time.
    """
    if not rows:
        return
    columns, report = rows[0].columns, rows[0].report
    for field in fields:
        name, limit, parse, required, contextual, default = field
        column = columns.get(name)
        if column is None:
            for row in rows:
                row.values[name] = default
            if required:
                for row in rows:
                    report.check("completeness", name, False)
                    row.problem(name, "completeness", "is required", count=False)
            continue
        index, valid, complete = column.index, 0, 0
        for row in rows:
            cells = row.cells
            value = cells[index] if index < len(cells) else None
            if value.__class__ is str:
                value = value.strip()
                if value[:1] == "'" and value[1:2] in FORMULA_STARTS:
                    value = value[1:]  # the apostrophe an export puts before what would be a formula
                if len(value) > max_chars:
                    row.problem(name, "limits", f"over {max_chars:,} characters")
                    row.values[name] = None
                    continue
                if not value:
                    value = None
            if value is None:
                row.values[name] = default
                if required:
                    report.check("completeness", name, False)
                    row.problem(name, "completeness", "is required", count=False)
                continue
            complete += 1
            if parse is None:
                if value.__class__ is not str:
                    value = str(value).strip()  # a number or date from a workbook, where text is wanted
                if len(value) > limit:
                    row.problem(name, "validity", f"at most {limit} characters")
                    row.values[name] = None
                    continue
                row.values[name] = value
                valid += 1
                continue
            try:
                row.values[name] = parse(value, row.values, column) if contextual else parse(value)
                valid += 1
            except ValueProblem as problem:
                row.problem(name, problem.rule, problem.reason)
                row.values[name] = None
        # Only what was counted: a field whose cells are all empty has no line in the report.
        if valid:
            report.passed["validity", name] += valid
        if required and complete:
            report.passed["completeness", name] += complete


_CREDIT_CODE_SHAPE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}")


def compact_credit_code(value: str) -> str | None:
    """Return `value` as a credit code to look up if it has the shape of one (a stored one was checked in full)."""
    code = re.sub(r"[\s-]", "", value).upper() if not value.isalnum() else value.upper()
    return code if len(code) == 18 and _CREDIT_CODE_SHAPE.fullmatch(code) else None


class Companies:
    """Finds companies by credit code, ERP code or exact name, with a cache; makes one for an unknown ERP code."""

    def __init__(self, session: Session, owner_id: int | None, report: Report):
        self.session, self.owner_id, self.report = session, owner_id, report
        self.by_ref: dict[str, int | None] = {}

    def prefetch(self, refs: Iterable[str]) -> None:
        """Look up every reference not cached yet, with a few IN queries."""
        refs = {ref for ref in refs if ref and ref not in self.by_ref}
        if not refs:
            return
        codes = {code: ref for ref in refs if (code := compact_credit_code(ref))}
        found: dict[str, int] = {}
        for part in chunks(codes):
            for code, company_id in self.session.execute(
                    select(COMPANIES.c.credit_code, COMPANIES.c.id).where(among(self.session, COMPANIES.c.credit_code, part))):
                found[codes[code]] = company_id
        rest = [ref for ref in refs if ref not in found]
        for part in chunks(rest):
            for key, company_id in self.session.execute(
                    select(KEYS.c.key, KEYS.c.company_id).where(KEYS.c.system == ERP, among(self.session, KEYS.c.key, part))):
                found[key] = company_id
        rest = [ref for ref in rest if ref not in found]
        for part in chunks(rest):
            for name, company_id in self.session.execute(
                    select(COMPANIES.c.name, COMPANIES.c.id).where(among(self.session, COMPANIES.c.name, part))):
                found[name] = company_id
        for ref in refs:
            self.by_ref[ref] = found.get(ref)

    def find(self, ref: str, *, create: bool = True) -> int | None:
        """Return the id of the company `ref` names; an unknown ERP-like code makes a company with that code."""
        if ref not in self.by_ref:
            self.prefetch([ref])
        company_id = self.by_ref[ref]
        if company_id is None and create and ERP_LIKE.fullmatch(ref) and any(c.isdigit() for c in ref) \
                and compact_credit_code(ref) is None:
            company_id = self.create_for_erp_code(ref)
        return company_id

    def create_for_erp_code(self, code: str) -> int:
        company_id = self.session.execute(insert(COMPANIES).returning(COMPANIES.c.id), [new_company(
            {"name": code}, self.owner_id)]).scalar_one()
        self.session.execute(insert(KEYS), [{"company_id": company_id, "system": ERP, "key": code}])
        self.by_ref[code] = company_id
        self.report.outcome("companies_created")
        return company_id

    def forget(self, ref: str) -> None:
        self.by_ref.pop(ref, None)


COMPANY_COLUMNS = ("name", "credit_code", "industry_section", "industry_division", "registered_capital",
                   "registered_capital_currency", "founded_on", "province", "city", "phone", "email", "website",
                   "address", "tags", "size_band")


def new_company(values: dict, owner_id: int | None) -> dict:
    """Return the INSERT parameters of a new company: every column present, so one executemany takes them all."""
    row = {column: values.get(column) for column in COMPANY_COLUMNS}
    row["registered_capital_currency"] = row["registered_capital_currency"] or "CNY"
    row["tags"] = row["tags"] or []
    row.update(owner_id=owner_id, created_at=utcnow(),
               name_initials=values.get("name_initials") or search.initials(values["name"]))
    return row
