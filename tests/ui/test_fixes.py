"""In Chromium: sealing and switching language after a refused form land on a page, not a 405;
the 404 page speaks one language at a time and its number is readable or decoration.

The deal is worked to 合同签署 through the API as Lina would in the forms (the
forms themselves are walked in test_day_of_work.py); legal then meets the gate
refusal first and seals second, the order that used to end on "无权操作".
"""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from tests.conftest import PROCESSES

pytestmark = pytest.mark.slow

CLOSE = (date.today() + timedelta(days=30)).isoformat()
STEPS = {
    "qualify_lead": {"company": "招商银行", "contact": "刘强", "deal_name": "财富顾问平台", "source": "referral"},
    "confirm_needs": {"budget": 700000, "decision_maker": "刘强 (CIO)", "need": "统一的客户视图",
                      "timeline": CLOSE},
    "design_solution": {"solution_summary": "五十个席位，含实施。", "amount": 650000},
    "negotiate": {"discount_percent": 5, "agreed_amount": 617500, "payment_terms": "签约后 30 天",
                  "expected_close_date": CLOSE},
}
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def api(screen, name: str, method: str, path: str, data=None):
    headers = {"Authorization": f"Bearer {screen.server.tokens[name]}"}
    call = getattr(screen.page.request, method)
    response = call(screen.server.url + path, headers=headers, **({"data": data} if data is not None else {}))
    assert response.ok, f"{method} {path}: {response.status} {response.text()}"
    return response.json()


def deploy_funnel(screen) -> None:
    """Deploy the bundled sales funnel as the designer, unless a version of it is there."""
    if any(d["key"] == "sales_funnel" for d in api(screen, "designer", "get", "/api/process-definitions")):
        return
    model = (PROCESSES / "sales_funnel.bpmn").read_bytes()
    response = screen.page.request.post(
        screen.server.url + "/api/process-definitions",
        headers={"Authorization": f"Bearer {screen.server.tokens['designer']}"},
        multipart={"file": {"name": "sales_funnel.bpmn", "mimeType": "application/xml", "buffer": model}})
    assert response.status == 201, response.text()


def deal_at_signing(screen, business_key: str) -> str:
    """Start a deal as Lina and work it to 合同签署; return the id of legal's signing task."""
    deploy_funnel(screen)
    instance = api(screen, "lina", "post", "/api/process-instances",
                   {"process_key": "sales_funnel", "business_key": business_key, "data": {"owner": "lina"}})
    for element, values in STEPS.items():
        task = next(t for t in api(screen, "lina", "get", f"/api/tasks?instance_id={instance['id']}")
                    if t["name"] == element)
        api(screen, "lina", "post", f"/api/tasks/{task['id']}/complete", {"data": values})
    tasks = api(screen, "zhou", "get", f"/api/tasks?instance_id={instance['id']}")
    return next(t["id"] for t in tasks if t["name"] == "sign_contract")


def refuse_completion(screen, task_id: str):
    """Open the signing task and send it without a signed contract: the gate refuses."""
    page = screen.go(f"/tasks/{task_id}")
    with page.expect_navigation() as refused:
        page.click("form.taskform button[type=submit]")
    assert refused.value.status == 422 and page.url.endswith(f"/tasks/{task_id}/complete")
    assert "合同已由双方签署" in page.inner_text(".gate-box")
    return page


def test_legal_seals_after_a_gate_refusal_and_lands_on_the_task(screen):
    task_id = deal_at_signing(screen, "DEAL-FIX-SEAL")
    screen.login("zhou", "legal-demo-1")
    page = refuse_completion(screen, task_id)
    with page.expect_navigation() as sealed:
        page.click(".contract-box button[type=submit]")
    assert sealed.value.status == 200 and page.url == f"{screen.server.url}/tasks/{task_id}"
    assert "无权操作" not in page.title() and "已起草并盖章" in page.inner_text(".flashes")
    assert "已盖章" in page.inner_text(".contract-box")
    screen.capture("fix-sealed-after-refusal")


def test_switching_language_on_a_page_with_form_errors_shows_that_page_in_english(screen):
    task_id = deal_at_signing(screen, "DEAL-FIX-LANG")
    screen.login("zhou", "legal-demo-1")
    page = refuse_completion(screen, task_id)
    with page.expect_navigation() as switched:
        page.click(".langswitch button[value=en]")
    assert switched.value.status == 200 and page.url == f"{screen.server.url}/tasks/{task_id}"
    assert page.get_attribute("html", "lang") == "en"
    assert "Draft and seal the contract" in page.inner_text(".contract-box")
    with page.expect_navigation() as back:
        page.click(".langswitch button[value=zh]")
    assert back.value.status == 200 and page.get_attribute("html", "lang") == "zh-CN"


def test_the_not_found_page_speaks_one_language_and_can_be_read(screen):
    screen.login("lina", "sales-demo-1")
    page = screen.go("/tasks/no-such-task")
    main, title = page.inner_text("main"), page.title().removesuffix(" · Dealflow")
    assert "未找到" in page.inner_text("h1") and "找不到任务 no-such-task" in main
    words = set(re.findall(r"[A-Za-z][A-Za-z-]*", f"{main} {title}"))
    assert words == {"no-such-task"}, f"English on the Chinese 404 page: {words}"
    assert page.get_attribute(".error-code", "aria-hidden") == "true"
    assert contrast(page, ".error-code") >= 4.5
    screen.capture("fix-404-zh")

    with page.expect_navigation():
        page.click(".langswitch button[value=en]")
    assert page.url.endswith("/tasks/no-such-task") and page.get_attribute("html", "lang") == "en"
    main, title = page.inner_text("main"), page.title().removesuffix(" · Dealflow")
    assert "Not found" in page.inner_text("h1") and "Back to the inbox" in main
    assert not CJK.search(f"{main} {title}"), f"Chinese on the English 404 page: {main!r} {title!r}"
    screen.capture("fix-404-en")
    with page.expect_navigation():
        page.click(".langswitch button[value=zh]")


def contrast(page, selector: str) -> float:
    """Return the WCAG contrast of the element's text against the first opaque background behind it."""
    return page.evaluate("""(selector) => {
        const rgb = (text) => text.match(/[\\d.]+/g).map(Number);
        const luminance = ([r, g, b]) => 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
        const lin = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
        let element = document.querySelector(selector);
        const color = rgb(getComputedStyle(element).color);
        let background = [255, 255, 255];
        for (; element; element = element.parentElement) {
            const value = rgb(getComputedStyle(element).backgroundColor);
            if (value.length < 4 || value[3] > 0) { background = value.slice(0, 3); break; }
        }
        const [a, b] = [luminance(color), luminance(background)].sort((x, y) => y - x);
        return (a + 0.05) / (b + 0.05);
    }""", selector)
