"""Companies in groups of any depth, and the people who work there.

A company's `parent` makes a group: 中国移动 with its provincial companies, and
their city branches under those. The group view walks the tree with one
recursive query on both SQLite and PostgreSQL; `update_company` refuses a parent
that would close a cycle, so the walk always ends.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from accounts.permissions import Actor
from core.audit import changes_of, record
from core.db import get_or_raise, is_postgresql
from core.errors import Conflict, InvalidInput

from . import visibility
from .models import Company, Contact, Opportunity

MAX_DEPTH = 50  # deeper than any real group; stops a walk over corrupted data


def get_company(session: Session, company_id: int, *, actor: Actor | None = None) -> Company:
    """Return the company with `company_id` if `actor` sees it (None: the system); raise NotFound otherwise."""
    company = get_or_raise(session, Company, company_id, "company")
    visibility.require_visible(session, visibility.company_filter(session, actor), Company, company_id,
                               "company")
    return company


def find_company_by_name(session: Session, name: str) -> Company | None:
    """Return the company called exactly `name`, or None."""
    return session.scalar(select(Company).where(Company.name == name))


def list_companies(session: Session, *, name_contains: str | None = None, parent_id: int | None = None,
                   actor: Actor | None = None) -> list[Company]:
    """Return the companies `actor` sees by name, optionally by a text in the name or one parent."""
    query = visibility.only_visible(select(Company).order_by(Company.name),
                                    visibility.company_filter(session, actor))
    if name_contains:
        query = query.where(Company.name.contains(name_contains, autoescape=True))
    if parent_id is not None:
        query = query.where(Company.parent_id == parent_id)
    return list(session.scalars(query))


def create_company(session: Session, *, name: str, parent_id: int | None = None,
                   industry: str | None = None, city: str | None = None,
                   actor: Actor | None = None) -> Company:
    """Add a company owned by `actor`, optionally as a subsidiary of `parent_id`."""
    if find_company_by_name(session, name) is not None:
        raise Conflict(f"a company called {name!r} exists already")
    if parent_id is not None:
        _existing_parent(session, parent_id, actor)
    company_id = _insert_if_new(session, name=name, parent_id=parent_id, industry=industry, city=city,
                                owner_id=getattr(actor, "id", None))
    if company_id is None:  # another request added it since the check above
        raise Conflict(f"a company called {name!r} exists already")
    company = get_company(session, company_id)
    record(session, "company.created", actor=actor, object_type="company", object_id=company.id,
           changes={field: [None, value] for field, value in (("name", name), ("parent_id", parent_id),
                                                              ("industry", industry), ("city", city))
                    if value is not None})
    return company


def _insert_if_new(session: Session, **values) -> int | None:
    """Insert a company unless one of that name exists, even one committed a moment ago; return its id.

    ON CONFLICT DO NOTHING instead of check-then-insert: on PostgreSQL it waits for
    a concurrent insert of the same name and then does nothing, where a plain
    INSERT would fail the whole request with a UniqueViolation.
    """
    dialect = postgresql if is_postgresql(session) else sqlite
    statement = (dialect.insert(Company.__table__).values(**values)
                 .on_conflict_do_nothing(index_elements=["name"]).returning(Company.__table__.c.id))
    return session.execute(statement).scalar()


COMPANY_FIELDS = ("name", "parent_id", "industry", "city")


def update_company(session: Session, company_id: int, changes: dict, *,
                   actor: Actor | None = None) -> Company:
    """Change a company's name, parent, industry or city; refuse a parent inside its own group."""
    company = get_company(session, company_id, actor=actor)
    if "name" in changes and changes["name"] != company.name:
        if find_company_by_name(session, changes["name"]) is not None:
            raise Conflict(f"a company called {changes['name']!r} exists already")
    if changes.get("parent_id") is not None:
        _existing_parent(session, changes["parent_id"], actor)
        if changes["parent_id"] in subsidiary_ids(session, company_id):
            raise InvalidInput("a company cannot belong to itself or to one of its subsidiaries",
                               [{"message": "is this company or one of its subsidiaries",
                                 "field": "parent_id"}])
    changed = changes_of(company, COMPANY_FIELDS, changes)
    for name, (_, after) in changed.items():
        setattr(company, name, after)
    session.flush()
    if changed:
        record(session, "company.renamed" if "name" in changed else "company.changed", actor=actor,
               object_type="company", object_id=company.id, changes=changed)
    session.expire(company, ["parent"])
    return company


def _existing_parent(session: Session, parent_id: int, actor: Actor | None) -> Company:
    parent = session.get(Company, parent_id)
    condition = visibility.company_filter(session, actor)
    if parent is None or (condition is not None and session.scalar(
            select(Company.id).where(Company.id == parent_id, condition)) is None):
        raise InvalidInput(f"no company {parent_id}", [{"message": f"no company {parent_id}",
                                                         "field": "parent_id"}])
    return parent


def subsidiary_ids(session: Session, company_id: int) -> list[int]:
    """Return the company's id and those of all its subsidiaries, any depth, nearest first."""
    tree = (select(Company.id, literal(0).label("depth")).where(Company.id == company_id)
            .cte("tree", recursive=True))
    tree = tree.union_all(select(Company.id, tree.c.depth + 1)
                          .where(Company.parent_id == tree.c.id, tree.c.depth < MAX_DEPTH))
    return list(session.scalars(select(tree.c.id).order_by(tree.c.depth, tree.c.id)))


@dataclass
class GroupView:
    """A company with its parents above it, its subsidiaries below and the group's deals."""
    company: Company
    parents: list[Company]
    subsidiaries: list[dict]
    company_count: int
    totals: dict = field(default_factory=dict)


def company_group(session: Session, company_id: int, *, actor: Actor | None = None) -> GroupView:
    """Return the group view of a company: its subsidiaries at any depth and their deals, as far as seen."""
    company = get_company(session, company_id, actor=actor)
    members = {c.id: c for c in session.scalars(visibility.only_visible(
        select(Company).where(Company.id.in_(subsidiary_ids(session, company_id))),
        visibility.company_filter(session, actor)))}
    ids = list(members)
    children: dict[int, list[Company]] = {}
    for member in sorted(members.values(), key=lambda c: c.name):
        if member.id != company_id:
            children.setdefault(member.parent_id, []).append(member)
    return GroupView(company, _parents(company), _tree(company_id, children), len(ids),
                     _deal_totals(session, ids, actor))


def _tree(company_id: int, children: dict, depth: int = 0) -> list[dict]:
    if depth > MAX_DEPTH:
        return []
    return [{"id": c.id, "name": c.name, "city": c.city, "industry": c.industry,
             "subsidiaries": _tree(c.id, children, depth + 1)} for c in children.get(company_id, [])]


def _parents(company: Company) -> list[Company]:
    parents, seen = [], {company.id}
    parent = company.parent
    while parent is not None and parent.id not in seen and len(parents) < MAX_DEPTH:
        parents.insert(0, parent)
        seen.add(parent.id)
        parent = parent.parent
    return parents


def _deal_totals(session: Session, company_ids: list[int], actor: Actor | None) -> dict:
    query = (select(Opportunity.outcome, func.count(), func.coalesce(func.sum(Opportunity.amount), 0),
                    func.coalesce(func.sum(Opportunity.amount * Opportunity.probability), 0))
             .where(Opportunity.company_id.in_(company_ids)).group_by(Opportunity.outcome))
    rows = session.execute(visibility.only_visible(query, visibility.deal_filter(session, actor)))
    totals = {outcome: {"deals": 0, "amount": 0} for outcome in ("open", "won", "lost")}
    weighted = 0.0
    for outcome, count, amount, weighted_amount in rows:
        totals[outcome] = {"deals": count, "amount": int(amount)}
        weighted += float(weighted_amount) if outcome == "open" else 0.0
    totals["open"]["weighted_amount"] = round(weighted, 2)
    return totals


def resolve_company(session: Session, company_id, name, *, owner_id: int | None = None) -> Company | None:
    """Return the company a process names by id, else by exact name, creating it if new.

    A salesperson types the customer's name into the lead form; the first deal
    with a new name creates the company, later ones find it.
    """
    if isinstance(company_id, int) and not isinstance(company_id, bool):
        company = session.get(Company, company_id)
        if company is not None:
            return company
    if not isinstance(name, str) or not name.strip():
        return None
    name = name.strip()[:255]
    company = find_company_by_name(session, name)
    if company is None:
        # Forty lead forms may name the same new company at once: one of them inserts it.
        company_id = _insert_if_new(session, name=name, owner_id=owner_id)
        if company_id is None:
            return find_company_by_name(session, name)
        company = get_company(session, company_id)
        # The process creates it (the actor of the step is in the task.completed row before this).
        record(session, "company.created", actor=None, object_type="company", object_id=company_id,
               changes={"name": [None, name], "owner_id": [None, owner_id]}, detail={"source": "process"})
    return company


# --- contacts -------------------------------------------------------------------------------

def create_contact(session: Session, *, company_id: int, name: str, title: str | None = None,
                   email: str | None = None, phone: str | None = None,
                   actor: Actor | None = None) -> Contact:
    """Add a person at a company `actor` sees."""
    condition = visibility.company_filter(session, actor)
    if session.get(Company, company_id) is None or (condition is not None and session.scalar(
            select(Company.id).where(Company.id == company_id, condition)) is None):
        raise InvalidInput(f"no company {company_id}", [{"message": f"no company {company_id}",
                                                          "field": "company_id"}])
    contact = Contact(company_id=company_id, name=name, title=title, email=email, phone=phone)
    session.add(contact)
    session.flush()
    record(session, "contact.created", actor=actor, object_type="contact", object_id=contact.id,
           changes={field: [None, value] for field, value in (("company_id", company_id), ("name", name),
                                                              ("title", title), ("email", email),
                                                              ("phone", phone)) if value is not None})
    return contact


def get_contact(session: Session, contact_id: int, *, actor: Actor | None = None) -> Contact:
    """Return the contact with `contact_id` if `actor` sees its company; raise NotFound otherwise."""
    contact = get_or_raise(session, Contact, contact_id, "contact")
    visibility.require_visible(session, visibility.company_filter(session, actor, Contact.company_id),
                               Contact, contact_id, "contact")
    return contact


def list_contacts(session: Session, *, company_id: int | None = None,
                  actor: Actor | None = None) -> list[Contact]:
    """Return the contacts `actor` sees by name, optionally only those of one company."""
    query = visibility.only_visible(select(Contact).order_by(Contact.name, Contact.id),
                                    visibility.company_filter(session, actor, Contact.company_id))
    if company_id is not None:
        query = query.where(Contact.company_id == company_id)
    return list(session.scalars(query))
