"""Keys: the internal CA made on first start, encrypted at rest; PKCS#12 from a real CA."""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID

from core.errors import InvalidInput
from signing import certs, keys

from .conftest import COMPANY, personal_pkcs12, tls_server_pkcs12


def test_first_start_makes_ca_seal_and_tsa_with_encrypted_keys(tmp_path, monkeypatch):
    monkeypatch.delenv(keys.PASSPHRASE_ENV, raising=False)
    folder = keys.ensure_keys(tmp_path, COMPANY)
    for name in ("ca", "seal", "tsa"):
        pem = (folder / f"{name}.pem").read_bytes()
        assert b"BEGIN ENCRYPTED PRIVATE KEY" in pem and b"BEGIN PRIVATE KEY" not in pem
        assert (folder / f"{name}.pem").stat().st_mode & 0o077 == 0
    assert (folder / "passphrase").stat().st_mode & 0o777 == 0o600
    ca, seal, tsa = (keys.load_identity(tmp_path, name) for name in ("ca", "seal", "tsa"))
    assert seal.name == COMPANY and seal.cert.issuer == ca.cert.subject
    usage = tsa.cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert usage.critical and list(usage.value) == [ExtendedKeyUsageOID.TIME_STAMPING]
    assert list(keys.current_crl(tmp_path)) == []


def test_making_the_keys_is_idempotent_even_when_processes_race(tmp_path):
    with ThreadPoolExecutor(4) as pool:
        folders = list(pool.map(lambda _: keys.ensure_keys(tmp_path, COMPANY), range(4)))
    assert len(set(folders)) == 1
    first = (folders[0] / "ca.pem").read_bytes()
    keys.ensure_keys(tmp_path, COMPANY)
    assert (folders[0] / "ca.pem").read_bytes() == first
    assert [p.name for p in tmp_path.iterdir()] == ["keys"]  # no staging left behind


def test_the_passphrase_can_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(keys.PASSPHRASE_ENV, "from the environment")
    folder = keys.ensure_keys(tmp_path, COMPANY)
    assert not (folder / "passphrase").exists()
    assert keys.load_identity(tmp_path, "seal").name == COMPANY
    monkeypatch.setenv(keys.PASSPHRASE_ENV, "a different one")
    keys._identities.clear()
    with pytest.raises(RuntimeError, match="passphrase"):
        keys.load_identity(tmp_path, "seal")


def test_revoking_puts_the_serial_on_a_fresh_crl(data_dir):
    person = keys.issue_personal_certificate(data_dir, "张三", "z@example.cn", "DF-1")
    crl = keys.revoke_certificate(data_dir, person.cert.serial_number, "key_compromise")
    keys.revoke_certificate(data_dir, person.cert.serial_number, "key_compromise")
    entry = crl.get_revoked_certificate_by_serial_number(person.cert.serial_number)
    assert entry is not None and len(list(keys.current_crl(data_dir))) == 1
    reason = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
    assert reason == x509.ReasonFlags.key_compromise


def test_a_personal_certificate_names_the_signer_and_the_contract(data_dir):
    person = keys.issue_personal_certificate(data_dir, "张三", "zhang.san@example.cn", "DF-7")
    subject = person.cert.subject.rfc4514_string()
    assert "CN=张三" in subject and "OU=Contract DF-7" in subject
    certs.check_signing_certificate(person.cert)


@pytest.mark.parametrize("case, field, message", [
    ("wrong passphrase", "passphrase", "wrong passphrase for the PKCS#12 file"),
    ("not pkcs12", "file", "not a PKCS#12"),
    ("expired", "file", "expired on"),
    ("not yet valid", "file", "is not valid before"),
    ("tls server", "file", "not a signing certificate"),
])
def test_a_bad_pkcs12_is_a_clear_error(external_ca, case, field, message):
    now = datetime.now(timezone.utc)
    data, passphrase = {
        "wrong passphrase": (personal_pkcs12(external_ca, "right one"), "wrong one"),
        "not pkcs12": (b"%PDF-1.7 certainly not a PKCS#12", "x"),
        "expired": (personal_pkcs12(external_ca, days=30, not_before=now - timedelta(days=60)),
                    "correct horse"),
        "not yet valid": (personal_pkcs12(external_ca, not_before=now + timedelta(days=10)),
                          "correct horse"),
        "tls server": (tls_server_pkcs12(external_ca), "correct horse"),
    }[case]
    with pytest.raises(InvalidInput) as raised:
        certs.load_pkcs12(data, passphrase)
    assert message in raised.value.message
    assert raised.value.problems[0]["field"] == field


def test_a_ca_certificate_is_not_a_signing_certificate(external_ca):
    with pytest.raises(InvalidInput, match="is a CA certificate"):
        certs.check_signing_certificate(external_ca.cert)


def test_trust_roots_must_be_ca_certificates(data_dir, external_ca):
    leaf = certs.issue(external_ca, certs.make_name("leaf"), days=30)
    with pytest.raises(InvalidInput, match="not a CA certificate"):
        keys.add_trust_root(data_dir, leaf.cert.public_bytes(Encoding.PEM))
    with pytest.raises(InvalidInput, match="not an X.509 certificate"):
        keys.add_trust_root(data_dir, b"garbage")
    keys.add_trust_root(data_dir, external_ca.cert.public_bytes(Encoding.DER))
    assert external_ca.cert in keys.trust(data_dir).roots


def test_the_keys_folder_stays_private(data_dir):
    assert os.stat(keys.keys_dir(data_dir)).st_mode & 0o077 == 0
