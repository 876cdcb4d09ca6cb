"""Which CRM records an actor sees: deals and tenders through their instances, companies by owner.

A deal or a tender is in sight when its process instance is (engine.visibility:
owner, team manager, starter, whoever works on it, or `deals.read.all` /
`tenders.read.all`). A company is in sight of its owner and their managers, of
whoever sees one of its deals or tenders, and of `companies.read.all`; its
contacts go with it. Every list, report, search and export filters with these.
"""
from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from accounts.permissions import Actor, as_actor
from accounts.visibility import sees_all, visible_owner_ids
from core.errors import NotFound
from engine.visibility import instance_filter

from .models import Company, Opportunity, Tender


def deal_filter(session: Session, actor: Actor | None) -> ColumnElement[bool] | None:
    """Return a condition on Opportunity for the deals `actor` sees; None when it sees all."""
    return instance_filter(session, actor, "deals", Opportunity.instance_id)


def tender_filter(session: Session, actor: Actor | None) -> ColumnElement[bool] | None:
    """Return a condition on Tender for the tenders `actor` sees; None when it sees all."""
    return instance_filter(session, actor, "tenders", Tender.instance_id)


def company_filter(session: Session, actor: Actor | None, company_id=Company.id) -> ColumnElement[bool] | None:
    """Return a condition on `company_id` for the companies `actor` sees; None when it sees all."""
    actor = as_actor(actor)
    if sees_all(actor, "companies"):
        return None
    owned = select(Company.id).where(Company.owner_id.in_(visible_owner_ids(session, actor)))
    deals = select(Opportunity.company_id).where(Opportunity.company_id.is_not(None))
    tenders = select(Tender.company_id).where(Tender.company_id.is_not(None))
    if (condition := deal_filter(session, actor)) is not None:
        deals = deals.where(condition)
    if (condition := tender_filter(session, actor)) is not None:
        tenders = tenders.where(condition)
    return or_(company_id.in_(owned), company_id.in_(deals), company_id.in_(tenders))


def only_visible(query, condition: ColumnElement[bool] | None):
    """Return `query` narrowed by a visibility condition (None: unchanged)."""
    return query if condition is None else query.where(condition)


def require_visible(session: Session, condition: ColumnElement[bool] | None, model, key, what: str) -> None:
    """Raise NotFound("no <what> <key>") unless the row of `model` with id `key` meets `condition`."""
    if condition is None:
        return
    if session.scalar(select(model.id).where(model.id == key, condition)) is None:
        raise NotFound(f"no {what} {key}")
