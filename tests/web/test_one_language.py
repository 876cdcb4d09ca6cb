"""One language at a time, through Flask's test client on both databases: an English page shows no
Chinese of ours (the data people typed excepted), a Chinese page no English task titles or labels;
history and data read in words (durations, outcomes, reasons), times in the display zone.
tests/ui/test_one_language.py walks the same pages in a browser."""
from __future__ import annotations

import html
import re
from datetime import datetime, timedelta

import pytest

from tests.conftest import PROCESSES
from tests.processes.funnel import GOOD_DATA
from tests.web.test_pages import deploy, login, post, text
from web.i18n import format_duration, in_language

CJK = re.compile(r"[\u4e00-\u9fff]")
# The English halves of the funnel's texts a Chinese page must not show.
ENGLISH_OF_OURS = ["Qualify the lead", "Confirm needs", "Design the solution", "Negotiate terms",
                   "Sales funnel", "Discount (%)", "Agreed amount (CNY)", "Payment terms", "Move on",
                   "Reason lost", "Lead acquisition", "Negotiation"]


def open_tasks(api, instance_id) -> dict[str, dict]:
    body = api["admin"].get(f"/api/process-instances/{instance_id}").get_json()
    return {t["name"]: t for t in body["tasks"] if t["status"] == "open"}


def complete(api, instance_id, name, data):
    task = open_tasks(api, instance_id)[name]
    response = api["admin"].post(f"/api/tasks/{task['id']}/complete", json={"data": data})
    assert response.status_code == 200, response.get_json()


def new_deal(api, name="华为 CRM 200 席") -> int:
    company = api["admin"].post("/api/companies", json={"name": "华为"}).get_json()
    made = api["admin"].post("/api/opportunities", json={"company_id": company["id"], "name": name,
                                                         "amount": 500000, "owner": "alice"})
    assert made.status_code == 201, made.get_json()
    return made.get_json()["instance_id"]


@pytest.fixture
def deal(api):
    """A deal for 华为 owned by alice, worked up to the negotiation."""
    deploy(api["admin"], PROCESSES / "sales_funnel.bpmn")
    instance_id = new_deal(api)
    for name in ("qualify_lead", "confirm_needs", "design_solution"):
        complete(api, instance_id, name, GOOD_DATA[name])
    return instance_id


@pytest.fixture
def alice(app, users):
    client = app.test_client()
    assert login(client, "alice", "alice-pass-1").status_code == 302
    return client


def in_english(client):
    assert post(client, "/language", {"locale": "en", "next": "/"}).status_code == 302


def typed(api, instance_id) -> list[str]:
    """Return what people typed into the deal: its data's texts, longest first."""
    data = api["admin"].get(f"/api/process-instances/{instance_id}").get_json()["data"]
    return sorted({str(v) for v in data.values() if isinstance(v, str)} | {"华为"}, key=len, reverse=True)


def visible(page: str, user_data: list[str]) -> str:
    """Return the page's text a person reads, less the language switch and what people typed."""
    page = re.sub(r"<script[\s\S]*?</script>|<style[\s\S]*?</style>", " ", page)
    page = re.sub(r'<form method="post" action="/language"[\s\S]*?</form>', " ", page)
    words = html.unescape(re.sub(r"<[^>]+>", " ", page))
    for value in user_data:
        words = words.replace(value, " ")
    return words


def no_chinese(page: str, user_data: list[str]) -> list[str]:
    words = visible(page, user_data)
    return [words[max(m.start() - 20, 0):m.end() + 20] for m in CJK.finditer(words)]


def test_the_english_inbox_task_and_instance_pages_hold_no_chinese_of_ours(api, alice, deal):
    in_english(alice)
    task = open_tasks(api, deal)["negotiate"]
    user_data = typed(api, deal)
    inbox = text(alice.get("/"))
    page = text(alice.get(f"/tasks/{task['id']}"))
    instance = text(alice.get(f"/instances/{deal}"))
    for shown in (inbox, page, instance):
        assert '<html lang="en">' in shown
        assert no_chinese(shown, user_data) == []
    assert "Negotiate terms" in inbox and "Negotiation" in inbox
    assert ">Discount (%)" in page and ">Agreed amount (CNY)" in page and ">Move on</option>" in page
    assert "Negotiate terms" in instance and "Qualify the lead" in instance, "the history names its tasks"


def test_the_chinese_pages_show_no_english_task_titles_or_labels(api, alice, deal):
    task = open_tasks(api, deal)["negotiate"]
    for path in ("/", f"/tasks/{task['id']}", f"/instances/{deal}"):
        page = visible(text(alice.get(path)), [])
        assert [words for words in ENGLISH_OF_OURS if words in page] == [], path
    page = text(alice.get(f"/tasks/{task['id']}"))
    assert "<h1>商务条款谈判</h1>" in page and ">折扣</label>" in page.replace(" ", "")
    assert re.search(r'<option value="continue" [^>]*>继续推进</option>', page)


def test_history_and_data_read_in_words_not_keys(api, alice, deal):
    page = text(alice.get(f"/instances/{deal}"))
    assert re.search(r"<dt>停滞提醒</dt><dd[^>]*>14 天</dd>", page), "stale_after P14D"
    assert re.search(r"<dt>升级提醒</dt><dd[^>]*>7 天</dd>", page)
    assert re.search(r"<dt>线索来源</dt><dd[^>]*>转介绍</dd>", page), "an option's words, not referral"
    assert "instance.variables_set" not in page and ">stale_after<" not in page and ">P14D<" not in page
    in_english(alice)
    page = text(alice.get(f"/instances/{deal}"))
    assert re.search(r"<dt>Stale reminder after</dt><dd[^>]*>14 days</dd>", page)
    assert re.search(r"<dt>Lead source</dt><dd[^>]*>Referral</dd>", page)
    assert re.search(r'<span data-key="source"><b>Lead source</b> Referral</span>', page), "in the history"


def test_a_lost_deal_shows_its_outcome_and_reason_in_words(api, alice):
    deploy(api["admin"], PROCESSES / "sales_funnel.bpmn")
    instance_id = new_deal(api)
    complete(api, instance_id, "qualify_lead", GOOD_DATA["qualify_lead"])
    complete(api, instance_id, "confirm_needs", {"outcome": "lost", "lost_reason": "no_budget",
                                                 "lost_note": "预算冻结"})
    page = text(alice.get(f"/instances/{instance_id}"))
    assert re.search(r'<dt>结果</dt><dd data-key="outcome">丢单</dd>', page)
    assert re.search(r'<dt>丢单原因</dt><dd data-key="lost_reason">没有预算</dd>', page)
    assert re.search(r'<span data-key="lost_reason"><b>丢单原因</b> 没有预算</span>', page)
    shown = visible(page, [])
    assert "no_budget" not in shown and "lost_reason" not in shown and " lost " not in shown
    in_english(alice)
    page = text(alice.get(f"/instances/{instance_id}"))
    assert re.search(r'<dt>Outcome</dt><dd data-key="outcome">Lost</dd>', page)
    assert re.search(r'<dt>Reason lost</dt><dd data-key="lost_reason">No budget</dd>', page)


def test_times_are_shown_in_the_display_zone_not_in_utc(api, alice, deal):
    task = open_tasks(api, deal)["negotiate"]
    for path in ("/", f"/tasks/{task['id']}", f"/instances/{deal}"):
        page = text(alice.get(path))
        assert "UTC</time>" not in page and not re.search(r"\d\d:\d\d UTC\b(?!\+)", visible(page, [])), path
    page = text(alice.get(f"/instances/{deal}"))
    shown = re.findall(r'<time datetime="([^"]+)" data-zone="Asia/Shanghai">(\d{4}-\d\d-\d\d \d\d:\d\d) UTC\+8'
                       r'</time>', page)
    assert shown, "the instance's start, history and timers in Shanghai time"
    for stamp, local in shown:
        moment = datetime.fromisoformat(stamp)
        assert (moment + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M") == local, "stored UTC, shown +08:00"


@pytest.mark.parametrize(("duration", "zh", "en"), [
    ("P14D", "14 天", "14 days"), ("PT2H", "2 小时", "2 hours"), ("P1D", "1 天", "1 day"),
    ("P1DT12H", "1 天 12 小时", "1 day, 12 hours"), ("PT30M", "30 分钟", "30 minutes"),
    ("P2W", "2 周", "2 weeks"),
])
def test_iso_durations_read_in_words(app, duration, zh, en):
    with app.test_request_context("/"):
        assert format_duration(duration) == zh
    with app.test_request_context("/", headers={"Cookie": "locale=en"}):
        assert format_duration(duration) == en


@pytest.mark.parametrize("value", ["P", "PT", "14D", "P14", "soon", "P1DT"])
def test_what_is_no_duration_stays_as_it_is(app, value):
    with app.test_request_context("/"):
        assert format_duration(value) is None


def test_a_model_text_shows_the_half_of_the_pages_language(app):
    with app.test_request_context("/"):
        assert in_language("线索获取 Lead acquisition") == "线索获取"
        assert in_language("已填写折扣（无折扣填 0） The discount is stated (0 for none)") == "已填写折扣（无折扣填 0）"
        assert in_language("Only English") == "Only English" and in_language("只有中文") == "只有中文"
    with app.test_request_context("/", headers={"Cookie": "locale=en"}):
        assert in_language("线索获取 Lead acquisition") == "Lead acquisition"
        assert in_language("已填写折扣（无折扣填 0） The discount is stated (0 for none)") == (
            "The discount is stated (0 for none)")
