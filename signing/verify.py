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
import threading
import time
from collections import OrderedDict
from datetime import datetime
from io import BytesIO

from cryptography.hazmat.primitives import serialization

from asn1crypto import crl as asn1_crl
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import (KeyUsageConstraints, SignatureCoverageLevel,
                                     async_validate_pdf_signature, async_validate_pdf_timestamp)

from core.errors import InvalidInput

from . import changes, pades
from .keys import Trust

ROLES = {pades.COMPANY: "company", pades.CUSTOMER: "customer", pades.COMPLETION: "completion"}
PADES_SUBFILTER = "/ETSI.CAdES.detached"
# Real signing certificates often carry digitalSignature without nonRepudiation;
# pyHanko's default demands the latter, so either one suffices here.
KEY_USAGE = KeyUsageConstraints(key_usage={"digital_signature", "non_repudiation"},
                                match_all_key_usages=False)
ALLOWED_CHANGES = (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES, ModificationLevel.FORM_FILLING)
INDICATIONS = {
    "NO_CERTIFICATE_CHAIN_FOUND": "no_chain",
    "OUT_OF_BOUNDS_NO_POE": "out_of_bounds",
    "EXPIRED": "expired",
    "NOT_YET_VALID": "not_yet_valid",
    "REVOKED_NO_POE": "revoked_no_date",
    "REVOKED_CA_NO_POE": "ca_revoked_no_date",
    "TRY_LATER": "no_revocation_info",
}
# Each problem's English text is also its key in the catalogue (web/i18n_zh_verify.py).
ISSUES = {
    "no_signatures": "the PDF carries no signatures",
    "unreadable": "the signatures cannot be read: {reason}",
    "not_validated": "the signature cannot be validated: {reason}",
    "bytes_changed": ("the document's bytes were changed after it was signed: the signature no longer "
                      "matches them, so its certificate cannot be checked either"),
    "signature_invalid": ("the signature value does not verify: the signature itself was altered, so its "
                          "certificate cannot be checked either"),
    "changed_after_signing": "the document was changed after this signature",
    "partial_coverage": "the signature covers only part of its revision, so later changes cannot be ruled out",
    "archive_changed": "the archived file no longer matches its SHA-256 {sha256}",
    "no_chain": "the certificate does not chain to a trusted root",
    "out_of_bounds": "the certificate had expired or was not yet valid",
    "expired": "the certificate has expired",
    "not_yet_valid": "the certificate is not valid yet",
    "revoked": "the certificate was revoked on {date} ({reason})",
    "ca_revoked": "a CA certificate above the signer's was revoked on {date} ({reason})",
    "revoked_no_date": "the certificate is revoked",
    "ca_revoked_no_date": "a CA certificate above the signer's is revoked",
    "no_revocation_info": "revocation information is not available",
    "untrusted": "the certificate is not trusted",
    "timestamp_untrusted": "its timestamp is not trusted",
}

log = logging.getLogger(__name__)


def verify_pdf(data: bytes, trust: Trust, *, file_name: str = "document.pdf") -> dict:
    """Validate every signature and document timestamp in `data` against `trust`.

    The report's `verdict` is the one word a page colours: valid, modified (intact
    signatures, but the file was changed after signing beyond what signing allows),
    tampered (signed bytes changed), untrusted, unsigned or unreadable. `issues` are the
    problems, each once, as a code, a catalogue text with its parameters and the
    signatures it concerns; `problems` are the same in English, for old clients.

    Raises:
        InvalidInput: when `data` is not a PDF, naming `file_name`.
    """
    reader = open_pdf(data, file_name)
    report = {"file": file_name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data),
              "verdict": "unreadable", "valid": False,
              "intact": False, "trusted": False, "modified_after_signing": False,
              "signatures": [], "document_timestamps": [], "issues": [], "problems": [],
              "revisions": {"total": None, "unsigned": [], "changed": []},
              "contract": embedded_contract(reader)}
    try:
        asyncio.run(_validate(reader, trust, report))
    except Exception as exc:  # noqa: BLE001 - untrusted input: a damaged structure verifies nothing
        log.debug("cannot read the signatures of %s", file_name, exc_info=True)
        report["signatures"], report["document_timestamps"] = [], []
        add_issue(report, "unreadable", reason=str(exc)[:300] or type(exc).__name__)
        return report
    try:
        _review_revisions(reader, report)
    except Exception as exc:  # noqa: BLE001 - the signatures stand; only the words are missing
        log.debug("cannot review the revisions of %s", file_name, exc_info=True)
        report["revisions"]["changed"] = [{"number": None, "level": "other", "allowed": False,
                                           "level_text": changes.LEVELS["other"], "changes": [
            changes.entry("not_described", reason=type(exc).__name__)]}]
    _summarise(report)
    return report


# Validating a signed contract takes pyHanko 100 ms and more (several times that on a busy
# machine), and the contract page did it on every view. The verdict depends only on the
# bytes and on what is trusted, so it is kept per (the bytes' sha256, the roots' and CRLs'
# fingerprint): a revocation, a refreshed CRL or a new root is a new fingerprint, and the
# hour bounds how late a certificate's expiry can be noticed.
CACHE_SECONDS = 3600
CACHE_SIZE = 256
# Kept as JSON, the report's own shape for the API: a copy per caller for the price of a parse
# (deepcopy walked pyHanko's string objects for 100 ms).
_verified: OrderedDict[tuple[str, str], tuple[float, str]] = OrderedDict()
_verified_lock = threading.Lock()


def verify_pdf_cached(data: bytes, trust: Trust, *, file_name: str = "document.pdf") -> dict:
    """verify_pdf, answered from the cache when these bytes were verified with this trust lately."""
    key = (hashlib.sha256(data).hexdigest(), trust_fingerprint(trust))
    now = time.monotonic()
    with _verified_lock:
        found = _verified.get(key)
        if found is not None and now - found[0] < CACHE_SECONDS:
            _verified.move_to_end(key)
            return {**json.loads(found[1]), "file": file_name}
    kept = json.dumps(verify_pdf(data, trust, file_name=file_name), ensure_ascii=False)
    with _verified_lock:
        _verified[key] = (now, kept)
        while len(_verified) > CACHE_SIZE:
            _verified.popitem(last=False)
    return json.loads(kept)


def trust_fingerprint(trust: Trust) -> str:
    """One hash over every trusted root and CRL, in order."""
    digest = hashlib.sha256()
    for item in (*trust.roots, *trust.crls):
        digest.update(hashlib.sha256(item.public_bytes(serialization.Encoding.DER)).digest())
    return digest.hexdigest()


def add_issue(report: dict, code: str, subject: dict | None = None, **params) -> None:
    """Record a problem once: a second signature with the same problem joins its subjects."""
    for issue in report["issues"]:
        if issue["code"] == code and issue["params"] == params:
            break
    else:
        issue = {"code": code, "text": ISSUES[code], "params": params, "subjects": []}
        report["issues"].append(issue)
    if subject is not None and subject not in issue["subjects"]:
        issue["subjects"].append(subject)
    issue["message"] = _english(issue)
    report["problems"] = [item["message"] for item in report["issues"]]


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
    total = reader.xrefs.total_revisions
    for index, embedded in enumerate(reader.embedded_regular_signatures):
        entry = {**_identify(embedded), "number": index + 1, "level": levels[index],
                 "revision": embedded.signed_revision + 1, "revisions_total": total}
        try:
            status = await async_validate_pdf_signature(embedded, context, context,
                                                        key_usage_settings=KEY_USAGE)
            entry.update(_signature_status(status))
        except Exception as exc:  # noqa: BLE001 - untrusted input: any failure means "not verified"
            log.debug("signature %s failed to validate", embedded.field_name, exc_info=True)
            entry.update(intact=False, trusted=False, trust_checked=False, modified_after_signing=True,
                         findings=[("not_validated", {"reason": str(exc)[:300] or type(exc).__name__})])
        report["signatures"].append(entry)
    for index, embedded in enumerate(reader.embedded_timestamp_signatures):
        base = {"field": embedded.field_name, "number": index + 1,
                "revision": embedded.signed_revision + 1, "revisions_total": total}
        try:
            status = await async_validate_pdf_timestamp(embedded, context)
            report["document_timestamps"].append({**base, **_timestamp_status(status)})
        except Exception as exc:  # noqa: BLE001 - as above
            report["document_timestamps"].append(
                {**base, "intact": False, "trusted": False, "trust_checked": False,
                 "modified_after_signing": True,
                 "findings": [("not_validated", {"reason": str(exc)[:300] or type(exc).__name__})]})


def _signature_status(status) -> dict:
    stamp = status.timestamp_validity
    intact = bool(status.intact and status.valid)
    findings = [] if intact else [_broken(status)]
    # Trust is judged only over bytes that match their signature: pyHanko skips the
    # chain when the digest differs, and "not trusted" would then be a false claim.
    if intact:
        findings += _trust_findings(status)
        if stamp is not None and not stamp.trusted:
            findings.append(("timestamp_untrusted", {}))
    modified = intact and _is_modified(status)
    if modified:
        findings.append(("changed_after_signing", {}))
    if intact and status.coverage is not None and status.coverage < SignatureCoverageLevel.ENTIRE_REVISION:
        findings.append(("partial_coverage", {}))
    return {
        "signed_at": _iso(stamp.timestamp if stamp else status.signer_reported_dt),
        "timestamp": {"at": _iso(stamp.timestamp), "trusted": stamp.trusted} if stamp else None,
        "intact": intact, "trusted": bool(intact and status.trusted), "trust_checked": intact,
        "revoked": status.revoked, "revocation": _revocation(status),
        "coverage": _name(status.coverage), "modification_level": _name(status.modification_level),
        "docmdp_ok": status.docmdp_ok, "bottom_line": bool(status.bottom_line),
        "modified_after_signing": modified, "findings": findings,
    }


def _timestamp_status(status) -> dict:
    intact = bool(status.intact and status.valid)
    findings = [_broken(status)] if not intact else _trust_findings(status)
    modified = intact and _is_modified(status)
    if modified:
        findings.append(("changed_after_signing", {}))
    return {"at": _iso(status.timestamp), "signer": _common_name(status.signing_cert.subject),
            "intact": intact, "trusted": bool(intact and status.trusted), "trust_checked": intact,
            "coverage": _name(status.coverage), "modification_level": _name(status.modification_level),
            "modified_after_signing": modified, "findings": findings}


def _broken(status) -> tuple[str, dict]:
    """A digest mismatch means the signed bytes changed; a bad signature value over the
    right digest means the signature itself (outside the signed bytes) was altered."""
    return ("bytes_changed", {}) if not status.intact else ("signature_invalid", {})


def _review_revisions(reader: PdfFileReader, report: dict) -> None:
    """Say which revisions no signature covers, and what the revisions after signing changed."""
    total = reader.xrefs.total_revisions
    report["revisions"]["total"] = total
    covered = [item["revision"] for item in report["signatures"] + report["document_timestamps"]]
    if not covered:
        return
    last = max(covered)
    report["revisions"]["unsigned"] = list(range(last + 1, total + 1))
    modified = any(item["modified_after_signing"] for item in report["signatures"]
                   + report["document_timestamps"])
    # Without a change beyond signing only the unsigned tail needs words; with one,
    # every revision after the first signature is judged, to find which one it was.
    first = min(item["revision"] for item in report["signatures"]) if modified else last
    reviewed = changes.review(reader, range(first, total))
    report["revisions"]["changed"] = [item for item in reviewed
                                      if not item["allowed"] or item["number"] > last]


def _summarise(report: dict) -> None:
    signatures, stamps = report["signatures"], report["document_timestamps"]
    every = signatures + stamps
    report["intact"] = bool(signatures) and all(item["intact"] for item in every)
    report["trusted"] = report["intact"] and all(item["trusted"] for item in every)
    report["modified_after_signing"] = any(item["modified_after_signing"] for item in every)
    if not signatures:
        add_issue(report, "no_signatures")
    for item in every:
        subject = _subject(item)
        item["problems"] = []
        for code, params in item.pop("findings"):
            add_issue(report, code, subject, **params)
            item["problems"].append(ISSUES[code].format(**params))
        item["issues"] = [code for code, _params in _codes(report, subject)]
    # The English message of a change after signing says what changed; a page builds
    # the same from report["revisions"]["changed"] in the reader's language.
    for issue in report["issues"]:
        if issue["code"] == "changed_after_signing":
            issue["message"] = f"{issue['message']}: {_what_changed(report)}"
    report["problems"] = [issue["message"] for issue in report["issues"]]
    report["verdict"] = _verdict(report)
    report["valid"] = report["verdict"] == "valid"


def _verdict(report: dict) -> str:
    codes = {issue["code"] for issue in report["issues"]}
    if codes & {"unreadable", "not_validated"}:
        return "unreadable"
    if not report["signatures"]:
        return "unsigned"
    if not report["intact"]:
        return "tampered"
    if report["modified_after_signing"]:
        return "modified"
    return "valid" if report["trusted"] else "untrusted"


def _what_changed(report: dict) -> str:
    described = [f"revision {item['number']}: " + " ".join(change["message"] for change in item["changes"])
                 for item in report["revisions"]["changed"] if not item["allowed"] and item["changes"]]
    return "; ".join(described) or "changes that signing does not allow"


def _codes(report: dict, subject: dict) -> list[tuple[str, dict]]:
    return [(issue["code"], issue["params"]) for issue in report["issues"] if subject in issue["subjects"]]


def _subject(item: dict) -> dict:
    if "role" in item:
        return {"kind": "signature", "number": item["number"], "signer": item["signer"],
                "role": item["role"]}
    return {"kind": "timestamp", "number": item["number"], "signer": item.get("signer") or item["field"]}


def _english(issue: dict) -> str:
    message = issue["text"].format(**issue["params"])
    if not issue["subjects"]:
        return message
    who = ", ".join(f"signature {s['number']} ({s['signer']}, {s['role']})" if s["kind"] == "signature"
                    else f"document timestamp {s['number']} ({s['signer']})" for s in issue["subjects"])
    return f"{who}: {message}"


def _is_modified(status) -> bool:
    if status.coverage is None or status.coverage < SignatureCoverageLevel.ENTIRE_REVISION:
        return True
    return status.docmdp_ok is False or status.modification_level not in ALLOWED_CHANGES


def _trust_findings(status) -> list[tuple[str, dict]]:
    if status.trusted:
        return []
    details = status.revocation_details
    if details is not None:
        return [("ca_revoked" if details.ca_revoked else "revoked",
                 {"date": _iso(details.revocation_date),
                  "reason": str(details.revocation_reason.native).replace("_", " ")})]
    indication = status.trust_problem_indic
    code = INDICATIONS.get(indication.name, "untrusted") if indication is not None else "no_chain"
    return [(code, {})]


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
