"""Contracts from draft to an archived PDF both parties signed: what routes and the funnel call.

Each step adds a revision to the write-once archive and events to the contract:
draft_contract renders (rendered), seal_contract certifies with the company's
seal (sealed), signing.customer adds the customer's signature (signed) and then
the signed certificate of completion and the archival timestamp (completed).
signing.links and signing.customer use this module's private helpers: they are
its parts, split off by what they are about. Services flush; the caller commits.
The data dir is read here, at the edge.
"""
from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts import require
from core import audit, settings
from core.paging import Page
from core.db import get_or_raise, is_postgresql, utcnow
from core.errors import Conflict, InvalidInput, NotFound, TooLarge
from engine import instances

from . import archive, drafts, fonts, keys, pades, render, verify, visibility
from .certs import Identity, issuer_name, load_pkcs12, subject_name
from .models import Contract, ContractEvent, ContractRevision
from .render import Box

MAX_PDF_BYTES = 20 * 1024 * 1024
MAX_PKCS12_BYTES = 100 * 1024
MAX_CERTIFICATE_EVENTS = 24  # what fits in the completion box; the archive keeps them all


def draft_contract(session: Session, data: dict, actor, *, ip: str | None = None,
                   data_dir: Path | None = None) -> Contract:
    """Draft a contract from `data` and render it to PDF/A-3b; the first revision.

    `data` holds customer, title, clauses [{title, text}], amount, and optionally
    currency, parties [{role, name, address, representative, contact}] and number.

    Raises:
        InvalidInput: `data` names an instance_id. A deal's contract is drafted from
            the deal (signing.funnel.draft_for_instance), so that a free draft with
            clauses and an amount of its own can never stand for the deal's.
    """
    if data.get("instance_id") is not None:
        message = ("draft a deal's contract from the deal (POST /api/process-instances/"
                   f"{data['instance_id']}/contract); a free draft belongs to no deal")
        raise InvalidInput(message, [{"message": message, "field": "instance_id"}])
    return draft_deal_contract(session, data, None, actor, ip=ip, data_dir=data_dir)


def draft_deal_contract(session: Session, data: dict, instance_id: int | None, actor, *,
                        ip: str | None = None, data_dir: Path | None = None) -> Contract:
    """Draft and render `data` as the contract of process instance `instance_id` (None: of no deal).

    Only signing.funnel calls this with an instance, with data taken from the deal.
    """
    folder = _data_dir(data_dir)
    content = drafts.contract_data(session, {**data, "instance_id": instance_id}, _company_name(folder))
    contract = Contract(number=content["number"], instance_id=content["instance_id"],
                        customer=content["customer"], title=content["title"], data=content,
                        layout={}, signatures=[], created_by_id=getattr(actor, "id", None),
                        status="rendered")
    session.add(contract)
    session.flush()
    _record(session, contract, "drafted", actor, ip=ip)
    rendered = render.render_contract(content, font=fonts.ensure_working_font(folder))
    contract.layout = {name: box.as_json() for name, box in rendered.layout.items()}
    revision = _add_revision(contract, rendered.pdf, "rendered", folder)
    _record(session, contract, "rendered", actor, ip=ip, sha256=revision.sha256,
            pages=rendered.pages)
    session.flush()
    return contract


def get_contract(session: Session, contract_id: int, *, actor=None) -> Contract:
    """Return the contract `contract_id` if `actor` sees it (None: the system); raise NotFound otherwise."""
    contract = get_or_raise(session, Contract, contract_id, "contract")
    visibility.require_visible(session, actor, contract_id)
    return contract


def list_contracts(session: Session, *, instance_id: int | None = None, customer: str | None = None,
                   status: str | None = None, created_from: datetime | None = None,
                   created_to: datetime | None = None, actor=None) -> list[Contract]:
    """Return the contracts `actor` sees, newest first; `customer` matches part of the name, any case."""
    query = _visible_contracts(session, actor)
    if instance_id is not None:
        query = query.where(Contract.instance_id == instance_id)
    if customer:
        query = query.where(Contract.customer.ilike(f"%{_escape_like(customer)}%", escape="\\"))
    if status:
        query = query.where(Contract.status == status)
    if created_from is not None:
        query = query.where(Contract.created_at >= created_from)
    if created_to is not None:
        query = query.where(Contract.created_at < created_to)
    return list(session.scalars(query))


def _visible_contracts(session: Session, actor):
    query = select(Contract).order_by(Contract.created_at.desc(), Contract.id.desc())
    if (seen := visibility.contract_filter(session, actor)) is not None:
        query = query.where(seen)
    return query


ARCHIVE_PER_PAGE = 25


def page_contracts(session: Session, *, text: str | None = None, status: str | None = None, page: int = 1,
                   per_page: int = ARCHIVE_PER_PAGE, actor=None) -> Page:
    """Return page `page` of the contracts `actor` sees, newest first.

    `text` is part of the customer's name or of the contract number, any case, so that
    the global search's "all contracts" link lists what it found by number too.
    A page past the last shows the last.
    """
    query = _visible_contracts(session, actor)
    if text:
        pattern = f"%{_escape_like(text.lower())}%"
        query = query.where(func.lower(Contract.customer).like(pattern, escape="\\")
                            | func.lower(Contract.number).like(pattern, escape="\\"))
    if status:
        query = query.where(Contract.status == status)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    page = max(1, min(page, -(-total // per_page) or 1))
    items = session.scalars(query.offset((page - 1) * per_page).limit(per_page))
    return Page(list(items), total, page, per_page)


def contract_pdf(session: Session, contract_id: int, actor, ip: str | None, *,
                 revision: int | None = None, data_dir: Path | None = None
                 ) -> tuple[Contract, ContractRevision, bytes]:
    """Return a revision's bytes (the newest by default), checked against its hash; record the view."""
    contract = get_contract(session, contract_id, actor=actor)
    chosen = _revision(contract, revision)
    data = archive.read(_archive_root(_data_dir(data_dir)), chosen.sha256)
    _record(session, contract, "viewed", actor, ip=ip, revision=chosen.number, sha256=chosen.sha256)
    session.flush()
    return contract, chosen, data


def seal_contract(session: Session, contract_id: int, actor, ip: str | None, *,
                  data_dir: Path | None = None) -> Contract:
    """Certify the contract with the company's seal: PAdES B-T, visible stamp, form filling allowed.

    Raises:
        Forbidden: unless `actor` may seal contracts (None: the system).
        Conflict: when the contract is not freshly rendered.
    """
    require(actor, "contracts.seal")
    folder = _data_dir(data_dir)
    visibility.require_visible(session, actor, contract_id)
    contract = _lock(session, contract_id)
    _expect_status(contract, "rendered", "sealed")
    seal, tsa = keys.load_identity(folder, "seal"), keys.load_identity(folder, "tsa")
    layout = _layout(contract)
    stamp = render.render_seal(seal.name, layout[pades.COMPANY], utcnow().strftime("%Y-%m-%d"),
                               font=fonts.ensure_working_font(folder))
    sealed = pades.certify(_latest_pdf(contract, folder), seal, tsa, layout, stamp,
                           reason=f"合同 {contract.number} 电子签章 / Company seal",
                           location=contract.data.get("place"))
    revision = _add_revision(contract, sealed, "sealed", folder)
    _set_status(contract, "sealed", sealed)
    _record(session, contract, "sealed", actor, ip=ip, sha256=revision.sha256,
            **_certificate_detail(seal))
    session.flush()
    return contract


def _report_to_process(session: Session, contract: Contract, folder: Path) -> None:
    # The funnel's 合同签署 gate opens on this fact, and only once both signatures verify.
    if contract.instance_id is None:
        return
    if (instances.get_instance(session, contract.instance_id).data or {}).get("contract_id") != contract.id:
        return  # not the deal's own contract (an old stray draft, a superseded one)
    report = verify_contract(session, contract.id, data_dir=folder)
    roles = {s.get("role") for s in report.get("signatures", [])}
    if (report["intact"] and report["trusted"] and not report["modified_after_signing"]
            and {"company", "customer"} <= roles):
        instances.set_variables(session, contract.instance_id,
                                {"contract_id": contract.id, "contract_signed_by_both": True}, actor=None)


def verify_contract(session: Session, contract_id: int, *, data_dir: Path | None = None,
                    actor=None) -> dict:
    """Verify the newest revision's stored bytes as they are on disk."""
    folder = _data_dir(data_dir)
    contract = get_contract(session, contract_id, actor=actor)
    latest = contract.latest_revision
    data = archive.read_unchecked(_archive_root(folder), latest.sha256)
    report = verify.verify_pdf_cached(data, keys.trust(folder), file_name=f"{contract.number}.pdf")
    if report["sha256"] != latest.sha256:
        report["intact"] = report["trusted"] = report["valid"] = False
        report["verdict"] = "tampered"
        verify.add_issue(report, "archive_changed", sha256=latest.sha256)
        # The archive's own check comes first: it explains every other finding.
        report["issues"].insert(0, report["issues"].pop())
        report["problems"] = [issue["message"] for issue in report["issues"]]
    return {"id": contract.id, "instance_id": contract.instance_id, "status": contract.status,
            "revision": latest.number, **report}


def verify_pdf_bytes(data: bytes, *, file_name: str = "upload.pdf",
                     data_dir: Path | None = None) -> dict:
    """Verify any PDF the same way as an archived contract.

    Raises:
        TooLarge: over 20 MB; InvalidInput: not a PDF, naming `file_name`.
    """
    _check_pdf_size(data, file_name)
    return verify.verify_pdf_cached(data, keys.trust(_data_dir(data_dir)), file_name=file_name)


def import_company_certificate(pkcs12: bytes, passphrase: str | None, actor, *,
                               data_dir: Path | None = None) -> dict:
    """Make a PKCS#12 from a real CA the company's seal (admins only)."""
    _require_admin(actor, "import the company's certificate")
    _check_pkcs12_size(pkcs12)
    identity = keys.import_company_pkcs12(_data_dir(data_dir), pkcs12, passphrase)
    return _certificate_summary(identity)


def add_trust_root(certificate: bytes, actor, *, data_dir: Path | None = None) -> dict:
    """Trust a CA certificate for signers' imported PKCS#12 files (admins only)."""
    _require_admin(actor, "add trust roots")
    if len(certificate) > MAX_PKCS12_BYTES:
        raise TooLarge("a certificate file is at most 100 KB", [{"message": "too large", "field": "file"}])
    cert = keys.add_trust_root(_data_dir(data_dir), certificate)
    return _certificate_summary(Identity(None, cert))


def revoke_certificate(serial: str, reason: str, actor, *, data_dir: Path | None = None) -> dict:
    """Put a certificate of the internal CA on its CRL (admins only); `serial` is hex."""
    _require_admin(actor, "revoke certificates")
    try:
        number = int(serial, 16)
    except ValueError:
        raise InvalidInput("serial must be hexadecimal", [{"message": "not hex", "field": "serial"}]) from None
    if not 0 < number < 2**159:  # what X.509 allows a serial number: positive, at most 20 bytes
        raise InvalidInput("no certificate has that serial", [{"message": "a serial is from 1 to 2**159 - 1",
                                                                "field": "serial"}])
    crl = keys.revoke_certificate(_data_dir(data_dir), number, reason)
    return {"serial": format(number, "x"), "reason": reason, "revoked": len(list(crl))}


def _complete(session: Session, contract: Contract, signed: bytes, folder: Path) -> None:
    seal, tsa = keys.load_identity(folder, "seal"), keys.load_identity(folder, "tsa")
    box = _layout(contract)[pades.COMPLETION]
    appearance = render.render_appearance("completion.html", box, font=fonts.ensure_working_font(folder),
                                          **_certificate_of_completion(contract, signed))
    certified = pades.approve(signed, pades.COMPLETION, seal, tsa, appearance,
                              reason="签署完成证书 / Certificate of completion")
    final = pades.archive_timestamp(certified, tsa, keys.trust(folder))
    revision = _add_revision(contract, final, "completed", folder)
    _set_status(contract, "completed", final)
    _record(session, contract, "completed", None, actor_name="Dealflow", sha256=revision.sha256,
            levels=[signature["level"] for signature in contract.signatures])


def _certificate_of_completion(contract: Contract, signed: bytes) -> dict:
    events = contract.events
    shown = events[-MAX_CERTIFICATE_EVENTS:]
    return {
        "title": contract.title, "number": contract.number, "customer": contract.customer,
        "issued_at": _stamp(utcnow()),
        "revisions": [{"number": r.number, "kind": r.kind, "sha256": r.sha256, "size": r.size,
                       "at": _stamp(r.created_at)} for r in contract.revisions],
        "signatures": verify.describe_signatures(signed),
        "events": [{"at": _stamp(e.at), "action": e.action, "actor": e.actor_name or "",
                    "ip": e.ip or ""} for e in shown],
        "omitted": len(events) - len(shown),
    }


def _customer_identity(folder: Path, contract: Contract, name: str, email: str,
                       pkcs12: bytes | None, passphrase: str | None) -> Identity:
    if not (name or "").strip() or "@" not in (email or ""):
        field = "email" if (name or "").strip() else "name"
        raise InvalidInput("the customer's signer needs a name and an e-mail address",
                           [{"message": "required", "field": field}])
    if pkcs12 is None:
        return keys.issue_personal_certificate(folder, name.strip(), email.strip(), contract.number)
    _check_pkcs12_size(pkcs12)
    identity = load_pkcs12(pkcs12, passphrase)
    pades.check_trusted(identity, keys.trust(folder))
    return identity


def _expect_signable(contract: Contract) -> None:
    _expect_status(contract, "sealed", "signed by the customer")
    if contract.superseded_by_id is not None:
        raise Conflict(f"contract {contract.number} was superseded by a redraft; it can no "
                       "longer be sent or signed")


def _check_pdf_size(data: bytes, file_name: str) -> None:
    if len(data) > MAX_PDF_BYTES:
        raise TooLarge(f"{file_name} is over {MAX_PDF_BYTES // (1024 * 1024)} MB",
                       [{"message": "too large", "file": file_name}])


def _lock(session: Session, contract_id: int) -> Contract:
    # Signing takes a moment; two clicks must not both seal. SQLite's writers
    # queue already (BEGIN IMMEDIATE); PostgreSQL needs the row lock.
    query = select(Contract).where(Contract.id == contract_id).execution_options(populate_existing=True)
    if is_postgresql(session):
        query = query.with_for_update(of=Contract)
    contract = session.scalar(query)
    if contract is None:
        raise NotFound(f"no contract {contract_id}")
    return contract


def _expect_status(contract: Contract, status: str, doing: str) -> None:
    if contract.status != status:
        raise Conflict(f"contract {contract.number} is {contract.status}; only a {status} "
                       f"contract can be {doing}")


def _set_status(contract: Contract, status: str, pdf: bytes) -> None:
    contract.status = status
    contract.signatures = verify.describe_signatures(pdf)
    contract.updated_at = utcnow()


def _add_revision(contract: Contract, pdf: bytes, kind: str, folder: Path) -> ContractRevision:
    sha256 = archive.store(_archive_root(folder), pdf)
    revision = ContractRevision(number=len(contract.revisions) + 1, kind=kind, sha256=sha256,
                                size=len(pdf), created_at=utcnow())
    contract.revisions.append(revision)
    return revision


def _record(session: Session, contract: Contract, action: str, actor, *, actor_name: str | None = None,
            ip: str | None = None, **detail) -> None:
    # `at` is set here, not at flush: the certificate of completion reads it first.
    contract.events.append(ContractEvent(action=action, at=utcnow(), actor_id=getattr(actor, "id", None),
                                         actor_name=actor_name or getattr(actor, "name", None),
                                         ip=ip, detail=detail))
    if contract.instance_id is not None and action != "viewed":
        audit.record(session, f"contract.{action}", actor=actor, instance_id=contract.instance_id,
                     object_type="contract", object_id=contract.id, ip=ip,
                     detail={"contract_id": contract.id, "number": contract.number, **detail})


def _revision(contract: Contract, number: int | None) -> ContractRevision:
    if number is None:
        return contract.latest_revision
    for revision in contract.revisions:
        if revision.number == number:
            return revision
    raise NotFound(f"contract {contract.number} has no revision {number}")


def _latest_pdf(contract: Contract, folder: Path) -> bytes:
    return archive.read(_archive_root(folder), contract.latest_revision.sha256)


def _layout(contract: Contract) -> dict[str, Box]:
    return {name: Box.from_json(value) for name, value in contract.layout.items()}


def _certificate_detail(identity: Identity) -> dict:
    summary = _certificate_summary(identity)
    return {"subject": summary["subject"], "issuer": summary["issuer"], "serial": summary["serial"]}


def _certificate_summary(identity: Identity) -> dict:
    cert = identity.cert
    return {"subject": subject_name(cert), "issuer": issuer_name(cert),
            "serial": format(cert.serial_number, "x"), "not_after": cert.not_valid_after_utc.isoformat()}


def _require_admin(actor, doing: str) -> None:
    require(actor, "signing.manage")


def _check_pkcs12_size(pkcs12: bytes) -> None:
    if len(pkcs12) > MAX_PKCS12_BYTES:
        raise TooLarge("a PKCS#12 file is at most 100 KB", [{"message": "too large", "field": "file"}])


def _data_dir(data_dir: Path | None) -> Path:
    folder = Path(data_dir) if data_dir is not None else settings.data_dir()
    # CRM_COMPANY_NAME names the company when its keys are first made; from
    # then on the seal certificate does (an imported one included).
    keys.ensure_keys(folder, os.environ.get("CRM_COMPANY_NAME", "Dealflow"))
    fonts.ensure_working_font(folder)
    return folder


def _company_name(folder: Path) -> str:
    return keys.load_identity(folder, "seal").name


def _archive_root(folder: Path) -> Path:
    return folder / "contracts"


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
