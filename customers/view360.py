"""The 360° view of one company: profile, group, contacts, money, behaviour and one timeline of everything.

Deals, tenders and contracts are other packages' (customers imports none of
them): each registers a section builder here, as crm does from
crm/customer_sections.py. The timeline is merged from sources each read by its
(company_id, time) index: every source gives its newest PAGE + 1 items before
the cursor, and the merge keeps PAGE; so a page costs the same in a database of
ten thousand events as in one of a million.
"""
from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import ColumnElement, Date, Select, and_, bindparam, case, false, func, or_, select
from sqlalchemy.orm import Session, lazyload

from accounts.permissions import Actor
from core.db import utcnow
from core.errors import InvalidInput

from . import checks, control, transactions
from .companies import MAX_DEPTH, get_company, subsidiary_ids
from .models import BehaviourEvent, Company, CompanyAlias, Contact, Order, OrderReturn, Payment

PAGE = 50
LATEST = 5  # orders, payments and returns shown beside their counts
MAX_CONTACTS = 200
MAX_TYPES = 50


@dataclass(frozen=True)
class Cursor:
    """Where a timeline page ends: items strictly older than (at, source, id) in that order come next."""
    at: datetime
    source: str
    id: int

    def encode(self) -> str:
        raw = json.dumps([self.at.isoformat(), self.source, self.id], separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        try:
            at, source, key = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
            moment = datetime.fromisoformat(at)
            # Within what the columns hold and date arithmetic survives (a forged cursor is a 422, not a 500).
            if not isinstance(source, str) or isinstance(key, bool) or not isinstance(key, int) \
                    or not 0 <= key <= 2**31 - 1 or moment.tzinfo is None or not 1900 <= moment.year <= 9000:
                raise ValueError
            return cls(moment, source, key)
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
            raise checks.invalid("before", "not a cursor this view gave (timeline.next_before)") from None


@dataclass(frozen=True)
class TimelineItem:
    """One thing that happened; `source` names the query it came from and orders ties."""
    at: datetime
    source: str
    id: int
    kind: str
    title: str
    ref: dict

    def as_json(self) -> dict:
        return {"at": self.at.isoformat(), "kind": self.kind, "title": self.title, "ref": self.ref}


@dataclass(frozen=True)
class Window:
    """The timeline page asked for: the cursor (None: the newest) and how many items each source gives."""
    before: Cursor | None
    limit: int = PAGE + 1

    def admits(self, at: datetime, source: str, key: int) -> bool:
        """Tell whether an item already loaded belongs after the cursor (a source small enough to load whole)."""
        return self.before is None or (at, source, key) < (self.before.at, self.before.source, self.before.id)

    def newest(self, items: list[TimelineItem]) -> list[TimelineItem]:
        """Return the items of a loaded source that come after the cursor, at most `limit` of the newest."""
        kept = sorted((i for i in items if self.admits(i.at, i.source, i.id)),
                      key=lambda i: (i.at, i.source, i.id), reverse=True)
        return kept[:self.limit]

    def shape(self, source: str, dated: bool) -> tuple | None:
        """Return which form of "older than the cursor" a source needs (None: no cursor)."""
        cursor = self.before
        if cursor is None:
            return None
        # At the cursor's time, a source that sorts before the cursor's comes after it: older.
        relation = "at_or_before" if source < cursor.source else "before" if source > cursor.source else "tie"
        midnight = cursor.at.astimezone(timezone.utc).time() == time(0)
        return relation, dated and midnight

    def params(self) -> dict:
        """Return the values of the bind parameters in `older_than`."""
        if self.before is None:
            return {}
        at = self.before.at.astimezone(timezone.utc)
        midnight = at.time() == time(0)
        return {"cursor_at": at, "cursor_day": at.date(),
                "cursor_day_bound": at.date() if midnight else at.date() + timedelta(days=1),
                "cursor_id": self.before.id}


def older_than(shape: tuple, column, id_column) -> ColumnElement[bool]:
    """Return the condition, with bind parameters (Window.params), on a source's (time, id) for `shape`.

    A dated source (orders by ordered_on) stands at 00:00 UTC of its date: before a
    cursor time means before its date, or on it when the cursor is later that day.
    """
    relation, midnight = shape
    if isinstance(column.type, Date):
        earlier = column < bindparam("cursor_day_bound")
        same = column == bindparam("cursor_day") if midnight else false()
    else:
        earlier, same = column < bindparam("cursor_at"), column == bindparam("cursor_at")
    if relation == "at_or_before":
        return or_(earlier, same)
    if relation == "before":
        return earlier
    return or_(earlier, and_(same, id_column < bindparam("cursor_id")))


ZERO_DECIMAL = {"JPY", "KRW", "VND", "IDR"}  # currencies whose minor unit is the unit itself


def money_text(amount: int, currency: str) -> str:
    """Return an amount in minor units as people read it: 1,250.00 CNY."""
    if currency in ZERO_DECIMAL:
        return f"{amount:,} {currency}"
    return f"{amount // 100:,}.{amount % 100:02d} {currency}"


def day_start(value: date) -> datetime:
    """Return the time a dated record (an order, a payment) stands at in the timeline: 00:00 UTC that day."""
    return datetime.combine(value, time(0), tzinfo=timezone.utc)


# (session, company_id, actor, window) -> ({top-level key: JSON}, timeline items). A section may also
# return "contact_roles": {contact id: [role, ...]}, which goes into the contacts.
SectionBuilder = Callable[[Session, int, Actor | None, Window], tuple[dict, list[TimelineItem]]]
SECTIONS: dict[str, SectionBuilder] = {}


def register_section(name: str, builder: SectionBuilder) -> None:
    """Add (or replace) the section builder called `name`, as another package registers its records."""
    SECTIONS[name] = builder


def view(session: Session, company_id: int, *, actor: Actor | None = None, before: str | None = None) -> dict:
    """Return the 360° view of a company `actor` sees (NotFound otherwise); `before` pages the timeline.

    "company" is the Company row (the web layer renders its fields) and its "aliases"
    and "quality_flags"; everything else is JSON as it is.
    """
    company = get_company(session, company_id, actor=actor)
    window = Window(Cursor.decode(before) if before else None)
    items = _own_timeline(session, company, window)
    result = {"company": company, "aliases": _aliases(session, company_id),
              "quality_flags": quality_flags(company), "group": _group(session, company),
              "control": control.control(session, company_id, actor, seen=True),
              "contacts": _contacts(session, company_id),
              "deals": {"open": [], "won": [], "lost": []}, "tenders": [], "contracts": []}
    roles: dict[int, list] = {}
    for builder in SECTIONS.values():
        sections, more = builder(session, company_id, actor, window)
        for contact_id, found in sections.pop("contact_roles", {}).items():
            roles.setdefault(contact_id, []).extend(found)
        result.update(sections)
        items.extend(more)
    for contact in result["contacts"]:
        contact["roles"] = roles.get(contact["id"], [])
    result.update(_money(session, company_id))
    result["behaviour"] = behaviour(session, company_id)
    result["timeline"] = _page(items)
    return result


def _page(items: list[TimelineItem]) -> dict:
    items.sort(key=lambda i: (i.at, i.source, i.id), reverse=True)
    page = items[:PAGE]
    more = len(items) > PAGE
    return {"items": [i.as_json() for i in page],
            "next_before": Cursor(page[-1].at, page[-1].source, page[-1].id).encode() if more else None}


_ALIASES = (select(CompanyAlias.name).where(CompanyAlias.company_id == bindparam("company_id"))
            .order_by(CompanyAlias.id).limit(100))
_HAS_SUBSIDIARY = select(Company.id).where(Company.parent_id == bindparam("company_id")).limit(1)
_CONTACTS = (select(Contact).options(lazyload(Contact.company)).where(Contact.company_id == bindparam("company_id"))
             .order_by(Contact.name, Contact.id).limit(MAX_CONTACTS))
_LATEST = {model: select(model).where(model.company_id == bindparam("company_id"))
           .order_by(when.desc(), model.id.desc()).limit(LATEST)
           for model, when in ((Order, Order.ordered_on), (Payment, Payment.paid_on),
                               (OrderReturn, OrderReturn.returned_on))}
_BEHAVIOUR = (select(BehaviourEvent.type, func.count(),
                     func.sum(case((BehaviourEvent.occurred_at >= bindparam("since"), 1), else_=0)),
                     func.max(BehaviourEvent.occurred_at))
              .where(BehaviourEvent.company_id == bindparam("company_id")).group_by(BehaviourEvent.type))


def _aliases(session: Session, company_id: int) -> list[str]:
    return list(session.scalars(_ALIASES, {"company_id": company_id}))


def quality_flags(company: Company) -> list[dict]:
    """Return what is missing or invalid in a company's master data, as [{"field", "problem", "message"}]."""
    flags = []
    for name in ("credit_code", "industry_division", "province", "city"):
        if not getattr(company, name):
            flags.append({"field": name, "problem": "missing", "message": f"no {name.replace('_', ' ')}"})
    if not company.phone and not company.email:
        flags.append({"field": "phone_or_email", "problem": "missing", "message": "no phone and no email"})
    # Rows from before the checks (or from an old import) may hold what they would refuse today.
    stored_checks = (("credit_code", checks.credit_code), ("phone", checks.phone), ("email", checks.email),
                     ("website", checks.website),
                     ("industry_division", lambda v: checks.industry(company.industry_section, v)))
    for name, check in stored_checks:
        value = getattr(company, name)
        if value:
            try:
                check(value)
            except InvalidInput as error:
                flags.append({"field": name, "problem": "invalid", "message": error.problems[0]["message"]})
    return flags


def _group(session: Session, company: Company) -> dict:
    parents, seen, parent = [], {company.id}, company.parent
    while parent is not None and parent.id not in seen and len(parents) < MAX_DEPTH:
        parents.insert(0, {"id": parent.id, "name": parent.name})
        seen.add(parent.id)
        parent = parent.parent
    # Most companies head no group: one indexed probe spares them the recursive walk.
    if session.execute(_HAS_SUBSIDIARY, {"company_id": company.id}).first() is None:
        return {"parents": parents, "subsidiary_count": 0}
    return {"parents": parents, "subsidiary_count": len(subsidiary_ids(session, company.id)) - 1}


def _contacts(session: Session, company_id: int) -> list[dict]:
    contacts = session.scalars(_CONTACTS, {"company_id": company_id})
    return [{"id": c.id, "name": c.name, "title": c.title, "department": c.department, "email": c.email,
             "mobile": c.mobile, "wechat_id": c.wechat_id, "preferred_channel": c.preferred_channel,
             "consents": {channel: {"granted": row.granted, "source": row.source,
                                    "recorded_at": row.recorded_at.isoformat()}
                          for channel, row in c.current_consents.items()}}
            for c in contacts]


def _money(session: Session, company_id: int) -> dict:
    orders, payments, returns = (list(session.scalars(_LATEST[model], {"company_id": company_id}))
                                 for model in (Order, Payment, OrderReturn))
    numbers = transactions.order_numbers(session, [r.order_id for r in (*payments, *returns)])
    totals, counts = transactions.totals_and_counts(session, company_id)
    return {
        "orders": {"count": counts["orders"], "latest": [
            {"id": o.id, "number": o.number, "ordered_on": o.ordered_on.isoformat(), "amount": o.amount,
             "currency": o.currency, "status": o.status} for o in orders]},
        "payments": {"count": counts["payments"], "latest": [
            {"id": p.id, "reference": p.reference, "kind": p.kind, "paid_on": p.paid_on.isoformat(),
             "amount": p.amount, "currency": p.currency, "order_number": numbers.get(p.order_id)}
            for p in payments]},
        "returns": {"count": counts["returns"], "latest": [
            {"id": r.id, "reference": r.reference, "returned_on": r.returned_on.isoformat(), "amount": r.amount,
             "currency": r.currency, "reason": r.reason, "order_number": numbers.get(r.order_id)}
            for r in returns]},
        "totals": totals,
    }


def behaviour(session: Session, company_id: int) -> dict:
    """Return {total, last_30_days, last_at, by_type} of a company's events: one GROUP BY on its index range."""
    rows = session.execute(_BEHAVIOUR, {"company_id": company_id, "since": utcnow() - timedelta(days=30)}).all()
    last = max((row[3] for row in rows), default=None)
    if isinstance(last, str):  # SQLite hands MAX() of a timestamp back as text
        last = datetime.fromisoformat(last)
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=timezone.utc)
    by_type = sorted(((row[0], row[1]) for row in rows), key=lambda pair: (-pair[1], pair[0]))
    return {"total": sum(row[1] for row in rows), "last_30_days": sum(int(row[2] or 0) for row in rows),
            "last_at": last.isoformat() if last else None, "by_type": dict(by_type[:MAX_TYPES])}


def _own_timeline(session: Session, company: Company, window: Window) -> list[TimelineItem]:
    """Return the newest items before the cursor of each of customers' own sources."""
    items = []
    if window.admits(company.created_at, "company", company.id):
        items.append(TimelineItem(company.created_at, "company", company.id, "company", "company created",
                                  {"type": "company", "id": company.id}))
    for key, on, number, amount, currency, status in _top(
            session, Order, Order.ordered_on, "order", company.id, window,
            Order.number, Order.amount, Order.currency, Order.status):
        items.append(TimelineItem(day_start(on), "order", key, "order",
                                  f"order {number}: {money_text(amount, currency)} ({status})",
                                  {"type": "order", "id": key}))
    for key, on, kind, reference, amount, currency in _top(
            session, Payment, Payment.paid_on, "payment", company.id, window,
            Payment.kind, Payment.reference, Payment.amount, Payment.currency):
        items.append(TimelineItem(day_start(on), "payment", key, kind,
                                  f"{kind} {reference}: {money_text(amount, currency)}",
                                  {"type": "payment", "id": key}))
    for key, on, reference, amount, currency in _top(
            session, OrderReturn, OrderReturn.returned_on, "return", company.id, window,
            OrderReturn.reference, OrderReturn.amount, OrderReturn.currency):
        items.append(TimelineItem(day_start(on), "return", key, "return",
                                  f"return {reference}: {money_text(amount, currency)}",
                                  {"type": "return", "id": key}))
    for key, at, kind in _top(session, BehaviourEvent, BehaviourEvent.occurred_at, "event", company.id, window,
                              BehaviourEvent.type):
        items.append(TimelineItem(at, "event", key, "event", kind, {"type": "event", "id": key}))
    return items


_TOP: dict[tuple, Select] = {}  # built once per source and cursor shape: building costs more than running


def _top(session: Session, model, when, source: str, company_id: int, window: Window, *columns) -> list:
    """Return (id, time, *columns) of a source's newest rows before the cursor, read along its index."""
    shape = window.shape(source, isinstance(when.type, Date))
    key = (source, shape, window.limit)
    statement = _TOP.get(key)
    if statement is None:
        statement = select(model.id, when, *columns).where(model.company_id == bindparam("company_id"))
        if shape is not None:
            statement = statement.where(older_than(shape, when, model.id))
        statement = _TOP[key] = statement.order_by(when.desc(), model.id.desc()).limit(window.limit)
    return session.execute(statement, {"company_id": company_id, **window.params()}).all()
