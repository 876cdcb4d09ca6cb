"""The group view: a company with its parents, its subsidiaries at any depth and the group's deals.

Walks the tree with one recursive query (customers.companies.subsidiary_ids) on
both SQLite and PostgreSQL; the deal totals make it crm's, not customers'.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.permissions import Actor
from customers.companies import MAX_DEPTH, get_company, subsidiary_ids
from customers.models import Company

from . import visibility
from .models import Opportunity


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
