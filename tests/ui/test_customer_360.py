"""The customer pages in a real browser: Debian's Chromium, driven by Playwright, on `python app.py`.

UI tests run on SQLite only, as tests/ui/test_day_of_work.py explains. The data
goes in through the API with the demo people's tokens (the ERP's part, orders,
payments and events, with the admin's); lina, the salesperson, then works in
the pages: she finds 华为 by its pinyin initials, reads its 360° page, sees the
network drawn, filters it, clicks through to the shareholder, pages the timeline,
opens a contact, and meets a company whose name is a script tag, shown as text.
"""
from __future__ import annotations

import json

import pytest
from stdnum.cn import uscc

from tests.conftest import PROCESSES

# A browser walks the whole app (`pytest -m "not slow"` leaves it out while developing).
pytestmark = pytest.mark.slow

SCRIPT = "<script>alert(1)</script>"
EVENTS = 60


class Caller:
    """The API as one demo person, through the browser context's request client."""

    def __init__(self, request, server, name):
        self.request, self.url, self.token = request, server.url, server.tokens[name]

    def send(self, method, path, expect=201, **kwargs):
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        response = self.request.fetch(self.url + path, method=method, headers=headers, **kwargs)
        assert response.status == expect, response.text()
        return response.json() if response.text() else None

    def post(self, path, body, expect=201):
        return self.send("POST", path, expect, data=json.dumps(body, ensure_ascii=False),
                         headers={"Content-Type": "application/json"})


@pytest.fixture(scope="module")
def book(chromium, server):
    """华为 with contacts, a deal with its committee, orders, payments, a return, 60 visits and its network."""
    admin, lina = Caller(chromium.request, server, "admin"), Caller(chromium.request, server, "lina")
    admin.send("POST", "/api/process-definitions", multipart={"file": {
        "name": "sales_funnel.bpmn", "mimeType": "application/xml",
        "buffer": (PROCESSES / "sales_funnel.bpmn").read_bytes()}})
    code = "91440300192203821"
    huawei = lina.post("/api/companies", {"name": "华为技术有限公司", "credit_code": code + uscc.calc_check_digit(code),
                                          "province": "广东省", "city": "深圳", "industry_division": "39",
                                          "size_band": "large", "phone": "0755-28780808"})["id"]
    holder = lina.post("/api/companies", {"name": "甲控股集团", "province": "广东省"})["id"]
    supplier = lina.post("/api/companies", {"name": "乙供应链有限公司"})["id"]
    script = lina.post("/api/companies", {"name": SCRIPT, "city": SCRIPT})["id"]
    lina.post("/api/company-links", {"kind": "shareholder", "from_company_id": holder, "to_company_id": huawei,
                                     "percent": 60, "source": "工商登记"})
    lina.post("/api/company-links", {"kind": "supplier", "from_company_id": supplier, "to_company_id": huawei})
    lina.post("/api/company-links", {"kind": "partner", "from_company_id": script, "to_company_id": huawei})
    boss = lina.post("/api/contacts", {"company_id": huawei, "name": "王总", "title": "CFO", "consents": [
        {"channel": "email", "granted": True, "source": "展会表单"}]})["id"]
    engineer = lina.post("/api/contacts", {"company_id": huawei, "name": "李工", "title": "架构师"})["id"]
    lina.post("/api/contact-links", {"kind": "reports_to", "from_contact_id": engineer, "to_contact_id": boss})
    deal = lina.post("/api/opportunities", {"company_id": huawei, "name": "云平台项目", "amount": 250_000})
    lina.post(f"/api/opportunities/{deal['id']}/committee", {"contact_id": boss, "role": "decision_maker",
                                                              "influence": 0.9})
    base = f"/api/companies/{huawei}"
    admin.post(f"{base}/orders", {"number": "SO-1", "ordered_on": "2026-10-01", "amount": 1_000_000})
    admin.post(f"{base}/orders", {"number": "SO-2", "ordered_on": "2026-10-20", "amount": 500_000})
    admin.post(f"{base}/payments", {"reference": "PAY-1", "paid_on": "2026-10-09", "amount": 800_000,
                                    "order_number": "SO-1"})
    admin.post(f"{base}/returns", {"reference": "RET-1", "returned_on": "2026-10-25", "amount": 100_000,
                                   "order_number": "SO-2", "reason": "破损"})
    visits = "\n".join(json.dumps({"id": f"v{n}", "type": "web_visit", "company_id": huawei,
                                   "occurred_at": f"2026-11-{1 + n % 28:02d}T08:{n % 60:02d}:00Z"})
                       for n in range(EVENTS))
    admin.send("POST", "/api/events", 200, data=visits, headers={"Content-Type": "application/x-ndjson"})
    return {"huawei": huawei, "holder": holder, "supplier": supplier, "script": script, "boss": boss,
            "engineer": engineer}


def test_lina_finds_a_customer_reads_its_360_page_and_walks_its_network(screen, server, book):
    page = screen.page
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    screen.login("lina", "sales-demo-1")
    finds_huawei_by_its_initials(screen)
    reads_the_360_page(screen, book)
    walks_the_network(screen, book)
    pages_the_timeline(screen)
    opens_a_contact(screen, book)
    sees_a_script_name_as_text(screen, book)
    assert dialogs == []
    assert "Traceback" not in server.log(), server.log()


def finds_huawei_by_its_initials(screen) -> None:
    page = screen.page
    with page.expect_navigation():
        page.click(".mainnav >> text=客户")
    assert page.locator(".companylist .companyname").count() == 4
    page.fill(".companyfilters input[name=q]", "hwjs")
    with page.expect_navigation():
        page.click(".companyfilters button[type=submit]")
    assert page.locator(".companylist .companyname").all_inner_texts() == ["华为技术有限公司"]
    screen.capture("c1-company-list")
    with page.expect_navigation():
        page.click(".companylist .companyname")


def reads_the_360_page(screen, book) -> None:
    page = screen.page
    assert page.url.endswith(f"/companies/{book['huawei']}")
    assert page.inner_text("h1") == "华为技术有限公司"
    assert "甲控股集团" in page.inner_text("#controller") and "60 %" in page.inner_text("#controller")
    contacts = page.inner_text("#contacts")
    assert "王总" in contacts and "李工" in contacts and "决策者 · 云平台项目" in contacts
    assert "云平台项目" in page.inner_text("#deals")
    totals = {key: page.inner_text(f"#money [data-currency=CNY] [data-total={key}]")
              for key in ("ordered", "paid", "returned", "outstanding")}
    assert totals == {"ordered": "¥15,000.00", "paid": "¥8,000.00", "returned": "¥1,000.00",
                      "outstanding": "¥6,000.00"}
    assert page.inner_text("[data-behaviour=total]") == str(EVENTS)
    page.wait_for_selector("#network[data-drawn=true]")
    screen.capture("c2-company-360")


def node_count(page) -> int:
    page.wait_for_selector("#network[data-drawn=true]")
    drawn = int(page.get_attribute("#network", "data-nodes"))
    assert page.evaluate("window.dealflowNetwork.nodes().length") == drawn
    return drawn


def walks_the_network(screen, book) -> None:
    page = screen.page
    assert node_count(page) == 4
    labels = page.evaluate("window.dealflowNetwork.nodes().map(n => n.data('label')).sort()")
    assert sorted(labels) == sorted(["华为技术有限公司", "甲控股集团", "乙供应链有限公司", SCRIPT])
    edges = page.evaluate("window.dealflowNetwork.edges('[kind != \"works_at\"]').map(e => e.data('label'))")
    assert sorted(edges) == sorted(["股东 60%", "供应商", "合作伙伴"])
    page.uncheck(".kinds input[value=partner]")
    # The page's CSP forbids eval, which wait_for_function's string predicates need: wait on the attributes.
    page.wait_for_selector("#network[data-drawn=true][data-nodes='3']")
    page.check(".kinds input[value=reports_to]")
    page.wait_for_selector("#network[data-drawn=true][data-nodes='5']")
    assert page.evaluate("window.dealflowNetwork.nodes('[type = \"contact\"]').length") == 2
    page.locator("#network").scroll_into_view_if_needed()
    # Cytoscape learns where its box went from the scroll event, a frame later: click after it, as a person does.
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    x, y = page.evaluate("""(id) => {
        const node = window.dealflowNetwork.getElementById(id), box = document.getElementById('network');
        const rect = box.getBoundingClientRect(), at = node.renderedPosition();
        return [rect.left + at.x, rect.top + at.y];
    }""", f"company:{book['holder']}")
    with page.expect_navigation():
        page.mouse.click(x, y)
    assert page.url.endswith(f"/companies/{book['holder']}")
    assert page.inner_text("h1") == "甲控股集团"
    node_count(page)
    page.go_back()
    page.wait_for_selector("#network[data-drawn=true]")


def pages_the_timeline(screen) -> None:
    page = screen.page
    first = page.locator("#timeline li").count()
    assert first == 50
    with page.expect_navigation():
        page.click("#timeline-older")
    assert "before=" in page.url
    older = page.locator("#timeline li").all_inner_texts()
    assert older and any("SO-1" in item for item in older), older
    assert page.locator("#timeline-older").count() == 0


def opens_a_contact(screen, book) -> None:
    page = screen.page
    with page.expect_navigation():
        page.click("#contacts >> text=李工")
    assert page.inner_text("h1") == "李工"
    assert "汇报给" in page.inner_text("#decision-chain") and "王总" in page.inner_text("#decision-chain")
    screen.capture("c3-contact")
    with page.expect_navigation():
        page.click("#decision-chain >> text=王总")
    assert "已同意" in page.inner_text("#consent") and "展会表单" in page.inner_text("#consent")
    assert "云平台项目" in page.inner_text("#committees")


def sees_a_script_name_as_text(screen, book) -> None:
    page = screen.page
    screen.go("/companies?q=script")
    assert page.locator(".companylist .companyname").all_inner_texts() == [SCRIPT]
    with page.expect_navigation():
        page.click(".companylist .companyname")
    assert page.inner_text("h1") == SCRIPT and SCRIPT in page.inner_text("#profile")
    assert node_count(page) == 4  # two links away: 华为, and its shareholder and supplier
    assert SCRIPT in page.evaluate("window.dealflowNetwork.nodes().map(n => n.data('label'))")
    assert page.evaluate("document.querySelectorAll('main script:not([type])').length") == 0
