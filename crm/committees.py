"""The deals a contact sits on the decision committee of, for the contact's page."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.permissions import Actor

from . import visibility
from .models import CommitteeMember, Opportunity

MAX_ROWS = 200


def committee_seats(session: Session, contact_id: int, *, actor: Actor | None = None) -> list[dict]:
    """Return the contact's seats on the committees of deals `actor` sees, newest deal first.

    Each is {"deal": Opportunity, "role", "influence", "attitude", "note"}.
    """
    query = (select(CommitteeMember, Opportunity)
             .join(Opportunity, Opportunity.id == CommitteeMember.opportunity_id)
             .where(CommitteeMember.contact_id == contact_id)
             .order_by(Opportunity.created_at.desc(), Opportunity.id.desc()).limit(MAX_ROWS))
    query = visibility.only_visible(query, visibility.deal_filter(session, actor))
    return [{"deal": deal, "role": seat.role, "influence": seat.influence, "attitude": seat.attitude,
             "note": seat.note} for seat, deal in session.execute(query)]
