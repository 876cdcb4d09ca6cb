"""X.509 for the internal authority: the CA, the company seal, the TSA, personal certificates, CRLs.

Pure cryptography, no files: `keys` stores what this module makes.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from asn1crypto import pkcs12 as asn1_pkcs12
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from core.errors import InvalidInput

# certvalidator consults a CRL it was given only for certificates that name a
# distribution point; `.invalid` never resolves, and validation never fetches.
CRL_URL = "http://dealflow.invalid/internal-ca.crl"
CLOCK_SKEW = timedelta(minutes=5)
CRL_DAYS = 7
# Purposes a document-signing certificate may carry; a certificate restricted to
# others (TLS servers, timestamps, code) is not a signing certificate for us.
SIGNING_PURPOSES = {
    ExtendedKeyUsageOID.EMAIL_PROTECTION, ExtendedKeyUsageOID.CLIENT_AUTH,
    ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE,
    ObjectIdentifier("1.3.6.1.5.5.7.3.36"),      # id-kp-documentSigning (RFC 9336)
    ObjectIdentifier("1.2.840.113583.1.1.5"),    # Adobe Authentic Documents Trust
    ObjectIdentifier("1.3.6.1.4.1.311.10.3.12"),  # Microsoft document signing
}


@dataclass(frozen=True)
class Identity:
    """A private key with its certificate and the issuers above it (leaf excluded)."""

    key: object
    cert: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()

    @property
    def name(self) -> str:
        return subject_name(self.cert)


def subject_name(cert: x509.Certificate) -> str:
    """Return the subject's common name, else its organisation, else the whole name."""
    return _display_name(cert.subject)


def issuer_name(cert: x509.Certificate) -> str:
    """Return the issuer's common name, else its organisation, else the whole name."""
    return _display_name(cert.issuer)


def make_name(common_name: str, *, organization: str | None = None, unit: str | None = None,
              email: str | None = None) -> x509.Name:
    """Return an X.509 name; CN is cut to the 64 characters X.509 allows."""
    parts = [x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64])]
    if organization:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization[:64]))
    if unit:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit[:64]))
    if email:
        parts.append(x509.NameAttribute(NameOID.EMAIL_ADDRESS, email[:128]))
    return x509.Name(parts)


def new_key(kind: str = "ec"):
    """Return a fresh key: EC P-256, or RSA 2048 for the TSA (pyHanko's token signer is RSA-only)."""
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def make_ca(organization: str, *, years: int = 20) -> Identity:
    """Create a self-signed root that issues the seal, TSA and personal certificates."""
    key = new_key()
    subject = make_name(f"{organization} Internal CA", organization=organization)
    usage = _key_usage(key_cert_sign=True, crl_sign=True)
    cert = (_builder(subject, subject, key.public_key(), datetime.now(timezone.utc), 365 * years)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(usage, critical=True)
            .sign(key, hashes.SHA256()))
    return Identity(key, cert)


def issue(ca: Identity, subject: x509.Name, *, days: int, key=None, time_stamping: bool = False,
          email: str | None = None, not_before: datetime | None = None) -> Identity:
    """Issue an end-entity certificate from `ca`: a signing one, or a TSA's with `time_stamping`."""
    key = key or new_key()
    start = not_before or datetime.now(timezone.utc)
    builder = (_builder(subject, ca.cert.subject, key.public_key(), start, days)
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(_key_usage(digital_signature=True, content_commitment=True), critical=True)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
                              critical=False)
               .add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
                   [x509.UniformResourceIdentifier(CRL_URL)], None, None, None)]), critical=False))
    if time_stamping:
        # RFC 3161 2.3: a TSA certificate has exactly this purpose, marked critical.
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]),
                                        critical=True)
    if email:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.RFC822Name(email)]),
                                        critical=False)
    return Identity(key, builder.sign(ca.key, hashes.SHA256()), (ca.cert, *ca.chain))


def make_crl(ca: Identity, revoked: list[x509.RevokedCertificate],
             now: datetime | None = None) -> x509.CertificateRevocationList:
    """Sign a CRL listing `revoked`, valid for CRL_DAYS."""
    now = now or datetime.now(timezone.utc)
    builder = (x509.CertificateRevocationListBuilder()
               .issuer_name(ca.cert.subject)
               .last_update(now - CLOCK_SKEW)
               .next_update(now + timedelta(days=CRL_DAYS))
               .add_extension(x509.CRLNumber(int(now.timestamp() * 1000)), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
                              critical=False))
    for entry in revoked:
        builder = builder.add_revoked_certificate(entry)
    return builder.sign(ca.key, hashes.SHA256())


def revoked_entry(serial: int, reason: str, when: datetime) -> x509.RevokedCertificate:
    """Return a CRL entry; `reason` is a ReasonFlags name such as key_compromise."""
    try:
        flag = x509.ReasonFlags[reason]
    except KeyError:
        names = ", ".join(flag.name for flag in x509.ReasonFlags)
        raise InvalidInput(f"unknown revocation reason {reason!r}; use one of {names}",
                           [{"message": "unknown reason", "field": "reason"}]) from None
    return (x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when)
            .add_extension(x509.CRLReason(flag), critical=False).build())


def check_signing_certificate(cert: x509.Certificate, now: datetime | None = None) -> None:
    """Refuse a certificate that is expired, not yet valid, or not made for signing.

    Raises:
        InvalidInput: naming the certificate's subject and what is wrong with it.
    """
    now = now or datetime.now(timezone.utc)
    who = subject_name(cert)
    if cert.not_valid_after_utc < now:
        _refuse(f"the certificate of {who} expired on {cert.not_valid_after_utc:%Y-%m-%d}")
    if cert.not_valid_before_utc > now + CLOCK_SKEW:
        _refuse(f"the certificate of {who} is not valid before {cert.not_valid_before_utc:%Y-%m-%d}")
    constraints = _extension(cert, x509.BasicConstraints)
    if constraints is not None and constraints.ca:
        _refuse(f"the certificate of {who} is a CA certificate, not a signing certificate")
    usage = _extension(cert, x509.KeyUsage)
    if usage is not None and not (usage.digital_signature or usage.content_commitment):
        _refuse(f"the certificate of {who} may not sign: its key usage allows neither digital "
                "signatures nor non-repudiation")
    purposes = _extension(cert, x509.ExtendedKeyUsage)
    if purposes is not None and not SIGNING_PURPOSES & set(purposes):
        _refuse(f"the certificate of {who} is not a signing certificate: its extended key usage "
                f"is {', '.join(_oid_name(oid) for oid in purposes)}")


def load_pkcs12(data: bytes, passphrase: str | None, now: datetime | None = None) -> Identity:
    """Open a PKCS#12 file and check that it holds a usable signing certificate.

    Raises:
        InvalidInput: not PKCS#12, wrong passphrase, no key, or a certificate we cannot sign with.
    """
    secret = passphrase.encode() if passphrase else None
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, secret)
    except ValueError as exc:
        if not _is_pkcs12(data):
            _refuse("the file is not a PKCS#12 (.p12/.pfx) file", field="file", cause=exc)
        _refuse("wrong passphrase for the PKCS#12 file", field="passphrase", cause=exc)
    if key is None or cert is None:
        _refuse("the PKCS#12 file holds no private key with its certificate", field="file")
    if _public_der(key.public_key()) != _public_der(cert.public_key()):
        _refuse("the certificate in the PKCS#12 file does not belong to its private key", field="file")
    check_signing_certificate(cert, now)
    return Identity(key, cert, tuple(extra or ()))


def to_pkcs12(identity: Identity, passphrase: str, name: str = "signer") -> bytes:
    """Return `identity` as a passphrase-protected PKCS#12 file."""
    return pkcs12.serialize_key_and_certificates(
        name.encode(), identity.key, identity.cert, list(identity.chain) or None,
        serialization.BestAvailableEncryption(passphrase.encode()))


def _display_name(name: x509.Name) -> str:
    for oid in (NameOID.COMMON_NAME, NameOID.ORGANIZATION_NAME):
        values = name.get_attributes_for_oid(oid)
        if values:
            return str(values[0].value)
    return name.rfc4514_string()


def _builder(subject, issuer, public_key, start: datetime, days: int) -> x509.CertificateBuilder:
    return (x509.CertificateBuilder()
            .subject_name(subject).issuer_name(issuer).public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(start - CLOCK_SKEW)
            .not_valid_after(start + timedelta(days=days))
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False))


def _key_usage(**allowed) -> x509.KeyUsage:
    names = ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
             "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only")
    return x509.KeyUsage(**{name: allowed.get(name, False) for name in names})


def _extension(cert: x509.Certificate, kind):
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def _oid_name(oid: ObjectIdentifier) -> str:
    return getattr(oid, "_name", None) or oid.dotted_string


def _public_der(public_key) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER,
                                   serialization.PublicFormat.SubjectPublicKeyInfo)


def _is_pkcs12(data: bytes) -> bool:
    try:
        pfx = asn1_pkcs12.Pfx.load(data, strict=True)
        return pfx["auth_safe"]["content_type"].native is not None
    except (ValueError, TypeError, KeyError):
        return False


def _refuse(message: str, field: str = "file", cause: Exception | None = None):
    raise InvalidInput(message, [{"message": message, "field": field}]) from cause
