"""In Chromium: a director clicks the lost bar of a stage in the reports page's conversion chart
and lands on the deal list filtered to the deals lost at that stage.

Lina's two deals are worked through the API as she would in the forms: one is
lost at 需求确认, the other stays open there.
"""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.processes.funnel import GOOD_DATA, LOST
from tests.ui.test_fixes import api, deploy_funnel

pytestmark = pytest.mark.slow


def lina_deal(screen, company: str) -> int:
    """Open a deal for `company` as Lina, past 线索获取; return its instance id."""
    made = api(screen, "lina", "post", "/api/companies", {"name": company})
    deal = api(screen, "lina", "post", "/api/opportunities", {"company_id": made["id"]})
    complete(screen, deal["instance_id"], "qualify_lead", {**GOOD_DATA["qualify_lead"], "company": company})
    return deal["instance_id"]


def complete(screen, instance_id: int, name: str, data: dict) -> None:
    task = next(t for t in api(screen, "lina", "get", f"/api/tasks?instance_id={instance_id}") if t["name"] == name)
    api(screen, "lina", "post", f"/api/tasks/{task['id']}/complete", {"data": data})


def test_clicking_a_lost_bar_of_the_conversion_chart_lists_the_deals_lost_at_that_stage(screen):
    deploy_funnel(screen)
    lost = lina_deal(screen, "南方电网")
    complete(screen, lost, "confirm_needs", {**LOST, "lost_reason": "no_budget"})
    lina_deal(screen, "顺丰速运")
    screen.login("liu", "director-demo-1")
    page = screen.go("/reports?period=all")
    page.wait_for_selector("body[data-charts=drawn]")
    assert "需求确认" in page.inner_text("#conversion-table")
    # Where Chart.js drew the lost bar (dataset 1) of 需求确认, in the page's coordinates.
    point = page.evaluate("""() => {
        const canvas = document.getElementById("conversion-chart");
        canvas.scrollIntoView({block: "center"});
        const chart = Chart.getChart(canvas);
        const bar = chart.getDatasetMeta(1).data[chart.data.labels.indexOf("需求确认")];
        const box = canvas.getBoundingClientRect();
        return {x: box.left + bar.x, y: box.top + (bar.y + bar.base) / 2};
    }""")
    with page.expect_navigation():
        page.mouse.click(point["x"], point["y"])
    address = urlsplit(page.url)
    assert address.path == "/deals" and parse_qs(address.query) == {"stage": ["需求确认"], "outcome": ["lost"]}
    names = page.locator(".dealname").all_inner_texts()
    assert len(names) == 1 and "南方电网" in page.inner_text(".deallist")
    assert page.locator("select[name=outcome]").input_value() == "lost"
    screen.go("/reports?period=all")
    screen.capture("reports")  # no script error, no sideways scroll at a phone's width
