"""The menu by role, the global search and the pagers of the lists, through the pages on both databases."""
from __future__ import annotations

import re
import uuid

import pytest

import accounts
from core.audit import record
from tests.conftest import make_token
from tests.crm.test_deal_pages import instance_of, new_deal, signed_in

MENU = re.compile(r'data-menu="([a-z-]+)"')


def menu(browser) -> list[str]:
    return MENU.findall(browser.get("/").get_data(as_text=True))


def link(page: str, rel: str) -> str | None:
    """The pager's link of relation `rel` (next, prev, first, last), as a browser follows it."""
    found = re.search(rf'rel="{rel}" href="([^"]+)"', page)
    return found[1].replace("&amp;", "&") if found else None


def shown(browser, path: str) -> str:
    response = browser.get(path)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_each_role_sees_its_own_menu_in_its_own_order(app, team):
    assert menu(signed_in(app, "sales-user")) == ["inbox", "deals", "pipeline", "reports", "customers", "contracts"]
    assert menu(signed_in(app, "legal-user")) == ["inbox", "contracts", "verify"]
    assert menu(signed_in(app, "boss")) == ["inbox", "deals", "pipeline", "reports", "customers", "contracts",
                                            "processes", "data-quality", "audit"]
    # A director reads the audit log and merges duplicates; a data steward keeps the data clean.
    assert menu(signed_in(app, "director-user"))[-2:] == ["data-quality", "audit"]
    make_token(app, "steward", ("data",))
    assert "data-quality" in menu(signed_in(app, "steward"))
    page = shown(signed_in(app, "sales-user"), "/deals")
    assert re.search(r'data-menu="deals" aria-current="page"', page)


def test_search_finds_a_company_by_its_initials_and_a_deal_by_its_name_only_for_who_may_see_them(app, team):
    sales = signed_in(app, "sales-user")
    team["sales"].post("/api/companies", json={"name": "中国移动通信集团有限公司"})
    assert new_deal(sales, company="中国移动通信集团有限公司", name="储能 CRM 一期", amount="1200000").status_code == 303
    company = team["sales"].get("/api/companies?q=zgyd").get_json()[0]
    response = team["sales"].post("/api/contacts", json={"company_id": company["id"], "name": "李娜",
                                                         "email": "li.na@chinamobile.example"})
    assert response.status_code == 201, response.get_json()

    page = shown(sales, "/search?q=zgyd")
    assert 'id="found-companies"' in page and "中国移动通信集团有限公司" in page
    assert f'href="/companies/{company["id"]}"' in page
    page = shown(sales, "/search?q=储能")
    assert 'id="found-deals"' in page and "储能 CRM 一期" in page and 'href="/deals?q=' in page
    assert "li.na@chinamobile.example" in shown(sales, "/search?q=LI.NA@")

    make_token(app, "other-sales", ("sales",))
    other = signed_in(app, "other-sales")
    for text in ("zgyd", "储能", "李娜"):
        page = shown(other, f"/search?q={text}")
        assert 'id="nothing-found"' in page and "中国移动通信集团有限公司" not in page and "储能 CRM 一期" not in page
    # A director sees every deal, so finds it too ("crm" in any case).
    assert "储能 CRM 一期" in shown(signed_in(app, "director-user"), "/search?q=crm")


def test_the_search_box_is_in_every_page_header_and_an_empty_search_explains_itself(app, team):
    sales = signed_in(app, "sales-user")
    page = shown(sales, "/")
    assert 'id="global-search"' in page and 'aria-keyshortcuts="/ Control+K"' in page
    assert "Ctrl+K" in shown(sales, "/search?q=")
    # LIKE's wildcards and its escape are searched as themselves, and a very long text is cut, not refused.
    for text in ("%25", "_", "%5C", "x" * 1000):
        assert 'id="nothing-found"' in shown(sales, f"/search?q={text}")


@pytest.fixture
def many_tasks(app, team, session_factory):
    """55 open tasks: one deal's first task, and 54 more on its instance, more than one page of the inbox."""
    from engine.models import HumanTask

    sales = signed_in(app, "sales-user")
    team["sales"].post("/api/companies", json={"name": "分页测试公司"})
    instance_id = instance_of(team, new_deal(sales, company="分页测试公司", name="分页商机").location)
    with session_factory() as s:
        s.add_all(HumanTask(id=str(uuid.uuid4()), instance_id=instance_id, element_id="qualify_lead",
                            title=f"跟进 {n:02d}", stage="线索获取", form={}) for n in range(54))
        s.commit()
    return sales


def test_the_inbox_shows_fifty_tasks_a_page_with_links_to_the_others(app, many_tasks):
    admin = signed_in(app, "boss")
    first = shown(admin, "/?tab=all")
    assert first.count('class="tasktitle"') == 50
    assert link(first, "next") in ("/?page=2&tab=all", "/?tab=all&page=2") and link(first, "prev") is None
    assert 'data-total="55"' in first
    second = shown(admin, link(first, "next"))
    assert second.count('class="tasktitle"') == 5
    assert link(second, "prev") == "/?page=1&tab=all" and link(second, "next") is None
    assert shown(admin, link(second, "prev")).count('class="tasktitle"') == 50
    assert shown(admin, "/?tab=all&page=99").count('class="tasktitle"') == 5  # past the end: the last page
    assert shown(admin, "/?tab=all&page=x").count('class="tasktitle"') == 50


def test_the_contract_archive_comes_in_pages(app, team, session_factory):
    from signing.models import Contract

    with session_factory() as s:
        for n in range(30):
            s.add(Contract(number=f"HT-2026-{n:04d}", customer=f"客户 {n:02d}", title=f"合同 {n:02d}",
                           status="rendered", data={}, layout={}, signatures=[]))
        s.commit()
    legal = signed_in(app, "legal-user")
    first = shown(legal, "/contracts")
    assert first.count('class="card contractcard"') == 25 and 'data-total="30"' in first
    assert link(first, "next") == "/contracts?page=2"
    second = shown(legal, link(first, "next"))
    assert second.count('class="card contractcard"') == 5 and 'rel="prev"' in second
    # The archive's box finds a contract by its number too, as the global search does.
    found = shown(legal, "/contracts?q=ht-2026-0017")
    assert found.count('class="card contractcard"') == 1 and "合同 17" in found
    page = shown(legal, "/search?q=HT-2026-0017")
    assert 'id="found-contracts"' in page and "合同 17" in page


def test_the_audit_log_comes_in_pages_of_fifty(app, team, session_factory):
    with session_factory() as s:
        boss = accounts.get_user(s, "boss")
        for n in range(60):
            record(s, "test.paged", actor=boss, detail={"n": n})
        s.commit()
    admin = signed_in(app, "boss")
    first = shown(admin, "/audit?action=test.paged")
    assert first.count("<tr>") - 1 == 50
    second = shown(admin, link(first, "next"))
    assert second.count("<tr>") - 1 == 10 and link(second, "next") is None
    table = re.compile(r"<tbody>.*</tbody>", re.S)
    assert table.search(shown(admin, link(second, "first")))[0] == table.search(first)[0]
