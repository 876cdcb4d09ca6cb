"""The signing keys under the data dir: made on first use, private keys encrypted at rest.

`<data dir>/keys/` holds:
  ca.pem, seal.pem, tsa.pem   an encrypted PKCS#8 key followed by its certificate chain
  ca.crl                      the internal CA's current CRL (DER)
  trusted/*.pem               more trust roots: an imported seal's CA, roots an admin added
  passphrase                  the key passphrase, unless CRM_SIGNING_PASSPHRASE is set
"""
from __future__ import annotations

import fcntl
import os
import re
import secrets
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import Encoding

from core.errors import InvalidInput

from . import certs
from .certs import Identity

PASSPHRASE_ENV = "CRM_SIGNING_PASSPHRASE"
CRL_REFRESH = timedelta(days=1)
_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----.+?-----END \1-----\r?\n?", re.S)
# Decrypting a key costs tens of milliseconds (KDF, RSA checks); files are
# replaced, never edited, so (path, inode, mtime) identifies a version.
_identities: dict[Path, tuple[tuple, Identity]] = {}
_crls: dict[Path, tuple[tuple, x509.CertificateRevocationList]] = {}


@dataclass(frozen=True)
class Trust:
    """What validation trusts: root certificates and the CRLs to check against."""

    roots: tuple[x509.Certificate, ...]
    crls: tuple[x509.CertificateRevocationList, ...]


def keys_dir(data_dir: Path) -> Path:
    """Return where the keys of `data_dir` live."""
    return Path(data_dir) / "keys"


def ensure_keys(data_dir: Path, organization: str = "Dealflow") -> Path:
    """Create the CA, the seal, the TSA and an empty CRL once; safe when processes race."""
    target = keys_dir(data_dir)
    if (target / "ca.pem").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".keys-", dir=target.parent))
    try:
        _create_authority(staging, organization)
        try:
            # Renaming a whole directory is atomic: a racing process either
            # finds no keys/ yet or a complete one, never half of it.
            os.rename(staging, target)
        except OSError:
            if not (target / "ca.pem").exists():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def load_identity(data_dir: Path, name: str) -> Identity:
    """Return the stored identity `name` (ca, seal or tsa), decrypting its key once per process."""
    folder = ensure_keys(data_dir)
    path = folder / f"{name}.pem"
    version = _version(path)
    cached = _identities.get(path)
    if cached and cached[0] == version:
        return cached[1]
    identity = _load(path.read_bytes(), _passphrase(folder), path)
    _identities[path] = (version, identity)
    return identity


def issue_personal_certificate(data_dir: Path, name: str, email: str, contract_number: str) -> Identity:
    """Issue a certificate for one signer and one contract; its key is used once and never stored."""
    subject = certs.make_name(name, email=email, unit=f"Contract {contract_number}")
    return certs.issue(load_identity(data_dir, "ca"), subject, days=2 * 365, email=email)


def import_company_pkcs12(data_dir: Path, data: bytes, passphrase: str | None) -> Identity:
    """Make a PKCS#12 from a real CA the company's seal; trust the root its chain carries."""
    identity = certs.load_pkcs12(data, passphrase)
    folder = ensure_keys(data_dir)
    for cert in identity.chain:
        if cert.subject == cert.issuer:
            _store_root(folder, cert)
    _replace(folder / "seal.pem", _dump(identity, _passphrase(folder)))
    return identity


def add_trust_root(data_dir: Path, data: bytes) -> x509.Certificate:
    """Trust a CA certificate (PEM or DER), e.g. the root of customers' PKCS#12 files."""
    try:
        cert = (x509.load_pem_x509_certificate(data) if b"-----BEGIN" in data
                else x509.load_der_x509_certificate(data))
    except ValueError:
        message = "the file is not an X.509 certificate (PEM or DER)"
        raise InvalidInput(message, [{"message": message, "field": "file"}]) from None
    constraints = _basic_constraints(cert)
    if constraints is None or not constraints.ca:
        message = f"{certs.subject_name(cert)} is not a CA certificate"
        raise InvalidInput(message, [{"message": message, "field": "file"}])
    _store_root(ensure_keys(data_dir), cert)
    return cert


def trust(data_dir: Path) -> Trust:
    """Return the internal CA and the extra roots as trust roots, with the CA's current CRL."""
    folder = ensure_keys(data_dir)
    roots = [_certificates((folder / "ca.pem").read_bytes())[0]]
    for path in sorted((folder / "trusted").glob("*.pem")):
        roots.extend(_certificates(path.read_bytes()))
    return Trust(tuple(roots), (current_crl(data_dir),))


def current_crl(data_dir: Path) -> x509.CertificateRevocationList:
    """Return the internal CA's CRL, signing a fresh one when it is about to expire."""
    crl = _read_crl(ensure_keys(data_dir))
    if crl.next_update_utc - datetime.now(timezone.utc) < CRL_REFRESH:
        crl = _update_crl(data_dir, lambda entries: entries)
    return crl


def revoke_certificate(data_dir: Path, serial: int, reason: str = "unspecified",
                       when: datetime | None = None) -> x509.CertificateRevocationList:
    """Put a certificate of the internal CA on its CRL; revoking twice changes nothing."""
    entry = certs.revoked_entry(serial, reason, when or datetime.now(timezone.utc))

    def add(entries):
        if any(existing.serial_number == serial for existing in entries):
            return entries
        return [*entries, entry]

    return _update_crl(data_dir, add)


def _create_authority(folder: Path, organization: str) -> None:
    secret = _new_passphrase(folder)
    ca = certs.make_ca(organization)
    seal = certs.issue(ca, certs.make_name(organization, organization=organization,
                                           unit="Contract seal"), days=5 * 365)
    tsa = certs.issue(ca, certs.make_name(f"{organization} Timestamp Authority",
                                          organization=organization),
                      days=10 * 365, key=certs.new_key("rsa"), time_stamping=True)
    for name, identity in (("ca", ca), ("seal", seal), ("tsa", tsa)):
        _replace(folder / f"{name}.pem", _dump(identity, secret))
    _replace(folder / "ca.crl", certs.make_crl(ca, []).public_bytes(Encoding.DER))
    (folder / "trusted").mkdir(mode=0o700)


def _update_crl(data_dir: Path, change) -> x509.CertificateRevocationList:
    folder = keys_dir(data_dir)
    with _locked(folder / "crl.lock"):
        entries = list(_read_crl(folder))
        crl = certs.make_crl(load_identity(data_dir, "ca"), change(entries))
        _replace(folder / "ca.crl", crl.public_bytes(Encoding.DER))
    return crl


def _read_crl(folder: Path) -> x509.CertificateRevocationList:
    path = folder / "ca.crl"
    version = _version(path)
    cached = _crls.get(path)
    if cached and cached[0] == version:
        return cached[1]
    crl = x509.load_der_x509_crl(path.read_bytes())
    _crls[path] = (version, crl)
    return crl


def _new_passphrase(folder: Path) -> bytes:
    if os.environ.get(PASSPHRASE_ENV):
        return os.environ[PASSPHRASE_ENV].encode()
    secret = secrets.token_urlsafe(32).encode()
    _replace(folder / "passphrase", secret)
    return secret


def _passphrase(folder: Path) -> bytes:
    if os.environ.get(PASSPHRASE_ENV):
        return os.environ[PASSPHRASE_ENV].encode()
    try:
        return (folder / "passphrase").read_bytes().strip()
    except FileNotFoundError:
        raise RuntimeError(f"{folder} has encrypted keys but no passphrase file; "
                           f"set {PASSPHRASE_ENV} to the passphrase they were made with") from None


def _dump(identity: Identity, secret: bytes) -> bytes:
    key = identity.key.private_bytes(Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.BestAvailableEncryption(secret))
    return key + b"".join(cert.public_bytes(Encoding.PEM) for cert in (identity.cert, *identity.chain))


def _load(pem: bytes, secret: bytes, path: Path) -> Identity:
    blocks = [match.group(0) for match in _PEM_BLOCK.finditer(pem)]
    key_block = next(block for block in blocks if b"PRIVATE KEY" in block.split(b"\n", 1)[0])
    try:
        key = serialization.load_pem_private_key(key_block, secret)
    except (ValueError, TypeError):
        raise RuntimeError(f"cannot decrypt {path}: the passphrase ({PASSPHRASE_ENV} or "
                           "keys/passphrase) is not the one the keys were made with") from None
    chain = _certificates(pem)
    return Identity(key, chain[0], tuple(chain[1:]))


def _certificates(pem: bytes) -> list[x509.Certificate]:
    blocks = [m.group(0) for m in _PEM_BLOCK.finditer(pem) if m.group(1) == b"CERTIFICATE"]
    return [x509.load_pem_x509_certificate(block) for block in blocks]


def _store_root(folder: Path, cert: x509.Certificate) -> None:
    name = cert.fingerprint(hashes.SHA256()).hex()
    _replace(folder / "trusted" / f"{name}.pem", cert.public_bytes(Encoding.PEM), mode=0o644)


def _basic_constraints(cert: x509.Certificate):
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        return None


def _version(path: Path) -> tuple:
    stat = path.stat()
    return stat.st_ino, stat.st_mtime_ns, stat.st_size


def _replace(path: Path, data: bytes, mode: int = 0o600) -> None:
    # Write aside, then rename: a reader sees the old file or the new one, never half.
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


@contextmanager
def _locked(path: Path):
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
