"""One search over everything a person may open: deals, companies, contacts, contracts and tenders.

What the header's search box answers. Each kind is searched only for those holding
its read permission, through the same visibility filters as its own list, so a
result never leads to a page that would say "not found". Each group holds at most
`limit` rows and says whether there are more, for a "see all" link to its full list.
Companies are found as the company list finds them (customers.search.matching:
name, alias, pinyin initials, credit or ERP code); the rest by part of a name,
number, business key, email or mobile, in any case.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from accounts.permissions import Actor, as_actor
from customers import search as company_search
from customers.models import Company, Contact
from engine.models import ProcessInstance
from signing.models import Contract
from signing.visibility import contract_filter

from .models import Opportunity, Tender
from .visibility import company_filter, deal_filter, only_visible, tender_filter

GROUPS = ("deals", "companies", "contacts", "contracts", "tenders")
READ = {"deals": "deals.read", "companies": "companies.read", "contacts": "companies.read",
        "contracts": "contracts.read", "tenders": "tenders.read"}
DEFAULT_LIMIT = 10
MAX_QUERY = 255


@dataclass
class Found:
    """What a search found: per group, its first rows and whether more match."""

    text: str
    groups: dict[str, list] = field(default_factory=dict)
    more: dict[str, bool] = field(default_factory=dict)

    @property
    def total_shown(self) -> int:
        return sum(len(rows) for rows in self.groups.values())


def search_everything(session: Session, text: str, *, actor: Actor | None,
                      limit: int = DEFAULT_LIMIT) -> Found:
    """Return what `text` finds among the records `actor` may see, by group (None: the system sees all).

    An empty text finds nothing; groups the actor may not read are left out altogether.
    """
    text = (text or "").strip()[:MAX_QUERY]
    found = Found(text)
    if not text:
        return found
    actor = as_actor(actor)
    queries = {"deals": _deals, "companies": _companies, "contacts": _contacts,
               "contracts": _contracts, "tenders": _tenders}
    for group in GROUPS:
        if actor is not None and not actor.can(READ[group]):
            continue
        rows = list(session.scalars(queries[group](session, text, actor).limit(limit + 1)))
        found.groups[group], found.more[group] = rows[:limit], len(rows) > limit
    return found


def _contains(column, text: str):
    # Case folded on both sides, so PostgreSQL's case-sensitive LIKE finds "ACME" by "acme" too.
    return func.lower(column).like(f"%{_escape_like(text.lower())}%", escape="\\")


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _business_key_of(column, text: str):
    return column.in_(select(ProcessInstance.id).where(_contains(ProcessInstance.business_key, text)))


def _deals(session: Session, text: str, actor):
    query = select(Opportunity).options(selectinload(Opportunity.instance)).where(or_(_contains(Opportunity.name, text),
                                          _business_key_of(Opportunity.instance_id, text)))
    return only_visible(query, deal_filter(session, actor)).order_by(Opportunity.name, Opportunity.id)


def _companies(session: Session, text: str, actor):
    query = select(Company).where(company_search.matching(session, text))
    return only_visible(query, company_filter(session, actor)).order_by(Company.name, Company.id)


def _contacts(session: Session, text: str, actor):
    digits = "".join(ch for ch in text if ch.isdigit())
    matches = [_contains(Contact.name, text), _contains(Contact.email, text)]
    if len(digits) >= 3:  # a mobile is typed with or without +86 and spaces: compare its digits
        matches.append(Contact.mobile.like(f"%{digits}%"))
    query = select(Contact).where(or_(*matches))
    return only_visible(query, company_filter(session, actor, Contact.company_id)).order_by(Contact.name, Contact.id)


def _contracts(session: Session, text: str, actor):
    query = select(Contract).where(or_(_contains(Contract.number, text), _contains(Contract.title, text)))
    return only_visible(query, contract_filter(session, actor)).order_by(Contract.created_at.desc(),
                                                                         Contract.id.desc())


def _tenders(session: Session, text: str, actor):
    query = select(Tender).options(selectinload(Tender.instance)).where(or_(_contains(Tender.title, text), _business_key_of(Tender.instance_id, text)))
    return only_visible(query, tender_filter(session, actor)).order_by(Tender.title, Tender.id)
