"""What a contact's page shows beside the contact: consent history, the decision chain, recent behaviour.

The deals a contact sits on the committee of are crm's (crm.committees); customers
never imports crm.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from accounts.permissions import Actor

from . import visibility
from .contacts import get_contact
from .models import BehaviourEvent, Contact, ContactLink

RECENT_EVENTS = 20
MAX_LINKS = 200


def contact_view(session: Session, contact_id: int, *, actor: Actor | None = None) -> dict:
    """Return the contact `actor` sees (NotFound otherwise) with its consent history, links and recent events.

    Returns:
        {"contact": Contact, "consent_history": {channel: [ContactConsent, newest first]},
         "links": [{"kind", "direction": "out"|"in", "other_id", "other_name" (None if not seen),
                    "valid_from", "valid_to", "source", "is_current"}],
         "events": [BehaviourEvent, newest first, at most RECENT_EVENTS]}
    """
    contact = get_contact(session, contact_id, actor=actor)
    history: dict[str, list] = {}
    for row in reversed(contact.consents):
        history.setdefault(row.channel, []).append(row)
    events = list(session.scalars(select(BehaviourEvent).where(BehaviourEvent.contact_id == contact_id)
                                  .order_by(BehaviourEvent.occurred_at.desc(), BehaviourEvent.id.desc())
                                  .limit(RECENT_EVENTS)))
    return {"contact": contact, "consent_history": history, "links": _links(session, contact_id, actor),
            "events": events}


def _links(session: Session, contact_id: int, actor: Actor | None) -> list[dict]:
    other = aliased(Contact)
    rows = session.execute(
        select(ContactLink, other)
        .join(other, or_(other.id == ContactLink.to_contact_id, other.id == ContactLink.from_contact_id))
        .where(or_(ContactLink.from_contact_id == contact_id, ContactLink.to_contact_id == contact_id),
               other.id != contact_id)
        .order_by(ContactLink.kind, ContactLink.id).limit(MAX_LINKS)).all()
    seen = _visible_contact_ids(session, [person.id for _, person in rows], actor)
    today = date.today()
    return [{"kind": link.kind, "direction": "out" if link.from_contact_id == contact_id else "in",
             "other_id": person.id, "other_name": person.name if person.id in seen else None,
             "valid_from": link.valid_from, "valid_to": link.valid_to, "source": link.source,
             "is_current": (link.valid_from is None or link.valid_from <= today)
             and (link.valid_to is None or link.valid_to > today)}
            for link, person in rows]


def _visible_contact_ids(session: Session, ids: list[int], actor: Actor | None) -> set[int]:
    condition = visibility.company_filter(session, actor, Contact.company_id)
    query = select(Contact.id).where(Contact.id.in_(ids))
    return set(session.scalars(visibility.only_visible(query, condition))) if ids else set()
