"""Duplicate candidates: names normalised, pairs scored with reasons, the review list, dismissals that last."""
from __future__ import annotations

import pytest
from stdnum.cn import uscc

from customers import duplicates, names
from customers.models import Company, Contact

from tests.customers.test_master_data import add_company


def credit_code(body17: str) -> str:
    return body17 + uscc.calc_check_digit(body17)


@pytest.mark.parametrize("left, right", [
    ("深圳市腾讯计算机系统有限公司", "腾讯计算机系统（深圳）有限公司"),
    ("腾讯计算机系统有限公司深圳分公司", "腾讯计算机系统有限公司"),
    ("ＡＣＭＥ　Ｔｒａｄｉｎｇ Co., Ltd.", "Acme Trading Company Limited"),
    ("广东省华为技术有限公司", "华为技术股份有限公司"),
    ("【比亚迪】汽车工业有限公司", "比亚迪汽车工业有限责任公司"),
    ("Siemens GmbH", "SIEMENS"),
    ("阿里巴巴（中国）网络技术有限公司", "阿里巴巴网络技术有限公司"),
])
def test_names_that_differ_only_in_form_come_down_to_one_core(left, right):
    assert names.company_name(left)[0] == names.company_name(right)[0]


def test_a_city_that_is_the_name_is_kept_and_tells_two_banks_apart():
    beijing, shanghai = names.company_name("北京银行"), names.company_name("上海银行股份有限公司")
    assert beijing[0] == shanghai[0] == "银行"
    assert names.places_conflict(beijing[1], shanghai[1])
    assert not names.places_conflict(frozenset({"广东"}), frozenset({"深圳"}))


def records(*rows):
    return duplicates.company_records([(i + 1, *row) for i, row in enumerate(rows)])


def test_pairs_are_scored_with_their_reasons():
    code = credit_code("91440300MA5F00001")
    tencent, moved, other, same_code, bank_a, bank_b = records(
        ("深圳市腾讯计算机系统有限公司", None, "0755-86013388", "info@tencent.com", None, None),
        ("腾讯计算机系统（深圳）有限公司", None, "+86 755 8601 3388", "sales@tencent.com", None, None),
        ("华为技术有限公司", code, None, "a@qq.com", None, None),
        ("完全不同的名字", code, None, "b@qq.com", None, None),
        ("北京银行", None, None, None, None, None),
        ("上海银行", None, None, None, None, None))
    assert duplicates.score_companies(tencent, moved) == (
        1.0, ["names 1.00 alike after normalising", "same phone", "same email domain tencent.com"])
    assert duplicates.score_companies(other, same_code) == (1.0, ["same credit code"])
    score, reasons = duplicates.score_companies(bank_a, bank_b)
    assert score < duplicates.THRESHOLD and reasons[-1] == "but 北京 ≠ 上海"
    assert other.keys[-1:] == [f"c:{code}"] and not any(k.startswith("d:") for k in other.keys)  # qq.com


def test_a_typo_in_a_long_name_is_a_candidate_a_different_company_is_not():
    found = duplicates.find_pairs(records(
        ("杭州海康威视数字技术股份有限公司", None, None, None, None, None),
        ("海康威视数子技术有限公司", None, None, None, None, None),
        ("杭州大华数字技术股份有限公司", None, None, None, None, None)), duplicates.score_companies)
    assert list(found) == [(1, 2)]
    assert found[(1, 2)][1] == ["names 0.88 alike after normalising"]


def test_a_scan_stores_pairs_and_a_dismissal_survives_a_rescan(api, session):
    code = credit_code("91330100MA2H00002")
    first = add_company(api["alice"], "杭州阿里巴巴网络技术有限公司", credit_code=code)
    again = add_company(api["alice"], "阿里巴巴（杭州）网络技术有限公司")
    branch = add_company(api["alice"], "阿里巴巴网络技术有限公司上海分公司", phone="021-6888 8888")
    add_company(api["alice"], "上海某某贸易有限公司", phone="021-6888 8888")
    summary = duplicates.scan(session, "companies")
    assert (summary["candidates"], summary["new"]) == (3, 3)
    listed = api["alice"].get("/api/duplicates?kind=companies").get_json()
    assert [(p["left"]["id"], p["right"]["id"]) for p in listed] == [
        (first["id"], again["id"]), (first["id"], branch["id"]), (again["id"], branch["id"])]
    assert listed[0]["score"] == 1.0 and listed[0]["reasons"][0].startswith("names 1.00 alike")
    assert listed[0]["left"]["credit_code"] == code
    assert api["alice"].post(f"/api/duplicates/{listed[1]['id']}/dismiss").status_code == 403
    dismissed = api["admin"].post(f"/api/duplicates/{listed[1]['id']}/dismiss")
    assert dismissed.get_json() == {"id": listed[1]["id"], "status": "dismissed"}
    session.expire_all()
    assert duplicates.scan(session, "companies")["dismissed_kept"] == 1
    after = api["alice"].get("/api/duplicates?kind=companies").get_json()
    assert [p["id"] for p in after] == [listed[0]["id"], listed[2]["id"]]
    assert api["admin"].get("/api/data-quality").get_json()["duplicates"] == {"companies": 2, "contacts": 0}


def test_a_rescan_of_some_ids_touches_only_their_pairs(session):
    rows = [Company(name=n) for n in ("宁德时代新能源科技股份有限公司", "宁德时代新能源科技有限公司",
                                       "比亚迪股份有限公司", "比亚迪汽车有限公司", "比亚迪有限公司")]
    session.add_all(rows)
    session.flush()
    assert duplicates.scan(session, "companies", only_ids=[rows[0].id])["candidates"] == 1
    assert duplicates.scan(session, "companies")["new"] == 1  # 比亚迪 and 比亚迪有限公司; the others differ


def test_contacts_alike_by_name_pinyin_email_or_mobile(session):
    company = Company(name="联系人公司")
    session.add(company)
    session.flush()
    people = [Contact(company_id=company.id, name=name, email=email, mobile=mobile) for name, email, mobile in (
        ("李伟", "li.wei@example.cn", None), ("Li Wei", None, "+8613800138000"), ("李 伟", None, "+8613800138000"),
        ("王芳", "li.wei@example.cn", None))]
    session.add_all(people)
    session.flush()
    duplicates.scan(session, "contacts")
    pairs = {(c.left_id, c.right_id): c.reasons for c in duplicates.list_candidates(session, "contacts")
             for c in [c[0]]}
    ids = [p.id for p in people]
    assert set(pairs) == {(ids[0], ids[1]), (ids[0], ids[2]), (ids[1], ids[2])}
    assert pairs[(ids[1], ids[2])] == ["names 1.00 alike", "same mobile", "same company"]


def test_the_review_list_shows_only_pairs_whose_both_records_the_caller_sees(api, session):
    mine = add_company(api["alice"], "小米科技有限责任公司")
    theirs = add_company(api["bob"], "小米科技有限公司")
    add_company(api["alice"], "小米科技（北京）有限公司")
    duplicates.scan(session, "companies")
    seen = api["alice"].get("/api/duplicates").get_json()
    assert [(p["left"]["id"], p["right"]["name"]) for p in seen] == [(mine["id"], "小米科技（北京）有限公司")]
    assert len(api["admin"].get("/api/duplicates").get_json()) == 3
    hidden = [p for p in api["admin"].get("/api/duplicates").get_json() if theirs["id"] in
              (p["left"]["id"], p["right"]["id"]) and mine["id"] in (p["left"]["id"], p["right"]["id"])]
    assert api["alice"].post(f"/api/duplicates/{hidden[0]['id']}/dismiss").status_code in (403, 404)


def test_bad_queries_are_422_naming_the_parameter(api):
    response = api["alice"].get("/api/duplicates?kind=orders")
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "kind"
    assert api["alice"].get("/api/duplicates?page=0").status_code == 422


def test_flask_duplicates_scan_prints_its_summary_and_the_contact_pairs_are_listed(app, api, session):
    company = add_company(api["alice"], "京东世纪贸易有限公司")
    for name in ("刘强", "刘 强"):
        assert api["alice"].post("/api/contacts", json={"company_id": company["id"], "name": name,
                                                        "email": "liu@jd.example"}).status_code == 201
    result = app.test_cli_runner().invoke(args=["duplicates", "scan", "--kind", "contacts"])
    assert result.exit_code == 0, result.output
    assert "1 candidates (1 new, 0 dismissed before, 0 gone)" in result.output
    assert "2 contacts scanned in" in result.output
    [pair] = api["alice"].get("/api/duplicates?kind=contacts").get_json()
    assert (pair["left"]["name"], pair["right"]["name"], pair["left"]["email"]) == ("刘强", "刘 强", "liu@jd.example")
    assert pair["reasons"] == ["names 1.00 alike", "same email", "same company"]
    assert api["alice"].get("/api/data-quality").get_json()["duplicates"] == {"companies": 0, "contacts": 1}
    bad = app.test_cli_runner().invoke(args=["duplicates", "scan", "--kind", "orders"])
    assert bad.exit_code != 0
