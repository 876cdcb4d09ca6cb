"""Honest verdicts: a file changed after signing is never green and says what changed, a
tampered file says its bytes changed (not that trust failed), each problem once, in the
reader's language. Real contracts, signed by the real signer, changed with pyHanko."""
from __future__ import annotations

import io
import re
from html import unescape
from io import BytesIO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from signing import changes, verify
from web.i18n_zh import ZH

from .conftest import report, sample_contract
from .signer import CSRF, send_link, sign


def rotated(pdf: bytes, page: int = 1, degrees: int = 90) -> bytes:
    """`pdf` with page `page` (0-based) rotated by an incremental update, no new signature."""
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    page_ref = writer.find_page_for_modification(page)[0]
    page_object = page_ref.get_object()
    page_object["/Rotate"] = generic.NumberObject(degrees)
    writer.update_container(page_object)
    output = BytesIO()
    writer.write(output)
    return output.getvalue()


def tampered(pdf: bytes) -> bytes:
    """`pdf` with one byte flipped inside an early stream that every signature covers."""
    data = bytearray(pdf)
    data[data.index(b"stream", 2000) + 40] ^= 0x01
    return bytes(data)


def signed_through_the_app(api, app) -> bytes:
    """A contract drafted and sealed by legal and signed by the customer's signer, as in production."""
    contract = api["carol"].post("/api/contracts", json=sample_contract()).get_json()
    assert api["carol"].post(f"/api/contracts/{contract['id']}/seal").status_code == 200
    sign(app.test_client(), send_link(api["carol"], contract["id"])["url"])
    return api["admin"].get(f"/api/contracts/{contract['id']}/pdf").data


def upload(api_client, pdf: bytes, name: str = "contract.pdf") -> dict:
    response = api_client.post("/api/contracts/verify", data={"file": (io.BytesIO(pdf), name)},
                               content_type="multipart/form-data")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def page_client(app, locale: str):
    """A browser logged in as alice, reading the pages in `locale`."""
    client = app.test_client()
    token = CSRF.search(client.get("/login").get_data(as_text=True))[1]
    assert client.post("/login", data={"name": "alice", "password": "alice-pass-1",
                                       "csrf_token": token}).status_code == 302
    token = CSRF.search(client.get("/contracts/verify").get_data(as_text=True))[1]
    assert client.post("/language", data={"locale": locale, "next": "/contracts/verify",
                                          "csrf_token": token}).status_code == 302
    return client


def verify_page(client, pdf: bytes) -> str:
    """Upload `pdf` on the verify page; return the verdict's HTML (the part after the form)."""
    token = CSRF.search(client.get("/contracts/verify").get_data(as_text=True))[1]
    response = client.post("/contracts/verify", data={"csrf_token": token, "file": (io.BytesIO(pdf), "c.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    html = response.get_data(as_text=True)
    return html[html.index('class="verdict'):html.index("</main>") if "</main>" in html else None]


def visible(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def test_a_page_rotated_after_signing_is_modified_with_what_changed_and_what_each_signature_covers(
        signed_contract, data_dir):
    result = report(rotated(signed_contract["pdf"]), data_dir)
    assert (result["verdict"], result["valid"], result["modified_after_signing"]) == ("modified", False, True)
    assert result["intact"] is True  # every signature still matches what it signed
    assert [issue["code"] for issue in result["issues"]] == ["changed_after_signing"]
    assert [s["number"] for s in result["issues"][0]["subjects"] if s["kind"] == "signature"] == [1, 2, 3]
    # rendered original r1, seal r2, customer r3, completion r4, archive timestamp r5, rotation r6
    assert [(s["signer"], s["revision"], s["revisions_total"]) for s in result["signatures"]] == [
        (signed_contract["seal"].name, 2, 6), ("张三", 3, 6), (signed_contract["seal"].name, 4, 6)]
    assert result["revisions"]["unsigned"] == [6]
    [revision] = result["revisions"]["changed"]
    assert (revision["number"], revision["level"], revision["allowed"]) == (6, "other", False)
    assert [(c["code"], c["params"]) for c in revision["changes"]] == [
        ("page_rotated", {"page": 2, "old": 0, "new": 90})]
    assert result["problems"] == [result["issues"][0]["message"]]
    assert "revision 6: Page 2 was rotated from 0° to 90°." in result["problems"][0]


def test_content_drawn_on_a_page_after_signing_is_named(signed_contract, data_dir):
    writer = IncrementalPdfFileWriter(BytesIO(signed_contract["pdf"]))
    page_ref = writer.find_page_for_modification(0)[0]
    writer.add_stream_to_page(0, writer.add_object(generic.StreamObject(stream_data=b"q 72 72 200 50 re f Q")))
    writer.update_container(page_ref.get_object())
    output = BytesIO()
    writer.write(output)
    result = report(output.getvalue(), data_dir)
    assert result["verdict"] == "modified"
    assert [c["code"] for r in result["revisions"]["changed"] for c in r["changes"]] == ["page_content"]


def test_a_comment_added_after_signing_is_named(signed_contract, data_dir):
    writer = IncrementalPdfFileWriter(BytesIO(signed_contract["pdf"]))
    page = writer.find_page_for_modification(2)[0].get_object()
    comment = generic.DictionaryObject({
        generic.NameObject("/Type"): generic.NameObject("/Annot"),
        generic.NameObject("/Subtype"): generic.NameObject("/Text"),
        generic.NameObject("/Rect"): generic.ArrayObject([generic.NumberObject(n) for n in (72, 72, 96, 96)]),
        generic.NameObject("/Contents"): generic.TextStringObject("价格改为 99,000")})
    page[generic.NameObject("/Annots")] = generic.ArrayObject([*page.get("/Annots", []),
                                                              writer.add_object(comment)])
    writer.update_container(page)
    output = BytesIO()
    writer.write(output)
    result = report(output.getvalue(), data_dir)
    assert result["verdict"] == "modified"
    assert [(c["code"], c["params"]) for r in result["revisions"]["changed"] for c in r["changes"]] == [
        ("page_annotations", {"page": 3})]


def test_one_changed_byte_says_the_bytes_changed_once_and_claims_nothing_of_trust(signed_contract, data_dir):
    result = report(tampered(signed_contract["pdf"]), data_dir)
    assert (result["verdict"], result["intact"], result["trusted"], result["valid"]) == ("tampered", False,
                                                                                        False, False)
    assert [issue["code"] for issue in result["issues"]] == ["bytes_changed"]
    assert len(result["problems"]) == 1 and "bytes were changed" in result["problems"][0]
    assert len(result["issues"][0]["subjects"]) == 4  # three signatures and the archive timestamp
    for item in result["signatures"] + result["document_timestamps"]:
        assert (item["intact"], item["trust_checked"]) == (False, False)
        assert item["problems"] == [verify.ISSUES["bytes_changed"]]
    assert "trusted root" not in repr(result) and "chain" not in repr(result["problems"])


def test_an_untouched_contract_is_valid_with_every_revision_covered(signed_contract, data_dir):
    result = report(signed_contract["pdf"], data_dir)
    assert (result["verdict"], result["valid"], result["issues"]) == ("valid", True, [])
    assert result["revisions"] == {"total": 5, "unsigned": [], "changed": []}
    assert [t["revision"] for t in result["document_timestamps"]] == [5]


def test_a_signed_contract_without_archive_data_says_nothing_is_uncovered(signed_contract, data_dir):
    result = report(signed_contract["signed"], data_dir)
    assert result["verdict"] == "valid" and result["revisions"]["unsigned"] == []


def test_the_api_says_a_rotated_contract_was_modified_and_what_changed(api, app, data_dir):
    pdf = signed_through_the_app(api, app)
    verdict = upload(api["alice"], rotated(pdf))
    assert (verdict["intact"], verdict["modified_after_signing"]) == (True, True)
    assert (verdict["verdict"], verdict["valid"]) == ("modified", False)
    assert {"intact", "trusted", "signatures", "modified_after_signing"} <= verdict.keys()
    [change] = [c for r in verdict["revisions"]["changed"] for c in r["changes"]]
    assert (change["code"], change["message"]) == ("page_rotated", "Page 2 was rotated from 0° to 90°.")
    assert [issue["code"] for issue in verdict["issues"]] == ["changed_after_signing"]


def test_the_api_says_a_tampered_contract_had_its_bytes_changed_once(api, app, data_dir):
    verdict = upload(api["alice"], tampered(signed_through_the_app(api, app)))
    assert (verdict["verdict"], verdict["intact"], verdict["trusted"]) == ("tampered", False, False)
    assert [issue["code"] for issue in verdict["issues"]] == ["bytes_changed"]
    assert len(verdict["problems"]) == len(set(verdict["problems"])) == 1
    assert not any("trusted root" in p for s in verdict["signatures"] for p in s["problems"])


def test_the_verify_page_shows_a_rotated_contract_as_changed_in_chinese_and_in_english(api, app, data_dir):
    pdf = rotated(signed_through_the_app(api, app))
    chinese = verify_page(page_client(app, "zh"), pdf)
    assert 'data-verdict="modified"' in chinese and "verdict-ok" not in chinese
    text = visible(chinese)
    assert "签署后被修改" in text and "所有签名均有效且可信" not in text and "status-completed" not in chinese
    assert "第 2 页被从 0° 旋转到 90°。" in text and "第 6 版（共 6 版）：签署所不允许的改动" in text
    assert "覆盖第 1–2 版（共 6 版）；第 3–6 版在其之后。" in text
    assert "此签名后被修改" in text and "Page 2" not in text and "Changed after" not in text

    english = visible(verify_page(page_client(app, "en"), pdf))
    assert "Changed after signing" in english and "All signatures are valid" not in english
    assert "Page 2 was rotated from 0° to 90°." in english
    assert "Revision 6 of 6: changes that signing does not allow" in english
    assert "Covers revisions 1–3 of 6; revisions 4–6 came after it." in english
    assert not re.search(r"[签署修改页版]", english.replace("张三", ""))


def test_the_verify_page_says_the_bytes_changed_once_without_a_trust_claim(api, app, data_dir):
    pdf = tampered(signed_through_the_app(api, app))
    chinese = verify_page(page_client(app, "zh"), pdf)
    text = visible(chinese)
    assert 'data-verdict="tampered"' in chinese
    assert text.count("字节被改动") == 1 + 4  # the verdict once, then each signature's badge
    assert "根证书" not in text and "不可信" not in text and "问题" not in text

    english = visible(verify_page(page_client(app, "en"), pdf))
    assert english.count("The document's bytes were changed after it was signed.") == 1
    assert "trusted root" not in english and "Problems" not in english
    assert english.count("Bytes changed") == 4


def test_every_problem_and_change_text_has_chinese():
    texts = {*verify.ISSUES.values(), *changes.TEXTS.values(), *changes.LEVELS.values(),
             *(reason.replace("_", " ") for reason in (
                 "unspecified", "key_compromise", "ca_compromise", "affiliation_changed", "superseded",
                 "cessation_of_operation", "certificate_hold", "remove_from_crl", "privilege_withdrawn",
                 "aa_compromise"))}
    assert sorted(texts - ZH.keys()) == []
    for text in texts:  # the same placeholders on both sides, or format() fails at runtime
        assert set(re.findall(r"{(\w+)}", text)) == set(re.findall(r"{(\w+)}", ZH[text])), text


def test_a_revoked_signer_is_amber_with_the_reason_once_in_chinese(api, app, data_dir):
    pdf = signed_through_the_app(api, app)
    serial = upload(api["alice"], pdf)["signatures"][1]["serial"]
    revoked = api["admin"].post("/api/signing/revocations", json={"serial": serial, "reason": "key_compromise"})
    assert revoked.status_code == 200, revoked.get_json()
    verdict = upload(api["alice"], pdf)
    assert (verdict["verdict"], verdict["intact"], verdict["trusted"]) == ("untrusted", True, False)
    [issue] = verdict["issues"]
    assert issue["code"] == "revoked" and [s["number"] for s in issue["subjects"]] == [2]
    html = verify_page(page_client(app, "zh"), pdf)
    text = visible(html)
    assert 'data-verdict="untrusted"' in html and "verdict-ok" not in html
    assert text.count(f"证书已于 {issue['params']['date'][:10]} 被吊销（密钥泄露）") == 1
    assert "签名 2（张三，客户）" in text and "key compromise" not in text
