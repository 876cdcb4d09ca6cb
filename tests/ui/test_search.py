"""In Chromium: "/" puts the cursor in the header's search box from any page, Enter shows what it finds,
and Ctrl+K does the same from a page already showing results."""
from __future__ import annotations

import pytest

from tests.ui.test_fixes import api, deploy_funnel

pytestmark = pytest.mark.slow


def test_slash_focuses_the_search_and_enter_shows_the_results_grouped(screen):
    deploy_funnel(screen)
    company = api(screen, "lina", "post", "/api/companies", {"name": "深圳移动"})
    api(screen, "lina", "post", "/api/opportunities", {"company_id": company["id"], "name": "5G 专网运维平台"})
    screen.login("lina", "sales-demo-1")
    page = screen.go("/")
    page.locator("h1").click()  # the cursor is on the page, in no field
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "global-search"
    assert page.input_value("#global-search") == ""  # the slash itself is not typed in
    page.keyboard.type("szyd")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=szyd")
    companies = page.locator("#found-companies")
    assert companies.locator("a", has_text="深圳移动").count() == 1
    screen.capture("search")

    page.locator("h1").click()
    page.keyboard.press("Control+k")
    assert page.evaluate("document.activeElement.id") == "global-search"
    page.fill("#global-search", "5G 专网")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=5G*")
    deal = page.locator("#found-deals a", has_text="5G 专网运维平台")
    deal.click()
    page.wait_for_url("**/instances/*")
    assert "5G 专网运维平台" in page.content()


def test_an_admins_menu_and_the_search_box_fit_a_laptops_header_in_english(screen):
    screen.login("admin", "admin-demo-1")
    page = screen.go("/")
    page.click(".langswitch button[value=en]")
    page.wait_for_load_state()
    entries = page.locator(".mainnav a").all_inner_texts()
    assert entries == ["Inbox", "Deals", "Pipeline", "Reports", "Customers", "Contracts", "Processes",
                       "Data quality", "Audit log"]
    wide, room = page.evaluate("[document.querySelector('.topbar').scrollWidth,"
                               " document.querySelector('.topbar').clientWidth]")
    assert wide <= room, f"the header is {wide}px wide in {room}px"
