"""Data governance figures: per field, how many companies and contacts have it filled, and how many validly.

Completeness is filled / count, validity valid / filled. Validity re-runs the
checks every write runs (customers.checks) over the stored values, since rows
from before the checks, or from a bulk load, may not pass them. What SQL can
judge (a date not in the future, a code in a list) is counted by the database;
the rest (credit code checksum, phone numbers, e-mail, websites) in one
streaming pass over those columns, each distinct value checked once.
"""
from __future__ import annotations

from datetime import datetime

import phonenumbers
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from core.errors import InvalidInput

from . import checks, duplicates, industries, visibility
from .models import CHANNELS, SIZE_BANDS, Company, Contact


class Sql:
    """A validity rule the database counts: `make()` returns the condition a valid value meets."""

    def __init__(self, make):
        self.make = make


def _valid(check):
    def run(value) -> bool:
        try:
            check(value)
        except InvalidInput:
            return False
        return True
    return run


def _stored_phone(check):
    """Return a validity test for phones that takes a valid E.164 value at once, the rest to `check`.

    Parsing is most of what checks.phone costs (about 70 µs); a stored value is
    normally E.164 already, so it is rebuilt from its digits and confirmed by
    formatting it back. Anything that does not come back the same goes through
    the full check, which alone may call a value invalid.
    """
    full = _valid(check)

    def run(value) -> bool:
        if value.startswith("+") and value[1:].isdigit():
            for size in (1, 2, 3):
                code = int(value[1:1 + size])
                if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE and len(value) > size + 1:
                    number = phonenumbers.PhoneNumber(country_code=code, national_number=int(value[1 + size:]))
                    if phonenumbers.is_valid_number(number) and phonenumbers.format_number(
                            number, phonenumbers.PhoneNumberFormat.E164) == value:
                        return True
                    break
        return full(value)
    return run


def _today():
    return datetime.now(checks.BEIJING).date()


# field -> a condition SQL counts as valid, or a check run over the stored values.
COMPANY_FIELDS = {
    "name": None,
    "credit_code": _valid(checks.credit_code),
    "industry_division": Sql(lambda: Company.industry_division.in_(list(industries.DIVISIONS))),
    "registered_capital": Sql(lambda: Company.registered_capital >= 0),
    "founded_on": Sql(lambda: Company.founded_on <= _today()),
    "province": None,
    "city": None,
    "size_band": Sql(lambda: Company.size_band.in_(SIZE_BANDS)),
    "phone": _stored_phone(checks.phone),
    "email": _valid(checks.email),
    "website": _valid(checks.website),
    "address": None,
}
CONTACT_FIELDS = {
    "name": None,
    "title": None,
    "department": None,
    "email": _valid(checks.email),
    "mobile": _stored_phone(checks.mobile),
    "phone": _stored_phone(checks.phone),
    "wechat_id": None,
    "preferred_channel": Sql(lambda: Contact.preferred_channel.in_(CHANNELS)),
}


def _filled(column):
    return column.is_not(None) if not hasattr(column.type, "length") else and_(column.is_not(None), column != "")


def _figures(session: Session, model, fields: dict, condition) -> dict:
    columns = {name: getattr(model, name) for name in fields}
    sums = [func.count(columns[name]).filter(_filled(columns[name])) for name in fields]
    sql_valid = {name: rule.make() for name, rule in fields.items() if isinstance(rule, Sql)}
    sums += [func.count(columns[name]).filter(and_(_filled(columns[name]), rule))
             for name, rule in sql_valid.items()]
    row = session.execute(visibility.only_visible(select(func.count(), *sums).select_from(model), condition)).one()
    count, filled = row[0], dict(zip(fields, row[1:1 + len(fields)]))
    valid = {name: filled[name] for name, rule in fields.items() if rule is None}
    valid.update(zip(sql_valid, row[1 + len(fields):]))
    streamed = {name: rule for name, rule in fields.items() if name not in valid}
    if streamed:
        valid.update(_stream(session, model, columns, streamed, condition))
    return {"count": count, "fields": [
        {"field": name, "filled": filled[name], "valid": valid[name],
         "completeness": round(filled[name] / count, 4) if count else None,
         "validity": round(valid[name] / filled[name], 4) if filled[name] else None} for name in fields]}


def _stream(session: Session, model, columns: dict, rules: dict, condition) -> dict[str, int]:
    """Count the valid stored values of each field in `rules`, one pass, each distinct value checked once."""
    names = list(rules)
    query = visibility.only_visible(select(*(columns[n] for n in names)), condition)
    valid, seen = dict.fromkeys(names, 0), {n: {} for n in names}
    for row in session.execute(query.execution_options(yield_per=5_000)):
        for name, value in zip(names, row):
            if value is None or value == "":
                continue
            known = seen[name].get(value)
            if known is None:
                known = seen[name][value] = rules[name](value)
            valid[name] += known
    return valid


def report(session: Session, actor=None) -> dict:
    """Return completeness and validity per field of the companies and contacts `actor` sees, and open duplicates."""
    companies = _figures(session, Company, COMPANY_FIELDS, visibility.company_filter(session, actor))
    contacts = _figures(session, Contact, CONTACT_FIELDS,
                        visibility.company_filter(session, actor, Contact.company_id))
    return {"companies": companies, "contacts": contacts,
            "duplicates": {kind: duplicates.count_open(session, kind, actor=actor) for kind in duplicates.KINDS}}
