"""The pages through Flask's test client, on both databases: login, CSRF, language, the inbox,
task forms, upload, instances and error pages. tests/ui/ walks the same pages in a browser."""
from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, PROCESSES
from web.i18n import ACTIONS
from web.errors import TITLES
from web.i18n_zh import ZH

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
WEB = Path(__file__).resolve().parents[2] / "web"


def token(browser, path="/login") -> str:
    """Return a CSRF token from a page the browser has open."""
    return CSRF.search(browser.get(path).get_data(as_text=True))[1]


def login(browser, name, password, **extra):
    return browser.post("/login", data={"name": name, "password": password,
                                        "csrf_token": token(browser), **extra})


def post(browser, path, data=None, page="/", **kwargs):
    """Send a page form the way a browser does: with the page's CSRF token."""
    return browser.post(path, data={"csrf_token": token(browser, page), **(data or {})}, **kwargs)


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def browser(app, users):
    return app.test_client()


@pytest.fixture
def alice(app, users):
    client = app.test_client()
    assert login(client, "alice", "alice-pass-1").status_code == 302
    return client


def deploy(api_client, *paths: Path):
    files = [(io.BytesIO(p.read_bytes()), p.name) for p in paths]
    response = api_client.post("/api/process-definitions", data={"file": files},
                               content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()


def file(path: Path):
    return io.BytesIO(path.read_bytes()), path.name


def start(api_client, key, business_key=None, data=None):
    response = api_client.post("/api/process-instances", json={"process_key": key,
                                                               "business_key": business_key,
                                                               "data": data or {}})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_pages_send_strangers_to_the_login_and_back_after_it(browser):
    for path in ("/", "/processes", "/contracts", "/pipeline", "/instances/1"):
        response = browser.get(path)
        assert response.status_code == 302 and "/login?next=" in response.location
    response = login(browser, "alice", "alice-pass-1", next="/processes")
    assert response.location == "/processes"
    assert browser.get("/processes").status_code == 200


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example"])
def test_the_login_only_leads_back_into_the_site(browser, target):
    assert login(browser, "alice", "alice-pass-1", next=target).location == "/"


def test_the_session_cookie_is_http_only_and_same_site(browser):
    response = login(browser, "alice", "alice-pass-1")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_pages_speak_chinese_by_default_and_english_when_asked(browser):
    page = text(browser.get("/login"))
    assert '<html lang="zh-CN">' in page and "登录 Dealflow" in page
    response = post(browser, "/language", {"locale": "en", "next": "/login"}, page="/login")
    assert response.status_code == 302 and "locale=en" in response.headers["Set-Cookie"]
    page = text(browser.get("/login"))
    assert '<html lang="en">' in page and "Log in to Dealflow" in page
    login(browser, "alice", "alice-pass-1")
    assert "My groups" in text(browser.get("/"))
    post(browser, "/logout")
    assert "Log in to Dealflow" in text(browser.get("/login")), "the choice outlives the session"


def test_a_form_without_its_csrf_token_is_refused(browser, api):
    response = browser.post("/login", data={"name": "alice", "password": "alice-pass-1"})
    assert response.status_code == 303
    assert browser.get("/").status_code == 302, "not logged in"
    assert "安全令牌" in text(browser.get("/login")), "the refusal, in the page's language"
    login(browser, "alice", "alice-pass-1")
    deploy(api["admin"], FIXTURES / "loop.bpmn")
    task_id = start(api["alice"], "loop")["tasks"][0]["id"]
    assert browser.post(f"/tasks/{task_id}/claim").status_code == 303
    assert api["alice"].get(f"/api/tasks/{task_id}").get_json()["assignee"] is None
    assert post(browser, f"/tasks/{task_id}/claim").status_code == 302
    assert api["alice"].get(f"/api/tasks/{task_id}").get_json()["assignee"] == "alice"


def test_wrong_passwords_slow_a_stranger_down_but_lock_nobody_out(app, browser):
    stranger = {"REMOTE_ADDR": "203.0.113.66"}
    for _ in range(5):
        response = browser.post("/login", environ_base=stranger, data={
            "name": "alice", "password": "not-her-password", "csrf_token": token(browser)})
        assert "用户名或密码错误" in text(response)
    assert "秒后再试" in text(response), "the stranger now waits"
    owner = app.test_client()
    assert login(owner, "alice", "alice-pass-1").status_code == 302, "alice, elsewhere, logs in"


def test_logging_out_ends_the_session(alice):
    assert alice.get("/").status_code == 200
    response = post(alice, "/logout")
    assert response.location == "/login"
    assert alice.get("/").status_code == 302


def test_a_password_change_checks_and_ends_other_sessions(app, alice):
    other = app.test_client()
    login(other, "alice", "alice-pass-1")
    form = {"current_password": "wrong", "new_password": "a-new-password",
            "confirm_password": "a-new-password"}
    response = post(alice, "/account/password", form, page="/account/password")
    assert response.status_code == 422 and "当前密码不正确" in text(response)
    response = post(alice, "/account/password", {**form, "confirm_password": "different"},
                    page="/account/password")
    assert response.status_code == 422 and "两次输入的新密码不一致" in text(response)
    response = post(alice, "/account/password", {**form, "current_password": "alice-pass-1"},
                    page="/account/password")
    assert response.status_code == 302
    assert alice.get("/").status_code == 200, "this session goes on"
    assert other.get("/").status_code == 302, "the other one ends"
    assert login(other, "alice", "a-new-password").status_code == 302


def test_the_inbox_counts_filters_and_sorts(api, alice):
    deploy(api["admin"], PROCESSES / "sales_funnel.bpmn", FIXTURES / "gated.bpmn")
    acme = start(api["bob"], "sales_funnel", "ACME-1", {"company": "Acme 中国"})
    start(api["bob"], "sales_funnel", "GLOBEX-2")
    start(api["bob"], "gated")
    page = text(alice.get("/"))
    assert re.search(r'data-tab="mine">\s*我的任务 <span class="count">0', page)
    assert re.search(r'data-tab="groups">\s*我的小组 <span class="count">2', page)
    assert re.search(r'data-tab="unassigned">\s*未分配 <span class="count">3', page)
    assert page.count('<li class="taskcard') == 2, "with nothing of her own, her groups' tasks show"
    post(alice, f"/tasks/{acme['tasks'][0]['id']}/claim")
    page = text(alice.get("/"))
    assert re.search(r'data-tab="mine">\s*我的任务 <span class="count">1', page)
    assert page.count('<li class="taskcard') == 1 and "Acme 中国" in page
    assert text(alice.get("/?tab=all&process=gated")).count('<li class="taskcard') == 1
    assert text(alice.get("/?tab=all&customer=acme")).count('<li class="taskcard') == 1
    assert text(alice.get("/?tab=all&stage=需求确认")).count('<li class="taskcard') == 1
    assert text(alice.get("/?tab=all&due=overdue")).count('<li class="taskcard') == 0
    assert "没有符合筛选条件的任务" in text(alice.get("/?tab=all&priority=high"))
    by_customer = text(alice.get("/?tab=all&sort=customer"))
    assert by_customer.index("Acme 中国") < by_customer.index("GLOBEX-2")


QUOTE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="http://dealflow.example/test">
  <bpmn:process id="quote" name="Quote" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="write_quote" name="Write the quote" camunda:candidateGroups="sales">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="company" label="客户 Company" type="string"><camunda:validation><camunda:constraint name="required"/></camunda:validation></camunda:formField>
        <camunda:formField id="amount" label="金额 Amount" type="long"><camunda:validation><camunda:constraint name="required"/><camunda:constraint name="min" config="1"/><camunda:constraint name="max" config="1000000"/></camunda:validation></camunda:formField>
        <camunda:formField id="source" label="来源 Source" type="enum"><camunda:value id="web" name="网站 Web"/><camunda:value id="event" name="展会 Event"/></camunda:formField>
        <camunda:formField id="valid_until" label="有效期 Valid until" type="date"/>
        <camunda:formField id="approved" label="已审批 Approved" type="boolean"><camunda:validation><camunda:constraint name="required"/></camunda:validation></camunda:formField>
        <camunda:formField id="summary" label="摘要 Summary" type="string"><camunda:validation><camunda:constraint name="minlength" config="10"/></camunda:validation></camunda:formField>
      </camunda:formData></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:userTask id="send_quote" name="Send the quote" camunda:candidateGroups="sales"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="write_quote"/>
    <bpmn:sequenceFlow id="f2" sourceRef="write_quote" targetRef="send_quote"/>
    <bpmn:sequenceFlow id="f3" sourceRef="send_quote" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>"""


def deploy_text(api_client, name: str, xml: str):
    response = api_client.post("/api/process-definitions", data={"file": [(io.BytesIO(xml.encode()), name)]},
                               content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()


def field_html(page: str, name: str) -> str:
    begin = page.index(f'data-field="{name}"')
    end = page.find('data-field="', begin + 1)
    return page[begin:end if end > 0 else None]


def test_a_task_form_is_made_from_its_schema(api, alice):
    deploy_text(api["admin"], "quote.bpmn", QUOTE)
    task_id = start(api["bob"], "quote")["tasks"][0]["id"]
    page = text(alice.get(f"/tasks/{task_id}"))
    assert 'class="req"' in field_html(page, "company") and 'class="req"' not in field_html(page, "source")
    assert 'type="number"' in field_html(page, "amount") and 'min="1"' in field_html(page, "amount")
    assert 'max="1000000"' in field_html(page, "amount")
    assert '<option value="event" >展会</option>' in field_html(page, "source"), "the Chinese half of 展会 Event"
    assert 'type="date"' in field_html(page, "valid_until")
    assert field_html(page, "approved").count('type="radio"') == 2
    assert "<textarea" in field_html(page, "summary") and 'minlength="10"' in field_html(page, "summary")
    assert 'data-bpmn-url="/processes/quote/1/xml"' in page
    assert "&#34;write_quote&#34;" in page, "the open task is highlighted in the diagram"


@pytest.mark.parametrize("form, field, message", [
    ({}, "company", "此项为必填项"),
    ({"company": "  "}, "company", "此项为必填项"),
    ({}, "approved", "此项为必填项"),
    ({"amount": "0"}, "amount", "不能小于 1"),
    ({"amount": "2000000"}, "amount", "不能大于 1000000"),
    ({"amount": "12abc"}, "amount", "请输入整数"),
    ({"source": "fax"}, "source", "请从选项中选择一项"),
    ({"valid_until": "next week"}, "valid_until", "请输入日期"),
    ({"summary": "short"}, "summary", "至少 10 个字符"),
])
def test_a_task_form_shows_the_servers_errors_inline(api, alice, form, field, message):
    deploy_text(api["admin"], "quote.bpmn", QUOTE)
    task_id = start(api["bob"], "quote")["tasks"][0]["id"]
    response = post(alice, f"/tasks/{task_id}/complete", form, page=f"/tasks/{task_id}")
    assert response.status_code == 422
    page = text(response)
    assert field_html(page, field).count(message) == 1
    assert "请修改标出的字段" in page
    assert api["alice"].get(f"/api/tasks/{task_id}").get_json()["status"] == "open"


def test_a_completed_form_moves_on_to_the_next_step(api, alice):
    deploy_text(api["admin"], "quote.bpmn", QUOTE)
    instance = start(api["bob"], "quote")
    form = {"company": "华为", "amount": "12000", "source": "web", "valid_until": "2026-12-31",
            "approved": "true", "summary": "Ten seats and a year of support."}
    response = post(alice, f"/tasks/{instance['tasks'][0]['id']}/complete", form,
                    page=f"/tasks/{instance['tasks'][0]['id']}")
    assert response.status_code == 302 and response.location.startswith("/tasks/"), "on to the next step"
    assert "“Write the quote”已完成" in text(alice.get(response.location))
    data = api["alice"].get(f"/api/process-instances/{instance['id']}").get_json()["data"]
    assert data == {**form, "amount": 12000, "approved": True}


def test_an_unmet_stage_gate_shows_at_the_fields_it_is_about(api, alice):
    deploy(api["admin"], FIXTURES / "gated.bpmn")
    task_id = start(api["bob"], "gated")["tasks"][0]["id"]
    response = post(alice, f"/tasks/{task_id}/complete", {"budget": "0", "timeline": "2026-12-01"},
                    page=f"/tasks/{task_id}")
    assert response.status_code == 422
    page = text(response)
    assert '<span class="field-error" id="e-budget-1">预算已确认</span>' in field_html(page, "budget")
    assert "已找到决策人" in field_html(page, "decision_maker")
    assert "The budget is confirmed" not in page, "the criterion in the interface's language only"
    assert "时间表在一年内" not in page
    assert 'value="0"' in page, "what was typed stays in the form"
    response = post(alice, f"/tasks/{task_id}/complete",
                    {"budget": "10", "decision_maker": "CFO", "timeline": "2026-12-24"},
                    page=f"/tasks/{task_id}")
    assert response.status_code == 302 and response.location.startswith("/instances/")


def test_claim_conflicts_come_back_as_a_message(api, app, alice):
    deploy(api["admin"], FIXTURES / "loop.bpmn")
    task_id = start(api["alice"], "loop")["tasks"][0]["id"]
    bob = app.test_client()
    login(bob, "bob", "bob-pass-12")
    post(bob, f"/tasks/{task_id}/claim")
    response = post(alice, f"/tasks/{task_id}/claim", {"next": "/?tab=all"})
    assert response.status_code == 303 and response.location == "/?tab=all"
    assert "已被 bob 认领" in text(alice.get("/?tab=all"))
    assert api["bob"].get(f"/api/tasks/{task_id}").get_json()["assignee"] == "bob"


def test_designers_upload_and_read_located_problems(app, api, browser):
    login(browser, "dora", "designer-pass")
    broken = b'<?xml version="1.0"?>\n<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">\n<bpmn:process id="p" isExecutable="true"><bpmn:startEvent id="s"/></bpmn:process>\n<oops>'
    response = post(browser, "/processes", {"file": [(io.BytesIO(broken), "broken.bpmn"),
                                                     file(FIXTURES / "loop.bpmn")]},
                    page="/processes", content_type="multipart/form-data")
    assert response.status_code == 422
    page = text(response)
    assert "未保存任何内容" in page and "broken.bpmn" in page and re.search(r"第 \d+ 行", page)
    response = post(browser, "/processes", {"file": [file(PROCESSES / "sales_funnel.bpmn")]},
                    page="/processes", content_type="multipart/form-data")
    assert response.status_code == 200 and "已创建第 1 版" in text(response)
    page = text(browser.get("/processes/sales_funnel"))
    assert "线索获取 → 需求确认" in page and "启动第 1 版" in page
    xml = browser.get("/processes/sales_funnel/1/xml?download=1")
    assert xml.mimetype == "application/xml" and xml.headers["Content-Disposition"].startswith("attachment")
    assert b'<bpmn:process id="sales_funnel"' in xml.data
    assert "sandbox" in xml.headers["Content-Security-Policy"]


def test_members_neither_see_nor_use_the_upload(alice):
    assert "data-dropzone" not in text(alice.get("/processes"))
    response = post(alice, "/processes", {"file": [file(FIXTURES / "loop.bpmn")]},
                    page="/processes", content_type="multipart/form-data")
    assert response.status_code == 303
    assert "processes.deploy" in text(alice.get("/processes"))


def test_starting_from_the_page_opens_the_instance(api, alice):
    deploy(api["admin"], PROCESSES / "sales_funnel.bpmn")
    response = post(alice, "/processes/sales_funnel/start", {"business_key": "DEAL-9"},
                    page="/processes/sales_funnel")
    assert response.status_code == 302 and response.location.startswith("/instances/")
    page = text(alice.get(response.location))
    assert page.count('class="stage stage-') == 7
    assert 'class="stage stage-current" aria-current="step"' in page
    assert "DEAL-9" in page and "确认线索" in page and "Qualify the lead" not in page and "已启动" in page


def test_an_instance_in_error_offers_admins_a_retry(api, app, alice):
    deploy(api["admin"], FIXTURES / "evil_script.bpmn")
    instance = start(api["alice"], "evil_script")
    page = text(alice.get(f"/instances/{instance['id']}"))
    assert "该实例因错误而停止" in page and "escape" in page and "重试</button>" not in page
    admin = app.test_client()
    login(admin, "admin", "admin-pass-1")
    assert "重试</button>" in text(admin.get(f"/instances/{instance['id']}"))
    response = post(admin, f"/instances/{instance['id']}/retry", page=f"/instances/{instance['id']}")
    assert response.status_code == 302
    page = text(admin.get(f"/instances/{instance['id']}"))
    assert "重试后仍然失败" in page and "该实例因错误而停止" in page, "the script fails again"
    assert "已重试" in page, "the retry is in the history"


def test_errors_are_pages_for_people_and_json_for_the_api(alice, api):
    response = alice.get("/tasks/no-such-task")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "未找到" in text(response) and "找不到任务 no-such-task" in text(response)
    assert alice.get("/instances/999999").status_code == 404
    assert alice.get("/processes/nothing/1/xml").status_code == 404
    response = api["alice"].get("/api/tasks/no-such-task")
    assert response.status_code == 404 and response.get_json()["errors"][0]["message"]
    response = alice.get("/tasks/x", headers={"Accept": "application/json"})
    assert response.status_code == 404 and response.get_json()["errors"]


def test_front_end_libraries_come_from_node_modules_and_nothing_else(browser):
    def status(path, needle=b""):
        with browser.get(path) as response:
            assert needle in response.data
            return response.status_code

    assert status("/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js", b"BpmnJS") == 200
    assert status("/vendor/chart.js/chart.umd.min.js", b"Chart") == 200
    for path in ("/vendor/bpmn-js/../package.json", "/vendor/bpmn-js/%2e%2e/package.json",
                 "/vendor/lodash/index.js", "/vendor/bpmn-js/assets/../../package.json"):
        assert status(path) == 404, path


def test_every_string_on_the_pages_has_chinese():
    literal = re.compile(r"""\b_\((["'])((?:(?!\1).)+)\1""")
    used = set()
    for path in [*WEB.glob("templates/*.html"), *WEB.glob("pages/*.py"), WEB / "errors.py"]:
        used |= {m[2] for m in literal.finditer(path.read_text())}
    made_from_data = {*TITLES.values(), *ACTIONS.values(), "Error",
                      *(s.capitalize() for s in ("running", "waiting", "completed", "terminated",
                                                 "error", "open", "cancelled", "rendered", "sealed",
                                                 "signed", "admin", "designer", "member", "company",
                                                 "customer", "completion", "signer"))}
    missing = sorted((used | made_from_data) - ZH.keys())
    assert missing == []
    assert len(used) > 150


def test_the_pipeline_board_shows_open_deals_by_stage(api, alice):
    deploy(api["admin"], PROCESSES / "sales_funnel.bpmn")
    start(api["bob"], "sales_funnel", data={"company": "Acme 中国", "deal_name": "Acme CRM", "amount": 250000})
    page = text(alice.get("/pipeline"))
    stages = re.findall(r'<section class="column" role="listitem" data-stage="([^"]*)"', page)
    assert stages[:7] == ["线索获取", "需求确认", "方案制定", "商务谈判", "合同签署", "交付实施", "售后服务"]
    first = page[page.index('data-stage="线索获取"'):page.index('data-stage="需求确认"')]
    assert "Acme CRM" in first and "¥250,000" in first
    assert '<script type="application/json" id="chart-data">' in page and "chart.umd.min.js" in page
    assert "阶段转化" in page and "销售预测" in page


def test_the_contract_archive_pages_answer_without_contracts(alice):
    page = text(alice.get("/contracts?q=nobody&status=completed"))
    assert "没有符合条件的合同" in page
    assert "验证 PDF" in text(alice.get("/contracts/verify"))
    response = post(alice, "/contracts/verify", {"file": (io.BytesIO(b"not a pdf"), "note.pdf")},
                    page="/contracts/verify", content_type="multipart/form-data")
    assert response.status_code == 303
    assert "note.pdf 不是 PDF 文件" in text(alice.get("/contracts/verify"))
    assert alice.get("/contracts/999999").status_code == 404
