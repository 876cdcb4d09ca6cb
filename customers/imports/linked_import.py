"""Importing what hangs off companies: contacts, relationships, orders, payments and behaviour events.

Each names its company by credit code, ERP code or exact name (base.Companies);
an ERP code no company has yet makes that company. A contact is matched within
its company by email, then mobile, then name; an order by number, a payment by
reference, a relationship by (from, to, kind, valid_from), an event by (source, id).
"""
from __future__ import annotations

from datetime import datetime
from functools import partial

from sqlalchemy import bindparam, func, insert, or_, select, update

from .. import checks
from ..models import (CHANNELS, COMPANY_LINK_KINDS, FULL_SHARE_PPM, ORDER_STATUSES, PAYMENT_KINDS,
                      BehaviourEvent, CompanyLink, Contact, Order, Payment)
from . import values as v
from .base import Field, Row, among, as_dicts, chunks
from .company_import import KEYS_READ_FROM_ROWS

CONTACTS, LINKS, ORDERS, PAYMENTS, EVENTS = (m.__table__ for m in (Contact, CompanyLink, Order, Payment,
                                                                  BehaviourEvent))
LINK_WORDS = {"股东": "shareholder", "持股": "shareholder", "供应商": "supplier", "客户": "customer",
              "合作伙伴": "partner", "伙伴": "partner", "竞争对手": "competitor"}
STATUS_WORDS = {"待处理": "open", "新建": "open", "已确认": "confirmed", "已发货": "shipped", "已完成": "completed",
                "完成": "completed", "已取消": "cancelled", "取消": "cancelled"}
PAYMENT_WORDS = {"付款": "payment", "回款": "payment", "收款": "payment", "退款": "refund"}
CHANNEL_WORDS = {"邮件": "email", "电话": "phone", "短信": "sms", "微信": "wechat", "拜访": "visit"}


_CURRENCY = Field("currency", parse=partial(v.checked, check=checks.currency), default="CNY")


def _amount(cell, values: dict, column, allow_zero: bool = True) -> int:
    return v.amount(cell, values["currency"] or "CNY", allow_zero=allow_zero)


class LinkedImport:
    """The shared walk: parse a row, check its keys are unique in the file, resolve companies, write a batch."""

    table = None
    fields: tuple[Field, ...] = ()
    key_fields: tuple[str, ...] = ()
    compared: tuple[str, ...] = ()

    def __init__(self, session, companies, report, owner_id):
        self.session, self.companies, self.report, self.owner_id = session, companies, report, owner_id
        self.seen: dict = {}

    @staticmethod
    def complete(row: Row) -> dict | None:
        """Return the row's values, once its fields are read, or None if it has problems."""
        return None if row.problems else row.values

    def unique(self, row: Row, values: dict) -> bool:
        for field, key in self.unique_keys(values):
            first = self.seen.setdefault((field, key), row.line)
            self.report.check("uniqueness", field, first == row.line)
            if first != row.line:
                row.problem(field, "uniqueness", f"{key[-1] if isinstance(key, tuple) else key} is on row "
                                                 f"{first} already", count=False)
        return not row.problems

    def unique_keys(self, values):
        return [(field, values[field]) for field in self.key_fields if values.get(field) is not None]

    def company(self, row: Row, field: str, ref: str | None) -> int | None:
        if ref is None:
            return None
        company_id = self.companies.find(ref)
        self.report.check("consistency", field, company_id is not None)
        if company_id is None:
            row.problem(field, "consistency", f"no company {ref!r} (by credit code, ERP code or exact name)",
                        count=False)
        return company_id

    def write(self, batch) -> None:
        self.companies.prefetch(ref for _, values in batch for ref in self.refs(values))
        stored = self.stored(batch)
        new, changed = [], []
        for row, values in batch:
            record = self.resolve(row, values)
            match = None if row.problems else self.match(record, stored)
            if not row.problems:
                self.consistent(row, record, match)
            if row.reject():
                continue
            if match is None:
                new.append(record)
                self.report.outcome("created")
            elif any(record[c] != match[c] for c in self.compared):
                changed.append({**{c: record[c] for c in self.compared}, "b_id": match["id"]})
                self.report.outcome("updated")
            else:
                self.report.outcome("unchanged")
        if new:
            self.session.execute(insert(self.table), new)
            self.wrote(new)
        if changed:
            self.session.execute(update(self.table).where(self.table.c.id == bindparam("b_id"))
                                 .values({c: bindparam(c) for c in self.compared}), changed)

    def refs(self, values):
        return [values.get("company")]

    def wrote(self, records: list[dict]) -> None:
        """Note what a batch inserted."""

    def consistent(self, row: Row, record: dict, match: dict | None) -> None:
        """Add the row's problems against what is stored and what the file added so far."""

    def finish(self) -> None:
        """Nothing to do once every batch is in."""


CONTACTS_READ_UP_TO = 1_000_000


class ContactImport(LinkedImport):
    table = CONTACTS
    with_contacts: set | bool | None = None  # the ids of the companies with contacts, False: too many to hold
    compared = ("name", "title", "department", "email", "mobile", "wechat_id", "preferred_channel")

    fields = (Field("company", 255, required=True), Field("name", 120, required=True), Field("title", 120),
              Field("department", 120), Field("email", parse=partial(v.checked, check=checks.email)),
              Field("mobile", parse=v.phone), Field("wechat_id", 64),
              Field("preferred_channel", parse=partial(v.choice, choices=CHANNELS, words=CHANNEL_WORDS)))

    def wrote(self, records):
        if isinstance(self.with_contacts, set):
            self.with_contacts.update(record["company_id"] for record in records)

    def unique_keys(self, values):
        # A contact's key within its company, as match() reads it: two rows with one key would be one contact.
        field = next(f for f in ("email", "mobile", "name") if values.get(f))
        return [(field, (values["company"], values[field]))]

    def resolve(self, row, values):
        company_id = self.company(row, "company", values["company"])
        return {"company_id": company_id, **{c: values[c] for c in self.compared}}

    def stored(self, batch) -> dict:
        ids = {self.companies.by_ref.get(values["company"]) for _, values in batch} - {None}
        if self.with_contacts is None:  # at the first batch
            # As for companies (company_import.KEYS_READ_UP_TO): the companies that have contacts, read once,
            # so that a batch of new companies' first contacts looks nothing up.
            few = len(batch) >= KEYS_READ_FROM_ROWS and \
                self.session.scalar(select(func.count()).select_from(CONTACTS)) <= CONTACTS_READ_UP_TO
            self.with_contacts = set(self.session.scalars(select(CONTACTS.c.company_id).distinct())) if few \
                else False
        if self.with_contacts is not False:
            ids &= self.with_contacts
        found = {}
        columns = [CONTACTS.c.id, CONTACTS.c.company_id, *(CONTACTS.c[c] for c in self.compared)]
        for part in chunks(ids):
            for contact in as_dicts(self.session.execute(
                    select(*columns).where(among(self.session, CONTACTS.c.company_id, part)))):
                for field in ("email", "mobile", "name"):
                    if contact[field]:
                        found.setdefault((contact["company_id"], field, contact[field]), contact)
        return found

    def match(self, record, stored):
        if not stored:
            return None  # a company's first contacts
        for field in ("email", "mobile", "name"):
            if record.get(field):
                found = stored.get((record["company_id"], field, record[field]))
                if found is not None:
                    return found
        return None


class OrderImport(LinkedImport):
    table, key_fields = ORDERS, ("number",)
    compared = ("company_id", "ordered_on", "amount", "currency", "status")

    fields = (_CURRENCY, Field("company", 255, required=True), Field("number", 64, required=True),
              Field("ordered_on", parse=v.day, required=True), Field("amount", parse=_amount, required=True,
                                                                      contextual=True),
              Field("status", parse=partial(v.choice, choices=ORDER_STATUSES, words=STATUS_WORDS), default="open"))

    def resolve(self, row, values):
        return {"company_id": self.company(row, "company", values["company"]), "number": values["number"],
                **{c: values[c] for c in self.compared if c != "company_id"}, "source": "import"}

    def stored(self, batch):
        return _by_key(self.session, ORDERS, ORDERS.c.number, [values["number"] for _, values in batch],
                       self.compared)

    def match(self, record, stored):
        return stored.get(record["number"])


class PaymentImport(LinkedImport):
    table, key_fields = PAYMENTS, ("reference",)
    compared = ("company_id", "order_id", "kind", "paid_on", "amount", "currency")

    fields = (_CURRENCY, Field("company", 255, required=True), Field("reference", 64, required=True),
              Field("paid_on", parse=v.day, required=True),
              Field("amount", parse=partial(_amount, allow_zero=False), required=True, contextual=True),
              Field("kind", parse=partial(v.choice, choices=PAYMENT_KINDS, words=PAYMENT_WORDS), default="payment"),
              Field("order", 64))

    def resolve(self, row, values):
        company_id = self.company(row, "company", values["company"])
        order_id = None
        if values["order"]:
            order = self.orders.get(values["order"])
            self.report.check("consistency", "order", order is not None and order.company_id == company_id)
            if order is None or order.company_id != company_id:
                row.problem("order", "consistency", f"no order {values['order']} of this company", count=False)
            order_id = order and order.id
        return {"company_id": company_id, "order_id": order_id, "reference": values["reference"],
                **{c: values[c] for c in ("kind", "paid_on", "amount", "currency")}, "source": "import"}

    def stored(self, batch):
        self.orders = {}
        numbers = {values["order"] for _, values in batch if values["order"]}
        for part in chunks(numbers):
            for order in self.session.execute(select(ORDERS.c.id, ORDERS.c.company_id, ORDERS.c.number)
                                              .where(among(self.session, ORDERS.c.number, part))):
                self.orders[order.number] = order
        return _by_key(self.session, PAYMENTS, PAYMENTS.c.reference, [values["reference"] for _, values in batch],
                       self.compared)

    def match(self, record, stored):
        return stored.get(record["reference"])


class EventImport(LinkedImport):
    table = EVENTS
    compared = ("company_id", "contact_id", "type", "occurred_at")

    fields = (Field("company", 255), Field("contact_email", parse=partial(v.checked, check=checks.email)),
              Field("id", 120, required=True), Field("type", 40, required=True),
              Field("occurred_at", parse=v.moment, required=True), Field("source", 80, default="import"))

    @staticmethod
    def complete(row: Row):
        values = row.values
        if values["company"] is None and values["contact_email"] is None and not row.problems:
            row.problem("company", "completeness", "names neither a company nor a contact_email")
        return None if row.problems else values

    def unique_keys(self, values):
        return [("id", (values["source"], values["id"]))]

    def resolve(self, row, values):
        company_id = self.company(row, "company", values["company"])
        contact_id = None
        if values["contact_email"]:
            contact = self.contacts.get(values["contact_email"])
            self.report.check("consistency", "contact_email", contact is not None)
            if contact is None:
                row.problem("contact_email", "consistency", f"no contact {values['contact_email']}", count=False)
            else:
                contact_id, company_id = contact.id, company_id or contact.company_id
        return {"source": values["source"], "external_id": values["id"], "company_id": company_id,
                "contact_id": contact_id, "type": values["type"], "occurred_at": values["occurred_at"],
                "properties": None, "received_at": datetime.now(checks.BEIJING)}

    def stored(self, batch):
        self.contacts = {}  # email -> the first contact with it
        emails = {values["contact_email"] for _, values in batch if values["contact_email"]}
        for part in chunks(emails):
            for contact in self.session.execute(select(CONTACTS.c.id, CONTACTS.c.company_id, CONTACTS.c.email)
                                                .where(among(self.session, CONTACTS.c.email, part)).order_by(CONTACTS.c.id)):
                self.contacts.setdefault(contact.email, contact)
        pairs = [(values["source"], values["id"]) for _, values in batch]
        found = {}
        columns = [EVENTS.c.id, EVENTS.c.source, EVENTS.c.external_id, *(EVENTS.c[c] for c in self.compared)]
        for part in chunks(pairs, 400):
            condition = or_(*((EVENTS.c.source == s) & (EVENTS.c.external_id == e) for s, e in part))
            for event in self.session.execute(select(*columns).where(condition)).mappings():
                found[event["source"], event["external_id"]] = dict(event)
        return found

    def match(self, record, stored):
        return stored.get((record["source"], record["external_id"]))


class RelationshipImport(LinkedImport):
    table = LINKS
    compared = ("share_ppm", "valid_to", "source")

    def __init__(self, *args):
        super().__init__(*args)
        self.held: dict[int, int] = {}  # company id -> current shareholding in ppm, the file's rows included
        self.today = datetime.now(checks.BEIJING).date()

    fields = (Field("kind", parse=partial(v.choice, choices=COMPANY_LINK_KINDS, words=LINK_WORDS), required=True),
              Field("from", 255, required=True), Field("to", 255, required=True), Field("percent", parse=v.share_ppm),
              Field("valid_from", parse=v.day), Field("valid_to", parse=v.day), Field("source", 120, default="import"))

    @staticmethod
    def complete(row: Row):
        values = row.values
        if values["kind"] == "shareholder":
            row.require("percent")
        if values["valid_from"] and values["valid_to"] and values["valid_to"] < values["valid_from"]:
            row.problem("valid_to", "consistency", "is before valid_from")
        if row.problems:
            return None
        values["share_ppm"] = values.pop("percent") if values["kind"] == "shareholder" else None
        return values

    def unique_keys(self, values):
        return [("to", (values["kind"], values["from"], values["to"], values["valid_from"]))]

    def refs(self, values):
        return [values["from"], values["to"]]

    def resolve(self, row, values):
        record = {"kind": values["kind"], "from_company_id": self.company(row, "from", values["from"]),
                  "to_company_id": self.company(row, "to", values["to"]),
                  **{c: values[c] for c in ("share_ppm", "valid_from", "valid_to", "source")}}
        if record["from_company_id"] is not None and record["from_company_id"] == record["to_company_id"]:
            row.problem("to", "consistency", "a company cannot be linked to itself")
        return record

    def stored(self, batch):
        ids = {self.companies.by_ref.get(values["to"]) for _, values in batch} - {None}
        found = {}
        columns = [LINKS.c.id, LINKS.c.kind, LINKS.c.from_company_id, LINKS.c.to_company_id, LINKS.c.valid_from,
                   *(LINKS.c[c] for c in self.compared)]
        for part in chunks(ids):
            for link in self.session.execute(select(*columns).where(among(self.session, LINKS.c.to_company_id, part))).mappings():
                found[self._key(link)] = dict(link)
        # What the table held before this file; the file's own rows are added as they are accepted.
        for link in found.values():
            if link["to_company_id"] not in self.held:
                self.held[link["to_company_id"]] = sum(
                    other["share_ppm"] for other in found.values() if other["kind"] == "shareholder"
                    and other["to_company_id"] == link["to_company_id"] and _current(other, self.today))
        return found

    @staticmethod
    def _key(link):
        return (link["kind"], link["from_company_id"], link["to_company_id"], link["valid_from"])

    def match(self, record, stored):
        return stored.get(self._key(record))

    def consistent(self, row, record, match):
        if record["kind"] != "shareholder":
            return
        to = record["to_company_id"]
        before = match["share_ppm"] if match and _current(match, self.today) else 0
        total = self.held.get(to, 0) - before + (record["share_ppm"] if _current(record, self.today) else 0)
        self.report.check("consistency", "percent", total <= FULL_SHARE_PPM)
        if total > FULL_SHARE_PPM:
            row.problem("percent", "consistency", f"the current shareholders of {row.values['to']} would hold "
                                                  f"{total / 10_000:g} % together, over 100 %", count=False)
        else:
            self.held[to] = total


def _current(link, today) -> bool:
    return (link["valid_from"] is None or link["valid_from"] <= today) and \
        (link["valid_to"] is None or link["valid_to"] >= today)


def _by_key(session, table, column, keys, compared) -> dict:
    found = {}
    for part in chunks(set(keys)):
        for stored in as_dicts(session.execute(select(table.c.id, column, *(table.c[c] for c in compared))
                                               .where(among(session, column, part)))):
            found[stored[column.name]] = stored
    return found
