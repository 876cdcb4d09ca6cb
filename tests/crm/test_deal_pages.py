"""The deal list and the new-deal form, as a salesperson uses them through the pages."""
from __future__ import annotations

import re

import pytest

from tests.processes.funnel import LOST, complete

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def signed_in(app, name: str):
    """A browser logged in as `name` (the team's users have the password NAME-password)."""
    browser = app.test_client()
    page = browser.get("/login").get_data(as_text=True)
    response = browser.post("/login", data={"name": name, "password": f"{name}-password",
                                            "csrf_token": CSRF.search(page)[1]})
    assert response.status_code == 302, response.get_data(as_text=True)
    return browser


def new_deal(browser, **form):
    page = browser.get("/deals/new").get_data(as_text=True)
    return browser.post("/deals/new", data={"csrf_token": CSRF.search(page)[1], **form})


def instance_of(team, location: str) -> int:
    """The funnel instance of the deal whose page `location` is."""
    deal = team["sales"].get(f"/api/opportunities/{location.rsplit('/', 1)[1]}").get_json()
    return deal["instance_id"]


def rows(browser, query: str = "") -> list[str]:
    """The deal names the list shows, in its order."""
    page = browser.get(f"/deals{query}").get_data(as_text=True)
    return re.findall(r'class="dealname"[^>]*>([^<]+)<', page)


@pytest.fixture
def sales(app, team):
    return signed_in(app, "sales-user")


def test_a_deal_opened_from_the_form_starts_the_funnel_with_its_facts(sales, team):
    team["sales"].post("/api/companies", json={"name": "宁德时代新能源科技股份有限公司"})
    response = new_deal(sales, company="宁德时代新能源科技股份有限公司", name="储能 CRM 一期", amount="1200000",
                        expected_close_date="2027-03-31")
    assert response.status_code == 303 and re.fullmatch(r"/deals/\d+", response.location)
    instance = team["sales"].get(f"/api/process-instances/{instance_of(team, response.location)}").get_json()
    assert instance["stage"] == "线索获取"
    assert (instance["data"]["company"], instance["data"]["amount"], instance["data"]["owner"]) == (
        "宁德时代新能源科技股份有限公司", 1200000, "sales-user")
    page = sales.get("/deals").get_data(as_text=True)
    assert "储能 CRM 一期" in page and "宁德时代新能源科技股份有限公司" in page and "¥1,200,000" in page
    assert "2027-03-31" in page and "线索获取" in page


def test_an_unknown_customer_is_refused_at_its_field_unless_it_is_to_be_added(sales, team):
    response = new_deal(sales, company="不存在的公司", amount="abc")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="amount-error"' in page and 'aria-describedby="amount-error"' in page
    response = new_deal(sales, company="不存在的公司")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="company-error"' in page and "不存在的公司" in page
    assert rows(sales) == []
    assert new_deal(sales, company="新客户有限公司", new_company="on").status_code == 303
    assert [c["name"] for c in team["sales"].get("/api/companies?q=新客户").get_json()] == ["新客户有限公司"]
    assert rows(sales) == ["新客户有限公司"]


def test_the_list_filters_sorts_and_pages(sales, team):
    for number, amount in enumerate((300_000, 50_000, 900_000), start=1):
        assert new_deal(sales, company=f"客户{number}", new_company="on", name=f"商机{number}",
                        amount=str(amount), expected_close_date=f"2027-0{number}-15").status_code == 303
    assert rows(sales, "?sort=-amount") == ["商机3", "商机1", "商机2"]
    assert rows(sales, "?sort=close") == ["商机1", "商机2", "商机3"]
    assert rows(sales, "?amount_min=100000&sort=amount") == ["商机1", "商机3"]
    assert rows(sales, "?close_month=2027-02") == ["商机2"]
    assert rows(sales, "?q=客户3") == ["商机3"]
    first = sales.get("/deals?sort=name&per_page=2").get_data(as_text=True)
    assert re.findall(r'class="dealname"[^>]*>([^<]+)<', first) == ["商机1", "商机2"]
    assert "第 1 / 2 页" in first and 'rel="next"' in first
    assert rows(sales, "?sort=name&per_page=2&page=2") == ["商机3"]


def test_a_lost_deal_shows_its_outcome_and_reason_in_words(sales, team):
    response = new_deal(sales, company="丢单客户", new_company="on", name="丢掉的商机")
    instance_id = instance_of(team, response.location)
    complete(team, instance_id, "qualify_lead", {"company": "丢单客户", "contact": "王", "source": "web", **LOST})
    assert rows(sales, "?outcome=lost") == ["丢掉的商机"] and rows(sales, "?outcome=open") == []
    page = sales.get("/deals?outcome=lost").get_data(as_text=True)
    assert "丢单" in page and "输给竞争对手" in page and "competitor" not in page.split("<tbody>")[1]


def test_a_filter_typed_wrong_is_shown_at_its_field_and_the_others_still_apply(sales, team):
    new_deal(sales, company="甲客户", new_company="on", name="甲", amount="10")
    response = sales.get("/deals?close_month=2027-13&q=甲")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="close_month-error"' in page
    assert re.findall(r'class="dealname"[^>]*>([^<]+)<', page) == ["甲"]


def test_the_list_holds_only_the_deals_one_may_see(app, sales, team):
    new_deal(sales, company="乙客户", new_company="on", name="乙")
    assert rows(sales) == ["乙"]
    legal = signed_in(app, "legal-user")  # works on no funnel task of it yet
    assert rows(legal) == []
    assert rows(signed_in(app, "director-user")) == ["乙"]  # directors see every deal


def test_a_team_and_a_lost_reason_narrow_the_list_as_the_reports_count(app, sales, team):
    from accounts import teams
    with app.extensions["session_factory"].begin() as session:
        teams.create_team(session, "华南销售", members=["sales-user"], actor=None)
    lost = new_deal(sales, company="丙客户", new_company="on", name="丙")
    new_deal(sales, company="丁客户", new_company="on", name="丁")
    new_deal(signed_in(app, "manager-user"), company="戊客户", new_company="on", name="戊")  # not of the team
    director = signed_in(app, "director-user")
    assert sorted(rows(director)) == sorted(["丙", "丁", "戊"])
    assert sorted(rows(director, "?team=华南销售")) == sorted(["丙", "丁"])
    complete(team, instance_of(team, lost.location), "qualify_lead",
             {"company": "丙客户", "contact": "王", "source": "web", **LOST})
    assert sorted(rows(sales, "?team=华南销售")) == sorted(["丙", "丁"])
    assert rows(sales, "?outcome=lost&lost_reason=competitor") == ["丙"]
    assert rows(sales, "?outcome=lost&lost_reason=price") == []
    page = sales.get("/deals?team=没有的团队").get_data(as_text=True)
    assert 'id="team-error"' in page and sorted(re.findall(r'class="dealname"[^>]*>([^<]+)<', page)) == ["丁", "丙"]
