"""A draft's rules: what a contract must say before it is rendered.

The web schema checks the shape of a request; these rules hold for every caller,
the funnel's hook included, and shape the data that is rendered and embedded.
"""
from __future__ import annotations

import secrets
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import utcnow
from core.errors import InvalidInput
from engine.models import ProcessInstance

from .models import Contract


def contract_data(session: Session, data: dict, company: str) -> dict:
    """Return the contract's data as rendered and embedded, or raise InvalidInput per problem."""
    problems = [{"message": "required", "field": field} for field in ("customer", "title")
                if not str(data.get(field) or "").strip()]
    clauses = [{"title": str(c.get("title", "")).strip(), "text": str(c.get("text", "")).strip()}
               for c in data.get("clauses") or [] if isinstance(c, dict)]
    if not clauses or not all(c["title"] and c["text"] for c in clauses):
        problems.append({"message": "at least one clause, each with a title and a text",
                         "field": "clauses"})
    amount = _amount(data.get("amount"), problems)
    instance_id = _instance_id(session, data.get("instance_id"), problems)
    number = str(data.get("number") or f"DF-{utcnow():%Y%m%d}-{secrets.token_hex(3).upper()}")
    if session.scalar(select(Contract.id).where(Contract.number == number)) is not None:
        problems.append({"message": f"contract {number} exists already", "field": "number"})
    if problems:
        raise InvalidInput("the contract draft is incomplete", problems)
    customer = str(data["customer"]).strip()
    return {"number": number, "title": str(data["title"]).strip(), "customer": customer,
            "company": company, "date": utcnow().strftime("%Y-%m-%d"),
            "currency": str(data.get("currency") or "CNY").upper(), "amount": amount,
            "place": data.get("place"), "instance_id": instance_id, "clauses": clauses,
            "parties": parties(data.get("parties") or [], company, customer)}


def parties(given: list, company: str, customer: str) -> list[dict]:
    """Return the company and the customer as parties, filling names and blanks in `given`."""
    fields = ("name", "address", "representative", "contact")
    by_role = {p.get("role"): {f: str(p.get(f) or "").strip() for f in fields}
               for p in given if isinstance(p, dict)}
    result = []
    for role, default in (("company", company), ("customer", customer)):
        party = by_role.get(role) or {f: "" for f in fields}
        result.append({"role": role, **party, "name": party["name"] or default})
    return result


def _amount(value, problems: list) -> str | None:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        problems.append({"message": "a number such as 120000.00", "field": "amount"})
        return None
    if not amount.is_finite() or amount < 0:
        problems.append({"message": "zero or more", "field": "amount"})
        return None
    return f"{amount.quantize(Decimal('0.01'))}"


def _instance_id(session: Session, value, problems: list) -> int | None:
    if value is None:
        return None
    if session.get(ProcessInstance, value) is None:
        problems.append({"message": f"no process instance {value}", "field": "instance_id"})
        return None
    return int(value)
