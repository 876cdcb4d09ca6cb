"""Fixtures for contracts: keys made once per run, a data dir per test, a sample contract.

Everything is real: WeasyPrint renders, pyHanko signs and validates, the internal
CA issues. Only key generation is shared, by copying one keys/ folder per test.
"""
from __future__ import annotations

import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from io import BytesIO

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import ExtendedKeyUsageOID
from pyhanko.pdf_utils.reader import PdfFileReader

from signing import certs, drafts, fonts, keys, pades, render, verify

COMPANY = "示例科技有限公司"
CUSTOMER = "北京星河贸易有限公司"


def sample_contract(**changes) -> dict:
    """A contract in Chinese and English, long enough for five pages."""
    text = ("甲方向乙方提供软件许可及实施服务，乙方按本合同约定支付费用。双方应诚实守信，全面履行本合同。"
            "The company licenses the software and delivers the services; the customer pays as agreed. ")
    data = {"customer": CUSTOMER, "title": "软件许可与服务合同", "amount": "128000.00", "currency": "CNY",
            "parties": [{"role": "company", "name": COMPANY, "address": "上海市浦东新区张江路 88 号",
                         "representative": "王敏"},
                        {"role": "customer", "name": CUSTOMER, "address": "北京市朝阳区建国路 1 号",
                         "representative": "张伟", "contact": "zhang.wei@example.cn"}],
            "clauses": [{"title": title, "text": f"{text * 5}\n{text * 3}"} for title in (
                "定义 Definitions", "许可范围 Licence", "服务内容 Services", "交付与验收 Delivery",
                "价款与支付 Payment", "保密 Confidentiality", "知识产权 Intellectual property",
                "数据保护 Data protection", "违约责任 Liability", "不可抗力 Force majeure",
                "合同期限 Term", "争议解决 Disputes", "通知 Notices", "其他 Miscellaneous")]}
    data.update(changes)
    return data


@pytest.fixture(scope="session")
def keys_template(tmp_path_factory):
    """A data dir whose keys/ every test copies: generating keys once keeps the suite quick."""
    folder = tmp_path_factory.mktemp("signing-template")
    keys.ensure_keys(folder, COMPANY)
    fonts.ensure_working_font(folder)
    return folder


@pytest.fixture
def data_dir(tmp_path, keys_template, monkeypatch):
    """A fresh data dir with the run's keys, also set as CRM_DATA_DIR for the app."""
    shutil.copytree(keys.keys_dir(keys_template), keys.keys_dir(tmp_path))
    shutil.copytree(keys_template / "fonts", tmp_path / "fonts")
    monkeypatch.setenv("CRM_DATA_DIR", str(tmp_path))
    monkeypatch.delenv(keys.PASSPHRASE_ENV, raising=False)
    return tmp_path


def contract_content(**changes) -> dict:
    """The sample contract as the service shapes it for rendering."""
    data = sample_contract(**changes)
    return {**data, "number": "DF-TEST-1", "company": COMPANY, "date": "2026-11-25", "place": None,
            "instance_id": None, "parties": drafts.parties(data["parties"], COMPANY, data["customer"])}


@pytest.fixture(scope="session")
def rendered(keys_template):
    """One rendered sample contract (rendering is the slow part; the file is never changed)."""
    return render.render_contract(contract_content(), font=working_font(keys_template))


@pytest.fixture(scope="session")
def signed_contract(keys_template, rendered):
    """The sample contract sealed, signed by 张三 with a personal certificate, and completed."""
    folder = keys_template
    seal, tsa = keys.load_identity(folder, "seal"), keys.load_identity(folder, "tsa")
    person = keys.issue_personal_certificate(folder, "张三", "zhang.san@example.cn", "DF-TEST-1")
    layout = rendered.layout
    sealed = pades.certify(rendered.pdf, seal, tsa, layout,
                           render.render_seal(seal.name, layout["company"], "2026-11-25",
                                              font=working_font(folder)), reason="seal")
    signed = pades.approve(sealed, pades.CUSTOMER, person, tsa, appearance(layout["customer"], "张三"),
                           reason="sign")
    completed = pades.approve(signed, pades.COMPLETION, seal, tsa,
                              appearance(layout["completion"], "完成证书"), reason="complete")
    final = pades.archive_timestamp(completed, tsa, keys.trust(folder))
    return {"pdf": final, "signed": signed, "person": person, "seal": seal}


@pytest.fixture(scope="session")
def external_ca():
    """A CA that is not ours, like a commercial one: the root of imported PKCS#12 files."""
    return certs.make_ca("Example Trust Services")


def working_font(folder):
    return fonts.ensure_working_font(folder)


def appearance(box, name: str) -> bytes:
    return render.render_appearance("signature.html", box, name=name, email="a@example.cn",
                                    when="2026-11-25 10:00 UTC", subject=name, issuer="CA", serial="1")


def personal_pkcs12(ca: certs.Identity, passphrase: str = "correct horse", *, days: int = 365,
                    not_before: datetime | None = None, name: str = "李四") -> bytes:
    """A signer's PKCS#12 from `ca`, carrying the chain up to the root."""
    identity = certs.issue(ca, certs.make_name(name, email="li.si@example.cn"), days=days,
                           not_before=not_before)
    return certs.to_pkcs12(identity, passphrase)


def tls_server_pkcs12(ca: certs.Identity, passphrase: str = "correct horse") -> bytes:
    """A PKCS#12 whose certificate is for TLS servers only: not a signing certificate."""
    key = certs.new_key()
    builder = (x509.CertificateBuilder().subject_name(certs.make_name("www.example.cn"))
               .issuer_name(ca.cert.subject).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(datetime.now(timezone.utc) - timedelta(days=1))
               .not_valid_after(datetime.now(timezone.utc) + timedelta(days=90))
               .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False))
    cert = builder.sign(ca.key, hashes.SHA256())
    return certs.to_pkcs12(certs.Identity(key, cert, (ca.cert,)), passphrase)


def pdf_text(pdf: bytes, *pages: int) -> str:
    """Extract the text of `pdf` (or of the 1-based `pages`) with poppler's pdftotext."""
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: `make install` installs poppler-utils")
    args = ["pdftotext", "-enc", "UTF-8"]
    if pages:
        args += ["-f", str(min(pages)), "-l", str(max(pages))]
    return subprocess.run([*args, "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def reader(pdf: bytes) -> PdfFileReader:
    return PdfFileReader(BytesIO(pdf))


def report(pdf: bytes, folder) -> dict:
    return verify.verify_pdf(pdf, keys.trust(folder))
