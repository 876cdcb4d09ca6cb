"""A company's master data on a write: every field checked (customers.checks), external keys kept unique.

Used by customers.companies for creations and changes; later an import uses it too.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from accounts.models import User
from core.errors import Conflict

from . import checks
from .models import Company, CompanyExternalKey

FIELDS = ("credit_code", "industry_section", "industry_division", "registered_capital",
          "registered_capital_currency", "founded_on", "province", "size_band", "website", "tags", "owner_id",
          "phone", "email", "address")
ERP = "erp"
UNSET = object()  # "not in the request", where None means "remove"

_SIMPLE_CHECKS = {"credit_code": checks.credit_code, "registered_capital_currency": checks.currency,
                  "founded_on": checks.founded_on, "size_band": checks.size_band, "website": checks.website,
                  "tags": checks.tags, "phone": checks.phone, "email": checks.email, "address": checks.address}


def checked(session: Session, values: dict, company: Company | None = None) -> dict:
    """Return `values` with each master data field in it checked and normalised, against `company` if given."""
    values = dict(values)
    for field, check in _SIMPLE_CHECKS.items():
        if field in values:
            values[field] = check(values[field])
    if "industry_section" in values or "industry_division" in values:
        section = values.get("industry_section", getattr(company, "industry_section", None))
        division = values.get("industry_division", getattr(company, "industry_division", None))
        if "industry_section" in values and "industry_division" not in values and section is None:
            division = None  # clearing the section clears its division
        values["industry_section"], values["industry_division"] = checks.industry(section, division)
    if values.get("credit_code") is not None:
        _require_free_credit_code(session, values["credit_code"], getattr(company, "id", None))
    if values.get("owner_id") is not None and session.get(User, values["owner_id"]) is None:
        raise checks.invalid("owner_id", f"no user {values['owner_id']}")
    return values


def _require_free_credit_code(session: Session, code: str, company_id: int | None) -> None:
    holder = session.scalar(select(Company).where(Company.credit_code == code))
    if holder is not None and holder.id != company_id:
        raise Conflict(f"credit_code {code} is {holder.name}'s already",
                       [{"message": f"is {holder.name}'s already", "field": "credit_code"}])


def replace_keys(session: Session, company: Company, entries: list[dict] | None, erp_code=UNSET) -> list | None:
    """Set the company's external keys to `entries` (None: keep them) and its ERP code (UNSET: keep it).

    Returns [before, after] as "system:key" labels when anything changed, else None.
    """
    before = [(k.system, k.key) for k in company.external_keys]
    pairs = before if entries is None else checks.external_keys(entries)
    if erp_code is not UNSET:
        pairs = [pair for pair in pairs if pair[0] != ERP]
        if erp_code is not None and erp_code.strip():
            pairs.append((ERP, erp_code.strip()))
    if set(pairs) == set(before):
        return None
    _require_free_keys(session, pairs, company.id)
    rows = {(k.system, k.key): k for k in company.external_keys}
    for pair, row in rows.items():
        if pair not in pairs:
            company.external_keys.remove(row)
    for system, key in pairs:
        if (system, key) not in rows:
            company.external_keys.append(CompanyExternalKey(system=system, key=key))
    return [_labels(before), _labels(pairs)]


def _require_free_keys(session: Session, pairs: list[tuple[str, str]], company_id: int) -> None:
    if not pairs:
        return
    taken = session.execute(select(CompanyExternalKey.system, CompanyExternalKey.key, Company.name)
                            .join(Company).where(tuple_(CompanyExternalKey.system, CompanyExternalKey.key)
                                                 .in_(pairs), CompanyExternalKey.company_id != company_id)
                            ).first()
    if taken is not None:
        system, key, name = taken
        field = "erp_code" if system == ERP else "external_keys"
        raise Conflict(f"the {system} key {key} is {name}'s already",
                       [{"message": f"the {system} key {key} is {name}'s already", "field": field}])


def _labels(pairs) -> list[str]:
    return sorted(f"{system}:{key}" for system, key in pairs)


def as_json(value):
    """Return `value` as the audit log's JSON keeps it."""
    return value.isoformat() if isinstance(value, date) else value
