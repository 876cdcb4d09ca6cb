"""Which CRM records an actor sees: deals and tenders through their instances, and their companies.

A deal or a tender is in sight when its process instance is (engine.visibility:
owner, team manager, starter, whoever works on it, or `deals.read.all` /
`tenders.read.all`). Importing this module registers with customers.visibility
that whoever sees one of a company's deals or tenders sees the company too.
Company visibility itself (owner, companies.read.all) is in customers.visibility.
"""
from __future__ import annotations

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from accounts.permissions import Actor
from customers.visibility import company_filter, only_visible, register_sight, require_visible
from engine.visibility import instance_filter

from .models import Opportunity, Tender

__all__ = ["company_filter", "deal_filter", "only_visible", "require_visible", "tender_filter"]


def deal_filter(session: Session, actor: Actor | None) -> ColumnElement[bool] | None:
    """Return a condition on Opportunity for the deals `actor` sees; None when it sees all."""
    return instance_filter(session, actor, "deals", Opportunity.instance_id)


def tender_filter(session: Session, actor: Actor | None) -> ColumnElement[bool] | None:
    """Return a condition on Tender for the tenders `actor` sees; None when it sees all."""
    return instance_filter(session, actor, "tenders", Tender.instance_id)


def companies_of_visible_deals_and_tenders(session: Session, actor: Actor) -> list[Select]:
    """Return the ids of companies with a deal or a tender `actor` sees."""
    deals = select(Opportunity.company_id).where(Opportunity.company_id.is_not(None))
    tenders = select(Tender.company_id).where(Tender.company_id.is_not(None))
    if (condition := deal_filter(session, actor)) is not None:
        deals = deals.where(condition)
    if (condition := tender_filter(session, actor)) is not None:
        tenders = tenders.where(condition)
    return [deals, tenders]


register_sight(companies_of_visible_deals_and_tenders)
