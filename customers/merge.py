"""Merging a duplicate company (or contact) into the one that stays: everything of the loser moves over.

What points at a company is found, not listed: every foreign key in
core.db.Base.metadata that references companies.id, so crm's opportunities and
tenders (registered when crm is imported, as the app does) and any table added
later move too, without customers importing crm. Contracts hang off a deal's
process instance, so they follow the deal. A process instance's data still
names the loser's id and name; customers.companies.resolve_company follows the
merge (merged_records, aliases) so the next step of the process finds the
survivor instead of creating the loser anew.

What would collide is settled first: a link between the two would point at
itself (dropped), a row a unique constraint allows once per company (a
committee seat, a consent...) is dropped where the survivor has one, links that
become the same link are kept once. The survivor's empty master data is filled
from the loser, the loser's name stays as an alias, its snapshot in
merged_records, and the audit log says what moved.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import Table, UniqueConstraint, and_, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from accounts.permissions import require
from core import audit
from core.db import Base
from core.errors import InvalidInput

from . import companies, contacts, duplicates, master_data
from .models import Company, CompanyAlias, Contact, MergedRecord

COMPANY_FIELDS = ("credit_code", "industry", "city", "province", "industry_section", "industry_division",
                  "registered_capital", "registered_capital_currency", "founded_on", "size_band", "website",
                  "phone", "email", "address", "owner_id")
CONTACT_FIELDS = ("title", "email", "phone", "department", "mobile", "wechat_id", "preferred_channel")


def references(target: str) -> list[tuple[Table, list]]:
    """Return each table with its columns that reference `target`.id, from every model imported so far."""
    found = []
    for table in Base.metadata.sorted_tables:
        columns = [fk.parent for fk in table.foreign_keys
                   if fk.column.table.name == target and fk.column.name == "id"]
        if columns:
            found.append((table, columns))
    return found


def move_references(session: Session, target: str, survivor_id: int, loser_id: int) -> dict[str, int]:
    """Point every reference to `target` row `loser_id` at `survivor_id`; return rows moved per table.column."""
    moved: dict[str, int] = {}
    for table, columns in references(target):
        if table.name == target:  # a tree inside the table itself: companies.parent_id
            for column in columns:
                session.execute(update(table).where(table.c.id == survivor_id, column == loser_id)
                                .values({column.name: None}))
                count = session.execute(update(table).where(column == loser_id, table.c.id != loser_id)
                                        .values({column.name: survivor_id})).rowcount
                if count:
                    moved[f"{table.name}.{column.name}"] = count
            continue
        if len(columns) > 1:  # a link table: a link between the two would point at itself
            session.execute(delete(table).where(or_(*(and_(a == loser_id, b == survivor_id)
                                                      for a in columns for b in columns if a is not b))))
        for column in columns:
            _drop_collisions(session, table, column, survivor_id, loser_id)
            count = session.execute(update(table).where(column == loser_id)
                                    .values({column.name: survivor_id})).rowcount
            if count:
                moved[f"{table.name}.{column.name}"] = count
        if len(columns) > 1:
            _drop_repeated_links(session, table, columns, survivor_id)
    return moved


def _unique_sets(table: Table, column) -> list[list]:
    """Return the column sets a unique constraint or index on `table` holds once, those with `column`."""
    sets = [list(c.columns) for c in table.constraints if isinstance(c, UniqueConstraint)]
    sets += [list(i.columns) for i in table.indexes if i.unique]
    sets += [[c] for c in table.columns if c.unique]
    return [s for s in sets if any(c is column for c in s)]


def _drop_collisions(session: Session, table: Table, column, survivor_id: int, loser_id: int) -> None:
    """Delete the loser's rows that would repeat a survivor's row under a unique constraint."""
    for columns in _unique_sets(table, column):
        others = [c for c in columns if c is not column]
        if not others:  # one row per company at most: the survivor's stays
            if session.scalar(select(func.count()).select_from(table).where(column == survivor_id)):
                session.execute(delete(table).where(column == loser_id))
            continue
        twin = table.alias("twin")
        clash = select(twin.c[others[0].name]).where(
            twin.c[column.name] == survivor_id, *(twin.c[c.name] == c for c in others)).exists()
        session.execute(delete(table).where(column == loser_id, clash))


def _drop_repeated_links(session: Session, table: Table, columns: list, survivor_id: int) -> None:
    """Keep one of the links that became the same (same kind, same ends): the oldest."""
    same = [table.c.kind] if "kind" in table.c else []
    twin = table.alias("twin")
    older = select(twin.c.id).where(twin.c.id < table.c.id, *(twin.c[c.name] == c for c in [*same, *columns]))
    session.execute(delete(table).where(or_(*(c == survivor_id for c in columns)), older.exists()))


def _snapshot(row, fields) -> dict:
    return {name: master_data.as_json(getattr(row, name)) for name in fields}


def _check_pair(survivor_id: int, loser_id: int, what: str) -> None:
    if survivor_id == loser_id:
        raise InvalidInput(f"a {what} cannot be merged into itself",
                           [{"field": "from_id", "message": f"is this {what} itself"}])


def merge_companies(session: Session, survivor_id: int, loser_id: int, actor) -> Company:
    """Merge company `loser_id` into `survivor_id`: move everything, keep its name as an alias, delete it."""
    require(actor, "companies.merge")
    _check_pair(survivor_id, loser_id, "company")
    survivor = companies.get_company(session, survivor_id, actor=actor)
    loser = companies.get_company(session, loser_id, actor=actor)
    snapshot = {"id": loser.id, "name": loser.name, "parent_id": loser.parent_id, "tags": loser.tags or [],
                **_snapshot(loser, COMPANY_FIELDS),
                "external_keys": [{"system": k.system, "key": k.key} for k in loser.external_keys]}
    session.flush()
    session.expunge(loser)  # from here on plain statements: the ORM would cascade the loser's keys away
    if survivor_id in companies.subsidiary_ids(session, loser_id):
        # The survivor sits below the loser: it takes the loser's place, or the loser's children
        # (its own ancestors among them) would end up below it and above it at once.
        session.execute(update(Company.__table__).where(Company.id == survivor_id)
                        .values(parent_id=snapshot["parent_id"]))
    _keep_name_as_alias(session, survivor_id, loser_id, snapshot["name"])
    moved = _retire(session, "company", Company, survivor_id, loser_id)
    filled = _fill_company(session, survivor, snapshot)
    _record_merge(session, "company", survivor_id, snapshot, filled, moved, actor)
    session.expire(survivor)
    return survivor


CANDIDATE_KINDS = {"company": "companies", "contact": "contacts"}  # duplicates' names of the two kinds


def _retire(session: Session, kind: str, model, survivor_id: int, loser_id: int) -> dict:
    """Move every reference to the loser onto the survivor, delete the loser; return the moved counts.

    Earlier merges into the loser now answer with the survivor.
    """
    moved = move_references(session, model.__tablename__, survivor_id, loser_id)
    session.execute(delete(model.__table__).where(model.id == loser_id))
    session.execute(update(MergedRecord).where(MergedRecord.kind == kind, MergedRecord.survivor_id == loser_id)
                    .values(survivor_id=survivor_id))
    session.expire_all()
    return moved


def _record_merge(session: Session, kind: str, survivor_id: int, snapshot: dict, filled: dict, moved: dict,
                  actor) -> None:
    """Keep the loser's snapshot, drop its duplicate candidates and write `<kind>.merged` in the audit log."""
    loser_id = snapshot["id"]
    session.add(MergedRecord(kind=kind, loser_id=loser_id, survivor_id=survivor_id, snapshot=snapshot,
                             merged_by=getattr(actor, "id", None)))
    duplicates.forget(session, CANDIDATE_KINDS[kind], loser_id)
    session.flush()
    audit.record(session, f"{kind}.merged", actor=actor, object_type=kind, object_id=survivor_id,
                 changes={name: [None, value] for name, value in filled.items()},
                 detail={"loser_id": loser_id, "loser_name": snapshot["name"], "moved": moved})


def _keep_name_as_alias(session: Session, survivor_id: int, loser_id: int, loser_name: str) -> None:
    """Give the survivor the loser's name as an alias; drop the loser's aliases the survivor has already."""
    table = CompanyAlias.__table__
    known = set(session.scalars(select(table.c.name).where(table.c.company_id == survivor_id)))
    session.execute(delete(table).where(table.c.company_id == loser_id, table.c.name.in_(known)))
    if loser_name not in known:
        session.execute(insert(table).values(company_id=survivor_id, name=loser_name, source="merge"))


def _fill_company(session: Session, survivor: Company, snapshot: dict) -> dict:
    """Fill the survivor's empty master data from the loser's; return what was filled."""
    filled = {}
    for name in COMPANY_FIELDS:
        if getattr(survivor, name) in (None, "") and snapshot[name] not in (None, ""):
            filled[name] = snapshot[name]
    if "industry_division" in filled or "industry_section" in filled:  # the pair goes together or not at all
        if survivor.industry_section not in (None, snapshot["industry_section"]):
            filled.pop("industry_section", None), filled.pop("industry_division", None)
    if snapshot["parent_id"] and survivor.parent_id is None \
            and snapshot["parent_id"] not in companies.subsidiary_ids(session, survivor.id):
        filled["parent_id"] = snapshot["parent_id"]
    tags = list(dict.fromkeys([*(survivor.tags or []), *snapshot["tags"]]))
    if tags != (survivor.tags or []):
        filled["tags"] = tags
    values = dict(filled)
    if "founded_on" in values:
        values["founded_on"] = date.fromisoformat(values["founded_on"])
    for name, value in values.items():
        setattr(survivor, name, value)
    return filled


def merge_contacts(session: Session, survivor_id: int, loser_id: int, actor) -> Contact:
    """Merge contact `loser_id` into `survivor_id`: consents, committee seats, events, orders, links move."""
    require(actor, "companies.merge")
    _check_pair(survivor_id, loser_id, "contact")
    survivor = contacts.get_contact(session, survivor_id, actor=actor)
    loser = contacts.get_contact(session, loser_id, actor=actor)
    snapshot = {"id": loser.id, "name": loser.name, "company_id": loser.company_id,
                **_snapshot(loser, CONTACT_FIELDS)}
    session.flush()
    session.expunge(loser)
    moved = _retire(session, "contact", Contact, survivor_id, loser_id)
    filled = {name: snapshot[name] for name in CONTACT_FIELDS
              if getattr(survivor, name) in (None, "") and snapshot[name] not in (None, "")}
    for name, value in filled.items():
        setattr(survivor, name, value)
    _record_merge(session, "contact", survivor_id, snapshot, filled, moved, actor)
    session.expire(survivor)
    return survivor


def merged_into(session: Session, kind: str, loser_id: int) -> int | None:
    """Return the id the record `loser_id` of `kind` ("company", "contact") was merged into, if it was."""
    return session.scalar(select(MergedRecord.survivor_id).where(MergedRecord.kind == kind,
                                                                 MergedRecord.loser_id == loser_id))
