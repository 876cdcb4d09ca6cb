"""The deal page, the centre of a deal, as a salesperson reads it through the pages."""
from __future__ import annotations

import re

import pytest

from tests.crm.test_deal_pages import CSRF, instance_of, new_deal, signed_in
from tests.processes.funnel import GOOD_DATA, complete, drive_funnel

HAN = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture
def sales(app, team):
    return signed_in(app, "sales-user")


def open_from_form(sales, team, company: str, **form) -> tuple[int, int]:
    """Open a deal through the new-deal form; return (its opportunity id, its instance id)."""
    response = new_deal(sales, company=company, new_company="on", **form)
    assert response.status_code == 303, response.get_data(as_text=True)
    assert re.fullmatch(r"/deals/\d+", response.location)  # the form lands on the deal's page
    return int(response.location.rsplit("/", 1)[1]), instance_of(team, response.location)


def page_of(browser, deal_id: int, locale: str | None = None) -> str:
    if locale:
        token = CSRF.search(browser.get("/deals").get_data(as_text=True))[1]
        assert browser.post("/language", data={"locale": locale, "csrf_token": token}).status_code == 302
    response = browser.get(f"/deals/{deal_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def visible(html: str) -> str:
    """The text a reader sees: no scripts, tags or attribute values."""
    return re.sub(r"<[^>]+>", " ", re.sub(r"<script.*?</script>", " ", html, flags=re.S))


def stage_states(page: str) -> dict[str, str]:
    return dict((name, state) for state, name in
                re.findall(r'class="stage stage-(\w+)" data-stage="([^"]+)"', page))


def test_a_deal_in_negotiation_shows_its_figures_stage_and_open_task(sales, team):
    deal_id, instance_id = open_from_form(sales, team, "宁德时代", name="储能 CRM", amount="400000",
                                          expected_close_date="2027-03-31")
    company_id = team["sales"].get("/api/companies?q=宁德时代").get_json()[0]["id"]
    contact = team["sales"].post("/api/contacts", json={"company_id": company_id, "name": "王总",
                                                        "title": "CFO"}).get_json()
    assert team["sales"].post(f"/api/opportunities/{deal_id}/committee", json={
        "contact_id": contact["id"], "role": "decision_maker", "influence": 0.9,
        "attitude": "skeptic"}).status_code == 201
    drive_funnel(team, instance_id, until="negotiate")
    complete(team, instance_id, "negotiate", {**GOOD_DATA["negotiate"], "discount_percent": 15,
                                              "agreed_amount": 408000, "payment_terms": "30 % 预付"})
    page = page_of(sales, deal_id)
    company = re.search(r'href="/companies/(\d+)">宁德时代<', page)
    assert company is not None
    facts = dict(re.findall(r'data-fact="(\w+)"><dt>[^<]+</dt><dd>([^<]*)<', page))
    assert facts["start_amount"] == "¥400,000" and facts["quoted_amount"] == "¥480,000"
    assert facts["agreed_amount"] == "¥408,000" and facts["discount_percent"] == "15 %"
    assert facts["payment_terms"] == "30 % 预付" and facts["owner"] == "sales-user"
    assert facts["days_in_stage"] == "0" and "已在本阶段 0 天" in page
    states = stage_states(page)
    assert list(states) == ["线索获取", "需求确认", "方案制定", "商务谈判", "合同签署", "交付实施", "售后服务"]
    assert states["商务谈判"] == "current" and states["方案制定"] == "done" and states["合同签署"] == "todo"
    tasks = page[page.index('id="tasks"'):page.index('id="contract"')]
    assert re.search(r'href="/tasks/[\w-]+"><strong>审批折扣</strong>', tasks)  # the discount waits for approval
    assert "进行中" in page and "尚无合同。" in page[page.index('id="contract"'):]
    committee = page[page.index('id="committee"'):page.index('id="tasks"')]
    assert "王总" in committee and "决策者" in committee and "90%" in committee and "怀疑" in committee
    history = " ".join(visible(page[page.index('id="history"'):]).split())
    assert "任务已完成 · 商务条款谈判" in history and "进入阶段 · 商务谈判" in history
    assert "折扣" in history and "15 %" in history and "instance.variables_set" not in history
    assert "stale_after" not in page and "P14D" not in page
    assert 'class="card deal-diagram"' in page and 'data-height="560px"' in page


def test_a_lost_deal_says_where_and_why_and_shows_nothing_completed(sales, team):
    deal_id, instance_id = open_from_form(sales, team, "江苏移动", name="集客 CRM")
    drive_funnel(team, instance_id, until="negotiate")
    complete(team, instance_id, "negotiate", {"outcome": "lost", "lost_reason": "price",
                                              "lost_note": "对手报价低 20 %"})
    page = page_of(sales, deal_id)
    assert "丢单于 商务谈判（价格）" in page and "对手报价低 20 %" in page
    # The tasks worked on the way were done ("任务已完成" in the history); the deal was not.
    assert page.count("已完成") == page.count("任务已完成")
    assert "status-completed" not in page and "✓" not in page and "stage-done" not in page
    states = stage_states(page)
    assert states["商务谈判"] == "lost" and states["方案制定"] == "passed" and states["合同签署"] == "todo"
    english = visible(page_of(sales, deal_id, "en"))
    assert "Lost at negotiation (price)" in english
    for word in ("丢单", "赢单", "商务谈判", "价格", "已完成"):
        assert word not in english
    assert "Completed" not in english and "Negotiation" in english


def test_the_english_page_of_a_deal_in_progress_speaks_english(sales, team):
    deal_id, instance_id = open_from_form(sales, team, "Acme", name="Acme CRM", amount="100000")
    complete(team, instance_id, "qualify_lead", {**GOOD_DATA["qualify_lead"], "company": "Acme"})
    page = visible(page_of(sales, deal_id, "en"))
    assert "In progress" in page and "Needs confirmation" in page and "Confirm needs (BANT)" in page
    history = page[page.index("History"):]
    assert "Lead source" in history and "Referral" in history and "Stage entered" in history
    timers = page[page.index("Waiting timers"):page.index("Diagram")]
    assert "Stale" in timers and "due" in timers and "needs_stale" not in timers
    assert not HAN.search(page.replace("中文", "")), "Chinese on the English page"


def test_a_deal_one_may_not_see_is_not_found(app, sales, team):
    deal_id, _ = open_from_form(sales, team, "乙客户", name="乙")
    assert signed_in(app, "legal-user").get(f"/deals/{deal_id}").status_code == 404
    assert sales.get("/deals/999999").status_code == 404
    assert signed_in(app, "director-user").get(f"/deals/{deal_id}").status_code == 200


def test_the_list_links_each_deal_to_its_page(sales, team):
    deal_id, _ = open_from_form(sales, team, "丙客户", name="丙")
    page = sales.get("/deals").get_data(as_text=True)
    assert f'class="dealname" href="/deals/{deal_id}"' in page


@pytest.mark.slow
def test_the_contract_shows_its_verdict_and_a_missing_file_does_not_break_the_page(app, sales, team, data_dir):
    deal_id, instance_id = open_from_form(sales, team, "合同客户", name="有合同的商机")
    drive_funnel(team, instance_id, until="sign_contract")
    drafted = team["legal"].post(f"/api/process-instances/{instance_id}/contract")
    assert drafted.status_code == 201, drafted.get_json()
    page = page_of(sales, deal_id)
    contract = page[page.index('id="contract"'):page.index('id="timers"')]
    # Sealed by the company with its trusted key: the one verdict shown green.
    assert 'class="verdict verdict-ok" data-verdict="valid"' in contract and "所有签名均有效且可信" in contract
    assert f'href="/contracts/{drafted.get_json()["id"]}"' in contract
    for stored in (data_dir / "contracts").rglob("*"):
        if stored.is_file():
            stored.chmod(0o600)
            stored.unlink()
    page = page_of(sales, deal_id)
    assert 'data-verdict="unreadable"' in page and "verdict-bad" in page
