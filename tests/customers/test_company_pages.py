"""The company list (search, filters, pages) through the API, and the customer pages through Flask's test client.

tests/ui/test_customer_360.py walks the same pages in Chromium.
"""
from __future__ import annotations

import re

from datetime import date, datetime, timezone

import pytest
from stdnum.cn import uscc

from customers.models import BehaviourEvent, ContactLink, Order, Payment
from tests.conftest import PROCESSES, deploy
from tests.web.test_pages import login, post, text


SCRIPT = "<script>alert(1)</script>"


def credit_code(body17: str) -> str:
    """Return a valid 统一社会信用代码 made from its first 17 characters."""
    return body17 + uscc.calc_check_digit(body17)


def add_company(api, name, **fields):
    response = api.post("/api/companies", json={"name": name, **fields})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def names(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [c["name"] for c in response.get_json()]


@pytest.fixture
def listed(api):
    """Five companies of alice's and one of bob's, with codes, places, sizes and tags."""
    alice = api["alice"]
    made = {
        "移动": add_company(alice, "中国移动通信集团广东有限公司", credit_code=credit_code("91440000190322000"),
                          province="广东省", city="广州", industry_section="I", size_band="large",
                          tags=["重点客户", "运营商"], erp_code="ERP-0001"),
        "联通": add_company(alice, "中国联合网络通信有限公司", province="北京市", city="北京",
                          industry_section="I", size_band="large", tags=["运营商"], erp_code="ERP-0002"),
        "华为": add_company(alice, "华为技术有限公司", credit_code=credit_code("91440300192203821"),
                          province="广东省", city="深圳", industry_section="C", size_band="large"),
        "小店": add_company(alice, "深圳小店 100% 科技", province="广东省", city="深圳", size_band="micro"),
        "acme": add_company(alice, "Acme Trading Co., Ltd.", tags=["外资"]),
        "bob": add_company(api["bob"], "鲍勃贸易有限公司", province="广东省"),
    }
    return made


@pytest.mark.parametrize("q, found", [
    ("移动", ["中国移动通信集团广东有限公司"]),
    ("zgyd", ["中国移动通信集团广东有限公司"]),
    ("ZGYD", ["中国移动通信集团广东有限公司"]),
    ("zg", ["中国联合网络通信有限公司", "中国移动通信集团广东有限公司"]),
    ("hwjs", ["华为技术有限公司"]),
    ("atcl", ["Acme Trading Co., Ltd."]),
    ("acme", ["Acme Trading Co., Ltd."]),
    ("ACME trading", ["Acme Trading Co., Ltd."]),
    ("erp-000", ["中国联合网络通信有限公司", "中国移动通信集团广东有限公司"]),
    ("ERP-0002", ["中国联合网络通信有限公司"]),
    ("100%", ["深圳小店 100% 科技"]),
    ("10_", []),
    ("nothing like it", []),
])
def test_the_list_finds_companies_by_name_initials_and_codes(api, listed, q, found):
    assert sorted(names(api["alice"].get("/api/companies", query_string={"q": q}))) == sorted(found)


def test_a_credit_code_finds_its_company_whole_or_by_its_start(api, listed):
    code = listed["华为"]["credit_code"]
    for typed in (code, code[:8], code.lower()):
        assert names(api["alice"].get(f"/api/companies?q={typed}")) == ["华为技术有限公司"], typed


def test_an_alias_finds_its_company(api, listed, session):
    from customers.models import CompanyAlias
    session.add(CompanyAlias(company_id=listed["联通"]["id"], name="中国网通", source="merge"))
    session.commit()
    assert names(api["alice"].get("/api/companies?q=网通")) == ["中国联合网络通信有限公司"]


@pytest.mark.parametrize("query, found", [
    ({"province": "广东省"}, ["中国移动通信集团广东有限公司", "华为技术有限公司", "深圳小店 100% 科技"]),
    ({"province": "广东省", "city": "深圳"}, ["华为技术有限公司", "深圳小店 100% 科技"]),
    ({"industry_section": "I"}, ["中国联合网络通信有限公司", "中国移动通信集团广东有限公司"]),
    ({"size_band": "micro"}, ["深圳小店 100% 科技"]),
    ({"tag": "运营商"}, ["中国联合网络通信有限公司", "中国移动通信集团广东有限公司"]),
    ({"tag": "重点客户", "q": "zg"}, ["中国移动通信集团广东有限公司"]),
    ({"tag": "运营"}, []),
    ({"tag": "外资", "size_band": "large"}, []),
])
def test_the_list_filters_by_place_industry_size_and_tag(api, listed, query, found):
    assert sorted(names(api["alice"].get("/api/companies", query_string=query))) == sorted(found)


def test_owner_mine_and_visibility(api, listed, users):
    everyone = names(api["admin"].get("/api/companies?per_page=500"))
    assert "鲍勃贸易有限公司" in everyone and len(everyone) == 6
    assert "鲍勃贸易有限公司" not in names(api["alice"].get("/api/companies"))
    assert names(api["bob"].get("/api/companies?owner_id=mine")) == ["鲍勃贸易有限公司"]
    alice_id = listed["华为"]["owner_id"]
    assert len(names(api["admin"].get(f"/api/companies?owner_id={alice_id}"))) == 5
    assert names(api["admin"].get("/api/companies?owner_id=mine")) == []


def test_pages_of_the_list_carry_the_total_and_links(api, listed):
    response = api["admin"].get("/api/companies?province=广东省&per_page=2")
    assert response.headers["X-Total-Count"] == "4"
    first = [c["name"] for c in response.get_json()]
    links = dict((rel, url) for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers["Link"]))
    assert set(links) == {"first", "next", "last"}
    assert "page=2" in links["next"] and "per_page=2" in links["next"] and "province=" in links["next"]
    second = api["admin"].get(links["next"].replace("http://localhost", ""))
    assert second.headers["X-Total-Count"] == "4"
    assert set(re.findall(r'rel="(\w+)"', second.headers["Link"])) == {"first", "prev", "last"}
    assert len(first) == 2 and not set(first) & {c["name"] for c in second.get_json()}
    beyond = api["admin"].get("/api/companies?page=9&per_page=2")
    assert (beyond.status_code, beyond.get_json(), beyond.headers["X-Total-Count"]) == (200, [], "6")


def test_the_list_is_fifty_a_page_unless_asked(api, session):
    from customers import companies
    for n in range(55):
        companies.create_company(session, name=f"公司{n:03}")
    session.commit()
    response = api["admin"].get("/api/companies")
    assert (len(response.get_json()), response.headers["X-Total-Count"]) == (50, "55")
    assert len(api["admin"].get("/api/companies?per_page=500").get_json()) == 55


@pytest.mark.parametrize("query, field", [
    ("per_page=0", "per_page"), ("per_page=501", "per_page"), ("page=0", "page"), ("page=x", "page"),
    ("size_band=huge", "size_band"), ("industry_section=Z", "industry_section"), ("owner_id=yours", "owner_id"),
    ("owner_id=0", "owner_id"), ("colour=red", "colour"), ("q=" + "x" * 256, "q"),
])
def test_bad_list_parameters_are_refused_naming_them(api, query, field):
    response = api["alice"].get(f"/api/companies?{query}")
    assert response.status_code == 422, response.get_json()
    assert [e["field"] for e in response.get_json()["errors"]] == [field]


# The pages, through Flask's test client: what a person logged in as alice sees.

@pytest.fixture
def alice(app, users):
    client = app.test_client()
    assert login(client, "alice", "alice-pass-1").status_code == 302
    return client


def test_the_list_page_searches_filters_and_links_each_company(alice, listed):
    page = text(alice.get("/companies?q=zgyd"))
    assert f'href="/companies/{listed["移动"]["id"]}"' in page and "中国移动通信集团广东有限公司" in page
    assert "华为技术有限公司" not in page and 'data-total="1"' in page
    page = text(alice.get("/companies?q=" + listed["华为"]["credit_code"]))
    assert "华为技术有限公司" in page and 'data-total="1"' in page
    page = text(alice.get("/companies?province=广东省&city=深圳&size_band=&colour=red"))
    assert "华为技术有限公司" in page and "深圳小店 100% 科技" in page and "中国移动通信" not in page
    assert 'aria-current="page">客户</a>' in page  # the nav entry, in Chinese by default


def test_the_list_page_goes_page_by_page(alice, session, users):
    from customers import companies
    alice_id = session.scalar(__import__("sqlalchemy").text("SELECT id FROM users WHERE name = 'alice'"))
    for n in range(55):
        companies.create_company(session, name=f"公司{n:03}", owner_id=alice_id)
    session.commit()
    first = text(alice.get("/companies"))
    assert first.count('class="companyname"') == 50 and 'data-total="55"' in first
    assert 'rel="next" href="/companies?page=2&amp;per_page=50"' in first
    second = text(alice.get("/companies?page=2&per_page=50"))
    assert second.count('class="companyname"') == 5 and 'rel="prev"' in second and 'rel="next"' not in second


def test_the_pages_need_a_login_and_a_company_in_sight(app, alice, listed):
    stranger = app.test_client()
    huawei = listed["华为"]["id"]
    for path in ("/companies", f"/companies/{huawei}", "/contacts/1", f"/companies/{huawei}/network.json"):
        response = stranger.get(path)
        assert response.status_code == 302 and "/login?next=" in response.location, path
    assert alice.get(f"/companies/{listed['bob']['id']}").status_code == 404
    from web.pages.customers import bp
    assert bp.permissions == {"company_list": "companies.read", "company": "companies.read",
                              "company_network": "companies.read",
                              "accept_group_suggestion": "companies.write", "contact": "companies.read"}


def test_a_bad_page_parameter_is_an_error_page_saying_why(alice):
    response = alice.get("/companies?per_page=9999")
    assert response.status_code == 422 and "less than or equal to 500" in text(response)


def test_a_script_in_a_name_is_shown_as_text_on_every_page(api, alice, session):
    company = add_company(api["alice"], SCRIPT, city=SCRIPT, tags=["<b>x</b>"])
    contact = api["alice"].post("/api/contacts", json={"company_id": company["id"], "name": SCRIPT,
                                                       "title": "<img src=x onerror=alert(1)>"}).get_json()
    session.add(BehaviourEvent(source="<i>web</i>", external_id="1", company_id=company["id"],
                               contact_id=contact["id"], type="<svg onload=alert(1)>",
                               occurred_at=datetime(2026, 11, 1, tzinfo=timezone.utc)))
    session.commit()
    for path in ("/companies", f"/companies?q={SCRIPT}", f"/companies/{company['id']}",
                 f"/contacts/{contact['id']}"):
        page = text(alice.get(path))
        assert "<script>alert" not in page and "<img src=x" not in page and "<svg onload" not in page, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, path


def test_the_360_page_shows_profile_contacts_deals_money_behaviour_and_timeline(api, alice, session):
    deploy(api["admin"], PROCESSES / "sales_funnel.bpmn")
    company = add_company(api["alice"], "华为技术有限公司", province="广东省", city="深圳",
                          credit_code=credit_code("91440300192203821"))
    contact = api["alice"].post("/api/contacts", json={
        "company_id": company["id"], "name": "王总", "title": "CFO",
        "consents": [{"channel": "email", "granted": True, "source": "展会表单"}]}).get_json()
    deal = api["alice"].post("/api/opportunities", json={"company_id": company["id"], "name": "云平台项目",
                                                        "amount": 250_000}).get_json()
    assert api["alice"].post(f"/api/opportunities/{deal['id']}/committee", json={
        "contact_id": contact["id"], "role": "decision_maker", "influence": 0.9}).status_code == 201
    order = Order(company_id=company["id"], number="SO-1", ordered_on=date(2026, 10, 1), amount=1_000_000)
    session.add(order)
    session.flush()
    session.add(Payment(company_id=company["id"], order_id=order.id, reference="PAY-1", paid_on=date(2026, 10, 9),
                        amount=400_000))
    session.add_all(BehaviourEvent(source="website", external_id=str(n), company_id=company["id"],
                                   type="web_visit", occurred_at=datetime(2026, 11, 1, 8, n, tzinfo=timezone.utc))
                    for n in range(60))
    session.commit()
    page = text(alice.get(f"/companies/{company['id']}"))
    for section in ("profile", "group", "network-card", "contacts", "deals", "money", "timeline", "behaviour"):
        assert f'id="{section}"' in page, section
    assert f'href="/contacts/{contact["id"]}">王总</a>' in page and "决策者 · 云平台项目" in page
    assert f'href="/instances/{deal["instance_id"]}">云平台项目</a>' in page and "¥250,000" in page
    assert '<td class="amount" data-total="ordered">¥10,000.00</td>' in page
    assert '<td class="amount" data-total="outstanding">¥6,000.00</td>' in page
    assert '<b data-behaviour="total">60</b>' in page
    assert 'data-field="industry_division"' in page  # the flag: no industry
    assert page.count("<li data-kind=") == 50 and 'id="timeline-older"' in page
    older = re.search(r'id="timeline-older" href="([^"]+)"', page)[1].replace("&amp;", "&")
    rest = text(alice.get(older))
    assert 'id="timeline-older"' not in rest and '<li data-kind="order">' in rest
    assert page.count('<li data-kind="event">') + rest.count('<li data-kind="event">') == 60
    assert alice.get(f"/companies/{company['id']}?before=garbage").status_code == 422
    assert "cytoscape.min.js" in page and "network.js" in page


def test_the_contact_page_shows_consent_history_chain_committees_and_behaviour(api, alice, session):
    deploy(api["admin"], PROCESSES / "sales_funnel.bpmn")
    company = add_company(api["alice"], "比亚迪股份有限公司")
    boss, engineer = (api["alice"].post("/api/contacts", json={"company_id": company["id"], **body}).get_json()
                      for body in ({"name": "王总", "title": "CIO"},
                                   {"name": "李工", "title": "架构师", "consents": [
                                       {"channel": "email", "granted": True, "source": "展会表单"}]}))
    api["alice"].patch(f"/api/contacts/{engineer['id']}", json={
        "consents": [{"channel": "email", "granted": False, "source": "退订链接"}]})
    session.add(ContactLink(kind="reports_to", from_contact_id=engineer["id"], to_contact_id=boss["id"],
                            source="组织架构图"))
    session.add(BehaviourEvent(source="trial", external_id="t1", company_id=company["id"],
                               contact_id=engineer["id"], type="trial_login",
                               occurred_at=datetime(2026, 11, 2, tzinfo=timezone.utc)))
    session.commit()
    deal = api["alice"].post("/api/opportunities", json={"company_id": company["id"], "name": "MES 升级"}).get_json()
    api["alice"].post(f"/api/opportunities/{deal['id']}/committee", json={
        "contact_id": engineer["id"], "role": "evaluator", "influence": 0.4})
    page = text(alice.get(f"/contacts/{engineer['id']}"))
    assert f'href="/companies/{company["id"]}"' in page and "比亚迪股份有限公司" in page
    consent = page[page.index('data-channel="email"'):page.index('id="decision-chain"')]
    assert "已拒绝" in consent.split("</h3>")[0] and consent.index("退订链接") < consent.index("展会表单")
    assert f'汇报给\n        <a href="/contacts/{boss["id"]}">王总</a>' in page
    assert "MES 升级" in page and "评估者" in page and "40%" in page
    assert "trial_login" in page
    boss_page = text(alice.get(f"/contacts/{boss['id']}"))
    assert f'下属\n        <a href="/contacts/{engineer["id"]}">李工</a>' in boss_page


def hold(api, holder, held, percent):
    response = api.post("/api/company-links", json={"kind": "shareholder", "from_company_id": holder,
                                                    "to_company_id": held, "percent": percent})
    assert response.status_code == 201, response.get_json()


def test_the_360_page_shows_control_and_accepting_the_group_suggestion_sets_the_parents(api, alice):
    a, b, d = (add_company(api["alice"], name)["id"] for name in ("甲控股", "乙实业", "丁子公司"))
    hold(api["alice"], a, b, 60)
    hold(api["alice"], a, d, 70)
    hold(api["alice"], b, d, 10)
    page = text(alice.get(f"/companies/{d}"))
    controller = page[page.index('id="controller"'):page.index("</p>", page.index('id="controller"'))]
    assert f'href="/companies/{a}">甲控股</a>' in controller and "76 %" in controller and "绝对控股" in controller
    assert 'id="group-suggestion"' in page and "采纳：设置上级公司" in page
    drawn = alice.get(f"/companies/{d}/network.json?depth=2&kinds=shareholder").get_json()
    assert {n["label"] for n in drawn["nodes"]} == {"甲控股", "乙实业", "丁子公司"}
    assert sorted(e["percent"] for e in drawn["edges"]) == [10.0, 60.0, 70.0]
    assert alice.get(f"/companies/{d}/network.json?depth=9").status_code == 422
    accepted = post(alice, f"/companies/{d}/group-suggestion", page=f"/companies/{d}")
    assert accepted.status_code == 303 and accepted.location.endswith(f"/companies/{d}")
    after = text(alice.get(f"/companies/{d}"))
    assert "2 家公司归入该集团" in after and 'id="group-suggestion"' not in after
    assert [api["alice"].get(f"/api/companies/{i}").get_json()["parent_id"] for i in (b, d)] == [a, a]


def test_cytoscape_is_served_from_node_modules_and_nothing_else_of_it(client):
    with client.get("/vendor/cytoscape/cytoscape.min.js") as response:
        assert response.status_code == 200 and b"cytoscape" in response.data
    for path in ("/vendor/cytoscape/../package.json", "/vendor/cytoscape/%2e%2e/package.json",
                 "/vendor/cytoscape/cytoscape.cjs.js.map"):
        assert client.get(path).status_code == 404, path
