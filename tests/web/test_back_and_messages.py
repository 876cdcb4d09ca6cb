"""Where a form leads back to, and the server's messages in the person's language.

A redirect after a POST never targets a URL that takes only a POST (the page a
refused form rendered), an off-site one, an API one or a page the person may not
see: it falls back to the page of the form's object. The language switch on a
page rendered by a refused form lands on that object's page, in the other
language. Domain messages are English f-strings; pages show them in Chinese by
template (web/messages.py).
"""
from __future__ import annotations

import io
import re

import pytest
from flask import Flask

from tests.conftest import FIXTURES
from tests.web.test_pages import deploy, login, post, start, text
from web.i18n_zh import ZH
from web.messages import TEMPLATES, problem_text, server_message

PLACEHOLDER = re.compile(r"\{(\w+)\}")


@pytest.fixture
def alice(app, users):
    client = app.test_client()
    assert login(client, "alice", "alice-pass-1").status_code == 302
    return client


@pytest.fixture
def gated_task(api):
    deploy(api["admin"], FIXTURES / "gated.bpmn")
    return start(api["alice"], "gated")["tasks"][0]["id"]


def test_a_form_sent_from_a_refused_forms_page_leads_to_its_objects_page(alice, gated_task):
    refused = post(alice, f"/tasks/{gated_task}/complete", page=f"/tasks/{gated_task}")
    assert refused.status_code == 422  # rendered at /tasks/<id>/complete, which takes only a POST
    response = post(alice, f"/tasks/{gated_task}/claim", page=f"/tasks/{gated_task}",
                    headers={"Referer": f"http://localhost/tasks/{gated_task}/complete"})
    assert response.status_code == 302 and response.location == f"/tasks/{gated_task}"
    assert alice.get(response.location).status_code == 200


@pytest.mark.parametrize("referrer", [
    "http://localhost/api/tasks",  # a GET, but JSON, not a page
    "http://evil.example/tasks",  # off the site
    "http://localhost/audit",  # a page alice may not see
    "http://localhost/no/such/page",
])
def test_a_referrer_that_shows_no_page_leads_to_the_forms_object(alice, gated_task, referrer):
    assert alice.get("/audit").status_code == 403
    response = post(alice, f"/tasks/{gated_task}/claim", page=f"/tasks/{gated_task}",
                    headers={"Referer": referrer})
    assert response.location == f"/tasks/{gated_task}"


def test_a_next_field_and_a_referrer_that_show_a_page_are_kept(alice, gated_task):
    response = post(alice, f"/tasks/{gated_task}/claim", {"next": "/?tab=all"},
                    headers={"Referer": "http://localhost/pipeline"})
    assert response.location == "/?tab=all"
    response = post(alice, f"/tasks/{gated_task}/unclaim", headers={"Referer": "http://localhost/pipeline"})
    assert response.location == "/pipeline"


def test_a_refused_claim_comes_back_to_the_page_it_was_sent_from(app, alice, gated_task):
    bob = app.test_client()
    login(bob, "bob", "bob-pass-12")
    post(bob, f"/tasks/{gated_task}/claim")
    post(alice, f"/tasks/{gated_task}/complete", page=f"/tasks/{gated_task}")
    response = post(alice, f"/tasks/{gated_task}/claim", page=f"/tasks/{gated_task}",
                    headers={"Referer": f"http://localhost/tasks/{gated_task}/complete"})
    assert response.status_code == 303 and response.location == f"/tasks/{gated_task}"
    page = alice.get(response.location)
    assert page.status_code == 200 and "已被 bob 认领" in text(page)


def test_switching_language_on_a_refused_forms_page_shows_that_page_again(alice, gated_task):
    refused = post(alice, f"/tasks/{gated_task}/complete", page=f"/tasks/{gated_task}")
    switch = re.search(r'<form method="post" action="/language"[\s\S]*?</form>', text(refused))[0]
    assert f'name="next" value="/tasks/{gated_task}"' in switch
    response = post(alice, "/language", {"locale": "en", "next": f"/tasks/{gated_task}"})
    assert response.status_code == 302 and response.location == f"/tasks/{gated_task}"
    page = alice.get(response.location)
    assert page.status_code == 200 and '<html lang="en">' in text(page) and "Confirm needs" in text(page)
    # A page rendered before the switch carried its `next`: the referrer alone leads there too.
    response = alice.post("/language", data={"locale": "zh", "csrf_token": _token(alice)},
                          headers={"Referer": f"http://localhost/tasks/{gated_task}/complete"})
    assert response.location == f"/tasks/{gated_task}"


def test_a_forms_url_opened_as_a_page_shows_the_page_of_its_object(alice, gated_task):
    response = alice.get(f"/tasks/{gated_task}/complete")
    assert response.status_code == 303 and response.location == f"/tasks/{gated_task}"
    assert alice.get(f"/tasks/{gated_task}/complete", headers={"Accept": "application/json"}).status_code == 405


@pytest.mark.parametrize("locale, words", [("en", ["Not found", "no task nothing-here", "Back to the inbox"]),
                                           ("zh", ["未找到", "找不到任务 nothing-here。", "返回待办任务"])])
def test_the_not_found_page_speaks_one_language(alice, locale, words):
    post(alice, "/language", {"locale": locale})
    page = text(alice.get("/tasks/nothing-here"))
    main = page[page.index("<main"):page.index("</main>")]
    for word in words:
        assert word in main
    shown = re.sub(r"<[^>]+>", " ", main)
    if locale == "en":
        assert not re.search(r"[\u4e00-\u9fff]", shown)
    else:
        assert set(re.findall(r"[A-Za-z][A-Za-z-]*", shown)) == {"nothing-here"}, "only the code asked for"
    assert '<p class="error-code" aria-hidden="true">404</p>' in main
    missing = text(alice.get("/no/such/page"))
    assert ("此地址没有页面" if locale == "zh" else "The requested URL was not found") in missing


def _token(client) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', text(client.get("/")))[1]


@pytest.fixture
def in_chinese():
    app = Flask(__name__)
    app.secret_key = "test"
    with app.test_request_context(headers={"Cookie": "locale=zh"}):
        yield


@pytest.mark.parametrize("message, chinese", [
    ("you need the permission 'contracts.seal' (draft and seal contracts)", "您没有执行此操作所需的权限（'contracts.seal'）。"),
    ("no task 3f2a", "找不到任务 3f2a。"),
    ("no process instance 12", "找不到流程实例 12。"),
    ("Missing data for required field.", "必填。"),
    ("Not a valid integer.", "不是有效的整数。"),
    ("task 3f2a is already completed", "任务 3f2a 已是“已完成”状态。"),
    ("task 3f2a is already claimed by bob", "任务 3f2a 已被 bob 认领。"),
    ("the task cannot be completed yet", "任务还不能完成。"),
    ("process instance 7 has already ended", "流程实例 7 已经结束。"),
    ("not well-formed XML: mismatched tag", "XML 格式不正确：mismatched tag"),
    ("contract HT-2026-0001 is rendered; only a sealed contract can be signed by the customer",
     "合同 HT-2026-0001 当前为“已生成”，只有“已盖章”的合同才能进行此操作。"),
])
def test_server_messages_are_read_back_in_chinese_by_template(in_chinese, message, chinese):
    assert server_message(message) == chinese


def test_a_message_without_a_template_is_shown_as_it_came(in_chinese):
    assert server_message("a message nobody has translated yet") == "a message nobody has translated yet"
    assert problem_text({"message": "Not a valid email address.", "field": "email"}) == "email: 不是有效的电子邮件地址。"


def test_english_keeps_the_servers_wording():
    app = Flask(__name__)
    app.secret_key = "test"
    with app.test_request_context(headers={"Cookie": "locale=en"}):
        assert server_message("no task 3f2a") == "no task 3f2a"


def test_every_message_template_has_chinese_with_no_placeholder_of_its_own():
    for template in TEMPLATES:
        assert template in ZH, template
        assert set(PLACEHOLDER.findall(ZH[template])) <= set(PLACEHOLDER.findall(template)), template


def test_a_refused_form_without_a_referrer_comes_back_to_its_own_page(alice):
    response = post(alice, "/contracts/verify", {"file": (io.BytesIO(b"not a pdf"), "note.pdf")},
                    content_type="multipart/form-data")
    assert response.status_code == 303 and response.location == "/contracts/verify"
    assert "note.pdf 不是 PDF 文件" in text(alice.get(response.location))
