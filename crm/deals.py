"""Opportunities and their decision committees.

An opportunity is opened by starting a `sales_funnel` instance: the process owns
the deal's stages, crm.tracking mirrors them into the opportunity row. What people
edit here directly is who sits on the deal's decision committee.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import accounts
from engine import instances
from core.audit import record
from core.db import get_or_raise
from core.errors import Conflict, InvalidInput, NotFound
from accounts.models import User
from accounts.permissions import Actor
from customers.companies import get_company, subsidiary_ids
from customers.models import Contact

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
