"""The contract routes as an ERP or a browser uses them, on both databases."""
from __future__ import annotations

import hashlib
import io

from cryptography.hazmat.primitives.serialization import Encoding

from signing import certs, service

from .conftest import personal_pkcs12, sample_contract
from .signer import open_page, send_link, sign

SHORT = [{"title": "标的 Subject", "text": "软件许可。Software licence."}]


def draft(api_client, expect=201, **changes):
    response = api_client.post("/api/contracts", json=sample_contract(**changes))
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def multipart(api_client, path, expect, **fields):
    response = api_client.post(path, data=fields, content_type="multipart/form-data")
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def test_draft_seal_sign_download_and_verify(api, app, data_dir):
    contract = draft(api["carol"])
    assert (contract["status"], contract["instance_id"], len(contract["sha256"])) == ("rendered", None, 64)
    path = f"/api/contracts/{contract['id']}"
    assert api["alice"].post(f"{path}/seal").status_code == 403
    assert api["carol"].post(f"{path}/seal").get_json()["status"] == "sealed"
    link = send_link(api["carol"], contract["id"])
    sign(app.test_client(), link["url"])

    shown = api["admin"].get(path).get_json()
    assert shown["status"] == "completed" and shown["sha256"] == shown["revisions"][-1]["sha256"]
    assert [(s["role"], s["signer"], s["level"]) for s in shown["signatures"]] == [
        ("company", "示例科技有限公司", "B-LTA"), ("customer", "张三", "B-LTA"),
        ("completion", "示例科技有限公司", "B-LTA")]
    assert all(s["signed_at"] for s in shown["signatures"])
    assert [e["action"] for e in shown["events"]] == ["drafted", "rendered", "sealed", "link_created",
                                                      "link_opened", "signed", "completed"]

    pdf = api["admin"].get(f"{path}/pdf")
    assert (pdf.status_code, pdf.mimetype) == (200, "application/pdf")
    assert hashlib.sha256(pdf.data).hexdigest() == shown["sha256"] == pdf.headers["ETag"].strip('"')
    first = api["admin"].get(f"{path}/pdf?revision=1")
    assert pdf.data.startswith(first.data) and len(first.data) < len(pdf.data)

    verdict = api["admin"].get(f"{path}/verify").get_json()
    assert (verdict["intact"], verdict["trusted"], verdict["modified_after_signing"]) == (True, True, False)
    uploaded = multipart(api["admin"], "/api/contracts/verify", 200, file=(io.BytesIO(pdf.data), "c.pdf"))
    assert (uploaded["intact"], uploaded["trusted"], uploaded["sha256"]) == (True, True, shown["sha256"])
    assert [s["level"] for s in uploaded["signatures"]] == ["B-LTA"] * 3

    assert api["admin"].get("/api/contracts?status=completed&customer=星河").get_json()[0]["id"] == contract["id"]
    viewed = [e for e in api["admin"].get(path).get_json()["events"] if e["action"] == "viewed"]
    assert len(viewed) == 2 and viewed[0]["actor"] == "admin" and viewed[0]["ip"]

    serial = shown["signatures"][1]["serial"]
    assert api["alice"].post("/api/signing/revocations", json={"serial": serial}).status_code == 403
    revoked = api["admin"].post("/api/signing/revocations", json={"serial": serial, "reason": "key_compromise"})
    assert revoked.status_code == 200, revoked.get_json()
    verdict = api["admin"].get(f"{path}/verify").get_json()
    assert (verdict["intact"], verdict["trusted"]) == (True, False)
    assert "revoked" in verdict["problems"][0] and "key compromise" in verdict["problems"][0]


def test_contract_routes_answer_errors_in_json(api, app, data_dir, monkeypatch):
    for method, path in (("get", "/api/contracts/999999"), ("get", "/api/contracts/999999/pdf"),
                         ("get", "/api/contracts/999999/verify"), ("post", "/api/contracts/999999/seal")):
        response = getattr(api["admin"], method)(path)
        assert response.status_code == 404 and response.get_json()["errors"][0]["message"]
    bad = api["carol"].post("/api/contracts", json={"title": "x", "clauses": []})
    assert bad.status_code == 422
    assert {p["field"] for p in bad.get_json()["errors"]} == {"customer", "clauses", "amount"}
    assert api["carol"].post("/api/contracts", data="nope", content_type="application/json").status_code == 400
    for query in ("status=nope", "from=yesterday", "colour=red"):
        assert api["alice"].get(f"/api/contracts?{query}").status_code == 422
    missing = multipart(api["alice"], "/api/contracts/verify", 422)
    assert missing["errors"][0]["field"] == "file"
    not_pdf = multipart(api["alice"], "/api/contracts/verify", 422,
                        file=(io.BytesIO(b"PK\x03\x04 zip"), "offer.docx"))
    assert not_pdf["errors"][0]["file"] == "offer.docx" and "offer.docx" in not_pdf["errors"][0]["message"]
    monkeypatch.setattr(service, "MAX_PDF_BYTES", 1000)
    multipart(api["alice"], "/api/contracts/verify", 413, file=(io.BytesIO(b"%PDF-" + b"x" * 2000), "big.pdf"))
    app.config["MAX_CONTENT_LENGTH"] = 500
    multipart(api["alice"], "/api/contracts/verify", 413, file=(io.BytesIO(b"%PDF-" + b"x" * 2000), "big.pdf"))


def test_a_customer_signs_with_a_pkcs12_of_their_own(api, app, data_dir, external_ca):
    contract = draft(api["carol"], clauses=SHORT)
    api["carol"].post(f"/api/contracts/{contract['id']}/seal")
    url = send_link(api["carol"], contract["id"], name="李四", email="li.si@example.cn")["url"]
    browser = app.test_client()
    p12 = personal_pkcs12(external_ca, "correct horse")
    own = lambda data, passphrase, expect=303: sign(  # noqa: E731
        browser, url, "李四", expect, method="own", file=(io.BytesIO(data), "li.p12"), passphrase=passphrase)
    flashed = lambda: open_page(browser, url)  # noqa: E731
    own(p12, "wrong")
    assert "passphrase" in flashed()
    own(p12, "correct horse")
    assert "does not chain to a trusted root" in flashed()
    own(b"x" * (service.MAX_PKCS12_BYTES + 1), "x")
    assert "too large" in flashed()
    root = lambda: (io.BytesIO(external_ca.cert.public_bytes(Encoding.PEM)), "root.pem")  # noqa: E731
    multipart(api["alice"], "/api/signing/trust-roots", 403, file=root())
    multipart(api["admin"], "/api/signing/trust-roots", 201, file=root())
    own(p12, "correct horse", 200)
    signed = api["carol"].get(f"/api/contracts/{contract['id']}").get_json()
    assert signed["status"] == "completed"
    assert [(s["role"], s["signer"]) for s in signed["signatures"]][1] == ("customer", "李四")
    assert signed["events"][-2]["detail"]["imported"] is True


def test_the_company_can_seal_with_a_pkcs12_from_a_real_ca(api, data_dir, external_ca):
    company = certs.issue(external_ca, certs.make_name("Example Holding Ltd", organization="Example Holding"),
                          days=365)
    p12 = certs.to_pkcs12(company, "company secret")
    upload = lambda client, expect, passphrase: multipart(  # noqa: E731
        client, "/api/signing/company-certificate", expect, file=(io.BytesIO(p12), "seal.p12"),
        passphrase=passphrase)
    upload(api["carol"], 403, "company secret")
    assert upload(api["admin"], 422, "not it")["errors"][0]["field"] == "passphrase"
    assert upload(api["admin"], 200, "company secret")["subject"] == "Example Holding Ltd"
    contract = draft(api["carol"], clauses=SHORT)
    sealed = api["carol"].post(f"/api/contracts/{contract['id']}/seal").get_json()
    assert sealed["signatures"][0]["signer"] == "Example Holding Ltd"
    verdict = api["carol"].get(f"/api/contracts/{contract['id']}/verify").get_json()
    assert verdict["trusted"] is True, verdict["problems"]


def test_openapi_lists_the_contract_routes(client):
    document = client.get("/api/openapi.json").get_json()
    listed = {(path, method) for path, ops in document["paths"].items() for method in ops}
    assert {("/api/contracts", "get"), ("/api/contracts", "post"), ("/api/contracts/{id}", "get"),
            ("/api/contracts/{id}/pdf", "get"), ("/api/contracts/{id}/verify", "get"),
            ("/api/contracts/verify", "post"), ("/api/contracts/{id}/seal", "post"),
            ("/api/contracts/{id}/sign", "post"), ("/api/contracts/{id}/signing-links", "post")} <= listed
    assert {"Contract", "ContractDetail", "Verification"} <= set(document["components"]["schemas"])
