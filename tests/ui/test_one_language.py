"""The English interface in a real browser: inbox → task → instance, no Chinese label on the way.

tests/web/test_one_language.py checks each page's whole text without a browser; here a person
switches to English on a page and walks a deal's task to its instance, against the demo.
"""
from __future__ import annotations

import re

import pytest

from tests.conftest import PROCESSES

pytestmark = pytest.mark.slow

CJK = re.compile(r"[\u4e00-\u9fff]")
# What the interface and the models write, as opposed to what people typed (company, deal names).
LABELS = ("nav, h1, h2, .tasktitle, .chip, label, legend, option, .hint, .stage-name, dl.data dt, "
          ".event-head strong, .event-data b, .summary-list dt, .badge, button")


def chinese_labels(page) -> list[str]:
    texts = page.eval_on_selector_all(
        LABELS, "els => els.filter(e => !e.closest('.langswitch')).map(e => e.innerText)")
    return [t for t in texts if CJK.search(t)]


def test_the_english_interface_shows_no_chinese_labels(screen, server):
    page = screen.page
    deployed = page.request.post(f"{server.url}/api/process-definitions",
                                 headers={"Authorization": f"Bearer {server.tokens['admin']}"},
                                 multipart={"file": {"name": "sales_funnel.bpmn", "mimeType": "application/xml",
                                                     "buffer": (PROCESSES / "sales_funnel.bpmn").read_bytes()}})
    assert deployed.ok, deployed.text()
    started = page.request.post(f"{server.url}/api/process-instances",
                                headers={"Authorization": f"Bearer {server.tokens['lina']}"},
                                data={"process_key": "sales_funnel", "business_key": "DEAL-EN-UI",
                                      "data": {"company": "English Walk Ltd"}})
    assert started.ok, started.text()
    instance_id = started.json()["id"]
    task_id = next(t["id"] for t in started.json()["tasks"] if t["name"] == "qualify_lead")
    screen.login("lina", "sales-demo-1")
    with page.expect_navigation():
        page.click(".langswitch button[value=en]")
    assert page.get_attribute("html", "lang") == "en"

    screen.go("/?customer=English+Walk")
    assert chinese_labels(page) == []
    with page.expect_navigation():
        page.click(f"a.tasktitle[href='/tasks/{task_id}']")
    assert page.inner_text("h1") == "Qualify the lead"
    assert page.inner_text("label[for='f-company']").startswith("Company")
    assert page.locator("#f-outcome option").all_inner_texts() == ["Choose…", "Move on", "Lost"]
    assert chinese_labels(page) == []

    with page.expect_navigation():
        page.click(f".task-head a[href='/instances/{instance_id}']")
    assert page.locator(".stage-name").all_inner_texts()[:2] == ["Lead acquisition", "Needs confirmed"]
    data = dict(zip(page.locator("dl.data dt").all_inner_texts(), page.locator("dl.data dd").all_inner_texts()))
    assert data["Stale reminder after"] == "14 days" and data["Entry stage"] == "Lead acquisition"
    assert chinese_labels(page) == []
    assert all(t.endswith("UTC+8") for t in page.locator("time").all_inner_texts()), "Shanghai time"
    assert screen.errors == []
