"""The decision chain between contacts: who reports to and who influences whom, dated like company links."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.permissions import Actor, require
from core.audit import record
from core.errors import NotFound

from . import visibility
from .link_periods import holds, valid_on
from .links import (_check_no_duplicate, _check_period, _json, _link_changes, _require_both, _visible_contact,
                    invalid)
from .models import CONTACT_LINK_KINDS, Contact, ContactLink

MAX_CHAIN = 100  # longer than any org chart; stops a walk over corrupted data


def add_contact_link(session: Session, *, kind: str, from_contact_id: int, to_contact_id: int,
                     valid_from: date | None = None, valid_to: date | None = None, source: str | None = None,
                     actor: Actor | None = None) -> ContactLink:
    """Link two contacts the caller sees: `from` reports to / influences `to`.

    Raises:
        InvalidInput: an unknown kind, a missing end, a link to itself, a bad period, a reporting loop.
        Conflict: the same kind already links the pair in an overlapping period.
    """
    require(actor, "companies.write")
    if kind not in CONTACT_LINK_KINDS:
        raise invalid("kind", "is one of " + ", ".join(CONTACT_LINK_KINDS))
    _visible_contact(session, from_contact_id, actor, "from_contact_id")
    _visible_contact(session, to_contact_id, actor, "to_contact_id")
    if from_contact_id == to_contact_id:
        raise invalid("to_contact_id", "is the contact itself")
    _check_period(valid_from, valid_to)
    _check_no_duplicate(session, ContactLink, kind, from_contact_id, to_contact_id, valid_from, valid_to, None,
                        "contact link")
    if kind == "reports_to" and from_contact_id in _managers(session, to_contact_id):
        raise invalid("to_contact_id", f"contact {to_contact_id} reports to contact {from_contact_id} already, "
                                       "directly or through others")
    link = ContactLink(kind=kind, from_contact_id=from_contact_id, to_contact_id=to_contact_id,
                       valid_from=valid_from, valid_to=valid_to, source=source)
    session.add(link)
    session.flush()
    record(session, "contact_link.created", actor=actor, object_type="contact_link", object_id=link.id,
           changes=_link_changes({"kind": kind, "from_contact_id": from_contact_id, "to_contact_id": to_contact_id,
                                  "valid_from": valid_from, "valid_to": valid_to, "source": source}))
    return link


def _managers(session: Session, contact_id: int) -> set[int]:
    """Return everyone `contact_id` reports to today, directly or up the chain."""
    seen, frontier = set(), {contact_id}
    for _ in range(MAX_CHAIN):
        frontier = set(session.scalars(select(ContactLink.to_contact_id).where(
            ContactLink.kind == "reports_to", ContactLink.from_contact_id.in_(frontier),
            valid_on(ContactLink, date.today())))) - seen
        if not frontier:
            break
        seen |= frontier
    return seen


def get_contact_link(session: Session, link_id: int, *, actor: Actor | None = None) -> ContactLink:
    """Return the link if `actor` sees both contacts; NotFound if neither, Forbidden if one only."""
    link = session.get(ContactLink, link_id)
    if link is None:
        raise NotFound(f"no contact link {link_id}")
    _require_both(session, actor, Contact, (link.from_contact_id, link.to_contact_id), Contact.company_id,
                  f"contact link {link_id}")
    return link


def change_contact_link(session: Session, link_id: int, changes: dict, *,
                        actor: Actor | None = None) -> ContactLink:
    """Change a contact link's period or source."""
    require(actor, "companies.write")
    link = get_contact_link(session, link_id, actor=actor)
    unknown = sorted(set(changes) - {"valid_from", "valid_to", "source"})
    if unknown:
        raise invalid(unknown[0], "cannot be changed; delete the link and add another")
    before = {"valid_from": link.valid_from, "valid_to": link.valid_to, "source": link.source}
    after = {**before, **changes}
    _check_period(after["valid_from"], after["valid_to"])
    _check_no_duplicate(session, ContactLink, link.kind, link.from_contact_id, link.to_contact_id,
                        after["valid_from"], after["valid_to"], link.id, "contact link")
    link.valid_from, link.valid_to, link.source = after["valid_from"], after["valid_to"], after["source"]
    session.flush()
    changed = {name: [_json(before[name]), _json(after[name])] for name in before if before[name] != after[name]}
    if changed:
        record(session, "contact_link.changed", actor=actor, object_type="contact_link", object_id=link.id,
               changes=changed)
    return link


def end_contact_link(session: Session, link_id: int, *, on: date | None = None,
                     actor: Actor | None = None) -> ContactLink:
    """End a contact link: it no longer holds from `on` (default today)."""
    return change_contact_link(session, link_id, {"valid_to": on or date.today()}, actor=actor)


def delete_contact_link(session: Session, link_id: int, *, actor: Actor | None = None) -> None:
    """Remove a contact link entered by mistake."""
    require(actor, "companies.write")
    link = get_contact_link(session, link_id, actor=actor)
    snapshot = {"kind": link.kind, "from_contact_id": link.from_contact_id, "to_contact_id": link.to_contact_id,
                "valid_from": link.valid_from, "valid_to": link.valid_to, "source": link.source}
    session.delete(link)
    session.flush()
    record(session, "contact_link.deleted", actor=actor, object_type="contact_link", object_id=link_id,
           changes={name: [_json(value), None] for name, value in snapshot.items() if value is not None})


def list_contact_links(session: Session, contact_id: int, *, actor: Actor | None = None) -> list[dict]:
    """Return every link of a contact the caller sees, any period; the other end's name hidden if not seen."""
    from .contacts import get_contact

    get_contact(session, contact_id, actor=actor)
    links = list(session.scalars(select(ContactLink).where(
        (ContactLink.from_contact_id == contact_id) | (ContactLink.to_contact_id == contact_id))
        .order_by(ContactLink.id)))
    ids = {end for link in links for end in (link.from_contact_id, link.to_contact_id)}
    names = dict(session.execute(select(Contact.id, Contact.name).where(Contact.id.in_(ids))).all())
    condition = visibility.company_filter(session, actor, Contact.company_id)
    seen = set(session.scalars(visibility.only_visible(select(Contact.id).where(Contact.id.in_(ids)), condition)))
    today = date.today()

    def end(other: int) -> dict:
        return {"id": other, "name": names[other] if other in seen else None, "hidden": other not in seen}

    return [{"id": link.id, "kind": link.kind, "from": end(link.from_contact_id), "to": end(link.to_contact_id),
             "valid_from": link.valid_from, "valid_to": link.valid_to, "source": link.source,
             "is_current": holds(link, today)} for link in links]

