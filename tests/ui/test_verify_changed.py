"""In Chromium: a contract rotated after signing is never shown green, in Chinese or English."""
from __future__ import annotations

import json
import urllib.request

import pytest

from tests.signing.conftest import sample_contract
from tests.signing.test_verify_honest import rotated


def call(server, method: str, path: str, body: dict | None = None, user: str = "zhou") -> bytes:
    request = urllib.request.Request(server.url + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": f"Bearer {server.tokens[user]}",
                                              "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.read()


@pytest.mark.slow
def test_a_contract_rotated_after_signing_is_not_green(screen, server, tmp_path):
    contract = json.loads(call(server, "POST", "/api/contracts", sample_contract()))
    call(server, "POST", f"/api/contracts/{contract['id']}/seal")
    link = json.loads(call(server, "POST", f"/api/contracts/{contract['id']}/signing-links",
                           {"name": "张三", "email": "zhang.san@example.cn"}))
    page = screen.page
    page.goto(link["url"])  # what the customer's signer opens
    page.check(".sign-form input[name=agree]")
    with page.expect_navigation():
        page.click(".sign-form button[type=submit]")
    assert "合同已签署" in page.inner_text("h1")
    changed = tmp_path / "rotated.pdf"
    changed.write_bytes(rotated(call(server, "GET", f"/api/contracts/{contract['id']}/pdf")))

    screen.login("zhou", "legal-demo-1")
    screen.go("/contracts/verify")
    page.set_input_files("[data-file-input]", str(changed))
    with page.expect_navigation():
        page.click("form[data-upload] button[type=submit]")
    verdict = page.locator(".verdict")
    assert verdict.get_attribute("data-verdict") == "modified"
    assert "签署后被修改" in verdict.inner_text()
    assert "所有签名均有效且可信" not in page.inner_text("main")
    assert page.locator(".verdict-ok, .signature .status-completed").count() == 0
    assert "第 2 页被从 0° 旋转到 90°。" in page.inner_text(".changes")
    screen.capture("14b-verify-changed")

    with page.expect_navigation():
        page.click(".langswitch button[value=en]")
    page.set_input_files("[data-file-input]", str(changed))
    with page.expect_navigation():
        page.click("form[data-upload] button[type=submit]")
    assert "Changed after signing" in page.inner_text(".verdict")
    assert "Page 2 was rotated from 0° to 90°." in page.inner_text(".changes")
    assert "签署后被修改" not in page.inner_text("main")
