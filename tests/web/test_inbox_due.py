"""The inbox shows when each task is due, in the display time zone (Asia/Shanghai by default),
and marks the overdue ones in words, in Chinese and in English."""
from __future__ import annotations

import re

import pytest

from tests.web.test_pages import deploy_text, login, post, start, text

DUE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="http://dealflow.example/test">
  <bpmn:process id="follow_up" name="Follow up" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="call_back" name="Call the customer back" camunda:candidateGroups="sales" camunda:dueDate="${due}" camunda:priority="${priority}"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="call_back"/>
    <bpmn:sequenceFlow id="f2" sourceRef="call_back" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>"""


@pytest.fixture
def seller(app, users):
    client = app.test_client()
    assert login(client, "alice", "alice-pass-1").status_code == 302
    return client


def card(page: str, customer: str) -> str:
    """Return the inbox card of the task for `customer`."""
    [found] = [c for c in page.split('<li class="taskcard')[1:] if customer in c]
    return found


def test_the_inbox_marks_overdue_tasks_and_shows_due_times_in_shanghai_time(api, seller):
    deploy_text(api["admin"], "follow_up.bpmn", DUE)
    start(api["bob"], "follow_up", "LATE-1", {"customer": "迟到公司", "due": "2026-01-05T02:30:00Z",
                                             "priority": 80})
    start(api["bob"], "follow_up", "LATER-2", {"customer": "未来公司", "due": "2099-03-01T16:00:00Z",
                                              "priority": 50})
    page = text(seller.get("/?tab=all"))
    late, later = card(page, "迟到公司"), card(page, "未来公司")
    assert late.startswith(' is-overdue"') and not later.startswith(' is-overdue"')
    assert re.search(r'class="badge badge-overdue" data-overdue-days="\d+">已逾期 \d+ 天</span>', late)
    assert ('原定截止 <time datetime="2026-01-05T02:30:00+00:00" data-zone="Asia/Shanghai">'
            "2026-01-05 10:30 UTC+8</time>") in late
    assert "高优先级 80" in late
    assert "badge-overdue" not in later and "逾期" not in later
    assert "截止 <time" in later and "2099-03-02 00:00 UTC+8" in later, "16:00 UTC is midnight in Shanghai"
    assert page.index("迟到公司") < page.index("未来公司"), "the overdue task comes first"
    assert text(seller.get("/?tab=all&due=overdue")).count('<li class="taskcard') == 1

    post(seller, "/language", {"locale": "en", "next": "/"})
    english = card(text(seller.get("/?tab=all")), "迟到公司")
    assert re.search(r">Overdue by \d+ days</span>", english) and "Was due" in english
    assert "逾期" not in english


def test_the_display_time_zone_is_a_setting(app, api, seller):
    app.config["TIME_ZONE"] = "Europe/Berlin"
    deploy_text(api["admin"], "follow_up.bpmn", DUE)
    start(api["bob"], "follow_up", "LATE-1", {"customer": "迟到公司", "due": "2026-01-05T02:30:00Z",
                                             "priority": 50})
    assert "2026-01-05 03:30 UTC+1</time>" in text(seller.get("/?tab=all"))
