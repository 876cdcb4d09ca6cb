"""Personal one-time signing links: how the customer's signer signs, without an account.

Staff holding `contracts.send` make a link for a named signer of a sealed
contract; its URL is shown once, since only the SHA-256 of its 256-bit token is
stored (as for API tokens). The signer opens it, sees the contract, confirms
their name, agrees, and signs (signing.customer.sign_as_customer). A link
expires (7 days by default) and works once: used_at is set by a conditional
UPDATE in the transaction of the signature, so of two concurrent posts one
signs and the other is refused. Every step is an event on the contract:
link_created, link_opened, viewed, signed, and link_expired / link_refused.
"""
from __future__ import annotations

import hashlib
import secrets
import unicodedata
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from accounts import require
from core.db import utcnow
from core.errors import Gone, InvalidInput, NotFound

from . import archive, customer, service
from .models import Contract, SigningLink

LINK_LIFETIME = timedelta(days=7)
MAX_LIFETIME = timedelta(days=30)
MAX_TOKEN_LENGTH = 128
USER_AGENT_LENGTH = 255
UNKNOWN = "this signing link is unknown"


def create_link(session: Session, contract_id: int, signer_name: str, signer_email: str, actor,
                ip: str | None = None, *, lifetime: timedelta = LINK_LIFETIME) -> tuple[SigningLink, str]:
    """Make a signing link for the customer's signer; return it and its token (shown once).

    Raises:
        Forbidden: unless `actor` may send contracts. NotFound: no such contract.
        Conflict: the contract is not sealed, already signed, or superseded.
        InvalidInput: no name, no e-mail address, or a lifetime beyond 30 days.
    """
    require(actor, "contracts.send")
    contract = service.get_contract(session, contract_id, actor=actor)
    service._expect_signable(contract)
    name, email = _signer(signer_name, signer_email)
    if not timedelta(0) < lifetime <= MAX_LIFETIME:
        raise InvalidInput("a signing link lasts at most 30 days", [{"message": "too long", "field": "days"}])
    token, now = secrets.token_urlsafe(32), utcnow()
    link = SigningLink(contract_id=contract.id, token_hash=_hash(token), signer_name=name,
                       signer_email=email, created_by_id=getattr(actor, "id", None), created_at=now,
                       expires_at=now + lifetime)
    session.add(link)
    session.flush()
    service._record(session, contract, "link_created", actor, ip=ip, link_id=link.id,
                    signer=f"{name} <{email}>", expires_at=link.expires_at.isoformat())
    session.flush()
    return link, token


def open_link(session: Session, token: str, ip: str | None, user_agent: str | None) -> SigningLink:
    """Return the usable link of `token`, recording that its signer opened it.

    Raises:
        NotFound: an unknown token. Gone: a used, expired or revoked link (recorded).
    """
    link = _usable(session, token, ip, user_agent)
    service._record(session, link.contract, "link_opened", None, actor_name=_who(link), ip=ip,
                    link_id=link.id, user_agent=_trim(user_agent))
    session.flush()
    return link


def link_pdf(session: Session, token: str, ip: str | None, user_agent: str | None, *,
             data_dir: Path | None = None) -> tuple[SigningLink, bytes]:
    """Return the link's contract as it stands (the sealed PDF), recording the view."""
    link = _usable(session, token, ip, user_agent)
    contract = link.contract
    latest = contract.latest_revision
    data = archive.read(service._archive_root(service._data_dir(data_dir)), latest.sha256)
    service._record(session, contract, "viewed", None, actor_name=_who(link), ip=ip, link_id=link.id,
                    revision=latest.number, sha256=latest.sha256)
    session.flush()
    return link, data


def sign_with_link(session: Session, token: str, confirmed_name: str, has_agreed: bool,
                   ip: str | None, user_agent: str | None, *, pkcs12: bytes | None = None,
                   passphrase: str | None = None, use_own_certificate: bool = False,
                   data_dir: Path | None = None) -> Contract:
    """Sign the link's contract as its signer, once; `pkcs12` is the signer's own, else the CA issues one.

    Raises:
        NotFound: an unknown token. Gone: used (also by a concurrent post), expired or revoked.
        InvalidInput: the name is not the link's, the agreement is not ticked, no or a bad PKCS#12.
    """
    link = _usable(session, token, ip, user_agent)
    _check_confirmation(link, confirmed_name, has_agreed, use_own_certificate and not pkcs12)
    now = utcnow()
    claimed = session.execute(
        update(SigningLink).where(SigningLink.id == link.id, SigningLink.used_at.is_(None),
                                  SigningLink.revoked_at.is_(None), SigningLink.expires_at > now)
        .values(used_at=now).execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        session.refresh(link)
        _refuse_unusable(session, link, ip, user_agent, now)
    return customer.sign_as_customer(session, link.contract_id, link.signer_name, link.signer_email, ip,
                                     pkcs12=pkcs12, passphrase=passphrase, data_dir=data_dir,
                                     link_id=link.id, user_agent=_trim(user_agent))


def revoke_links(session: Session, contract: Contract, actor, *, reason: str) -> int:
    """Revoke the contract's links not yet used; return how many."""
    open_links = list(session.scalars(select(SigningLink).where(
        SigningLink.contract_id == contract.id, SigningLink.used_at.is_(None),
        SigningLink.revoked_at.is_(None))))
    now = utcnow()
    for link in open_links:
        link.revoked_at = now
        service._record(session, contract, "link_revoked", actor, link_id=link.id, reason=reason)
    session.flush()
    return len(open_links)


def _usable(session: Session, token: str, ip: str | None, user_agent: str | None) -> SigningLink:
    link = None
    if token and len(token) <= MAX_TOKEN_LENGTH:
        link = session.scalar(select(SigningLink).where(SigningLink.token_hash == _hash(token)))
    if link is None:
        raise NotFound(UNKNOWN)
    _refuse_unusable(session, link, ip, user_agent, utcnow())
    return link


def _refuse_unusable(session: Session, link: SigningLink, ip: str | None, user_agent: str | None,
                     now: datetime) -> None:
    # The refusal names no contract: whoever holds an old link learns nothing more.
    reason = ("used" if link.used_at is not None else "revoked" if link.revoked_at is not None
              else "expired" if link.expires_at <= now else None)
    if reason is None:
        return
    service._record(session, link.contract, "link_expired" if reason == "expired" else "link_refused",
                    None, actor_name=_who(link), ip=ip, link_id=link.id, reason=reason,
                    user_agent=_trim(user_agent))
    session.flush()
    raise Gone(f"this signing link has {'expired' if reason == 'expired' else 'been ' + reason}; "
               "ask the sender for a new one", [{"message": reason}])


def _check_confirmation(link: SigningLink, confirmed_name: str, has_agreed: bool,
                        lacks_file: bool) -> None:
    problems = []
    if lacks_file:
        problems.append({"message": "choose your PKCS#12 file (.p12 or .pfx)", "field": "file"})
    if _plain(confirmed_name) != _plain(link.signer_name):
        problems.append({"message": "type your name as it stands on the link; if it is wrong, "
                                    "ask the sender for a new link", "field": "name"})
    if not has_agreed:
        problems.append({"message": "tick that you have read and agree", "field": "agree"})
    if problems:
        raise InvalidInput("; ".join(p["message"] for p in problems), problems)


def _signer(name: str, email: str) -> tuple[str, str]:
    name, email = (name or "").strip(), (email or "").strip()
    if not name or "@" not in email:
        field = "email" if name else "name"
        raise InvalidInput("the customer's signer needs a name and an e-mail address",
                           [{"message": "required", "field": field}])
    return name, email


def _plain(text: str | None) -> str:
    return " ".join(unicodedata.normalize("NFKC", text or "").split()).casefold()


def _who(link: SigningLink) -> str:
    return f"{link.signer_name} <{link.signer_email}>"


def _trim(user_agent: str | None) -> str | None:
    return user_agent[:USER_AGENT_LENGTH] if user_agent else None


def _hash(token: str) -> str:
    # 256 random bits: a plain SHA-256 suffices, as for API tokens (accounts.tokens).
    return hashlib.sha256(token.encode()).hexdigest()
