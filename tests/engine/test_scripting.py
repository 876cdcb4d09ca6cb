"""The restricted script engine, driven through real SpiffWorkflow workflows."""
from __future__ import annotations

import sys
import time

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser
from SpiffWorkflow.util.task import TaskState

from engine.scripting import RestrictedEnvironment, make_script_engine

NS = ('xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
      'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
      'targetNamespace="http://dealflow.test"')

SCRIPT_PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions {ns}>
  <bpmn:process id="proc" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="script" name="Script" scriptFormat="python">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>{script}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:userTask id="review" name="Review"><bpmn:incoming>f2</bpmn:incoming>
      <bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="script"/>
    <bpmn:sequenceFlow id="f2" sourceRef="script" targetRef="review"/>
    <bpmn:sequenceFlow id="f3" sourceRef="review" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>"""

GATEWAY_PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions {ns}>
  <bpmn:process id="proc" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:exclusiveGateway id="big_deal" name="Big deal?" default="small">
      <bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>big</bpmn:outgoing><bpmn:outgoing>small</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:userTask id="approve" name="Approve"><bpmn:incoming>big</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:userTask id="send" name="Send"><bpmn:incoming>small</bpmn:incoming>
      <bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming>
      <bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="big_deal"/>
    <bpmn:sequenceFlow id="big" sourceRef="big_deal" targetRef="approve">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}
      </bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="small" sourceRef="big_deal" targetRef="send"/>
    <bpmn:sequenceFlow id="f2" sourceRef="approve" targetRef="end"/>
    <bpmn:sequenceFlow id="f3" sourceRef="send" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>"""


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _workflow(template: str, data: dict | None = None, time_limit: float = 1.0,
              **fields: str) -> BpmnWorkflow:
    parser = BpmnParser()
    escaped = {name: _xml_escape(value) for name, value in fields.items()}
    parser.add_bpmn_str(template.format(ns=NS, **escaped).encode())
    workflow = BpmnWorkflow(parser.get_spec("proc"),
                            script_engine=make_script_engine(time_limit=time_limit))
    workflow.task_tree.data.update(data or {})
    return workflow


def run_script(script: str, data: dict | None = None, time_limit: float = 1.0) -> dict:
    """Run `script` in a script task and return the data the next user task sees."""
    workflow = _workflow(SCRIPT_PROCESS, data, time_limit, script=script)
    workflow.do_engine_steps()
    return workflow.get_next_task(state=TaskState.READY, manual=True).data


def failing_script(script: str, data: dict | None = None,
                   time_limit: float = 1.0) -> tuple[WorkflowTaskException, dict]:
    """Run `script`, expecting it to fail; return the error and the script task's data."""
    workflow = _workflow(SCRIPT_PROCESS, data, time_limit, script=script)
    with pytest.raises(WorkflowTaskException) as caught:
        workflow.do_engine_steps()
    return caught.value, workflow.get_next_task(spec_name="script").data


@pytest.mark.parametrize("script, expected", [
    ("total = amount * 3 + 1", {"total": 301}),
    ("share = round(amount / 3, 2)", {"share": 33.33}),
    ("deal = {'name': 'ACME', 'lines': []}\n"
     "deal['lines'].append({'sku': 'A1', 'qty': 2})\n"
     "deal['total'] = sum(line['qty'] for line in deal['lines']) * amount",
     {"deal": {"name": "ACME", "lines": [{"sku": "A1", "qty": 2}], "total": 200}}),
    ("names = sorted(['b', 'c', 'a'])\nfirst, *rest = names", {"names": ["a", "b", "c"],
                                                               "first": "a", "rest": ["b", "c"]}),
    ("due = (datetime(2024, 1, 31) + timedelta(days=30)).date().isoformat()",
     {"due": "2024-03-01"}),
    ("n = 0\nfor i in range(1000):\n    n += i\nwhile n > 10:\n    n //= 10", {"n": 4, "i": 999}),
    ("label = f'{amount:,.2f} EUR' + ' / %05.1f' % 3.14159", {"label": "100.00 EUR / 003.1"}),
    ("big = 2 ** 100 > 10 ** 30\nrow = [0] * 3\ntext = 'ab' * 2",
     {"big": True, "row": [0, 0, 0], "text": "abab"}),
])
def test_script_sets_the_data_the_user_sees(script, expected):
    data = run_script(script, {"amount": 100})
    assert data == {"amount": 100, **expected}


def test_script_updates_dicts_and_lists_from_the_data():
    data = run_script("deal['stage'] = 'won'\ndeal['amount'] += 50\ncontacts.append('bo')",
                      {"deal": {"stage": "open", "amount": 100}, "contacts": ["al"]})
    assert data == {"deal": {"stage": "won", "amount": 150}, "contacts": ["al", "bo"]}


def test_functions_defined_in_a_script_are_not_left_in_the_data():
    data = run_script("def double(n):\n    return n * 2\nsquare = lambda n: n * n\n"
                      "squares = (square(n) for n in range(3))\nresult = double(4) + square(3)")
    assert data == {"result": 17}


def test_print_does_not_leak_into_the_data():
    assert run_script("print('checking', 1)\nchecked = True") == {"checked": True}


@pytest.mark.parametrize("amount, route", [(5000, "approve"), (1000, "send"), (10, "send")])
def test_gateway_condition_routes_the_token(amount, route):
    workflow = _workflow(GATEWAY_PROCESS, {"amount": amount}, condition="amount > 1000")
    workflow.do_engine_steps()
    ready = workflow.get_tasks(state=TaskState.READY, manual=True)
    assert [task.task_spec.name for task in ready] == [route]


@pytest.mark.parametrize("script, words", [
    ("__import__('os')", "line 1: imports are not allowed"),
    ("x = 1\nimport os", "line 2: imports are not allowed"),
    ("from os import path", "line 1: imports are not allowed"),
    ("x = ().__class__.__mro__", 'line 1: "__mro__" is an invalid attribute name'),
    ("x = 1\ny = open('/etc/passwd').read()", "line 2: 'open' is not available in scripts"),
    ("x = eval('1')", "line 1: Eval calls are not allowed"),
    ("x = 1\ny = getattr(x, '__class__')", "line 2: 'getattr' is not available in scripts"),
    ("x = type(1)", "line 1: 'type' is not available in scripts"),
    ("x = int.mro()", 'line 1: AttributeError: "mro" is not available in scripts'),
    ("x = '{}'.format(1)", "line 1: NotImplementedError: Using the format*() methods"),
    ("class Deal:\n    pass", "line 1: class definitions are not allowed"),
    ("raise SystemExit()", "line 1: 'SystemExit' is not available in scripts"),
    ("x = 1\ny = = 2", "line 2: syntax error: invalid syntax"),
    ("d = date(2024, 1, 1)\nd.year = 2000", "line 2: TypeError: attribute-less object"),
    ("s = 'abc'\ns[0] += 'x'", "line 2: TypeError: object does not support item"),
    ("x = 1\ny = amout * 2", "line 2: NameError: name 'amout' is not defined"),
])
def test_forbidden_script_raises_a_readable_error_and_leaves_the_data(script, words):
    error, data = failing_script(script, {"amount": 7})
    assert f"Script error on {words}" in str(error)
    assert data == {"amount": 7}


def test_forbidden_condition_raises_a_readable_error():
    workflow = _workflow(GATEWAY_PROCESS, {"amount": 1}, condition="__import__('os') or True")
    with pytest.raises(WorkflowTaskException) as caught:
        workflow.do_engine_steps()
    assert "Error in expression '__import__('os') or True': imports are not allowed" \
        in str(caught.value)


@pytest.mark.parametrize("script, words", [
    ("x = 10 ** 10 ** 10", "number too large"),
    ("x = pow(10, 10 ** 10)", "number too large"),
    ("x = 1 << 10 ** 10", "number too large"),
    ("x = 2\nx **= 10 ** 10", "number too large"),
    ("x = 3 ** 10000\nfor i in range(10):\n    x = x * x", "number too large"),
    ("x = 'a' * 10 ** 10", "result would be too large"),
    ("x = 10 ** 10 * [0]", "result would be too large"),
    ("x = 'a' * 10 ** 6\nx = x + x", "result would be too large"),
    ("x = [0] * 10 ** 6\nx += x", "result would be too large"),
    ("x = {'s': 'a' * 10 ** 6}\nx['s'] += x['s']", "result would be too large"),
    ("x = list(range(10 ** 12))", "range() is too large"),
    ("x = sum(range(10 ** 12))", "range() is too large"),
    ("x = sum([[0] * 10] * 10, [])", "sum() adds numbers and timedeltas only"),
    ("x = f'{1:>{10 ** 9}}'", "format width 1000000000 is too large"),
    ("x = '%1000000000d' % 1", "format width 1000000000 is too large"),
    ("x = '%*d' % (10 ** 9, 1)", "'*' widths in %-formatting are not allowed"),
])
def test_resource_bombs_are_refused_quickly(script, words):
    started = time.monotonic()
    error, data = failing_script(script)
    assert words in str(error)
    assert time.monotonic() - started < 0.5
    assert data == {}


LIMIT = 0.3


@pytest.mark.parametrize("script", [
    "while True: pass",
    "x = 0\nwhile True:\n    x += 1",
    "for a in range(10 ** 6):\n    for b in range(10 ** 6):\n        pass",
    "x = sum(1 for a in range(10 ** 6) for b in range(10 ** 6))",
    "def f(n):\n    return f(n - 1) + f(n - 1) if n else 1\nx = f(100)",
    "f = lambda n: f(n - 1) + f(n - 1) if n else 1\nx = f(100)",
    "while True:\n    try:\n        while True: pass\n    except Exception:\n        pass",
    "try:\n    while True: pass\nexcept Exception:\n    caught = True",
])
def test_endless_script_is_stopped_near_the_time_limit(script):
    started = time.monotonic()
    error, data = failing_script(script, time_limit=LIMIT)
    elapsed = time.monotonic() - started
    assert f"stopped after running longer than the {LIMIT:g} s time limit" in str(error)
    assert LIMIT <= elapsed < 2 * LIMIT + 0.5  # slack for slow CI machines
    assert data == {}


def test_endless_condition_is_stopped_near_the_time_limit():
    workflow = _workflow(GATEWAY_PROCESS, {}, time_limit=LIMIT,
                         condition="any(a < 0 for a in range(10 ** 6) for b in range(10 ** 6))")
    started = time.monotonic()
    with pytest.raises(WorkflowTaskException) as caught:
        workflow.do_engine_steps()
    assert "time limit" in str(caught.value)
    assert time.monotonic() - started < 2 * LIMIT + 0.5


def test_an_installed_tracer_stays_installed_and_does_not_stop_the_limit():
    calls = []

    def tracer(frame, event, arg):
        calls.append(event)

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        assert run_script("x = 1")["x"] == 1
        error, _ = failing_script("while True: pass", time_limit=LIMIT)
        assert sys.gettrace() is tracer
    finally:
        sys.settrace(previous)
    assert "time limit" in str(error)
    assert calls


def test_today_and_now_work_though_their_c_code_imports_time():
    environment = RestrictedEnvironment()
    assert environment.evaluate("date.today() <= date.today() + timedelta(days=1)", {}) is True
    assert environment.evaluate("datetime.now(timezone.utc).year >= 2026", {}) is True


@pytest.mark.parametrize("script, expected", [
    ("pair = (1, 2)\nrows = [(n, n * n) for n in range(3)]",
     {"pair": [1, 2], "rows": [[0, 0], [1, 1], [2, 4]]}),
    ("lines = [{'sku': f'A{i}', 'qty': i} for i in range(2000)]\n"
     "text = ', '.join(line['sku'] for line in lines)\n"
     "n = len(text.replace('A', 'AB').split(', '))\n"
     "label = 'total'.ljust(12, '.') + str(sum(line['qty'] for line in lines)).rjust(10)\n"
     "del lines, text",
     {"n": 2000, "label": "total.......   1999000"}),
    ("seen = set()\nfor w in ['a', 'b', 'a']:\n    seen.add(w)\nwords = sorted(seen)\ndel seen",
     {"w": "a", "words": ["a", "b"]}),
    ("kinds = [isinstance(v, (list, dict)) for v in [[1], {}, 'x', (1,)]]\n"
     "texts = isinstance('x', str) and issubclass(bool, int)\n"
     "keys = sorted(dict.fromkeys(['b', 'a', 'b']))\n"
     "apart = {'a': 1}.keys().isdisjoint(['b'])",
     {"kinds": [True, True, False, False], "texts": True, "keys": ["a", "b"], "apart": True}),
])
def test_ordinary_scripts_stay_within_the_budget(script, expected):
    assert run_script(script) == expected


@pytest.mark.parametrize("script, words", [
    ("x = [[0] * 1000000] * 1000000", "built more than 32 MB of values"),
    ("x = 'a'.ljust(10 ** 9)", "result would be too large (1,000,000,000 items)"),
    ("x = 'ab'.replace('', 'c' * 999999)", "result would be too large"),
    ("x = []\nwhile True:\n    x.append([0] * 999999)", "built more than 32 MB of values"),
    ("x = []\nfor i in range(10 ** 5):\n    x = [x]", "values nested more than 100 levels deep"),
    ("a = [0] * 1000\nx = [a] * 1000\ny = str([x] * 10)", "built more than 32 MB of values"),
    ("x = {(1, 2): 'pair'}", "variable x cannot be kept in the task data: key (1, 2) is not a"),
    ("x = {'ok': 1, 'rows': [[]]}\nfor i in range(70):\n    x['rows'] = [x['rows']]",
     "variable x.rows"),
])
def test_a_script_that_builds_too_much_fails_at_once_and_leaves_the_data(script, words):
    error, data = failing_script(script, {"amount": 7})
    assert words in str(error)
    assert data == {"amount": 7}


def test_data_a_failed_script_changed_in_place_is_dropped_when_it_cannot_be_stored():
    error, data = failing_script("contacts.append([0] * 200000)",
                                 {"amount": 7, "contacts": ["al"]})
    assert "variable contacts cannot be kept in the task data" in str(error)
    assert data == {"amount": 7}


def test_a_condition_that_would_print_a_huge_value_is_refused():
    workflow = _workflow(GATEWAY_PROCESS, {"amount": 1},
                         condition="len(str([[0] * 10 ** 6] * 10 ** 6)) > 0")
    with pytest.raises(WorkflowTaskException) as caught:
        workflow.do_engine_steps()
    assert "built more than 32 MB of values" in str(caught.value)
