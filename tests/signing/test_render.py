"""Rendering: PDF/A-3b, contract.json inside, Chinese that comes back out as text."""
from __future__ import annotations

import re
import subprocess

from signing import fonts, render, verify

from .conftest import CUSTOMER, contract_content, pdf_text, reader, sample_contract


def test_chinese_text_comes_back_out_of_the_pdf(rendered):
    text = pdf_text(rendered.pdf)
    compact = re.sub(r"\s+", "", text)
    assert "软件许可与服务合同" in compact
    assert CUSTOMER in compact
    assert "第1条Clause1·定义Definitions" in compact
    assert "甲方向乙方提供软件许可及实施服务，乙方按本合同约定支付费用。" in compact
    assert "CNY128,000.00" in compact


def embedded_fonts(pdf: bytes) -> list[str]:
    listing = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True)
    lines = listing.stdout.decode().splitlines()[2:]
    assert lines and all(" yes " in line.split("CID")[-1] for line in lines), lines  # embedded
    return [line.split()[0].split("+")[-1] for line in lines]


def test_the_chinese_font_is_the_compact_copy_of_noto_cjk_embedded(rendered):
    assert embedded_fonts(rendered.pdf) == ["Noto-Sans-CJK-SC-GB2312"]
    assert len(rendered.pdf) < 200_000  # a subset of the compact copy, not of 65,000 glyphs


def test_characters_outside_the_compact_font_fall_back_to_the_full_one(keys_template):
    # 臺, 喆, 陳, 與, 劉 and 華 are not in GB 2312, so not in the compact copy.
    clause = {"title": "臺灣 Taiwan", "text": "陳喆與劉德華簽署本合同。"}
    pdf = render.render_contract(contract_content(clauses=[clause]),
                                 font=fonts.ensure_working_font(keys_template)).pdf
    assert "陳喆與劉德華簽署本合同。" in re.sub(r"\s+", "", pdf_text(pdf))
    assert sorted(embedded_fonts(pdf)) == ["Noto-Sans-CJK-SC", "Noto-Sans-CJK-SC-GB2312"]


def test_contract_json_is_embedded_for_erp_systems(rendered):
    pdf = reader(rendered.pdf)
    data = verify.embedded_contract(pdf)
    assert data["customer"] == CUSTOMER and data["number"] == "DF-TEST-1"
    assert [c["title"] for c in data["clauses"]] == [c["title"] for c in sample_contract()["clauses"]]
    spec = pdf.root["/Names"]["/EmbeddedFiles"]["/Names"][1]
    assert spec["/AFRelationship"] == "/Data"
    assert spec["/EF"]["/F"]["/Subtype"] == "/application/json"
    # WeasyPrint lists the file spec twice in /AF; what matters is that it is associated.
    assert {ref.get_object()["/UF"] for ref in pdf.root["/AF"]} == {"contract.json"}


def test_the_pdf_declares_pdf_a_3b(rendered):
    pdf = reader(rendered.pdf)
    xmp = pdf.root["/Metadata"].data.decode()
    assert re.search(r"pdfaid:part[=>\"]+3", xmp) and re.search(r"pdfaid:conformance[=>\"]+B", xmp)
    intent = pdf.root["/OutputIntents"][0]
    assert intent["/S"] == "/GTS_PDFA1" and "/DestOutputProfile" in intent
    assert pdf.trailer["/ID"]


def test_pages_carry_header_footer_and_page_x_of_y(rendered):
    assert rendered.pages >= 5
    first, last = pdf_text(rendered.pdf, 1), pdf_text(rendered.pdf, rendered.pages)
    assert f"第 1 页 / 共 {rendered.pages} 页 · Page 1 of {rendered.pages}" in first
    assert "合同编号 No. DF-TEST-1" in first
    assert f"Page {rendered.pages} of {rendered.pages}" in last
    assert "签署完成证书 Certificate of completion" in last


def test_the_signature_boxes_are_found_on_the_page(rendered):
    layout = rendered.layout
    assert layout["company"].page == layout["customer"].page < layout["completion"].page
    assert layout["completion"].page == rendered.pages - 1
    for box in layout.values():
        x1, y1, x2, y2 = box.rect
        assert 0 < x1 < x2 < 595.3 and 0 < y1 < y2 < 841.9
    assert layout["company"].rect[2] < layout["customer"].rect[0]
