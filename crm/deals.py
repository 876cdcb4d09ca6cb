"""Opportunities and their decision committees.

An opportunity is opened by starting a `sales_funnel` instance: the process owns
the deal's stages, crm.tracking mirrors them into the opportunity row. What people
edit here directly is who sits on the deal's decision committee.
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import accounts
from accounts.teams import team_member_ids
from engine import definitions, instances
from core.paging import Page
from core.audit import record
from core.db import get_or_raise
from core.errors import Conflict, InvalidInput, NotFound
from accounts.models import User
from accounts.permissions import Actor
from customers.companies import create_company, find_company_by_ref, get_company, subsidiary_ids
from customers.models import Company, Contact

from . import visibility
from .models import CommitteeMember, Opportunity
from .tracking import FUNNEL_KEY


def open_deal(session: Session, *, company_id: int, actor: User, name: str | None = None,
              amount: int | None = None, expected_close_date: date | None = None,
              owner: str | None = None, stale_after: str | None = None,
              escalate_after: str | None = None) -> Opportunity:
    """Start a sales funnel instance for a company and return its opportunity.

    The owner (default: the actor) gets the stale-deal reminders.
    """
    company = get_company(session, company_id, actor=actor)
    owner = owner or actor.name
    if accounts.find_user(session, owner) is None:
        raise InvalidInput(f"no user {owner!r}", [{"message": f"no user {owner!r}", "field": "owner"}])
    data = {"company_id": company.id, "company": company.name, "deal_name": name or company.name,
            "owner": owner, "amount": amount,
            "expected_close_date": expected_close_date.isoformat() if expected_close_date else None,
            "stale_after": stale_after, "escalate_after": escalate_after}
    data = {k: v for k, v in data.items() if v is not None}
    instance = instances.start_instance(session, FUNNEL_KEY, data=data, business_key=None, actor=actor)
    return get_opportunity_of_instance(session, instance.id)


def open_deal_for(session: Session, *, company: str, actor: User, new_company: bool = False,
                  **deal) -> Opportunity:
    """Open a deal for the company `company` names (credit code, ERP code or exact name) as open_deal does.

    With `new_company`, a name no company has makes the company (which needs `companies.write`);
    without, such a name is refused, naming the field, so that a typo makes no new customer.
    """
    ref = (company or "").strip()
    if not ref:
        raise InvalidInput("company: required", [{"message": "required", "field": "company"}])
    found = find_company_by_ref(session, ref, actor=actor)
    if found is None:
        if not new_company:
            raise InvalidInput(f"company: no customer {ref!r} (by name, credit code or ERP code)",
                               [{"message": f"no customer {ref!r}", "field": "company"}])
        accounts.require(actor, "companies.write")
        found = create_company(session, name=ref[:255], actor=actor)
    return open_deal(session, company_id=found.id, actor=actor, **deal)


def get_opportunity(session: Session, opportunity_id: int, *, actor: Actor | None = None) -> Opportunity:
    """Return the opportunity with `opportunity_id` if `actor` sees it (None: the system); else NotFound."""
    opportunity = get_or_raise(session, Opportunity, opportunity_id, "opportunity")
    visibility.require_visible(session, visibility.deal_filter(session, actor), Opportunity, opportunity_id,
                               "opportunity")
    return opportunity


def get_opportunity_of_instance(session: Session, instance_id: int) -> Opportunity:
    """Return the opportunity of a funnel instance; raise NotFound otherwise."""
    opportunity = session.scalar(select(Opportunity).where(Opportunity.instance_id == instance_id))
    if opportunity is None:
        raise NotFound(f"process instance {instance_id} has no opportunity")
    return opportunity


def list_opportunities(session: Session, *, outcome: str | None = None, stage: str | None = None,
                       company_id: int | None = None, group_of: int | None = None,
                       owner: str | None = None, actor: Actor | None = None) -> list[Opportunity]:
    """Return the opportunities `actor` sees, newest first, by outcome, stage, company, group or owner."""
    query = visibility.only_visible(select(Opportunity).order_by(Opportunity.id.desc()),
                                    visibility.deal_filter(session, actor))
    if outcome:
        query = query.where(Opportunity.outcome == outcome)
    if stage:
        query = query.where(Opportunity.stage == stage)
    if company_id is not None:
        query = query.where(Opportunity.company_id == company_id)
    if group_of is not None:
        query = query.where(Opportunity.company_id.in_(subsidiary_ids(session, group_of)))
    if owner:
        query = query.join(User, User.id == Opportunity.owner_id).where(User.name == owner)
    return list(session.scalars(query))


SORTS = {"name": Opportunity.name, "amount": Opportunity.amount, "close": Opportunity.expected_close_date,
         "stage": Opportunity.stage, "updated": Opportunity.updated_at, "created": Opportunity.created_at}
DEFAULT_PER_PAGE, MAX_PER_PAGE = 25, 200


def search_deals(session: Session, *, actor: Actor | None = None, q: str | None = None,
                 outcome: str | None = None, stage: str | None = None, owner: str | None = None,
                 team: str | None = None, lost_reason: str | None = None,
                 company_id: int | None = None, close_month: date | None = None, amount_min: int | None = None,
                 amount_max: int | None = None, sort: str = "-updated", page: int = 1,
                 per_page: int = DEFAULT_PER_PAGE) -> Page:
    """Return one page of the deals `actor` sees that match every filter given, sorted by `sort`.

    `q` is in the deal's or its company's name; `team` the deals its people (sub-teams, managers
    included) own, as the reports count them; `close_month` any day of the month the deal is
    expected to close in; amounts in yuan, both ends included; `sort` one of SORTS, "-" first for
    the largest, newest or last first (deals without a value for it last either way).
    """
    column = SORTS.get(sort.lstrip("-"))
    if column is None:
        raise InvalidInput(f"sort: one of {', '.join(SORTS)}, or one of them after '-'",
                           [{"message": f"one of {', '.join(SORTS)}", "field": "sort"}])
    if not 1 <= per_page <= MAX_PER_PAGE or page < 1:
        raise InvalidInput(f"page {page} of {per_page} a page: out of range",
                           [{"message": f"page ≥ 1 and 1 to {MAX_PER_PAGE} a page", "field": "page"}])
    conditions = []
    if q:
        text = f"%{q.strip()}%"
        conditions.append(Opportunity.name.like(text) | Opportunity.company_id.in_(
            select(Company.id).where(Company.name.like(text))))
    for wanted, column_of in ((outcome, Opportunity.outcome), (stage, Opportunity.stage),
                              (company_id, Opportunity.company_id), (lost_reason, Opportunity.lost_reason)):
        if wanted is not None and wanted != "":
            conditions.append(column_of == wanted)
    if owner:
        conditions.append(Opportunity.owner_id.in_(select(User.id).where(User.name == owner)))
    if team:
        conditions.append(Opportunity.owner_id.in_(team_member_ids(session, team)))  # InvalidInput naming it
    if close_month is not None:
        first = close_month.replace(day=1)
        after = (first.replace(year=first.year + 1, month=1) if first.month == 12
                 else first.replace(month=first.month + 1))
        conditions.append(Opportunity.expected_close_date.between(first, after - timedelta(days=1)))
    if amount_min is not None:
        conditions.append(Opportunity.amount >= amount_min)
    if amount_max is not None:
        conditions.append(Opportunity.amount <= amount_max)
    query = visibility.only_visible(select(Opportunity).where(*conditions), visibility.deal_filter(session, actor))
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    order = column.desc() if sort.startswith("-") else column.asc()
    items = session.scalars(query.order_by(column.is_(None), order, Opportunity.id.desc())
                            .offset((page - 1) * per_page).limit(per_page))
    return Page(list(items), total, page, per_page)


def funnel_stages(session: Session) -> list[str]:
    """Return the stages of the newest sales funnel, in order (for choosing one)."""
    definition = definitions.find_latest(session, FUNNEL_KEY)
    return list(definition.stages) if definition is not None else []


def add_committee_member(session: Session, opportunity_id: int, *, contact_id: int, role: str,
                         influence: float, attitude: str = "neutral", note: str | None = None,
                         actor: Actor | None = None) -> CommitteeMember:
    """Put a contact on a deal's decision committee with a role, influence and attitude."""
    get_opportunity(session, opportunity_id, actor=actor)
    contacts = visibility.company_filter(session, actor, Contact.company_id)
    if session.scalar(visibility.only_visible(select(Contact.id).where(Contact.id == contact_id),
                                              contacts)) is None:
        raise InvalidInput(f"no contact {contact_id}", [{"message": f"no contact {contact_id}",
                                                          "field": "contact_id"}])
    if _member(session, opportunity_id, contact_id) is not None:
        raise Conflict(f"contact {contact_id} is on the committee of opportunity {opportunity_id} already")
    member = CommitteeMember(opportunity_id=opportunity_id, contact_id=contact_id, role=role,
                             influence=influence, attitude=attitude, note=note)
    try:
        with session.begin_nested():
            session.add(member)
    except IntegrityError as exc:  # added meanwhile by someone else
        raise Conflict(f"contact {contact_id} is on the committee already") from exc
    record(session, "committee_member.added", actor=actor, object_type="committee_member",
           object_id=member.id, detail={"opportunity_id": opportunity_id},
           changes={field: [None, getattr(member, field)] for field in _MEMBER_FIELDS})
    return member


def _member(session: Session, opportunity_id: int, contact_id: int) -> CommitteeMember | None:
    return session.scalar(select(CommitteeMember).where(CommitteeMember.opportunity_id == opportunity_id,
                                                        CommitteeMember.contact_id == contact_id))


def list_committee(session: Session, opportunity_id: int, *,
                   actor: Actor | None = None) -> list[CommitteeMember]:
    """Return a deal's decision committee, most influential first."""
    get_opportunity(session, opportunity_id, actor=actor)
    return list(session.scalars(select(CommitteeMember)
                                .where(CommitteeMember.opportunity_id == opportunity_id)
                                .order_by(CommitteeMember.influence.desc(), CommitteeMember.id)))


_MEMBER_FIELDS = ("contact_id", "role", "influence", "attitude", "note")


def remove_committee_member(session: Session, opportunity_id: int, member_id: int, *,
                            actor: Actor | None = None) -> None:
    """Take a member off a deal's decision committee."""
    get_opportunity(session, opportunity_id, actor=actor)
    member = session.get(CommitteeMember, member_id)
    if member is None or member.opportunity_id != opportunity_id:
        raise NotFound(f"no committee member {member_id} on opportunity {opportunity_id}")
    before = {field: [getattr(member, field), None] for field in _MEMBER_FIELDS}
    session.delete(member)
    session.flush()
    record(session, "committee_member.removed", actor=actor, object_type="committee_member",
           object_id=member_id, detail={"opportunity_id": opportunity_id}, changes=before)
