"""Behaviour events in batches of JSON lines: web visits, trial logs, campaign replies, any type.

One JSON object per line:

    {"id": "evt-1", "type": "web_visit", "occurred_at": "2026-12-01T08:00:00+08:00",
     "company_id": 7 | "company": "<credit code, ERP code or exact name>",
     "contact_id": 3 | "contact_email": "li@example.cn", "properties": {...}}

An event is stored once per (source, id), where the source is the sender (the
token's user name): a line repeating a stored event, or an earlier line of the
same batch, counts as a duplicate, so a sender may resend a batch after a
timeout. A bad line is reported with its number and field and skipped; the good
lines are stored in the same transaction. A body with no JSON object on any
line is refused as a whole. One audit entry per batch, with its counts.
"""
from __future__ import annotations

import json
import math
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone

from sqlalchemy import DateTime, Integer, String, Text, and_, bindparam, func, or_, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from accounts.permissions import Actor, require
from core.audit import record
from core.db import is_postgresql, utcnow
from core.errors import InvalidInput, TooLarge

from . import visibility
from .companies import get_company
from .models import BehaviourEvent, Company, CompanyExternalKey, Contact
from .transactions import MAX_PAGE, Listing

MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_LINES = 10_000
MAX_TYPE_LENGTH = 40
MAX_ID_LENGTH = 120
MAX_PROPERTIES_BYTES = 8 * 1024
MAX_PROPERTIES_DEPTH = 5
EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)
CLOCK_SKEW = timedelta(days=1)  # a sender's clock may run ahead; beyond that the time is wrong
CHUNK = 1000  # ids per IN list and rows per INSERT statement


class _Bad(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


def ingest(session: Session, lines: bytes | Iterable[str | bytes], *, source: str,
           actor: Actor | None = None) -> dict:
    """Store a batch of behaviour events; return {"accepted", "duplicates", "rejected": [{line, field, message}]}.

    Raises:
        TooLarge: a body over 5 MB or over 10,000 lines.
        InvalidInput: no line of the body is a JSON object.
    """
    require(actor, "events.write")
    parsed, rejected = [], []
    for number, line in enumerate(_lines(lines), start=1):
        if not line.strip():
            continue
        if number > MAX_LINES:
            raise TooLarge(f"at most {MAX_LINES} lines per batch", [{"field": "body",
                                                                      "message": f"over {MAX_LINES} lines"}])
        try:
            item = json.loads(line)
        except (ValueError, RecursionError):
            rejected.append({"line": number, "field": "line", "message": "not a JSON object"})
            continue
        if not isinstance(item, dict):
            rejected.append({"line": number, "field": "line", "message": "not a JSON object"})
            continue
        parsed.append((number, item))
    if not parsed:
        raise InvalidInput("the body is not JSON lines: one JSON object per line",
                           [{"field": "body", "message": "no line is a JSON object"}])
    rows, duplicates = _checked_rows(session, parsed, source[:80], actor, rejected)
    stored = _insert_new(session, rows)
    duplicates += len(rows) - stored
    rejected.sort(key=lambda r: r["line"])
    counts = {"accepted": stored, "duplicates": duplicates, "rejected": len(rejected)}
    record(session, "events.ingested", actor=actor, object_type="event_batch",
           detail={"source": source, **counts, "first_rejections": rejected[:20]})
    return {"accepted": stored, "duplicates": duplicates, "rejected": rejected}


def _lines(lines):
    if isinstance(lines, (bytes, bytearray)):
        if len(lines) > MAX_BODY_BYTES:
            raise TooLarge(f"a batch is at most {MAX_BODY_BYTES // (1024 * 1024)} MB",
                           [{"field": "body", "message": "too large"}])
        try:
            text = bytes(lines).decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise InvalidInput("the body is not UTF-8", [{"field": "body", "message": str(error)}]) from None
        yield from text.split("\n")
        return
    for line in lines:
        yield line.decode("utf-8", "replace") if isinstance(line, (bytes, bytearray)) else line


def _checked_rows(session, parsed, source, actor, rejected) -> tuple[list[dict], int]:
    """Return the rows to insert and the number of in-batch repeats; bad lines go to `rejected`."""
    companies = _Companies(session, actor, parsed)
    rows, seen, repeats, now = [], set(), 0, utcnow()
    for number, item in parsed:
        try:
            row = _row(item, source, now, companies)
        except _Bad as bad:
            rejected.append({"line": number, "field": bad.field, "message": bad.message})
            continue
        if row["external_id"] in seen:
            repeats += 1
            continue
        seen.add(row["external_id"])
        rows.append(row)
    return rows, repeats


def _row(item: dict, source: str, now: datetime, companies: _Companies) -> dict:
    external_id = item.get("id")
    if isinstance(external_id, bool) or not isinstance(external_id, (str, int)) or not str(external_id).strip():
        raise _Bad("id", "the sender's event id (a string or an integer) is required")
    external_id = str(external_id).strip()
    if len(external_id) > MAX_ID_LENGTH:
        raise _Bad("id", f"at most {MAX_ID_LENGTH} characters")
    kind = item.get("type")
    if not isinstance(kind, str) or not kind.strip():
        raise _Bad("type", "required, such as web_visit")
    if len(kind.strip()) > MAX_TYPE_LENGTH:
        raise _Bad("type", f"at most {MAX_TYPE_LENGTH} characters")
    _text(external_id, "id")
    _text(kind, "type")
    company_id, contact_id = companies.resolve(item)
    return {"source": source, "external_id": external_id, "type": kind.strip(),
            "occurred_at": _occurred_at(item.get("occurred_at"), now), "company_id": company_id,
            "contact_id": contact_id, "properties": _properties(item.get("properties")), "received_at": now}


def _occurred_at(value, now: datetime) -> datetime:
    if not isinstance(value, str):
        raise _Bad("occurred_at", "required: an ISO 8601 time such as 2026-12-01T08:00:00+08:00")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _Bad("occurred_at", f"{value[:40]!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)  # documented: a time without offset is UTC
    moment = moment.astimezone(timezone.utc)
    if moment < EARLIEST:
        raise _Bad("occurred_at", f"before {EARLIEST.date().isoformat()}")
    if moment > now + CLOCK_SKEW:
        raise _Bad("occurred_at", "more than a day in the future")
    return moment


def _properties(value) -> dict | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _Bad("properties", "must be a JSON object")
    pending = [(value, 1)]
    while pending:
        node, depth = pending.pop()
        if isinstance(node, str):
            _text(node, "properties")
        elif isinstance(node, float) and not math.isfinite(node):
            raise _Bad("properties", "numbers must be finite")
        elif isinstance(node, (dict, list)):
            if depth > MAX_PROPERTIES_DEPTH:
                raise _Bad("properties", f"nested deeper than {MAX_PROPERTIES_DEPTH} levels")
            children = list(node.items()) if isinstance(node, dict) else [(None, v) for v in node]
            for key, child in children:
                if key is not None:
                    _text(key, "properties")
                pending.append((child, depth + 1))
    if len(json.dumps(value, ensure_ascii=False).encode()) > MAX_PROPERTIES_BYTES:
        raise _Bad("properties", f"at most {MAX_PROPERTIES_BYTES // 1024} KB as JSON")
    return value


def _text(value: str, field: str) -> None:
    # PostgreSQL keeps neither NUL nor a lone surrogate in text or JSON.
    if "\x00" in value or any("\ud800" <= c <= "\udfff" for c in value):
        raise _Bad(field, "invalid character (NUL or a lone surrogate)")


class _Companies:
    """The companies and contacts a batch names, looked up with a few IN queries for the whole batch."""

    def __init__(self, session: Session, actor: Actor | None, parsed):
        self.session, self.condition = session, visibility.company_filter(session, actor)
        items = [item for _, item in parsed]
        ids = {i["company_id"] for i in items if _is_id(i.get("company_id"))}
        names = {i["company"].strip() for i in items if isinstance(i.get("company"), str)}
        contact_ids = {i["contact_id"] for i in items if _is_id(i.get("contact_id"))}
        emails = {i["contact_email"].strip() for i in items if isinstance(i.get("contact_email"), str)}
        self.contacts = dict(self._rows(select(Contact.id, Contact.company_id), Contact.id, contact_ids))
        # The user part of an address is kept as entered: match without regard to case.
        self.by_email: dict[str, set[tuple[int, int]]] = {}
        for contact_id, company_id, email in self._rows(select(Contact.id, Contact.company_id, Contact.email),
                                                        func.lower(Contact.email), {e.lower() for e in emails}):
            self.by_email.setdefault(email.lower(), set()).add((contact_id, company_id))
        ids |= set(self.contacts.values()) | {c for pairs in self.by_email.values() for _, c in pairs}
        self.visible = {company_id for company_id, in self._rows(self._visible(select(Company.id)), Company.id,
                                                                  ids)}
        self.by_ref: dict[str, int] = {}
        for column, refs in ((Company.name, names), (Company.credit_code, {n.upper() for n in names})):
            for company_id, ref in self._rows(self._visible(select(Company.id, column)), column, refs):
                self.by_ref.setdefault(ref, company_id)
        erp = (select(CompanyExternalKey.company_id, CompanyExternalKey.key)
               .join(Company, Company.id == CompanyExternalKey.company_id).where(CompanyExternalKey.system == "erp"))
        for company_id, key in self._rows(self._visible(erp), CompanyExternalKey.key, names):
            self.by_ref.setdefault(key, company_id)

    def _visible(self, query):
        return visibility.only_visible(query, self.condition)

    def _rows(self, query, column, values):
        values = sorted(v for v in values if v is not None)
        for start in range(0, len(values), CHUNK):
            yield from self.session.execute(query.where(column.in_(values[start:start + CHUNK])))

    def resolve(self, item: dict) -> tuple[int | None, int | None]:
        """Return (company id, contact id) of one line; the company follows from the contact."""
        company_id = self._company(item)
        contact = self._contact(item)
        if contact is None:
            if company_id is None:
                raise _Bad("company_id", "name the company (company_id or company) or the contact "
                                         "(contact_id or contact_email)")
            return company_id, None
        contact_id, own_company_id, field = contact
        if company_id is not None and own_company_id != company_id:
            raise _Bad(field, "is not a contact of the company named")
        return own_company_id, contact_id

    def _company(self, item: dict) -> int | None:
        if item.get("company_id") is not None:
            value = item["company_id"]
            if not _is_id(value) or value not in self.visible:
                raise _Bad("company_id", f"no company {value!r}")
            return value
        if item.get("company") is not None:
            value = item["company"]
            found = None
            if isinstance(value, str):
                found = self.by_ref.get(value.strip()) or self.by_ref.get(value.strip().upper())
            if found is None:
                raise _Bad("company", f"no company with the credit code, ERP code or name {str(value)[:80]!r}")
            return found
        return None

    def _contact(self, item: dict) -> tuple[int, int, str] | None:
        """Return (contact id, its company id, the field naming it), or None when no contact is named."""
        if item.get("contact_id") is not None:
            value = item["contact_id"]
            if not _is_id(value) or self.contacts.get(value) not in self.visible:
                raise _Bad("contact_id", f"no contact {value!r}")
            return value, self.contacts[value], "contact_id"
        if item.get("contact_email") is not None:
            value = item["contact_email"]
            pairs = self.by_email.get(value.strip().lower(), set()) if isinstance(value, str) else set()
            pairs = {pair for pair in pairs if pair[1] in self.visible}
            if not pairs:
                raise _Bad("contact_email", f"no contact with the email {str(value)[:80]!r}")
            if len(pairs) > 1:
                raise _Bad("contact_email", "more than one contact has this email: send contact_id")
            [(contact_id, company_id)] = pairs
            return contact_id, company_id, "contact_email"
        return None


def _is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 2**31 - 1


_COLUMNS = ("source", "external_id", "company_id", "contact_id", "type", "occurred_at", "properties",
            "received_at")
# PostgreSQL: one statement whatever the batch's size, its columns sent as arrays; psycopg parses a
# many-row VALUES statement slower than the database inserts it.
_INSERT_UNNESTED = text(
    "INSERT INTO behaviour_events (source, external_id, company_id, contact_id, type, occurred_at, properties,"
    " received_at) SELECT source, external_id, company_id, contact_id, type, occurred_at, properties::json,"
    " received_at FROM unnest(:source, :external_id, :company_id, :contact_id, :type, :occurred_at,"
    " :properties, :received_at) AS batch(source, external_id, company_id, contact_id, type, occurred_at,"
    " properties, received_at)"
    " ON CONFLICT (source, external_id) DO NOTHING RETURNING id"
).bindparams(bindparam("source", type_=ARRAY(String)), bindparam("external_id", type_=ARRAY(String)),
             bindparam("company_id", type_=ARRAY(Integer)), bindparam("contact_id", type_=ARRAY(Integer)),
             bindparam("type", type_=ARRAY(String)), bindparam("occurred_at", type_=ARRAY(DateTime)),
             bindparam("properties", type_=ARRAY(Text)), bindparam("received_at", type_=ARRAY(DateTime)))


def _insert_new(session: Session, rows: list[dict]) -> int:
    """Insert the rows whose (source, external_id) is new (ON CONFLICT DO NOTHING); return how many were.

    SQLite: one statement compiled once and sent as batched multi-row INSERTs
    (SQLAlchemy's insertmanyvalues). RETURNING names the rows that went in, which
    counts them on both databases.
    """
    if not rows:
        return 0
    if is_postgresql(session):
        arrays = {name: [row[name] for row in rows] for name in _COLUMNS}
        arrays["properties"] = [None if p is None else json.dumps(p, ensure_ascii=False)
                                for p in arrays["properties"]]
        for name in ("occurred_at", "received_at"):  # timestamps without time zone, in UTC (core.db.UTCDateTime)
            arrays[name] = [moment.astimezone(timezone.utc).replace(tzinfo=None) for moment in arrays[name]]
        return len(session.execute(_INSERT_UNNESTED, arrays).all())
    table = BehaviourEvent.__table__
    statement = (sqlite.insert(table).on_conflict_do_nothing(index_elements=["source", "external_id"])
                 .returning(table.c.id))
    return len(session.execute(statement, rows).all())


def list_events(session: Session, company_id: int, *, actor: Actor | None = None, limit: int = 100,
                before_id: int | None = None) -> Listing:
    """Return a page of the company's events, newest first by time (ties by id); `before_id` pages on."""
    get_company(session, company_id, actor=actor)
    limit = min(max(limit, 1), MAX_PAGE)
    query = select(BehaviourEvent).where(BehaviourEvent.company_id == company_id)
    if before_id is not None:
        anchor = session.get(BehaviourEvent, before_id)
        if anchor is None or anchor.company_id != company_id:
            raise InvalidInput(f"no event {before_id} of this company",
                               [{"field": "before_id", "message": f"no event {before_id} of this company"}])
        query = query.where(or_(BehaviourEvent.occurred_at < anchor.occurred_at,
                                and_(BehaviourEvent.occurred_at == anchor.occurred_at,
                                     BehaviourEvent.id < anchor.id)))
    rows = list(session.scalars(query.order_by(BehaviourEvent.occurred_at.desc(), BehaviourEvent.id.desc())
                                .limit(limit)))
    return Listing(rows, None, rows[-1].id if len(rows) == limit else None)
