"""The deal page in Chromium, on a server loaded with the demo as `make run` loads it.

The demo's deals are real funnel instances (contracts signed through the archive
included), so the pages read what a new user would meet: a won deal with its
committee and a valid contract, a deal waiting for a discount approval, a lost one.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.ui.conftest import ROOT, Server

pytestmark = pytest.mark.slow
CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The server with the demo loaded (`flask demo`, as `make run` does), not only its people."""
    running = Server(tmp_path_factory.mktemp("deal-page-server"))
    running.seed()
    env = {**os.environ, "CRM_DATABASE_URL": running.database_url, "CRM_DATA_DIR": str(running.folder)}
    subprocess.run([sys.executable, "-m", "flask", "--app", "app", "demo"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    running.start()
    yield running
    running.stop()


def open_deal(screen, name: str):
    """Find the deal `name` in the list and click through to its page."""
    page = screen.go(f"/deals?q={name}")
    page.click(f"a.dealname:text-is('{name}')")
    page.wait_for_url(re.compile(r".*/deals/\d+$"))
    return page


def test_a_won_deal_reads_as_won_with_its_committee_contract_and_a_readable_diagram(screen):
    screen.login("wang", "manager-demo-1")
    page = open_deal(screen, "项目投标管理")
    screen.capture("deal-won")
    assert page.locator(".deal-outcome").inner_text().strip().endswith("赢单")
    assert page.locator("[data-verdict]").get_attribute("data-verdict") == "valid"
    assert page.locator("#committee tbody tr").count() == 4
    assert page.locator(".deal-facts [data-fact=company] a").get_attribute("href").startswith("/companies/")
    diagram = page.locator(".deal-diagram .diagram svg").first
    assert diagram.is_visible()
    box = page.locator(".deal-diagram .diagram").bounding_box()
    content = page.locator(".deal-diagram").bounding_box()
    assert box["height"] >= 480 and box["width"] >= content["width"] * 0.9
    assert screen.errors == []


def test_a_deal_waiting_for_approval_and_a_lost_one(screen):
    screen.login("wang", "manager-demo-1")
    page = open_deal(screen, "经销商线索系统")
    screen.capture("deal-approval")
    assert page.locator(".stage-current .stage-name").inner_text() == "商务谈判"
    assert page.locator("#tasks a strong").first.inner_text() == "审批折扣"
    assert page.locator("[data-fact=discount_percent] dd").inner_text() == "15 %"
    page = open_deal(screen, "集客 CRM 升级")
    screen.capture("deal-lost")
    assert "丢单于 商务谈判（价格）" in page.locator(".deal-outcome").inner_text()
    assert page.locator(".stage-done, .status-completed").count() == 0
    assert page.locator(".stage-lost .stage-name").inner_text() == "商务谈判"
    assert page.locator(".deal-diagram .diagram").bounding_box()["height"] >= 480
    page.click(".langswitch button[value=en]")
    page.wait_for_load_state()
    screen.capture("deal-lost-en")
    assert "Lost at negotiation (price)" in page.locator(".deal-outcome").inner_text()
    # The words the page makes are English; what people typed into the deal stays as typed.
    made = [page.locator(".deal-outcome").inner_text(), page.locator(".deal-stages").inner_text(),
            *page.locator("#history .event-head").all_inner_texts(),
            *page.locator("#history .event-data dt").all_inner_texts()]
    assert not [text for text in made if CJK.search(text)]
    assert screen.errors == []
