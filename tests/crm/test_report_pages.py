"""The reports page and the pipeline's win rate, as a director reads them, on both databases.

Deals are worked through the REST API (tests/processes/funnel.py), then read
through the pages: the counts per stage with the open ones, for a period and an
owner; each figure's definition beside it; one win rate on both pages; links
from the figures to the deal list showing the deals behind them.
"""
from __future__ import annotations

import html
import json
import re
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.crm.test_deal_pages import rows, signed_in
from tests.crm.test_reports import five_deals
from tests.processes.funnel import LOST, complete, drive_funnel, open_deal

WIN_RATE_ZH = "赢单数 ÷ 已结束数（赢单 + 丢单）：期间内结束的商机中赢单所占比例。销售看板显示的是全部时间的这一数字。"
WIN_RATE_EN = ("Won ÷ closed (won + lost): of the deals closed in the period, the share won. "
               "The pipeline page shows it for all time.")


@pytest.fixture
def book(team):
    """five_deals (sales-user's), a deal of manager-user's lost at 线索获取, one of sales-user's in delivery."""
    deals = five_deals(team)
    company = team["manager"].post("/api/companies", json={"name": "客户M"}).get_json()
    deals["M"] = team["manager"].post("/api/opportunities", json={"company_id": company["id"]}).get_json()
    complete(team, deals["M"]["instance_id"], "qualify_lead", {**LOST, "lost_reason": "timing"},
             as_role="manager")
    deals["G"] = open_deal(team, "客户G", amount=200000)
    drive_funnel(team, deals["G"]["instance_id"], until="deliver")
    return deals


@pytest.fixture
def director(app, book):
    return signed_in(app, "director-user")


def page(browser, path: str) -> str:
    response = browser.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def conversion_rows(text: str) -> dict:
    """Stage → (entered, moved on, lost, open) as the conversion table shows them."""
    table = re.search(r'<table class="table small" id="conversion-table">([\s\S]*?)</table>', text)[1]
    found = {}
    for row in re.findall(r"<tr data-stage[^>]*>([\s\S]*?)</tr>", table):
        cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>([\s\S]*?)</td>", row)]
        found[cells[0]] = tuple(int(c) for c in cells[1:5])
    return found


def win_rate_shown(text: str) -> str:
    kpi = re.search(r'<div class="kpi" id="kpi-win-rate">([\s\S]*?)</div></div>', text)[1]
    return re.search(r'<div class="kpi-value">([^<]*)</div>', kpi)[1].strip()


def test_the_conversion_per_stage_shows_entered_moved_on_lost_and_open_for_a_period_and_an_owner(director):
    everyone = conversion_rows(page(director, "/reports?period=all"))
    assert everyone["线索获取"] == (8, 6, 1, 1)  # A-G and M; M lost there, F still there
    assert everyone["需求确认"] == (6, 5, 1, 0)
    assert everyone["商务谈判"] == (4, 2, 1, 1)
    assert everyone["交付实施"] == (2, 1, 0, 1)  # G: won, being delivered, counts as open there
    assert conversion_rows(page(director, "/reports?period=month")) == everyone, "all made today"
    sales = conversion_rows(page(director, "/reports?period=all&owner=sales-user"))
    assert sales["线索获取"] == (7, 6, 0, 1)
    manager = conversion_rows(page(director, "/reports?period=all&owner=manager-user"))
    assert manager["线索获取"] == (1, 0, 1, 0) and manager["需求确认"] == (0, 0, 0, 0)
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    later = page(director, f"/reports?period=custom&from={tomorrow}")
    assert conversion_rows(later)["线索获取"] == (0, 0, 0, 0)
    assert f"期间：{tomorrow} 至 …。" in later


def test_an_owner_of_a_team_and_a_period_typed_wrong_are_refused_at_their_field(director, app):
    text = page(director, "/reports?period=decade&owner=nobody")
    assert 'id="period-error"' in text and 'id="owner-error"' in text and "nobody" in text
    assert conversion_rows(text)["线索获取"] == (8, 6, 1, 1), "the report of everyone, for the quarter"
    text = page(director, "/reports?period=custom&from=2026-13-01")
    assert 'id="from-error"' in text and 'aria-describedby="from-error"' in text


def test_each_figure_carries_its_definition_as_a_tooltip_in_chinese_and_in_english(director):
    text = page(director, "/reports?period=all")
    for key, words in (("entered", "期间内进入该阶段的商机。"), ("open", "其中仍在该阶段的商机，包括已赢单、正在交付的商机。"),
                       ("win_rate", WIN_RATE_ZH), ("lost_at", "期间内丢单的商机，按丢单时所在阶段统计。")):
        assert f'title="{words}" aria-describedby="def-{key}"' in text, key
        assert f'<dd id="def-{key}">{words}</dd>' in text, key
    token = re.search(r'name="csrf_token" value="([^"]+)"', text)[1]
    director.post("/language", data={"locale": "en", "next": "/reports", "csrf_token": token})
    text = html.unescape(page(director, "/reports?period=all"))
    assert f'title="{WIN_RATE_EN}" aria-describedby="def-win_rate"' in text
    assert 'aria-describedby="def-moved_on">Moved on</th>' in text and "In progress</th>" in text
    assert "期间内" not in text


def test_the_win_rate_is_won_of_closed_deals_the_same_on_the_pipeline_and_the_reports_page(director, team):
    # Closed: A and G won (G at 交付实施), B, C and M lost: 2 of 5.
    api = team["director"].get("/api/reports/win-loss").get_json()
    assert api["win_rate"] == 0.4
    assert team["director"].get("/api/reports/conversion").get_json()["overall"]["win_rate"] == 0.4
    reports_page, pipeline = page(director, "/reports?period=all"), page(director, "/pipeline")
    assert win_rate_shown(reports_page) == win_rate_shown(pipeline) == "40.0%"
    for text in (reports_page, pipeline):
        assert "赢单率 · 已结束商机中" in text and "已结束 5 个，赢单 2 个" in text
        assert "赢单数 ÷ 已结束数（赢单 + 丢单）" in text, "the one definition, said on both pages"
    assert WIN_RATE_ZH in reports_page and "即报表页“全部时间”的赢单率" in pipeline
    assert reports_page.count("赢单率 ·") == 1, "one win rate on the page"


def test_the_figures_link_to_the_deals_behind_them_on_the_deal_list(director):
    text = page(director, "/reports?period=all")
    row = re.search(r'<tr data-stage="需求确认">[\s\S]*?</tr>', text)[0]
    lost = html.unescape(re.search(r'<a class="lost" href="([^"]+)"', row)[1])
    assert urlsplit(lost).path == "/deals" and parse_qs(urlsplit(lost).query) == {
        "stage": ["需求确认"], "outcome": ["lost"]}
    assert rows(director, "?" + urlsplit(lost).query) == ["客户B"]
    chart = json.loads(html.unescape(re.search(r'<script type="application/json" id="chart-data">(.*?)</script>',
                                               text)[1]))
    at = chart["labels"].index("商务谈判")
    assert parse_qs(urlsplit(chart["links"]["open"][at]).query) == {"stage": ["商务谈判"], "outcome": ["open"]}
    assert rows(director, "?" + urlsplit(chart["links"]["open"][at]).query) == ["客户E"]
    assert chart["links"]["moved_on"][at] is None, "deals that moved on are listed at their stage of now"
    owned = page(director, "/reports?period=all&owner=manager-user")
    link = html.unescape(re.search(r'<tr data-stage="线索获取">[\s\S]*?<a class="lost" href="([^"]+)"', owned)[1])
    assert parse_qs(urlsplit(link).query) == {"stage": ["线索获取"], "outcome": ["lost"], "owner": ["manager-user"]}
    lost_at = re.search(r'<table class="table small" id="lost-at">[\s\S]*?</table>', owned)[0]
    assert "线索获取" in lost_at and "需求确认" not in lost_at


def test_the_pipeline_board_says_a_stage_holds_won_deals_in_delivery_and_its_chart_links_lost_bars(director):
    text = page(director, "/pipeline")
    column = re.search(r'<section class="column" role="listitem" data-stage="交付实施">[\s\S]*?</section>', text)[0]
    assert "0 进行中 · 1 已赢单在交付" in column and "暂无商机" not in column
    assert "outcome=won" in column
    empty = re.search(r'<section class="column" role="listitem" data-stage="需求确认">[\s\S]*?</section>', text)[0]
    assert "暂无商机" in empty
    chart = json.loads(html.unescape(re.search(r'id="chart-data">(.*?)</script>', text)[1]))["conversion"]
    assert parse_qs(urlsplit(chart["lost_links"][1]).query) == {"stage": ["需求确认"], "outcome": ["lost"]}
    assert "<th>进行中</th>" in text, "the conversion table shows the open ones"


def test_the_report_routes_take_an_owner_and_a_team_and_document_them(team, book):
    sales = team["director"].get("/api/reports/conversion?owner=sales-user").get_json()
    assert sales["stages"][0]["entered"] == 7
    refused = team["director"].get("/api/reports/win-loss?team=nobody")
    assert refused.status_code == 422 and "team" in json.dumps(refused.get_json())
    refused = team["director"].get("/api/reports/win-loss?owner=nobody")
    assert refused.status_code == 422 and "owner" in json.dumps(refused.get_json())
    document = team["director"].get("/api/openapi.json").get_json()
    for path in ("/api/reports/conversion", "/api/reports/stage-durations", "/api/reports/win-loss",
                 "/api/reports/tender-win-rate"):
        names = {p["name"] for p in document["paths"][path]["get"]["parameters"]}
        assert {"from", "to", "owner", "team"} <= names, path


def test_a_team_counts_its_people_and_those_of_its_sub_teams(director, session_factory):
    from accounts.teams import create_team
    with session_factory() as session:
        create_team(session, "华东销售", manager="director-user", members=["legal-user"], actor=None)
        create_team(session, "上海组", members=["manager-user"], parent="华东销售", actor=None)
        session.commit()
    east = page(director, "/reports?period=all&team=" + "华东销售")
    assert conversion_rows(east)["线索获取"] == (1, 0, 1, 0), "manager-user's deal, through the sub-team"
    assert '<option value="华东销售" selected>' in east
    both = page(director, "/reports?period=all&team=华东销售&owner=sales-user")
    assert conversion_rows(both)["线索获取"] == (0, 0, 0, 0), "sales-user is in neither team"
