"""Companies in groups of any depth, with their master data (customers.master_data).

A company's `parent` makes a group: 中国移动 with its provincial companies, and
their city branches under those. `subsidiary_ids` walks the tree with one
recursive query on both SQLite and PostgreSQL (crm.groups builds the group view
on it); `update_company` refuses a parent that would close a cycle, so the walk
always ends.
"""
from __future__ import annotations


from sqlalchemy import func, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from accounts.permissions import Actor
from core.paging import Page
from core.audit import changes_of, record
from core.db import is_postgresql
from core.errors import Conflict, InvalidInput, NotFound

from . import master_data, search, visibility
from .models import Company, CompanyAlias, CompanyExternalKey, MergedRecord

MAX_DEPTH = 50  # deeper than any real group; stops a walk over corrupted data
DEFAULT_PER_PAGE, MAX_PER_PAGE = 50, 500
MINE = "mine"  # owner_id filter: the caller's own companies


def get_company(session: Session, company_id: int, *, actor: Actor | None = None) -> Company:
    """Return the company with `company_id` if `actor` sees it (None: the system); raise NotFound otherwise.

    The id of a company merged into another is a 404 saying which one it went
    into (when `actor` sees that one): a bookmark or an old link still leads on.
    """
    company = session.get(Company, company_id)
    if company is None:
        raise _gone_or_missing(session, company_id, actor)
    visibility.require_visible(session, visibility.company_filter(session, actor), Company, company_id,
                               "company")
    return company


def _gone_or_missing(session: Session, company_id: int, actor: Actor | None) -> NotFound:
    survivor_id = session.scalar(select(MergedRecord.survivor_id).where(MergedRecord.kind == "company",
                                                                        MergedRecord.loser_id == company_id))
    condition = visibility.company_filter(session, actor)
    if survivor_id is None or (condition is not None and session.scalar(
            select(Company.id).where(Company.id == survivor_id, condition)) is None):
        return NotFound(f"no company {company_id}")
    return NotFound(f"company {company_id} was merged into {survivor_id}",
                    [{"message": f"company {company_id} was merged into {survivor_id}",
                      "merged_into": survivor_id}])


def find_company_by_name(session: Session, name: str) -> Company | None:
    """Return the company called exactly `name`, or None."""
    return session.scalar(select(Company).where(Company.name == name))


def find_company_by_ref(session: Session, ref: str, *, actor: Actor | None = None) -> Company | None:
    """Return the company `actor` sees whose credit code, ERP code or exact name is `ref`, or None."""
    ref = ref.strip()
    keyed = select(CompanyExternalKey.company_id).where(CompanyExternalKey.system == "erp",
                                                        CompanyExternalKey.key == ref)
    query = visibility.only_visible(
        select(Company).where((Company.credit_code == ref.upper()) | Company.id.in_(keyed) | (Company.name == ref))
        .order_by((Company.credit_code == ref.upper()).desc(), Company.id.in_(keyed).desc()).limit(1),
        visibility.company_filter(session, actor))
    return session.scalar(query)


def list_companies(session: Session, *, name_contains: str | None = None, parent_id: int | None = None,
                   actor: Actor | None = None) -> list[Company]:
    """Return all companies `actor` sees by name, optionally by a text in the name or one parent."""
    query = visibility.only_visible(select(Company).order_by(Company.name),
                                    visibility.company_filter(session, actor))
    if name_contains:
        query = query.where(Company.name.contains(name_contains, autoescape=True))
    if parent_id is not None:
        query = query.where(Company.parent_id == parent_id)
    return list(session.scalars(query))


def search_companies(session: Session, *, page: int = 1, per_page: int = DEFAULT_PER_PAGE,
                     actor: Actor | None = None, **filters) -> Page:
    """Return one page of the companies `actor` sees that match `filters`, by name.

    Args:
        filters: `q` (see search.matching), `tag`, and any of search.EXACT_FILTERS;
            None means "any"; `owner_id="mine"` the companies `actor` owns.
    """
    if not 1 <= per_page <= MAX_PER_PAGE or page < 1:
        raise ValueError(f"page {page} of {per_page}: out of range")
    if filters.get("owner_id") == MINE:
        filters["owner_id"] = actor.id if actor is not None else -1  # the system owns nothing
    conditions = [c for c in (visibility.company_filter(session, actor), search.filtered(session, **filters))
                  if c is not None]
    counted = select(func.count()).select_from(Company).where(*conditions)
    if not conditions:  # the name index gives the page and the table's size the total: no scan at all
        items = session.scalars(select(Company).order_by(Company.name, Company.id)
                                .offset((page - 1) * per_page).limit(per_page))
        return Page(list(items), session.scalar(counted), page, per_page)
    # One pass over the matches counts and sorts them, on two narrow columns. Walking the name index
    # for the page instead looks up every row it passes: measured 5 to 10 times slower at 100,000
    # companies for a text few of them match (bench.customers.company_list).
    rows = session.execute(select(Company.id, func.count().over()).where(*conditions)
                           .order_by(Company.name, Company.id).offset((page - 1) * per_page).limit(per_page)).all()
    total = rows[0][1] if rows else session.scalar(counted)
    found = {c.id: c for c in session.scalars(select(Company).where(Company.id.in_([r[0] for r in rows])))}
    return Page([found[r[0]] for r in rows], total, page, per_page)


def create_company(session: Session, *, name: str, actor: Actor | None = None, erp_code: str | None = None,
                   external_keys: list[dict] | None = None, **values) -> Company:
    """Add a company owned by `actor` (or `owner_id`), optionally under `parent_id`, with its master data.

    `values` are any of COMPANY_FIELDS; `erp_code` is the key of system "erp".
    """
    if find_company_by_name(session, name) is not None:
        raise Conflict(f"a company called {name!r} exists already")
    if values.get("parent_id") is not None:
        _existing_parent(session, values["parent_id"], actor)
    values = master_data.checked(session, {field: value for field, value in values.items() if value is not None})
    # The caller owning what it adds goes without saying in the log; another owner is recorded.
    company_id = _insert_if_new(session, name=name, **{"owner_id": getattr(actor, "id", None), **values})
    if company_id is None:  # another request added it since the check above
        raise Conflict(f"a company called {name!r} exists already")
    company = get_company(session, company_id)
    keys = master_data.replace_keys(session, company, external_keys, erp_code)
    session.flush()
    changes = {"name": [None, name], **{field: [None, master_data.as_json(value)]
                                        for field, value in values.items() if value not in (None, [])}}
    if keys:
        changes["external_keys"] = keys
    record(session, "company.created", actor=actor, object_type="company", object_id=company.id,
           changes=changes)
    return company


def _insert_if_new(session: Session, **values) -> int | None:
    """Insert a company unless one of that name exists, even one committed a moment ago; return its id.

    ON CONFLICT DO NOTHING instead of check-then-insert: on PostgreSQL it waits for
    a concurrent insert of the same name and then does nothing, where a plain
    INSERT would fail the whole request with a UniqueViolation.
    """
    dialect = postgresql if is_postgresql(session) else sqlite
    values["name_initials"] = search.initials(values["name"])
    statement = (dialect.insert(Company.__table__).values(**values)
                 .on_conflict_do_nothing(index_elements=["name"]).returning(Company.__table__.c.id))
    return session.execute(statement).scalar()


COMPANY_FIELDS = ("name", "parent_id", "industry", "city", *master_data.FIELDS)


def update_company(session: Session, company_id: int, changes: dict, *,
                   actor: Actor | None = None) -> Company:
    """Change a company's name, parent or master data; refuse a parent inside its own group."""
    company = get_company(session, company_id, actor=actor)
    changes = dict(changes)
    external_keys, erp_code = changes.pop("external_keys", None), changes.pop("erp_code", master_data.UNSET)
    if "name" in changes and changes["name"] != company.name:
        if find_company_by_name(session, changes["name"]) is not None:
            raise Conflict(f"a company called {changes['name']!r} exists already")
    if changes.get("parent_id") is not None:
        _existing_parent(session, changes["parent_id"], actor)
        if changes["parent_id"] in subsidiary_ids(session, company_id):
            raise InvalidInput("a company cannot belong to itself or to one of its subsidiaries",
                               [{"message": "is this company or one of its subsidiaries",
                                 "field": "parent_id"}])
    changed = changes_of(company, COMPANY_FIELDS, master_data.checked(session, changes, company))
    for name, (_, after) in changed.items():
        setattr(company, name, after)
    if "name" in changed:
        company.name_initials = search.initials(company.name)
    changed = {name: [master_data.as_json(v) for v in pair] for name, pair in changed.items()}
    if keys := master_data.replace_keys(session, company, external_keys, erp_code):
        changed["external_keys"] = keys
    session.flush()
    if changed:
        record(session, "company.renamed" if "name" in changed else "company.changed", actor=actor,
               object_type="company", object_id=company.id, changes=changed)
    session.expire(company, ["parent"])
    return company


def _survivor_of(session: Session, company_id: int) -> Company | None:
    """Return the company `company_id` was merged into: a deal's data still names the loser."""
    survivor_id = session.scalar(select(MergedRecord.survivor_id).where(MergedRecord.kind == "company",
                                                                        MergedRecord.loser_id == company_id))
    return None if survivor_id is None else session.get(Company, survivor_id)


def _merged_under(session: Session, name: str) -> Company | None:
    """Return the company that took in a merged company called `name`, rather than create that one anew."""
    return session.scalar(select(Company).join(CompanyAlias, CompanyAlias.company_id == Company.id)
                          .where(CompanyAlias.name == name, CompanyAlias.source == "merge")
                          .order_by(CompanyAlias.id.desc()).limit(1))


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


def resolve_company(session: Session, company_id, name, *, owner_id: int | None = None) -> Company | None:
    """Return the company a process names by id, else by exact name, creating it if new.

    A salesperson types the customer's name into the lead form; the first deal
    with a new name creates the company, later ones find it.
    """
    if isinstance(company_id, int) and not isinstance(company_id, bool):
        company = session.get(Company, company_id) or _survivor_of(session, company_id)
        if company is not None:
            return company
    if not isinstance(name, str) or not name.strip():
        return None
    name = name.strip()[:255]
    company = find_company_by_name(session, name) or _merged_under(session, name)
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
