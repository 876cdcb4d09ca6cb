"""Signing and verifying: both parties' own certificates, B-LTA, and what tampering looks like."""
from __future__ import annotations

from io import BytesIO

import pytest
from asn1crypto import crl as asn1_crl
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from core.errors import InvalidInput
from signing import certs, keys, pades, render, verify

from .conftest import appearance, personal_pkcs12, reader, report


def test_both_parties_sign_with_their_own_certificates_and_all_is_trusted(signed_contract, data_dir):
    result = report(signed_contract["pdf"], data_dir)
    assert (result["intact"], result["trusted"], result["modified_after_signing"]) == (True, True, False)
    assert result["problems"] == []
    company, customer, completion = result["signatures"]
    assert (company["role"], company["certification"], company["signer"]) == ("company", True,
                                                                              signed_contract["seal"].name)
    assert (customer["role"], customer["certification"], customer["signer"]) == ("customer", False, "张三")
    assert company["serial"] != customer["serial"] == format(signed_contract["person"].cert.serial_number, "x")
    assert completion["role"] == "completion" and completion["serial"] == company["serial"]
    for signature in result["signatures"]:
        assert signature["level"] == "B-LTA" and signature["trusted"] and signature["intact"]
        assert signature["timestamp"]["trusted"] and signature["signed_at"] == signature["timestamp"]["at"]
    assert company["signed_at"] < customer["signed_at"] < completion["signed_at"]
    assert result["contract"]["number"] == "DF-TEST-1"


def test_the_final_revision_is_lta_with_the_crl_and_a_document_timestamp(signed_contract, data_dir):
    pdf = reader(signed_contract["pdf"])
    dss = pdf.root["/DSS"]
    issuers = {asn1_crl.CertificateList.load(ref.get_object().data).issuer.human_friendly
               for ref in dss["/CRLs"]}
    assert any("Internal CA" in issuer for issuer in issuers)
    stamp = pdf.embedded_timestamp_signatures[-1]
    assert stamp.field_name == pades.ARCHIVE_TIMESTAMP
    assert stamp.signed_revision == pdf.xrefs.total_revisions - 1
    result = report(signed_contract["pdf"], data_dir)
    assert [(t["intact"], t["trusted"]) for t in result["document_timestamps"]] == [(True, True)]


def test_before_the_archival_revision_the_signatures_are_b_t(signed_contract):
    levels = [s["level"] for s in verify.describe_signatures(signed_contract["signed"])]
    assert levels == ["B-T", "B-T"]


def test_one_changed_byte_makes_the_pdf_not_intact(signed_contract, data_dir):
    pdf = bytearray(signed_contract["pdf"])
    offset = pdf.index(b"stream", 2000) + 40  # inside an early, signed stream
    pdf[offset] ^= 0x01
    result = report(bytes(pdf), data_dir)
    assert result["intact"] is False and result["trusted"] is False
    assert any("changed" in problem for problem in result["problems"])


def test_an_update_that_changes_page_content_is_modified_after_signing(signed_contract, data_dir):
    writer = IncrementalPdfFileWriter(BytesIO(signed_contract["pdf"]))
    page_ref = writer.find_page_for_modification(0)[0]
    overlay = generic.StreamObject(stream_data=b"q 1 0 0 RG 72 72 200 50 re S Q")
    writer.add_stream_to_page(0, writer.add_object(overlay))
    writer.update_container(page_ref.get_object())
    output = BytesIO()
    writer.write(output)
    result = report(output.getvalue(), data_dir)
    assert result["modified_after_signing"] is True
    assert result["intact"] is True  # each signature still matches what it signed
    assert all(s["modified_after_signing"] for s in result["signatures"])
    assert any("changed after this signature" in problem for problem in result["problems"])


def test_a_revoked_signer_certificate_is_untrusted_with_the_reason(signed_contract, data_dir):
    keys.revoke_certificate(data_dir, signed_contract["person"].cert.serial_number, "key_compromise")
    result = report(signed_contract["pdf"], data_dir)
    company, customer, completion = result["signatures"]
    assert result["trusted"] is False and result["intact"] is True
    assert (customer["trusted"], customer["revoked"]) == (False, True)
    assert customer["revocation"]["reason"] == "key_compromise"
    assert "revoked" in customer["problems"][0] and "key compromise" in customer["problems"][0]
    assert company["trusted"] and completion["trusted"]


def test_a_pdf_without_signatures_verifies_as_nothing(rendered, data_dir):
    result = report(rendered.pdf, data_dir)
    assert (result["intact"], result["trusted"], result["signatures"]) == (False, False, [])
    assert result["problems"] == ["the PDF carries no signatures"]


def test_something_that_is_not_a_pdf_is_refused_by_name(data_dir):
    with pytest.raises(InvalidInput) as raised:
        verify.verify_pdf(b"PK\x03\x04 a zip file", keys.trust(data_dir), file_name="offer.docx")
    assert raised.value.problems == [{"message": raised.value.message, "field": "file", "file": "offer.docx"}]
    assert "offer.docx is not a PDF" in raised.value.message


def test_a_customer_signs_with_an_imported_pkcs12_of_a_trusted_ca(rendered, data_dir, external_ca):
    tsa, seal = keys.load_identity(data_dir, "tsa"), keys.load_identity(data_dir, "seal")
    signer = certs.load_pkcs12(personal_pkcs12(external_ca), "correct horse")
    with pytest.raises(InvalidInput, match="does not chain to a trusted root"):
        pades.check_trusted(signer, keys.trust(data_dir))
    keys.add_trust_root(data_dir, external_ca.cert.public_bytes(Encoding.PEM))
    pades.check_trusted(signer, keys.trust(data_dir))
    sealed = pades.certify(rendered.pdf, seal, tsa, rendered.layout,
                           render.render_seal(seal.name, rendered.layout["company"], "2026-11-25"),
                           reason="seal")
    signed = pades.approve(sealed, pades.CUSTOMER, signer, tsa,
                           appearance(rendered.layout["customer"], "李四"), reason="sign")
    result = report(signed, data_dir)
    assert result["trusted"] and [s["signer"] for s in result["signatures"]] == [seal.name, "李四"]
    assert result["signatures"][1]["issuer"] == "Example Trust Services Internal CA"
