"""crm's part of the 360° view (customers.view360): a company's deals, tenders, contracts and committee roles.

Importing this module registers the section. Only deals and tenders the actor
sees are shown (crm.visibility), and only the contracts of those deals and
tenders. A contract's "verification" is what the archive stored after its last
step (status and signatures); validating the PDF again with pyHanko takes
seconds, so the view links to /api/contracts/{id}/verify instead.
"""
from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from accounts.permissions import Actor
from customers.view360 import TimelineItem, Window, register_section
from signing.models import Contract

from . import visibility
from .models import CommitteeMember, Opportunity, Tender

MAX_ROWS = 200  # per list in the view; the deal and tender lists page further
CURRENCY = "CNY"  # deals carry no currency column: amounts are 分 of CNY


def build(session: Session, company_id: int, actor: Actor | None,
          window: Window) -> tuple[dict, list[TimelineItem]]:
    """Return the deals, tenders, contracts and contact roles of a company, and their timeline items."""
    deals_seen = visibility.deal_filter(session, actor)
    tenders_seen = visibility.tender_filter(session, actor)
    deals = list(session.scalars(visibility.only_visible(
        select(Opportunity).where(Opportunity.company_id == company_id), deals_seen)
        .order_by(Opportunity.created_at.desc(), Opportunity.id.desc()).limit(MAX_ROWS)))
    tenders = list(session.scalars(visibility.only_visible(
        select(Tender).where(Tender.company_id == company_id), tenders_seen)
        .order_by(Tender.created_at.desc(), Tender.id.desc()).limit(MAX_ROWS)))
    by_outcome = {"open": [], "won": [], "lost": []}
    for deal in deals:
        by_outcome.setdefault(deal.outcome, []).append(_deal(deal))
    contracts = _contracts(session, [d.instance_id for d in deals] + [t.instance_id for t in tenders])
    sections = {"deals": by_outcome,
                "tenders": [{"id": t.id, "title": t.title, "stage": t.stage, "outcome": t.outcome,
                             "instance_id": t.instance_id, "budget": t.budget,
                             "submission_deadline": t.submission_deadline.isoformat()
                             if t.submission_deadline else None} for t in tenders],
                "contracts": [_contract(c) for c in contracts],
                "contact_roles": _roles(session, company_id, deals_seen)}
    return sections, _timeline(session, company_id, window, deals_seen, tenders_seen)


def _deal(deal: Opportunity) -> dict:
    return {"id": deal.id, "title": deal.name, "stage": deal.stage, "amount": deal.amount, "currency": CURRENCY,
            "owner": deal.owner.name if deal.owner else None, "instance_id": deal.instance_id,
            "probability": deal.probability,
            "expected_close_date": deal.expected_close_date.isoformat() if deal.expected_close_date else None,
            "closed_at": deal.closed_at.isoformat() if deal.closed_at else None}


def _contracts(session: Session, instance_ids: list[int]) -> list[Contract]:
    if not instance_ids:
        return []
    return list(session.scalars(select(Contract).where(Contract.instance_id.in_(instance_ids))
                                .order_by(Contract.created_at.desc(), Contract.id.desc()).limit(MAX_ROWS)))


def _contract(contract: Contract) -> dict:
    signatures = list(contract.signatures or [])
    return {"id": contract.id, "number": contract.number, "title": contract.title, "status": contract.status,
            "instance_id": contract.instance_id, "superseded": contract.superseded_by_id is not None,
            "verification": {
                "state": contract.status, "checked": "as stored after the last step",
                "signatures": signatures,
                "verify_url": f"/api/contracts/{contract.id}/verify"}}


def _roles(session: Session, company_id: int, deals_seen) -> dict[int, list[dict]]:
    """Return {contact id: [{deal_id, deal_title, role, influence, attitude}]} over the deals in sight."""
    query = (select(CommitteeMember.contact_id, Opportunity.id, Opportunity.name, CommitteeMember.role,
                    CommitteeMember.influence, CommitteeMember.attitude)
             .join(Opportunity, Opportunity.id == CommitteeMember.opportunity_id)
             .where(Opportunity.company_id == company_id).order_by(Opportunity.id, CommitteeMember.id)
             .limit(MAX_ROWS * 5))
    roles: dict[int, list[dict]] = {}
    for contact_id, deal_id, title, role, influence, attitude in session.execute(
            visibility.only_visible(query, deals_seen)):
        roles.setdefault(contact_id, []).append({"deal_id": deal_id, "deal_title": title, "role": role,
                                                 "influence": influence, "attitude": attitude})
    return roles


def _timeline(session: Session, company_id: int, window: Window, deals_seen,
              tenders_seen) -> list[TimelineItem]:
    """Deals opened and closed, tenders followed, contracts drafted: the newest of each before the cursor."""
    items = []

    def top(query, when, id_column, source):
        return session.scalars(query.where(window.older(when, id_column, source), when.is_not(None))
                               .order_by(when.desc(), id_column.desc()).limit(window.limit))

    deals = visibility.only_visible(select(Opportunity).where(Opportunity.company_id == company_id), deals_seen)
    for deal in top(deals, Opportunity.created_at, Opportunity.id, "deal.opened"):
        items.append(TimelineItem(deal.created_at, "deal.opened", deal.id, "deal", f"deal opened: {deal.name}",
                                  {"type": "deal", "id": deal.id}))
    closed = deals.where(Opportunity.outcome != "open")
    for deal in top(closed, Opportunity.closed_at, Opportunity.id, "deal.closed"):
        items.append(TimelineItem(deal.closed_at, "deal.closed", deal.id, "deal",
                                  f"deal {deal.outcome}: {deal.name}", {"type": "deal", "id": deal.id}))
    tenders = visibility.only_visible(select(Tender).where(Tender.company_id == company_id), tenders_seen)
    for tender in top(tenders, Tender.created_at, Tender.id, "tender"):
        items.append(TimelineItem(tender.created_at, "tender", tender.id, "tender", f"tender: {tender.title}",
                                  {"type": "tender", "id": tender.id}))
    deal_instances = visibility.only_visible(select(Opportunity.instance_id)
                                             .where(Opportunity.company_id == company_id), deals_seen)
    tender_instances = visibility.only_visible(select(Tender.instance_id).where(Tender.company_id == company_id),
                                               tenders_seen)
    contracts = select(Contract).where(or_(Contract.instance_id.in_(deal_instances),
                                           Contract.instance_id.in_(tender_instances)))
    for contract in top(contracts, Contract.created_at, Contract.id, "contract"):
        items.append(TimelineItem(contract.created_at, "contract", contract.id, "contract",
                                  f"contract {contract.number}: {contract.title} ({contract.status})",
                                  {"type": "contract", "id": contract.id}))
    return items


register_section("crm", build)
