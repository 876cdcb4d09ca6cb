"""Companies and contacts the caller sees, as CSV (UTF-8 with BOM, for Excel) or XLSX, in the import's columns.

What is exported imports back unchanged: amounts in yuan, industries as
"I65", tags joined by commas, each contact's company by credit code or name.
A cell that a spreadsheet would run as a formula (=, +, -, @, tab, CR first)
gets a leading apostrophe (OWASP's advice); the import drops that apostrophe
again, so a round trip keeps the text as it was.
"""
from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

import accounts
from accounts.permissions import Actor
from core.audit import record

from .. import visibility
from ..models import Company, CompanyExternalKey, Contact
from .values import ZERO_DECIMALS

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
COMPANY_HEADER = ("name", "credit_code", "industry", "registered_capital", "registered_capital_currency",
                  "founded_on", "province", "city", "phone", "email", "website", "address", "erp_code", "parent",
                  "tags", "size_band")
CONTACT_HEADER = ("company", "name", "title", "department", "email", "mobile", "wechat_id", "preferred_channel")
FETCH = 1000


def safe_cell(value):
    """Return `value` with a leading apostrophe if a spreadsheet would read it as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def yuan(minor: int | None, currency: str) -> str | None:
    if minor is None:
        return None
    digits = 0 if currency in ZERO_DECIMALS else 2
    return str(Decimal(minor).scaleb(-digits))


def company_rows(session: Session, *, actor: Actor | None = None) -> Iterator[tuple]:
    """Return an iterator of one row per company `actor` sees, by name, in COMPANY_HEADER's order."""
    accounts.require(actor, "companies.export")  # now, not when the first row is read
    record(session, "companies.exported", actor=actor)
    return _company_rows(session, actor)


def _company_rows(session: Session, actor: Actor | None) -> Iterator[tuple]:
    parent = aliased(Company)
    erp = aliased(CompanyExternalKey)
    query = (select(Company, parent.name, erp.key).outerjoin(parent, Company.parent_id == parent.id)
             .outerjoin(erp, (erp.company_id == Company.id) & (erp.system == "erp")).order_by(Company.name))
    query = visibility.only_visible(query, visibility.company_filter(session, actor))
    for company, parent_name, erp_code in session.execute(query.execution_options(yield_per=FETCH)):
        industry = (company.industry_section or "") + (company.industry_division or "")
        yield (company.name, company.credit_code, industry or None,
               yuan(company.registered_capital, company.registered_capital_currency),
               company.registered_capital_currency, company.founded_on and company.founded_on.isoformat(),
               company.province, company.city, company.phone, company.email, company.website, company.address,
               erp_code, parent_name, ", ".join(company.tags or ()) or None, company.size_band)


def contact_rows(session: Session, *, actor: Actor | None = None) -> Iterator[tuple]:
    """Return an iterator of one row per contact of the companies `actor` sees, by company and name."""
    accounts.require(actor, "companies.export")
    record(session, "contacts.exported", actor=actor)
    return _contact_rows(session, actor)


def _contact_rows(session: Session, actor: Actor | None) -> Iterator[tuple]:
    query = (select(Contact.name, Contact.title, Contact.department, Contact.email, Contact.mobile,
                    Contact.wechat_id, Contact.preferred_channel, Company.credit_code, Company.name.label("company"))
             .join(Company, Contact.company_id == Company.id).order_by(Company.name, Contact.name, Contact.id))
    query = visibility.only_visible(query, visibility.company_filter(session, actor, Contact.company_id))
    for row in session.execute(query.execution_options(yield_per=FETCH)):
        yield (row.credit_code or row.company, row.name, row.title, row.department, row.email, row.mobile,
               row.wechat_id, row.preferred_channel)


def as_csv(header: tuple, rows: Iterator[tuple]) -> Iterator[str]:
    """Yield the CSV text in pieces of FETCH rows, the BOM first, every cell made safe."""
    out = io.StringIO()
    writer = csv.writer(out)
    out.write("\ufeff")
    writer.writerow(header)
    for count, row in enumerate(rows, start=1):
        writer.writerow(["" if cell is None else safe_cell(cell) for cell in row])
        if count % FETCH == 0:
            yield _drain(out)
    yield _drain(out)


def _drain(out: io.StringIO) -> str:
    text = out.getvalue()
    out.seek(0)
    out.truncate()
    return text


def as_xlsx(header: tuple, rows: Iterator[tuple], title: str) -> tempfile.SpooledTemporaryFile:
    """Return an XLSX workbook (openpyxl's write-only mode: rows are not kept) in a file rewound to its start."""
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(title)
    sheet.append(list(header))
    for row in rows:
        sheet.append([safe_cell(cell) for cell in row])
    file = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)
    book.save(file)
    file.seek(0)
    return file
