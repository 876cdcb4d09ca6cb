"""The people at a company: how to reach them, and what each has agreed to be reached by.

Consent is a history: every yes or no to a channel is a row with its source and
time (contact_consents), and the latest row per channel is the current state.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.permissions import Actor
from core.audit import changes_of, record
from core.db import utcnow
from core.errors import NotFound

from . import checks, visibility
from .master_data import as_json
from .models import Company, Contact, ContactConsent, MergedRecord

CONTACT_FIELDS = ("name", "title", "email", "phone", "department", "mobile", "wechat_id",
                  "preferred_channel", "timezone")
_CHECKS = {"mobile": checks.mobile, "preferred_channel": checks.channel, "timezone": checks.timezone}


def create_contact(session: Session, *, company_id: int, name: str, consents: list[dict] | None = None,
                   actor: Actor | None = None, **values) -> Contact:
    """Add a person at a company `actor` sees; `values` are any of CONTACT_FIELDS."""
    _require_company(session, company_id, actor)
    values = _checked({field: value for field, value in values.items() if value is not None})
    # The default time zone goes without saying in the log.
    contact = Contact(company_id=company_id, name=name, **{"timezone": checks.timezone(None), **values})
    session.add(contact)
    session.flush()
    changes = {field: [None, value] for field, value in (("company_id", company_id), ("name", name),
                                                         *values.items()) if value is not None}
    changes.update(_record_consents(session, contact, consents or []))
    record(session, "contact.created", actor=actor, object_type="contact", object_id=contact.id,
           changes=changes)
    return contact


def update_contact(session: Session, contact_id: int, changes: dict, *, actor: Actor | None = None) -> Contact:
    """Change a contact's details; consents given are added to its history."""
    contact = get_contact(session, contact_id, actor=actor)
    changes = dict(changes)
    consents = changes.pop("consents", None) or []
    if "timezone" in changes and changes["timezone"] is None:
        changes["timezone"] = checks.timezone(None)
    changed = changes_of(contact, CONTACT_FIELDS, _checked(changes))
    for name, (_, after) in changed.items():
        setattr(contact, name, after)
    session.flush()
    changed.update(_record_consents(session, contact, consents))
    if changed:
        record(session, "contact.changed", actor=actor, object_type="contact", object_id=contact.id,
               changes=changed)
    return contact


def _checked(values: dict) -> dict:
    return {field: _CHECKS[field](value) if field in _CHECKS else value for field, value in values.items()}


def _record_consents(session: Session, contact: Contact, consents: list[dict]) -> dict:
    """Add a consent row per entry; return the audit changes {"consent.CHANNEL": [before, after]}."""
    changes = {}
    for entry in consents:
        channel = checks.channel(entry["channel"], "consents.channel")
        current = contact.current_consents.get(channel)
        row = ContactConsent(contact_id=contact.id, channel=channel, granted=entry["granted"],
                             source=entry["source"], recorded_at=entry.get("recorded_at") or utcnow())
        contact.consents.append(row)
        session.flush()
        changes[f"consent.{channel}"] = [_consent_label(current), _consent_label(row)]
    return changes


def _consent_label(row: ContactConsent | None) -> dict | None:
    return None if row is None else {"granted": row.granted, "source": row.source,
                                     "recorded_at": as_json(row.recorded_at)}


def _require_company(session: Session, company_id: int, actor: Actor | None) -> None:
    condition = visibility.company_filter(session, actor)
    if session.get(Company, company_id) is None or (condition is not None and session.scalar(
            select(Company.id).where(Company.id == company_id, condition)) is None):
        raise checks.invalid("company_id", f"no company {company_id}")


def get_contact(session: Session, contact_id: int, *, actor: Actor | None = None) -> Contact:
    """Return the contact with `contact_id` if `actor` sees its company; raise NotFound otherwise."""
    contact = session.get(Contact, contact_id)
    if contact is None:
        survivor_id = session.scalar(select(MergedRecord.survivor_id).where(MergedRecord.kind == "contact",
                                                                            MergedRecord.loser_id == contact_id))
        if survivor_id is not None and session.scalar(visibility.only_visible(
                select(Contact.id).where(Contact.id == survivor_id),
                visibility.company_filter(session, actor, Contact.company_id))) is not None:
            raise NotFound(f"contact {contact_id} was merged into {survivor_id}",
                           [{"message": f"contact {contact_id} was merged into {survivor_id}",
                             "merged_into": survivor_id}])
        raise NotFound(f"no contact {contact_id}")
    visibility.require_visible(session, visibility.company_filter(session, actor, Contact.company_id),
                               Contact, contact_id, "contact")
    return contact


def list_contacts(session: Session, *, company_id: int | None = None,
                  actor: Actor | None = None) -> list[Contact]:
    """Return the contacts `actor` sees by name, optionally only those of one company."""
    query = visibility.only_visible(select(Contact).order_by(Contact.name, Contact.id),
                                    visibility.company_filter(session, actor, Contact.company_id))
    if company_id is not None:
        query = query.where(Contact.company_id == company_id)
    return list(session.scalars(query))
