"""The relationship network around a company, for drawing; and the doors to links and control.

`network()` walks company links in both directions, breadth first, one query per
level, up to `depth` steps and MAX_NODES nodes. The contact kinds (reports_to,
influences) add the contacts of the companies in view and the links among them.
Links are written by customers.links and customers.contact_links, control is
computed by customers.control; their public functions are re-exported here.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.permissions import Actor

from . import visibility
from .contact_links import (add_contact_link, change_contact_link, delete_contact_link,
                            end_contact_link, list_contact_links)
from .control import METHOD, accept_group_suggestion, control
from .link_periods import valid_on
from .links import (add_company_link, change_company_link, delete_company_link, end_company_link,
                    invalid, list_company_links, ppm_to_percent)
from .models import COMPANY_LINK_KINDS, CONTACT_LINK_KINDS, Company, CompanyLink, Contact, ContactLink

__all__ = ["KINDS", "MAX_DEPTH", "MAX_NODES", "METHOD", "accept_group_suggestion", "add_company_link",
           "add_contact_link", "change_company_link", "change_contact_link", "control", "delete_company_link",
           "delete_contact_link", "end_company_link", "end_contact_link", "list_company_links",
           "list_contact_links", "network"]

KINDS = (*COMPANY_LINK_KINDS, *CONTACT_LINK_KINDS)
MAX_DEPTH = 4
DEFAULT_DEPTH = 2
MAX_NODES = 500


def network(session: Session, company_id: int, depth: int = DEFAULT_DEPTH, kinds=None,
            actor: Actor | None = None, *, on: date | None = None) -> dict:
    """Return the nodes and edges within `depth` links of a company (the /network JSON).

    Args:
        kinds: link kinds to follow; None for every company kind.
        on: the day the links must hold on (default today).

    Raises:
        InvalidInput: depth outside 1..MAX_DEPTH, an unknown kind.
        NotFound: no such company, or `actor` does not see it.
    """
    from .companies import get_company

    if isinstance(depth, bool) or not isinstance(depth, int) or not 1 <= depth <= MAX_DEPTH:
        raise invalid("depth", f"is a whole number from 1 to {MAX_DEPTH}")
    kinds = list(COMPANY_LINK_KINDS) if kinds is None else list(dict.fromkeys(kinds))
    if not kinds or any(kind not in KINDS for kind in kinds):
        raise invalid("kinds", "are some of " + ", ".join(KINDS))
    get_company(session, company_id, actor=actor)
    on = on or date.today()
    company_kinds = [kind for kind in kinds if kind in COMPANY_LINK_KINDS]
    companies, links, truncated = _walk(session, company_id, depth, company_kinds, on)
    contact_kinds = [kind for kind in kinds if kind in CONTACT_LINK_KINDS]
    names = _visible_names(session, companies, actor)
    nodes = [{"id": f"company:{c}", "type": "company", "record_id": c, "label": names.get(c),
              "hidden": c not in names, "root": c == company_id} for c in companies]
    edges = [_company_edge(link) for link in links]
    if contact_kinds and not truncated:
        contact_nodes, contact_edges, truncated = _contacts(session, [c for c in companies if c in names],
                                                            contact_kinds, on, MAX_NODES - len(nodes))
        nodes += contact_nodes
        edges += contact_edges
    return {"company_id": company_id, "depth": depth, "kinds": kinds, "on": on.isoformat(),
            "truncated": truncated, "nodes": nodes, "edges": edges}


def _walk(session: Session, company_id: int, depth: int, kinds: list[str], on: date):
    """Return (company ids nearest first, the links among them, whether MAX_NODES cut the walk)."""
    seen, frontier, truncated = {company_id: None}, [company_id], False
    for _ in range(depth if kinds else 0):
        rows = session.execute(select(CompanyLink.from_company_id, CompanyLink.to_company_id).where(
            CompanyLink.kind.in_(kinds), valid_on(CompanyLink, on),
            CompanyLink.from_company_id.in_(frontier) | CompanyLink.to_company_id.in_(frontier))
            .order_by(CompanyLink.id)).all()
        frontier = []
        for row in rows:
            for end in row:
                if end in seen:
                    continue
                if len(seen) >= MAX_NODES:
                    truncated = True
                    continue
                seen[end] = None
                frontier.append(end)
        if not frontier or truncated:
            break
    ids = list(seen)
    links = list(session.scalars(select(CompanyLink).where(
        CompanyLink.kind.in_(kinds), valid_on(CompanyLink, on), CompanyLink.from_company_id.in_(ids),
        CompanyLink.to_company_id.in_(ids)).order_by(CompanyLink.id))) if kinds else []
    return ids, links, truncated


def _visible_names(session: Session, ids: list[int], actor: Actor | None) -> dict[int, str]:
    query = select(Company.id, Company.name).where(Company.id.in_(ids))
    return dict(session.execute(visibility.only_visible(query, visibility.company_filter(session, actor))).all())


def _company_edge(link: CompanyLink) -> dict:
    return {"id": f"company_link:{link.id}", "kind": link.kind, "from": f"company:{link.from_company_id}",
            "to": f"company:{link.to_company_id}", "percent": ppm_to_percent(link.share_ppm),
            "valid_from": _iso(link.valid_from), "valid_to": _iso(link.valid_to), "source": link.source}


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _contacts(session: Session, company_ids: list[int], kinds: list[str], on: date, room: int):
    """Return (contact nodes, contact link edges among them, truncated) for the companies the caller sees."""
    people = session.execute(select(Contact.id, Contact.name, Contact.company_id)
                             .where(Contact.company_id.in_(company_ids))
                             .order_by(Contact.company_id, Contact.id).limit(room + 1)).all()
    truncated = len(people) > room
    people = people[:room]
    ids = [person.id for person in people]
    links = session.scalars(select(ContactLink).where(
        ContactLink.kind.in_(kinds), valid_on(ContactLink, on), ContactLink.from_contact_id.in_(ids),
        ContactLink.to_contact_id.in_(ids)).order_by(ContactLink.id)) if ids else []
    nodes = [{"id": f"contact:{p.id}", "type": "contact", "record_id": p.id, "label": p.name, "hidden": False,
              "company_id": p.company_id} for p in people]
    edges = [{"id": f"contact_link:{link.id}", "kind": link.kind, "from": f"contact:{link.from_contact_id}",
              "to": f"contact:{link.to_contact_id}", "percent": None, "valid_from": _iso(link.valid_from),
              "valid_to": _iso(link.valid_to), "source": link.source} for link in links]
    return nodes, edges, truncated
