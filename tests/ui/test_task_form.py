"""A task form's conditional fields in a real browser: the lost-deal fields appear only once 丢单 is chosen.

tests/web/test_task_context.py checks the same form without a browser (all fields
shown, the server deciding); here task_form.js shows and hides them.
"""
from __future__ import annotations

import pytest

from tests.conftest import PROCESSES

pytestmark = pytest.mark.slow


def bearer(server, name: str) -> dict:
    return {"Authorization": f"Bearer {server.tokens[name]}"}


def test_choosing_lost_reveals_the_lost_reason(screen, server):
    page = screen.page
    bundled = (PROCESSES / "sales_funnel.bpmn").read_bytes()
    deployed = page.request.post(f"{server.url}/api/process-definitions", headers=bearer(server, "admin"),
                                 multipart={"file": {"name": "sales_funnel.bpmn", "mimeType": "application/xml",
                                                     "buffer": bundled}})
    assert deployed.ok, deployed.text()
    started = page.request.post(f"{server.url}/api/process-instances", headers=bearer(server, "lina"),
                                data={"process_key": "sales_funnel", "business_key": "DEAL-LOST-UI"})
    assert started.ok, started.text()
    task_id = next(t["id"] for t in started.json()["tasks"] if t["name"] == "qualify_lead")
    screen.login("lina", "sales-demo-1")
    screen.go(f"/tasks/{task_id}")

    reason, note = page.locator("[data-field='lost_reason']"), page.locator("[data-field='lost_note']")
    assert reason.is_hidden() and note.is_hidden(), "moving on is the default: no loss to explain"
    page.select_option("#f-outcome", "lost")
    assert reason.is_visible() and note.is_visible()
    assert page.locator("label[for='f-lost_reason'] .req").is_visible(), "marked required once it applies"
    assert page.locator("#f-lost_reason").is_enabled()

    page.select_option("#f-outcome", "continue")
    assert reason.is_hidden() and page.locator("#f-lost_reason").is_disabled(), "a hidden field is not sent"

    page.select_option("#f-outcome", "lost")
    with page.expect_navigation():  # lost, with no reason: the server answers at the field
        page.click("form.taskform button[type=submit]")
    assert "此项为必填项" in page.inner_text("[data-field='lost_reason'] .field-error")
    assert page.get_attribute("#f-lost_reason", "aria-invalid") == "true"
    assert reason.is_visible(), "the field stays shown while the deal is marked lost"
    assert screen.errors == []
