"""PAdES signatures with pyHanko: the company's certification, approvals, the archival revision.

Every signature carries an RFC 3161 token from the built-in authority (B-T);
`archive_timestamp` then embeds the validation data of all of them (DSS with the
CA's CRL) and adds a document timestamp over it (B-LTA). Sync code uses
pyHanko's sync API; the coroutines here use its async API.
"""
from __future__ import annotations

import asyncio
import logging
from io import BytesIO

from asn1crypto import cms, core, crl as asn1_crl, keys as asn1_keys, tsp, x509 as asn1_x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from pyhanko.pdf_utils.content import PdfContent
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.layout import AxisAlignment, BoxConstraints, Margins, SimpleBoxLayoutRule
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError, as_signing_certificate, simple_cms_attribute
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko.sign.validation import DocumentSecurityStore, collect_validation_info
from pyhanko.stamp import StaticStampStyle
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError, ValidationError
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from core.errors import InvalidInput

from .certs import Identity, subject_name
from .keys import Trust
from .render import Box

COMPANY, CUSTOMER, COMPLETION = "company", "customer", "completion"
ARCHIVE_TIMESTAMP = "archive-timestamp"
DIGEST = "sha256"
# Room for a CMS beyond its certificates: attributes, the TSTInfo, two signatures
# (ours measure ~1.5 KB; the rest covers an RSA-4096 signer). Reserving the size ourselves spares pyHanko a dry-run
# signature per signature; reserving it tightly keeps validation fast, since a
# validator reads the whole hex placeholder byte by byte.
CMS_OVERHEAD = 2560
# The built-in TSA's policy; a 2.25 OID is derived from a UUID (ITU-T X.667),
# so it needs no registration and collides with nobody's.
TSA_POLICY = "2.25.336226368810502078391595845390871431499"

log = logging.getLogger(__name__)


class InternalTimeStamper(DummyTimeStamper):
    """The built-in RFC 3161 authority: tokens signed in-process with the TSA certificate.

    pyHanko's DummyTimeStamper builds correct tokens; this subclass names our own
    policy and keeps the RSA key loaded, where pyHanko re-parses it per token (~20 ms).
    Both hooks are pyHanko internals, which is why setup.cfg pins its version.
    """

    def __init__(self, tsa: Identity):
        super().__init__(tsa_cert=asn1_certificate(tsa.cert), tsa_key=_asn1_key(tsa.key),
                         certs_to_embed=_store(tsa.chain))
        self._key = tsa.key

    def _build_tst_info(self, message_imprint, dt, req) -> tsp.TSTInfo:
        info = super()._build_tst_info(message_imprint, dt, req)
        info["policy"] = tsp.ObjectIdentifier(TSA_POLICY)
        return info

    def _sign_tst_info(self, tst_info_data, md_algorithm, dt):
        digest = hashes.Hash(get_pyca_cryptography_hash(md_algorithm))
        digest.update(tst_info_data)
        attributes = cms.CMSAttributes([
            simple_cms_attribute("content_type", "tst_info"),
            simple_cms_attribute("signing_time", cms.Time({"utc_time": core.UTCTime(dt)})),
            simple_cms_attribute("signing_certificate", as_signing_certificate(self.tsa_cert)),
            simple_cms_attribute("message_digest", digest.finalize()),
        ])
        signature = self._key.sign(attributes.dump(), PKCS1v15(),
                                   get_pyca_cryptography_hash(md_algorithm.upper()))
        return signature, attributes


class _PdfPageContent(PdfContent):
    """The first page of an in-memory PDF as a form XObject: a WeasyPrint-rendered appearance."""

    def __init__(self, pdf: bytes):
        super().__init__()
        self.pdf = pdf

    def render(self) -> bytes:
        xobject = self._ensure_writer.import_page_as_xobject(PdfFileReader(BytesIO(self.pdf)))
        self.resources.xobject["/Appearance"] = xobject
        x1, y1, x2, y2 = xobject.get_object()["/BBox"]
        self.box = BoxConstraints(width=abs(x2 - x1), height=abs(y2 - y1))
        return b"/Appearance Do"


def certify(pdf: bytes, seal: Identity, tsa: Identity, layout: dict[str, Box], appearance: bytes,
            *, reason: str, location: str | None = None) -> bytes:
    """Seal `pdf` with the company's certification signature; form filling and signing stay allowed.

    The customer's and the completion fields are made in the same revision, so
    later signatures fill fields that the certification already covers.
    """
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    for name in (CUSTOMER, COMPLETION):
        fields.append_signature_field(writer, _field(name, layout[name]))
    meta = signers.PdfSignatureMetadata(
        field_name=COMPANY, certify=True, docmdp_permissions=fields.MDPPerm.FILL_FORMS,
        subfilter=fields.SigSeedSubFilter.PADES, md_algorithm=DIGEST, reason=reason,
        location=location)
    return _sign(writer, meta, seal, tsa, appearance, new_field=_field(COMPANY, layout[COMPANY]))


def approve(pdf: bytes, field: str, signer: Identity, tsa: Identity, appearance: bytes,
            *, reason: str) -> bytes:
    """Sign the existing empty field `field` with an approval signature (PAdES B-T)."""
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    meta = signers.PdfSignatureMetadata(field_name=field, subfilter=fields.SigSeedSubFilter.PADES,
                                        md_algorithm=DIGEST, reason=reason)
    return _sign(writer, meta, signer, tsa, appearance)


def archive_timestamp(pdf: bytes, tsa: Identity, trust: Trust) -> bytes:
    """Embed every signature's validation data (DSS) and timestamp the document: PAdES B-LTA."""
    return asyncio.run(_archive_timestamp(pdf, tsa, trust))


def check_trusted(identity: Identity, trust: Trust) -> None:
    """Refuse a signer whose certificate does not chain to a trusted root, or is revoked.

    Raises:
        InvalidInput: naming the certificate and the reason.
    """
    asyncio.run(_check_trusted(identity, trust))


def validation_context(trust: Trust, *, revocation_mode: str = "soft-fail") -> ValidationContext:
    """Return an offline validation context: our trust roots, our CRLs, never the network."""
    return ValidationContext(
        trust_roots=[asn1_certificate(cert) for cert in trust.roots],
        crls=[asn1_crl.CertificateList.load(c.public_bytes(serialization.Encoding.DER))
              for c in trust.crls],
        allow_fetching=False, revocation_mode=revocation_mode)


def asn1_certificate(cert) -> asn1_x509.Certificate:
    """Convert a `cryptography` certificate to the asn1crypto one pyHanko works with."""
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


async def _archive_timestamp(pdf: bytes, tsa: Identity, trust: Trust) -> bytes:
    # Hard-fail: our certificates name a CRL and we hold it, so their data is
    # complete; a certificate whose revocation we cannot check gets none (B-T).
    context = validation_context(trust, revocation_mode="hard-fail")
    reader = PdfFileReader(BytesIO(pdf))
    paths = []
    for signature in reader.embedded_regular_signatures:
        try:
            paths.extend(await collect_validation_info(signature, context))
        except (PathBuildingError, ValidationError) as exc:
            log.info("no validation data for signature %s: %s", signature.field_name, exc)
    writer = IncrementalPdfFileWriter.from_reader(reader)
    DocumentSecurityStore.supply_dss_in_writer(writer, None, paths=paths, validation_context=context)
    stamper = signers.PdfTimeStamper(InternalTimeStamper(tsa), field_name=ARCHIVE_TIMESTAMP)
    output = BytesIO()
    await stamper.async_timestamp_pdf(writer, DIGEST, bytes_reserved=_reserve(tsa), output=output)
    return output.getvalue()


async def _check_trusted(identity: Identity, trust: Trust) -> None:
    validator = CertificateValidator(asn1_certificate(identity.cert),
                                     intermediate_certs=[asn1_certificate(c) for c in identity.chain],
                                     validation_context=validation_context(trust))
    who = subject_name(identity.cert)
    try:
        await validator.async_validate_usage(set())
    except PathBuildingError as exc:
        _refuse(f"the certificate of {who} does not chain to a trusted root; an admin can add "
                "its CA with POST /api/signing/trust-roots", exc)
    except PathValidationError as exc:
        _refuse(f"the certificate of {who} cannot be used: {exc}", exc)


def _sign(writer, meta, signer: Identity, tsa: Identity, appearance: bytes, new_field=None) -> bytes:
    style = StaticStampStyle(background=_PdfPageContent(appearance), border_width=0,
                             background_opacity=1.0,
                             background_layout=SimpleBoxLayoutRule(
                                 x_align=AxisAlignment.ALIGN_MID, y_align=AxisAlignment.ALIGN_MID,
                                 margins=Margins.uniform(0)))
    pdf_signer = signers.PdfSigner(meta, _simple_signer(signer), timestamper=InternalTimeStamper(tsa),
                                   stamp_style=style, new_field_spec=new_field)
    try:
        output = pdf_signer.sign_pdf(writer, existing_fields_only=new_field is None,
                                     bytes_reserved=_reserve(signer, tsa))
    except SigningError as exc:
        _refuse(f"cannot sign with the certificate of {signer.name}: {exc}", exc)
    return output.getvalue()


def _reserve(*identities: Identity) -> int:
    # Hex digits: two per DER byte of the certificates embedded, plus the rest.
    embedded = sum(len(cert.public_bytes(serialization.Encoding.DER))
                   for identity in identities for cert in (identity.cert, *identity.chain))
    return 2 * (embedded + CMS_OVERHEAD)


def _simple_signer(identity: Identity) -> signers.SimpleSigner:
    return signers.SimpleSigner(signing_cert=asn1_certificate(identity.cert),
                                signing_key=_asn1_key(identity.key),
                                cert_registry=_store(identity.chain))


def _field(name: str, box: Box) -> fields.SigFieldSpec:
    return fields.SigFieldSpec(name, on_page=box.page, box=tuple(round(v, 2) for v in box.rect))


def _store(certificates) -> SimpleCertificateStore:
    return SimpleCertificateStore.from_certs([asn1_certificate(cert) for cert in certificates])


def _asn1_key(key) -> asn1_keys.PrivateKeyInfo:
    return asn1_keys.PrivateKeyInfo.load(key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


def _refuse(message: str, cause: Exception):
    raise InvalidInput(message, [{"message": message, "field": "file"}]) from cause
