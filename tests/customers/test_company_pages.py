"""The company list (search, filters, pages) through the API, and the customer pages through Flask's test client.

tests/ui/test_customer_360.py walks the same pages in Chromium.
"""
from __future__ import annotations

import re

import pytest
from stdnum.cn import uscc


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
