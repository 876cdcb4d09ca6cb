"""Verify a PDF's signatures offline: intact, trusted, signer, time, PAdES level, later changes.

The same report serves an archived contract and any uploaded PDF. "Modified after
signing" means a change beyond what signing allows: more signatures, form filling
and validation data (DSS, document timestamps) are fine; new page content is not.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from datetime import datetime
from io import BytesIO

from asn1crypto import crl as asn1_crl
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import (KeyUsageConstraints, SignatureCoverageLevel,
                                     async_validate_pdf_signature, async_validate_pdf_timestamp)

from core.errors import InvalidInput

from . import pades
from .keys import Trust

ROLES = {pades.COMPANY: "company", pades.CUSTOMER: "customer", pades.COMPLETION: "completion"}
PADES_SUBFILTER = "/ETSI.CAdES.detached"
# Real signing certificates often carry digitalSignature without nonRepudiation;
# pyHanko's default demands the latter, so either one suffices here.
KEY_USAGE = KeyUsageConstraints(key_usage={"digital_signature", "non_repudiation"},
                                match_all_key_usages=False)
ALLOWED_CHANGES = (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES, ModificationLevel.FORM_FILLING)
INDICATIONS = {
    "NO_CERTIFICATE_CHAIN_FOUND": "the certificate does not chain to a trusted root",
    "OUT_OF_BOUNDS_NO_POE": "the certificate had expired or was not yet valid",
    "EXPIRED": "the certificate has expired",
    "NOT_YET_VALID": "the certificate is not valid yet",
    "REVOKED_NO_POE": "the certificate is revoked",
    "REVOKED_CA_NO_POE": "a CA certificate above the signer's is revoked",
    "TRY_LATER": "revocation information is not available",
}

log = logging.getLogger(__name__)


def verify_pdf(data: bytes, trust: Trust, *, file_name: str = "document.pdf") -> dict:
    """Validate every signature and document timestamp in `data` against `trust`.

    Raises:
        InvalidInput: when `data` is not a PDF, naming `file_name`.
    """
    reader = open_pdf(data, file_name)
    report = {"file": file_name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data),
              "intact": False, "trusted": False, "modified_after_signing": False,
              "signatures": [], "document_timestamps": [], "problems": [],
              "contract": embedded_contract(reader)}
    try:
        asyncio.run(_validate(reader, trust, report))
    except Exception as exc:  # noqa: BLE001 - untrusted input: a damaged structure verifies nothing
        log.debug("cannot read the signatures of %s", file_name, exc_info=True)
        report["problems"].append(f"the signatures cannot be read: {exc}")
        return report
    _summarise(report)
    return report


def describe_signatures(data: bytes) -> list[dict]:
    """Summarise each signature from the file alone (no validation): signer, role, time, level."""
    reader = PdfFileReader(BytesIO(data))
    levels = _levels(reader)
    return [{**_identify(embedded), "signed_at": _iso(_token_time(embedded)
                                                     or embedded.self_reported_timestamp),
             "level": levels[index]}
            for index, embedded in enumerate(reader.embedded_regular_signatures)]


def open_pdf(data: bytes, file_name: str) -> PdfFileReader:
    """Parse `data` as a PDF; raise InvalidInput naming `file_name` when it is none."""
    if not data.lstrip()[:5] == b"%PDF-":
        _not_a_pdf(file_name, "it does not start with %PDF-")
    try:
        reader = PdfFileReader(BytesIO(data), strict=False)
        reader.root  # noqa: B018 - reading the catalogue is where a broken xref shows
        return reader
    # Untrusted bytes: pyHanko's parser lets zlib.error, AssertionError, struct.error,
    # RecursionError and more escape on damaged files; any of them means "unreadable".
    except Exception as exc:  # noqa: BLE001
        log.debug("cannot parse %s", file_name, exc_info=True)
        _not_readable(file_name, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)


def embedded_contract(reader: PdfFileReader) -> dict | None:
    """Return the embedded contract.json, or None when the PDF carries none (or a broken one)."""
    try:
        names = reader.root["/Names"]["/EmbeddedFiles"]["/Names"]
        for index in range(0, len(names) - 1, 2):
            if str(names[index]) == "contract.json":
                return json.loads(names[index + 1]["/EF"]["/F"].data)
    except Exception:  # noqa: BLE001 - untrusted input: a damaged attachment is no contract
        log.debug("cannot read the embedded contract.json", exc_info=True)
        return None
    return None


async def _validate(reader: PdfFileReader, trust: Trust, report: dict) -> None:
    context = pades.validation_context(trust)
    levels = _levels(reader)
    for index, embedded in enumerate(reader.embedded_regular_signatures):
        entry = {**_identify(embedded), "level": levels[index]}
        try:
            status = await async_validate_pdf_signature(embedded, context, context,
                                                        key_usage_settings=KEY_USAGE)
            entry.update(_signature_status(status))
        except Exception as exc:  # noqa: BLE001 - untrusted input: any failure means "not verified"
            log.debug("signature %s failed to validate", embedded.field_name, exc_info=True)
            entry.update(intact=False, trusted=False, modified_after_signing=True,
                         problems=[f"cannot be validated: {exc}"])
        report["signatures"].append(entry)
    for embedded in reader.embedded_timestamp_signatures:
        try:
            status = await async_validate_pdf_timestamp(embedded, context)
            report["document_timestamps"].append(_timestamp_status(embedded, status))
        except Exception as exc:  # noqa: BLE001 - as above
            report["document_timestamps"].append({"field": embedded.field_name, "intact": False,
                                                  "trusted": False, "problems": [str(exc)]})


def _signature_status(status) -> dict:
    stamp = status.timestamp_validity
    problems = _trust_problems(status)
    if not (status.intact and status.valid):
        problems.insert(0, "the signed bytes were changed: the signature does not match them")
    if stamp is not None and not stamp.trusted:
        problems.append("its timestamp is not trusted")
    modified = _is_modified(status)
    if modified:
        problems.append(f"the document was changed after this signature "
                        f"({_name(status.modification_level)})")
    return {
        "signed_at": _iso(stamp.timestamp if stamp else status.signer_reported_dt),
        "timestamp": {"at": _iso(stamp.timestamp), "trusted": stamp.trusted} if stamp else None,
        "intact": bool(status.intact and status.valid), "trusted": bool(status.trusted),
        "revoked": status.revoked, "revocation": _revocation(status),
        "coverage": _name(status.coverage), "modification_level": _name(status.modification_level),
        "modified_after_signing": modified, "problems": problems,
    }


def _timestamp_status(embedded, status) -> dict:
    problems = _trust_problems(status)
    modified = _is_modified(status)
    return {"field": embedded.field_name, "at": _iso(status.timestamp),
            "signer": _common_name(status.signing_cert.subject),
            "intact": bool(status.intact and status.valid), "trusted": bool(status.trusted),
            "modified_after_signing": modified, "problems": problems}


def _summarise(report: dict) -> None:
    signatures, stamps = report["signatures"], report["document_timestamps"]
    every = signatures + stamps
    report["intact"] = bool(signatures) and all(item["intact"] for item in every)
    report["trusted"] = report["intact"] and all(item["trusted"] for item in every)
    report["modified_after_signing"] = any(item["modified_after_signing"] for item in every)
    if not signatures:
        report["problems"].append("the PDF carries no signatures")
    for item in every:
        who = item.get("signer") or item["field"]
        report["problems"].extend(f"{item['field']} ({who}): {problem}" for problem in item["problems"])


def _is_modified(status) -> bool:
    if status.coverage is None or status.coverage < SignatureCoverageLevel.ENTIRE_REVISION:
        return True
    return status.docmdp_ok is False or status.modification_level not in ALLOWED_CHANGES


def _trust_problems(status) -> list[str]:
    if status.trusted:
        return []
    details = status.revocation_details
    if details is not None:
        whose = "a CA certificate above the signer's" if details.ca_revoked else "the certificate"
        reason = str(details.revocation_reason.native).replace("_", " ")
        return [f"{whose} was revoked on {_iso(details.revocation_date)} ({reason})"]
    indication = status.trust_problem_indic
    if indication is not None:
        return [INDICATIONS.get(indication.name, indication.name.lower().replace("_", " "))]
    return ["the certificate does not chain to a trusted root"]


def _revocation(status) -> dict | None:
    details = status.revocation_details
    if details is None:
        return None
    return {"at": _iso(details.revocation_date), "reason": str(details.revocation_reason.native),
            "ca_revoked": details.ca_revoked}


def _identify(embedded) -> dict:
    cert = embedded.signer_cert
    return {"field": embedded.field_name, "role": ROLES.get(embedded.field_name, "signer"),
            "signer": _common_name(cert.subject), "issuer": _common_name(cert.issuer),
            "serial": format(cert.serial_number, "x"),
            "certification": embedded.docmdp_level is not None}


def _levels(reader: PdfFileReader) -> list[str | None]:
    """Return each signature's PAdES baseline level as the file's structure shows it.

    B-T: a signature timestamp; B-LT: the DSS holds revocation data for the signer;
    B-LTA: a document timestamp covers a DSS that already held it.
    """
    now = _dss_crl_issuers(reader)
    archived = [(stamp.signed_revision,
                 _dss_crl_issuers(reader.get_historical_resolver(stamp.signed_revision)))
                for stamp in reader.embedded_timestamp_signatures]
    levels = []
    for embedded in reader.embedded_regular_signatures:
        issuer = embedded.signer_cert.issuer.dump()
        later = [issuers for revision, issuers in archived if revision > embedded.signed_revision]
        if embedded.sig_object.get("/SubFilter") != PADES_SUBFILTER:
            levels.append(None)
        elif _token_time(embedded) is None and not later:
            levels.append("B-B")
        elif issuer not in now:
            levels.append("B-T")
        else:
            levels.append("B-LTA" if any(issuer in issuers for issuers in later) else "B-LT")
    return levels


def _dss_crl_issuers(handler) -> set[bytes]:
    try:
        references = handler.root["/DSS"].get("/CRLs", ())
    except KeyError:
        return set()
    return {asn1_crl.CertificateList.load(ref.get_object().data)["tbs_cert_list"]["issuer"].dump()
            for ref in references}


def _token_time(embedded) -> datetime | None:
    attributes = embedded.signer_info["unsigned_attrs"]
    if attributes.native is None:
        return None
    for attribute in attributes:
        if attribute["type"].native == "signature_time_stamp_token":
            content = attribute["values"][0]["content"]["encap_content_info"]["content"]
            return content.parsed["gen_time"].native
    return None


def _common_name(name) -> str:
    values = name.native
    return values.get("common_name") or values.get("organization_name") or name.human_friendly


def _name(value) -> str | None:
    return value.name.lower() if value is not None else None


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _not_a_pdf(file_name: str, why: str):
    message = f"{file_name} is not a PDF: {why}"
    raise InvalidInput(message, [{"message": message, "field": "file", "file": file_name}])


def _not_readable(file_name: str, why: str):
    message = f"{file_name} is not a readable PDF: {why[:300]}"
    raise InvalidInput(message, [{"message": message, "field": "file", "file": file_name}])
