"""crm's part of the 360° view (customers.view360): a company's deals, tenders, contracts and committee roles.

Importing this module registers the section. Only deals and tenders the actor
sees are shown (crm.visibility), and only the contracts of those deals and
tenders. A contract's "verification" is what the archive stored after its last
step (status and signatures); validating the PDF again with pyHanko takes
seconds, so the view links to /api/contracts/{id}/verify instead.
"""
from __future__ import annotations

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session, lazyload

from accounts.permissions import Actor
from accounts.visibility import built_once
from customers.view360 import TimelineItem, Window, register_section
from signing.models import Contract

from . import visibility
from .models import CommitteeMember, Opportunity, Tender

MAX_ROWS = 200  # per list in the view; the deal and tender lists page further
CURRENCY = "CNY"  # deals carry no currency column: their amounts are whole yuan, as the process forms take them
MINOR_UNITS = 100  # the view gives every amount in 分, a deal's too


# Built once (building a statement costs more than running these); the deals and tenders, filtered by
# who is asking, once per condition (_listing).
_CONTRACTS = (select(Contract).options(lazyload(Contract.revisions), lazyload(Contract.events),
                                       lazyload(Contract.created_by))
              .where(Contract.instance_id.in_(bindparam("instance_ids", expanding=True)))
              .order_by(Contract.created_at.desc(), Contract.id.desc()).limit(MAX_ROWS))
_ROLES = (select(CommitteeMember.contact_id, CommitteeMember.opportunity_id, CommitteeMember.role,
                 CommitteeMember.influence, CommitteeMember.attitude)
          .where(CommitteeMember.opportunity_id.in_(bindparam("deal_ids", expanding=True)))
          .order_by(CommitteeMember.opportunity_id, CommitteeMember.id))


def build(session: Session, company_id: int, actor: Actor | None,
          window: Window) -> tuple[dict, list[TimelineItem]]:
    """Return the deals, tenders, contracts and contact roles of a company, and their timeline items.

    A company has tens of deals and tenders, not millions: each list is read once by
    its company_id index (newest MAX_ROWS) and the timeline takes its items from them.
    """
    deals = list(session.scalars(_listing(Opportunity, visibility.deal_filter(session, actor)),
                                 {"company_id": company_id}))
    tenders = list(session.scalars(_listing(Tender, visibility.tender_filter(session, actor)),
                                   {"company_id": company_id}))
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
                "contact_roles": _roles(session, deals)}
    return sections, window.newest(_timeline(deals, tenders, contracts))


def _listing(model, condition) -> Select:
    """Return the newest MAX_ROWS deals or tenders of a company (bind company_id) in sight: built once each."""
    def build() -> Select:
        query = (select(model).options(lazyload(model.company))
                 .where(model.company_id == bindparam("company_id")))
        return (visibility.only_visible(query, condition)
                .order_by(model.created_at.desc(), model.id.desc()).limit(MAX_ROWS))
    return built_once(("crm.360", model, condition), build)


def _deal(deal: Opportunity) -> dict:
    return {"id": deal.id, "title": deal.name, "stage": deal.stage, "currency": CURRENCY,
            "amount": None if deal.amount is None else deal.amount * MINOR_UNITS,
            "owner": deal.owner.name if deal.owner else None, "instance_id": deal.instance_id,
            "probability": deal.probability,
            "expected_close_date": deal.expected_close_date.isoformat() if deal.expected_close_date else None,
            "closed_at": deal.closed_at.isoformat() if deal.closed_at else None}


def _contracts(session: Session, instance_ids: list[int]) -> list[Contract]:
    if not instance_ids:
        return []
    return list(session.scalars(_CONTRACTS, {"instance_ids": instance_ids}))


def _contract(contract: Contract) -> dict:
    signatures = list(contract.signatures or [])
    return {"id": contract.id, "number": contract.number, "title": contract.title, "status": contract.status,
            "instance_id": contract.instance_id, "superseded": contract.superseded_by_id is not None,
            "verification": {
                "state": contract.status, "checked": "as stored after the last step",
                "signatures": signatures,
                "verify_url": f"/api/contracts/{contract.id}/verify"}}


def _roles(session: Session, deals: list[Opportunity]) -> dict[int, list[dict]]:
    """Return {contact id: [{deal_id, deal_title, role, influence, attitude}]} over the deals in sight."""
    if not deals:
        return {}
    titles = {deal.id: deal.name for deal in deals}
    roles: dict[int, list[dict]] = {}
    for contact_id, deal_id, role, influence, attitude in session.execute(_ROLES, {"deal_ids": list(titles)}):
        roles.setdefault(contact_id, []).append({"deal_id": deal_id, "deal_title": titles[deal_id], "role": role,
                                                 "influence": influence, "attitude": attitude})
    return roles


def _timeline(deals: list[Opportunity], tenders: list[Tender], contracts: list[Contract]) -> list[TimelineItem]:
    """Deals opened and closed, tenders followed, contracts drafted."""
    items = []
    for deal in deals:
        items.append(TimelineItem(deal.created_at, "deal.opened", deal.id, "deal", f"deal opened: {deal.name}",
                                  {"type": "deal", "id": deal.id}))
        if deal.outcome != "open" and deal.closed_at is not None:
            items.append(TimelineItem(deal.closed_at, "deal.closed", deal.id, "deal",
                                      f"deal {deal.outcome}: {deal.name}", {"type": "deal", "id": deal.id}))
    for tender in tenders:
        items.append(TimelineItem(tender.created_at, "tender", tender.id, "tender", f"tender: {tender.title}",
                                  {"type": "tender", "id": tender.id}))
    for contract in contracts:
        items.append(TimelineItem(contract.created_at, "contract", contract.id, "contract",
                                  f"contract {contract.number}: {contract.title} ({contract.status})",
                                  {"type": "contract", "id": contract.id}))
    return items


register_section("crm", build)
