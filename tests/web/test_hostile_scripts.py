"""Finding 8: scripts cheap to write and huge to build end their instance in error, located."""
from __future__ import annotations

import resource

import pytest

from bench.scripts import HOSTILE as HOSTILE_SCRIPTS
from bench.scripts import process_with, run_in_child
from tests.conftest import deploy

BUILT = "the script built more than 32 MB of values"
TOO_LARGE = "result would be too large"
NOT_STORABLE = "cannot be kept in the task data"

HOSTILE = [
    ("x = [[0] * 1000000] * 1000000", BUILT),
    ("x = 'a'.ljust(10 ** 9)", TOO_LARGE),
    ("x = 'x'.center(10 ** 9)", TOO_LARGE),
    ("x = 'x'.rjust(10 ** 9, '-')", TOO_LARGE),
    ("x = '1'.zfill(10 ** 9)", TOO_LARGE),
    ("x = ('\\t' * 1000).expandtabs(10 ** 6)", TOO_LARGE),
    ("x = 'ab'.replace('', 'c' * 999999)", TOO_LARGE),
    ("x = ','.join(['a' * 999999] * 999999)", BUILT),
    ("x = ','.join('a' * 999999 for i in range(999999))", TOO_LARGE),
    ("x = str(list(range(10 ** 6))) * 1000", TOO_LARGE),
    ("x = bytes(10 ** 9)", "'bytes' is not available in scripts"),
    ("x = bytearray(10 ** 9)", "'bytearray' is not available in scripts"),
    ("x = []\nwhile True:\n    x.append([0] * 999999)", BUILT),
    ("x = {i: 'x' * 999999 for i in range(1000)}", BUILT),
    ("x = f'{1:>999999}' * 1000", TOO_LARGE),
    ("x = '%0999999d' % 1\ny = [x] * 1000\nz = [y] * 1000", BUILT),
    ("x = list(range(10 ** 9))", "range() is too large"),
    ("x = sorted(range(10 ** 9))", "range() is too large"),
    ("x = []\nfor i in range(10 ** 5):\n    x = [x]", "values nested more than 100 levels deep"),
    # Which limit comes first depends on the machine's speed.
    ("x = [0]\nfor i in range(64):\n    x = [x, x]", (BUILT, "time limit")),
    ("a = [0] * 100000\nx = []\nfor i in range(1000000):\n    x.append(a)", BUILT),
    ("a = 'x' * 999999\nx = []\nfor i in range(10000):\n    x.append(a[1:])", BUILT),
    ("x = []\nfor i in range(1000):\n    x.append(('ab,' * 333333).split(','))", BUILT),
    ("x = {}\nfor i in range(1000000):\n    x[str(i)] = [0] * 1000", BUILT),
    ("x = set()\nfor i in range(10):\n    x = x | set(range(i * 10 ** 6, (i + 1) * 10 ** 6))",
     BUILT),
    ("x = 'a' * 999999\nprint(x, x, x)\nprint([x] * 100)", BUILT),
    ("x = 'a' * 999999\nwhile True:\n    print(x)", BUILT),
    ("x = [0] * 200000", "would hold more than 100,000 values"),
    ("x = 'a' * 999999\ny = 'b' * 999999",
     "variable y cannot be kept in the task data: the task data would be larger than 1,048,576"),
    ("x = {(1, 2): 'pair'}", "key (1, 2) is not a string"),
    ("x = {1, 2, 3}", "a set cannot be stored as data"),
    ("x = range(3)", "a range cannot be stored as data"),
    ("x = [float('nan')]", "nan cannot be stored as JSON"),
    ("x = 7 ** 20000", "number too large to store"),
]


def _options(words: str | tuple) -> tuple:
    return words if isinstance(words, tuple) else (words,)


def _max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.parametrize("script, words", HOSTILE)
def test_a_hostile_script_ends_its_instance_in_error_at_the_script(api, tmp_path, script, words):
    path = tmp_path / "hostile.bpmn"
    path.write_bytes(process_with(script))
    deploy(api["admin"], path)
    before = _max_rss_mb()
    response = api["alice"].post("/api/process-instances",
                                 json={"process_key": "hostile", "data": {"amount": 1}})
    assert response.status_code == 201, response.get_json()
    instance = response.get_json()
    assert instance["status"] == "error"
    assert instance["error"]["element_id"] == "build"
    assert any(w in instance["error"]["message"] for w in _options(words))
    assert _max_rss_mb() - before < 200
    again = api["alice"].get(f"/api/process-instances/{instance['id']}")
    assert again.status_code == 200 and again.get_json()["status"] == "error"


SCRIPT_AFTER_A_TASK = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs"
    targetNamespace="http://dealflow.example/test">
  <bpmn:process id="later" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="first" name="First"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:scriptTask id="pad" name="Pad" scriptFormat="python">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:script>note = 'ok'
padded = note.ljust(10 ** 9)</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:userTask id="second" name="Second"><bpmn:incoming>f3</bpmn:incoming>
      <bpmn:outgoing>f4</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="first"/>
    <bpmn:sequenceFlow id="f2" sourceRef="first" targetRef="pad"/>
    <bpmn:sequenceFlow id="f3" sourceRef="pad" targetRef="second"/>
    <bpmn:sequenceFlow id="f4" sourceRef="second" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>"""


def test_the_completion_that_reaches_a_hostile_script_answers_200_with_the_error(api, tmp_path):
    path = tmp_path / "later.bpmn"
    path.write_text(SCRIPT_AFTER_A_TASK)
    deploy(api["admin"], path)
    instance = api["alice"].post("/api/process-instances", json={"process_key": "later"}).get_json()
    task = api["alice"].get(f"/api/tasks?instance_id={instance['id']}").get_json()[0]
    api["alice"].post(f"/api/tasks/{task['id']}/claim")
    response = api["alice"].post(f"/api/tasks/{task['id']}/complete", json={"data": {}})
    assert response.status_code == 200, response.get_json()
    after = api["alice"].get(f"/api/process-instances/{instance['id']}").get_json()
    assert after["status"] == "error"
    assert after["error"]["element_id"] == "pad"
    assert "Script error on line 2: result would be too large" in after["error"]["message"]


def test_start_data_nested_too_deep_is_refused_with_422(api, tmp_path):
    path = tmp_path / "hostile.bpmn"
    path.write_bytes(process_with("total = 1"))
    deploy(api["admin"], path)
    deep = {}
    for _ in range(40):  # under the body's limit of 64 levels, over the data's of 32
        deep = {"d": deep}
    response = api["alice"].post("/api/process-instances",
                                 json={"process_key": "hostile", "data": {"deep": deep}})
    assert response.status_code == 422
    assert "levels deep" in response.get_json()["errors"][0]["message"]


@pytest.mark.parametrize("name", ["shared rows", "ljust", "append loop", "join"])
def test_a_hostile_script_run_alone_grows_its_process_by_under_100_mb(name):
    # A fresh interpreter per script: ru_maxrss is a high-water mark, so only its own counts.
    outcome = run_in_child(HOSTILE_SCRIPTS[name])
    assert outcome["status"] == "error"
    assert outcome["element"] == "build"
    assert outcome["rss_growth_mb"] < 100
