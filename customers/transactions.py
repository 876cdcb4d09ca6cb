"""A company's orders, payments, refunds and returns, and what it owes per currency.

Numbers and references come from the ERP and are unique: sending the same order
(or payment, or return) again with the same values changes nothing, so an ERP
may resend a day's export; the same number with other values is a Conflict
naming the field. Totals per currency:

    outstanding = ordered (orders not cancelled) − paid + refunded − returned

Writes need `transactions.write` and a company the caller sees; reads need
`companies.read` and the same visibility.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import BigInteger, bindparam, case, func, literal, select, union_all
from sqlalchemy.orm import Session

from accounts.permissions import Actor, require
from core.audit import record
from core.db import get_or_raise
from core.errors import Conflict

from . import checks, visibility
from .companies import get_company
from .models import ORDER_STATUSES, PAYMENT_KINDS, Company, Contact, Order, OrderReturn, Payment

EARLIEST = date(1949, 10, 1)  # no order of a Chinese B2B customer predates the PRC's founding
FUTURE_DAYS = 366  # an order or a payment may be dated up to a year ahead (a scheduled instalment)
MAX_PAGE = 500
TOTAL_KEYS = ("ordered", "paid", "refunded", "returned", "outstanding")


def currency_code(value: str | None) -> str:
    """Return an ISO 4217 code we know (customers.checks.CURRENCIES), CNY when none is given."""
    if value is None:
        return "CNY"
    if value not in checks.CURRENCIES:
        raise checks.invalid("currency", f"{value!r} is no ISO 4217 currency code we know")
    return value


def business_date(value: date, field: str) -> date:
    """Refuse a date before 1949-10-01 or more than a year ahead."""
    if value < EARLIEST:
        raise checks.invalid(field, f"before {EARLIEST.isoformat()}")
    if value > date.today() + timedelta(days=FUTURE_DAYS):
        raise checks.invalid(field, "more than a year in the future")
    return value


def money(value: int, *, positive: bool) -> int:
    """Refuse a negative amount, or zero where one must be positive (a payment)."""
    if value < 0 or (positive and value == 0):
        raise checks.invalid("amount", "must be greater than 0" if positive else "must not be negative")
    return value


def identifier(value: str, field: str) -> str:
    """Return an order number or a payment or return reference trimmed; refuse a blank one."""
    value = value.strip()
    if not value:
        raise checks.invalid(field, "must not be blank")
    return value


def _writable_company(session: Session, company_id: int, actor: Actor | None) -> Company:
    require(actor, "transactions.write")
    return get_company(session, company_id, actor=actor)


def _contact_of(session: Session, company_id: int, contact_id: int | None) -> int | None:
    if contact_id is None:
        return None
    if session.scalar(select(Contact.company_id).where(Contact.id == contact_id)) != company_id:
        raise checks.invalid("contact_id", f"no contact {contact_id} at this company")
    return contact_id


def _order_id_of(session: Session, company_id: int, order_number: str | None) -> int | None:
    """Return the id of the company's order `order_number`; refuse another company's or an unknown one."""
    if order_number is None:
        return None
    found = session.execute(select(Order.id, Order.company_id).where(Order.number == order_number)).first()
    if found is None or found.company_id != company_id:
        raise checks.invalid("order_number", f"no order {order_number!r} of this company")
    return found.id


def _same_or_conflict(existing, values: dict, key: str) -> bool:
    """Return True when `existing` holds `values` (a resend); raise Conflict naming `key` otherwise."""
    differing = sorted(name for name, value in values.items() if getattr(existing, name) != value)
    if differing:
        raise Conflict(f"{key} {getattr(existing, key)!r} exists already with other {', '.join(differing)}",
                       [{"field": key, "message": f"exists already with other {', '.join(differing)}"}])
    return True


def record_order(session: Session, company_id: int, *, number: str, ordered_on: date, amount: int,
                 currency: str | None = None, status: str = "open", contact_id: int | None = None,
                 source: str | None = None, actor: Actor | None = None) -> tuple[Order, bool]:
    """Record a company's order; return (order, created). Resending it unchanged is a no-op."""
    _writable_company(session, company_id, actor)
    values = {"company_id": company_id, "number": identifier(number, "number"),
              "ordered_on": business_date(ordered_on, "ordered_on"),
              "amount": money(amount, positive=False), "currency": currency_code(currency),
              "status": order_status(status), "contact_id": _contact_of(session, company_id, contact_id)}
    return _store_once(session, Order, "number", values, source, "order.recorded", actor)


def order_status(value: str) -> str:
    if value not in ORDER_STATUSES:
        raise checks.invalid("status", f"one of {', '.join(ORDER_STATUSES)}")
    return value


def change_order(session: Session, order_id: int, changes: dict, *, actor: Actor | None = None) -> Order:
    """Change an order's status (or its amount or date, as the ERP corrects them)."""
    require(actor, "transactions.write")
    order = get_or_raise(session, Order, order_id, "order")
    visibility.require_visible(session, visibility.company_filter(session, actor, Order.company_id), Order,
                               order_id, "order")
    checked = {}
    if "status" in changes:
        checked["status"] = order_status(changes["status"])
    if "amount" in changes:
        checked["amount"] = money(changes["amount"], positive=False)
    if "ordered_on" in changes:
        checked["ordered_on"] = business_date(changes["ordered_on"], "ordered_on")
    changed = {name: [_json(getattr(order, name)), _json(value)] for name, value in checked.items()
               if getattr(order, name) != value}
    for name, value in checked.items():
        setattr(order, name, value)
    session.flush()
    if changed:
        record(session, "order.changed", actor=actor, object_type="order", object_id=order.id, changes=changed)
    return order


def record_payment(session: Session, company_id: int, *, reference: str, paid_on: date, amount: int,
                   kind: str = "payment", currency: str | None = None, order_number: str | None = None,
                   method: str | None = None, source: str | None = None,
                   actor: Actor | None = None) -> tuple[Payment, bool]:
    """Record money in (kind "payment") or back out ("refund"); return (payment, created)."""
    _writable_company(session, company_id, actor)
    if kind not in PAYMENT_KINDS:
        raise checks.invalid("kind", f"one of {', '.join(PAYMENT_KINDS)}")
    values = {"company_id": company_id, "reference": identifier(reference, "reference"), "kind": kind,
              "paid_on": business_date(paid_on, "paid_on"), "amount": money(amount, positive=True),
              "currency": currency_code(currency),
              "order_id": _order_id_of(session, company_id, order_number), "method": method}
    payment, created = _store_once(session, Payment, "reference", values, source, f"{kind}.recorded", actor)
    _with_order_numbers(session, [payment])
    return payment, created


def record_return(session: Session, company_id: int, *, reference: str, returned_on: date, amount: int,
                  currency: str | None = None, order_number: str | None = None, reason: str | None = None,
                  source: str | None = None, actor: Actor | None = None) -> tuple[OrderReturn, bool]:
    """Record goods sent back with their value; return (return, created)."""
    _writable_company(session, company_id, actor)
    values = {"company_id": company_id, "reference": identifier(reference, "reference"),
              "returned_on": business_date(returned_on, "returned_on"),
              "amount": money(amount, positive=False), "currency": currency_code(currency),
              "order_id": _order_id_of(session, company_id, order_number), "reason": reason}
    returned, created = _store_once(session, OrderReturn, "reference", values, source, "return.recorded", actor)
    _with_order_numbers(session, [returned])
    return returned, created


OBJECT_TYPES = {Order: "order", Payment: "payment", OrderReturn: "order_return"}  # as the audit log names them


def _store_once(session: Session, model, key: str, values: dict, source: str | None, action: str,
                actor: Actor | None):
    """Return (the stored row with values[key], False) if the same values are stored, else add it: (row, True).

    The same key with other values is a Conflict (_same_or_conflict): the ERP resends, it does not overwrite.
    """
    existing = session.scalar(select(model).where(getattr(model, key) == values[key]))
    if existing is not None and _same_or_conflict(existing, values, key):
        return existing, False
    row = model(source=source, **values)
    session.add(row)
    session.flush()
    record(session, action, actor=actor, object_type=OBJECT_TYPES[model], object_id=row.id,
           changes={name: [None, _json(value)] for name, value in values.items() if value is not None})
    return row, True


def _json(value):
    return value.isoformat() if isinstance(value, date) else value


@dataclass
class Listing:
    """A page of a company's orders, payments or returns, newest recorded first, with its totals."""
    rows: list
    totals: dict | None  # None for behaviour events
    next_before_id: int | None


def _listing(session: Session, model, company_id: int, actor: Actor | None, limit: int,
             before_id: int | None) -> Listing:
    get_company(session, company_id, actor=actor)
    limit = min(max(limit, 1), MAX_PAGE)
    query = select(model).where(model.company_id == company_id)
    if before_id is not None:
        query = query.where(model.id < before_id)
    rows = list(session.scalars(query.order_by(model.id.desc()).limit(limit)))
    if model is not Order:
        _with_order_numbers(session, rows)
    return Listing(rows, totals(session, company_id), rows[-1].id if len(rows) == limit else None)


def _with_order_numbers(session: Session, rows: list) -> None:
    # Shown beside each payment or return; a plain attribute, no column: the ERP's number is the order's.
    numbers = order_numbers(session, [row.order_id for row in rows])
    for row in rows:
        row.order_number = numbers.get(row.order_id)


def list_orders(session: Session, company_id: int, *, actor: Actor | None = None, limit: int = 100,
                before_id: int | None = None) -> Listing:
    """Return a page of the company's orders, newest recorded first; `before_id` pages on."""
    return _listing(session, Order, company_id, actor, limit, before_id)


def list_payments(session: Session, company_id: int, *, actor: Actor | None = None, limit: int = 100,
                  before_id: int | None = None) -> Listing:
    """Return a page of the company's payments and refunds, newest recorded first."""
    return _listing(session, Payment, company_id, actor, limit, before_id)


def list_returns(session: Session, company_id: int, *, actor: Actor | None = None, limit: int = 100,
                 before_id: int | None = None) -> Listing:
    """Return a page of the company's returns, newest recorded first."""
    return _listing(session, OrderReturn, company_id, actor, limit, before_id)


def order_numbers(session: Session, order_ids) -> dict[int, str]:
    """Return {order id: number} for the ids given (None dropped)."""
    ids = sorted({i for i in order_ids if i is not None})
    if not ids:
        return {}
    return dict(session.execute(_ORDER_NUMBERS, {"ids": ids}).all())


# Built once: the 360 view runs these on every call, and building a statement costs more than running it.
_REFUND = case((Payment.kind == "refund", Payment.amount), else_=0)
# One round trip for the three GROUP BYs, each still over its company's index range; rows tagged by table.
_SUMS = union_all(
    select(literal("payments"), Payment.currency, func.sum(Payment.amount) - func.sum(_REFUND), func.sum(_REFUND),
           func.count()).where(Payment.company_id == bindparam("company_id")).group_by(Payment.currency),
    select(literal("orders"), Order.currency, func.sum(case((Order.status != "cancelled", Order.amount), else_=0)),
           literal(0, BigInteger), func.count())
    .where(Order.company_id == bindparam("company_id")).group_by(Order.currency),
    select(literal("returns"), OrderReturn.currency, func.sum(OrderReturn.amount), literal(0, BigInteger),
           func.count()).where(OrderReturn.company_id == bindparam("company_id")).group_by(OrderReturn.currency))
_ORDER_NUMBERS = select(Order.id, Order.number).where(Order.id.in_(bindparam("ids", expanding=True)))


def totals(session: Session, company_id: int) -> dict[str, dict[str, int]]:
    """Return {currency: {ordered, paid, refunded, returned, outstanding}} of one company."""
    return totals_and_counts(session, company_id)[0]


def totals_and_counts(session: Session, company_id: int) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
    """Return the company's totals per currency and how many orders, payments and returns it has.

    Three GROUP BYs in one query, each over the company's range of its (company_id, date) index.
    """
    sums: dict[str, dict[str, int]] = {}
    counts = {"orders": 0, "payments": 0, "returns": 0}

    def add(code, key, value):
        sums.setdefault(code, dict.fromkeys(TOTAL_KEYS, 0))[key] += int(value or 0)

    for table, code, value, refunded, count in session.execute(_SUMS, {"company_id": company_id}):
        add(code, {"orders": "ordered", "payments": "paid", "returns": "returned"}[table], value)
        if table == "payments":
            add(code, "refunded", refunded)
        counts[table] += count
    for row in sums.values():
        row["outstanding"] = row["ordered"] - row["paid"] + row["refunded"] - row["returned"]
    return dict(sorted(sums.items())), counts
