"""Typed, dated edges between companies (shareholder, supplier, ...) and between contacts (reports_to, influences).

A link holds from `valid_from` (inclusive) until `valid_to` (exclusive), either
open-ended: the old shareholder's link ends on the day the new one's begins, and
on no day do both count. Every write checks the rules the network and control
views rely on: a known kind, two different ends the caller sees, a percent for a
shareholding only, and shareholdings in one company that never sum above 100 %
on any day, nor close a ring of companies wholly held by each other.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import and_, false, or_, select
from sqlalchemy.orm import Session

from accounts.permissions import Actor, require
from core.audit import record
from core.db import is_postgresql
from core.errors import Conflict, Forbidden, InvalidInput, NotFound

from . import visibility
from .control import closed_rings
from .link_periods import PPM_PER_PERCENT, holds
from .models import COMPANY_LINK_KINDS, FULL_SHARE_PPM, Company, CompanyLink, Contact

SYMMETRIC_KINDS = ("partner", "competitor")  # A partners B is B partners A: one link per pair
CHANGEABLE = ("percent", "valid_from", "valid_to", "source")


def invalid(field: str, message: str) -> InvalidInput:
    """Return the InvalidInput naming `field`."""
    return InvalidInput(f"{field}: {message}", [{"field": field, "message": message}])


def percent_to_ppm(percent) -> int:
    """Return a percent (60.5, "60.5", Decimal) as parts per million; refuse 0, over 100 or over 4 decimals."""
    try:
        value = Decimal(repr(percent) if isinstance(percent, float) else str(percent))
    except (InvalidOperation, ValueError):
        raise invalid("percent", "must be a number") from None
    if isinstance(percent, bool) or not value.is_finite() or not 0 < value <= 100:
        raise invalid("percent", "must be more than 0 and at most 100")
    ppm = value * PPM_PER_PERCENT
    if ppm != ppm.to_integral_value():
        raise invalid("percent", "has at most 4 decimals")
    return int(ppm)


def ppm_to_percent(ppm: int | None) -> float | None:
    """Return parts per million as a JSON percent (60.5 for 605,000)."""
    return None if ppm is None else ppm / PPM_PER_PERCENT


def _check_period(valid_from: date | None, valid_to: date | None) -> None:
    if valid_from is not None and valid_to is not None and valid_from > valid_to:
        raise invalid("valid_to", "is before valid_from")


def _overlapping(model, valid_from: date | None, valid_to: date | None):
    """Return the condition "`model`'s period overlaps [valid_from, valid_to)" (None is open)."""
    if valid_from is not None and valid_to is not None and valid_from >= valid_to:
        return false()  # an empty period overlaps nothing
    conditions = []
    if valid_to is not None:
        conditions.append(or_(model.valid_from.is_(None), model.valid_from < valid_to))
    if valid_from is not None:
        conditions.append(or_(model.valid_to.is_(None), model.valid_to > valid_from))
    conditions.append(or_(model.valid_from.is_(None), model.valid_to.is_(None), model.valid_from < model.valid_to))
    return and_(*conditions)


def _visible_company(session: Session, company_id: int, actor: Actor | None, field: str) -> None:
    condition = visibility.company_filter(session, actor)
    query = select(Company.id).where(Company.id == company_id)
    if session.scalar(visibility.only_visible(query, condition)) is None:
        raise invalid(field, f"no company {company_id}")


def _visible_contact(session: Session, contact_id: int, actor: Actor | None, field: str) -> None:
    condition = visibility.company_filter(session, actor, Contact.company_id)
    query = select(Contact.id).where(Contact.id == contact_id)
    if session.scalar(visibility.only_visible(query, condition)) is None:
        raise invalid(field, f"no contact {contact_id}")


def _lock_company(session: Session, company_id: int) -> None:
    # Two requests adding holders of one company at once must not both see room for theirs.
    if is_postgresql(session):
        session.execute(select(Company.id).where(Company.id == company_id).with_for_update())


def _check_total(session: Session, to_company_id: int, ppm: int, valid_from, valid_to,
                 except_id: int | None) -> None:
    """Refuse `ppm` in `to_company_id` for the period if, with the others, it sums over 100 % on some day."""
    others = session.execute(
        select(CompanyLink.share_ppm, CompanyLink.valid_from, CompanyLink.valid_to).where(
            CompanyLink.kind == "shareholder", CompanyLink.to_company_id == to_company_id,
            CompanyLink.id != (except_id or 0), _overlapping(CompanyLink, valid_from, valid_to))).all()
    # The sum of step functions peaks on a day some link begins: try each such day within the period.
    days = {valid_from} | {start for _, start, _ in others
                           if start is not None and (valid_from is None or start > valid_from)}
    for day in days:
        total = ppm + sum(share for share, start, end in others
                          if (day is None and start is None) or (
                              day is not None and (start is None or start <= day) and (end is None or end > day)))
        if total > FULL_SHARE_PPM:
            when = "today and before" if day is None else f"from {day.isoformat()}"
            raise invalid("percent", f"the shareholdings in company {to_company_id} would sum to "
                                     f"{total / PPM_PER_PERCENT:g} % {when}; at most 100 %")


def _check_no_closed_ring(session: Session, to_company_id: int, on: date) -> None:
    """Refuse a holding that leaves companies wholly held by each other: their ownership would have no end."""

    for ring in closed_rings(session, to_company_id, on):
        raise invalid("percent", "companies " + ", ".join(map(str, sorted(ring))) +
                      " would hold each other wholly, with no holder outside them")


def _check_no_duplicate(session: Session, model, kind: str, from_id: int, to_id: int, valid_from, valid_to,
                        except_id: int | None, what: str) -> None:
    ends = (model.from_company_id, model.to_company_id) if model is CompanyLink else (
        model.from_contact_id, model.to_contact_id)
    pair = and_(ends[0] == from_id, ends[1] == to_id)
    if kind in SYMMETRIC_KINDS:
        pair = or_(pair, and_(ends[0] == to_id, ends[1] == from_id))
    found = session.scalar(select(model.id).where(model.kind == kind, pair, model.id != (except_id or 0),
                                                  _overlapping(model, valid_from, valid_to)))
    if found is not None:
        raise Conflict(f"{what} {found} already links these two as {kind} in that period; change or end it")


def _link_changes(values: dict) -> dict:
    return {name: [None, value.isoformat() if isinstance(value, date) else value]
            for name, value in values.items() if value is not None}


def add_company_link(session: Session, *, kind: str, from_company_id: int, to_company_id: int,
                     percent=None, valid_from: date | None = None, valid_to: date | None = None,
                     source: str | None = None, actor: Actor | None = None) -> CompanyLink:
    """Link two companies the caller sees: `from` holds shares in / supplies / ... `to`.

    Raises:
        InvalidInput: an unknown kind, a missing end, a link to itself, a bad percent or period,
            shareholdings in `to` over 100 % or a closed ring of holdings.
        Conflict: the same kind already links the pair in an overlapping period.
    """
    require(actor, "companies.write")
    if kind not in COMPANY_LINK_KINDS:
        raise invalid("kind", "is one of " + ", ".join(COMPANY_LINK_KINDS))
    _visible_company(session, from_company_id, actor, "from_company_id")
    _visible_company(session, to_company_id, actor, "to_company_id")
    if from_company_id == to_company_id:
        raise invalid("to_company_id", "is the company itself")
    ppm = _checked_share(kind, percent)
    _check_period(valid_from, valid_to)
    _check_no_duplicate(session, CompanyLink, kind, from_company_id, to_company_id, valid_from, valid_to, None,
                        "company link")
    link = CompanyLink(kind=kind, from_company_id=from_company_id, to_company_id=to_company_id, share_ppm=ppm,
                       valid_from=valid_from, valid_to=valid_to, source=source)
    if kind == "shareholder":
        _lock_company(session, to_company_id)
        _check_total(session, to_company_id, ppm, valid_from, valid_to, None)
    session.add(link)
    session.flush()
    if kind == "shareholder":
        _check_no_closed_ring(session, to_company_id, date.today())
    record(session, "company_link.created", actor=actor, object_type="company_link", object_id=link.id,
           changes=_link_changes({"kind": kind, "from_company_id": from_company_id,
                                  "to_company_id": to_company_id, "percent": ppm_to_percent(ppm),
                                  "valid_from": valid_from, "valid_to": valid_to, "source": source}))
    return link


def _checked_share(kind: str, percent) -> int | None:
    if kind != "shareholder":
        if percent is not None:
            raise invalid("percent", "is for a shareholder link only")
        return None
    if percent is None:
        raise invalid("percent", "is required for a shareholder link")
    return percent_to_ppm(percent)


def get_company_link(session: Session, link_id: int, *, actor: Actor | None = None) -> CompanyLink:
    """Return the link if `actor` sees both its companies; NotFound if neither, Forbidden if one only."""
    link = session.get(CompanyLink, link_id)
    if link is None:
        raise NotFound(f"no company link {link_id}")
    _require_both(session, actor, Company, (link.from_company_id, link.to_company_id), Company.id,
                  f"company link {link_id}")
    return link


def _require_both(session: Session, actor, model, ids, company_column, what: str) -> None:
    condition = visibility.company_filter(session, actor, company_column)
    if condition is None:
        return
    seen = set(session.scalars(select(model.id).where(model.id.in_(ids), condition)))
    if not seen:
        raise NotFound(f"no {what}")
    if len(seen) < len(set(ids)):
        raise Forbidden(f"you may change {what} only if you see both its ends")


def change_company_link(session: Session, link_id: int, changes: dict, *,
                        actor: Actor | None = None) -> CompanyLink:
    """Change a link's percent, period or source (its kind and ends stay: delete it and add another)."""
    require(actor, "companies.write")
    link = get_company_link(session, link_id, actor=actor)
    unknown = sorted(set(changes) - set(CHANGEABLE))
    if unknown:
        raise invalid(unknown[0], "cannot be changed; delete the link and add another")
    ppm = _checked_share(link.kind, changes["percent"]) if "percent" in changes else link.share_ppm
    valid_from = changes.get("valid_from", link.valid_from)
    valid_to = changes.get("valid_to", link.valid_to)
    _check_period(valid_from, valid_to)
    _check_no_duplicate(session, CompanyLink, link.kind, link.from_company_id, link.to_company_id, valid_from,
                        valid_to, link.id, "company link")
    if link.kind == "shareholder":
        _lock_company(session, link.to_company_id)
        _check_total(session, link.to_company_id, ppm, valid_from, valid_to, link.id)
    before = {"percent": ppm_to_percent(link.share_ppm), "valid_from": link.valid_from,
              "valid_to": link.valid_to, "source": link.source}
    link.share_ppm, link.valid_from, link.valid_to = ppm, valid_from, valid_to
    link.source = changes.get("source", link.source)
    session.flush()
    if link.kind == "shareholder":
        _check_no_closed_ring(session, link.to_company_id, date.today())
    after = {"percent": ppm_to_percent(ppm), "valid_from": valid_from, "valid_to": valid_to,
             "source": link.source}
    changed = {name: [_json(before[name]), _json(after[name])] for name in before if before[name] != after[name]}
    if changed:
        record(session, "company_link.changed", actor=actor, object_type="company_link", object_id=link.id,
               changes=changed)
    return link


def _json(value):
    return value.isoformat() if isinstance(value, date) else value


def end_company_link(session: Session, link_id: int, *, on: date | None = None,
                     actor: Actor | None = None) -> CompanyLink:
    """End a link: it no longer holds from `on` (default today)."""
    return change_company_link(session, link_id, {"valid_to": on or date.today()}, actor=actor)


def delete_company_link(session: Session, link_id: int, *, actor: Actor | None = None) -> None:
    """Remove a link entered by mistake (a link that ended is ended, not deleted: see end_company_link)."""
    require(actor, "companies.write")
    link = get_company_link(session, link_id, actor=actor)
    snapshot = {"kind": link.kind, "from_company_id": link.from_company_id, "to_company_id": link.to_company_id,
                "percent": ppm_to_percent(link.share_ppm), "valid_from": link.valid_from,
                "valid_to": link.valid_to, "source": link.source}
    session.delete(link)
    session.flush()
    record(session, "company_link.deleted", actor=actor, object_type="company_link", object_id=link_id,
           changes={name: [_json(value), None] for name, value in snapshot.items() if value is not None})


def list_company_links(session: Session, company_id: int, *, actor: Actor | None = None) -> list[dict]:
    """Return every link of a company the caller sees, any period; the other end's name hidden if not seen."""
    from .companies import get_company

    get_company(session, company_id, actor=actor)
    links = list(session.scalars(select(CompanyLink).where(
        (CompanyLink.from_company_id == company_id) | (CompanyLink.to_company_id == company_id))
        .order_by(CompanyLink.kind, CompanyLink.id)))
    ids = {end for link in links for end in (link.from_company_id, link.to_company_id)}
    names = dict(session.execute(select(Company.id, Company.name).where(Company.id.in_(ids))).all())
    condition = visibility.company_filter(session, actor)
    seen = set(session.scalars(visibility.only_visible(select(Company.id).where(Company.id.in_(ids)), condition)))
    today = date.today()

    def end(other: int) -> dict:
        return {"id": other, "name": names[other] if other in seen else None, "hidden": other not in seen}

    return [{"id": link.id, "kind": link.kind, "from": end(link.from_company_id), "to": end(link.to_company_id),
             "percent": ppm_to_percent(link.share_ppm), "valid_from": link.valid_from, "valid_to": link.valid_to,
             "source": link.source, "is_current": holds(link, today)} for link in links]
