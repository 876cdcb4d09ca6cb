"""Tenders: opened by starting a `tender` instance, mirrored into a record by crm.tracking."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

import accounts
from engine import instances
from core.db import get_or_raise
from core.errors import InvalidInput
from accounts.models import User
from accounts.permissions import Actor
from customers.companies import get_company

from . import visibility
from .models import Tender
from .tracking import TENDER_KEY


def open_tender(session: Session, *, actor: User, company_id: int | None = None,
                buyer: str | None = None, title: str | None = None, owner: str | None = None,
                submission_due: datetime | None = None) -> Tender:
    """Start a tender instance for a buyer (a known company, or a name) and return its record.

    `submission_due`, when given, is the exact moment bids close; otherwise the
    process takes 17:00 Beijing time on the submission date captured later.
    """
    if company_id is not None:
        buyer = get_company(session, company_id, actor=actor).name
    if not buyer:
        raise InvalidInput("name the buyer", [{"message": "give company_id or buyer", "field": "buyer"}])
    owner = owner or actor.name
    if accounts.find_user(session, owner) is None:
        raise InvalidInput(f"no user {owner!r}", [{"message": f"no user {owner!r}", "field": "owner"}])
    data = {"company_id": company_id, "buyer": buyer, "title": title, "owner": owner,
            "submission_due": submission_due.isoformat() if submission_due else None}
    data = {k: v for k, v in data.items() if v is not None}
    instance = instances.start_instance(session, TENDER_KEY, data=data, business_key=None, actor=actor)
    return session.scalar(select(Tender).where(Tender.instance_id == instance.id))


def get_tender(session: Session, tender_id: int, *, actor: Actor | None = None) -> Tender:
    """Return the tender with `tender_id` if `actor` sees it (None: the system); raise NotFound otherwise."""
    tender = get_or_raise(session, Tender, tender_id, "tender")
    visibility.require_visible(session, visibility.tender_filter(session, actor), Tender, tender_id, "tender")
    return tender


def list_tenders(session: Session, *, outcome: str | None = None,
                 actor: Actor | None = None) -> list[Tender]:
    """Return the tenders `actor` sees, newest first, optionally only those with one outcome."""
    query = visibility.only_visible(select(Tender).order_by(Tender.id.desc()),
                                    visibility.tender_filter(session, actor))
    if outcome:
        query = query.where(Tender.outcome == outcome)
    return list(session.scalars(query))
