"""The customer's signature: it comes from the customer's signer, never from staff typing a name.

Two ways in. The signer signs on the public page of their one-time link
(signing.links, which calls sign_as_customer); or legal records a signature the
customer made elsewhere by uploading that PDF (record_signed_pdf), which must be
the stored sealed revision, byte for byte, plus an increment that adds a valid
signature in the customer's field. Either way the contract is then completed
(certificate of completion, B-LTA) and the deal is told, as before.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from accounts import require
from core.db import utcnow
from core.errors import InvalidInput

from . import fonts, keys, pades, render, service, verify, visibility
from .models import Contract


def sign_as_customer(session: Session, contract_id: int, signer_name: str, signer_email: str,
                     ip: str | None = None, *, pkcs12: bytes | None = None,
                     passphrase: str | None = None, data_dir: Path | None = None,
                     **detail) -> Contract:
    """Sign as the customer's signer `signer_name`, then complete: completion certificate, DSS, timestamp.

    No permission lets a person do this: the callers are a signing link (the
    signer themself, signing.links) and the system (the demo, bench). The signer
    uses their own PKCS#12 when given, else a certificate the internal CA issues
    for this person and this contract. `detail` goes into the "signed" event.

    Raises:
        Conflict: unless the contract is sealed, not signed yet and not superseded.
        InvalidInput: a bad PKCS#12, passphrase or certificate; TooLarge: PKCS#12 over 100 KB.
    """
    folder = service._data_dir(data_dir)
    contract = service._lock(session, contract_id)
    service._expect_signable(contract)
    signer = service._customer_identity(folder, contract, signer_name, signer_email, pkcs12, passphrase)
    tsa, who = keys.load_identity(folder, "tsa"), f"{signer_name} <{signer_email}>"
    layout = service._layout(contract)
    appearance = render.render_appearance(
        "signature.html", layout[pades.CUSTOMER], font=fonts.ensure_working_font(folder),
        name=signer_name, email=signer_email,
        when=utcnow().strftime("%Y-%m-%d %H:%M UTC"), **service._certificate_detail(signer))
    signed = pades.approve(service._latest_pdf(contract, folder), pades.CUSTOMER, signer, tsa,
                           appearance, reason=f"合同 {contract.number} 客户签署 / Signed by the customer")
    revision = service._add_revision(contract, signed, "signed", folder)
    service._record(session, contract, "signed", None, actor_name=who, ip=ip, sha256=revision.sha256,
                    imported=pkcs12 is not None, **detail, **service._certificate_detail(signer))
    _finish(session, contract, signed, folder)
    return contract


def record_signed_pdf(session: Session, contract_id: int, data: bytes, actor, ip: str | None, *,
                      file_name: str = "signed.pdf", data_dir: Path | None = None) -> Contract:
    """Record the customer's signature made elsewhere from the signed PDF `data`, then complete.

    Raises:
        Forbidden: unless `actor` may record signatures (legal).
        Conflict: unless the contract is sealed, not signed yet and not superseded.
        InvalidInput: `data` is not the stored sealed revision plus one valid customer signature.
        TooLarge: over 20 MB.
    """
    require(actor, "contracts.record_signature")
    service._check_pdf_size(data, file_name)
    folder = service._data_dir(data_dir)
    visibility.require_visible(session, actor, contract_id)
    contract = service._lock(session, contract_id)
    service._expect_signable(contract)
    sealed = contract.latest_revision
    if len(data) <= sealed.size or not data.startswith(service._latest_pdf(contract, folder)):
        _refuse(file_name, f"it is not contract {contract.number} as sealed (revision "
                           f"r{sealed.number}, SHA-256 {sealed.sha256[:16]}…) plus the customer's "
                           "signature: its bytes must begin with that revision's, unchanged")
    report = verify.verify_pdf(data, keys.trust(folder), file_name=file_name)
    signature = _customer_signature(report, file_name)
    revision = service._add_revision(contract, data, "signed", folder)
    service._record(session, contract, "signed", actor, actor_name=signature["signer"], ip=ip,
                    sha256=revision.sha256, recorded_by=getattr(actor, "name", None),
                    uploaded=file_name, subject=signature["signer"], issuer=signature["issuer"],
                    serial=signature["serial"])
    _finish(session, contract, data, folder)
    return contract


def _customer_signature(report: dict, file_name: str) -> dict:
    fields = [signature["field"] for signature in report["signatures"]]
    if fields != [pades.COMPANY, pades.CUSTOMER]:
        _refuse(file_name, "it must add exactly one signature, in the customer's field "
                           f"{pades.CUSTOMER!r}, to the company's seal; its signature fields are "
                           f"{', '.join(fields) or 'none'}")
    if not (report["intact"] and report["trusted"]) or report["modified_after_signing"]:
        _refuse(file_name, "its signatures do not verify: " + "; ".join(report["problems"]))
    return report["signatures"][1]


def _finish(session: Session, contract: Contract, signed: bytes, folder: Path) -> None:
    service._complete(session, contract, signed, folder)
    session.flush()
    service._report_to_process(session, contract, folder)


def _refuse(file_name: str, why: str):
    message = f"{file_name}: {why}"
    raise InvalidInput(message, [{"message": message, "field": "file"}])
