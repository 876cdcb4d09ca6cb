"""Parse real BPMN/DMN uploads built here, and run what they build."""

import re
import time
from xml.sax.saxutils import escape

import jsonschema
import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.util.task import TaskState

from engine import expressions
from engine.bpmn import (
    MAX_FILE_BYTES, BpmnInvalid, build_specs, describe_task, parse_upload, stage_of,
)
from core.errors import InvalidInput, TooLarge

try:  # run under the production script engine when it is there; SpiffWorkflow's default otherwise
    from engine.scripting import make_script_engine
except ImportError:  # pragma: no cover
    make_script_engine = None

NAMESPACES = ('xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
              'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
              'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"')


def definitions(*parts: str) -> bytes:
    """Wrap processes (and messages, collaborations) in a Camunda-style definitions element."""
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions {NAMESPACES} id="defs" '
            f'targetNamespace="http://example.com/bpmn">\n' + "\n".join(parts)
            + "\n</bpmn:definitions>\n").encode()


def process(*body: str, pid="p", executable="true", properties: dict | None = None) -> str:
    """Return a bpmn:process with the body elements, optionally with camunda properties."""
    return (f'<bpmn:process id="{pid}" isExecutable="{executable}">' + props(properties)
            + "\n".join(body) + "</bpmn:process>")


def props(properties: dict | None) -> str:
    if not properties:
        return ""
    items = "".join(f'<camunda:property name="{k}" value="{v}"/>' for k, v in properties.items())
    return f"<bpmn:extensionElements><camunda:properties>{items}</camunda:properties></bpmn:extensionElements>"


def flow(source: str, target: str, condition: str | None = None) -> str:
    cond = (f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{escape(condition)}'
            "</bpmn:conditionExpression>" if condition else "")
    return f'<bpmn:sequenceFlow id="{source}_{target}" sourceRef="{source}" targetRef="{target}">{cond}</bpmn:sequenceFlow>'


def chain(*ids: str) -> str:
    return "".join(flow(a, b) for a, b in zip(ids, ids[1:]))


def user_task(tid: str, attrs: str = "", inner: str = "", name: str | None = None) -> str:
    named = f' name="{name}"' if name else ""
    return f'<bpmn:userTask id="{tid}"{named} {attrs}>{inner}</bpmn:userTask>'


def simple(*middle: str, **kwargs) -> bytes:
    """A start -> middle... -> end process; middle are element xml strings with ids."""
    ids = [re.search(r'id="([^"]+)"', m).group(1) for m in middle]
    return definitions(process('<bpmn:startEvent id="start"/>', *middle, '<bpmn:endEvent id="end"/>',
                               chain("start", *ids, "end"), **kwargs))


def form(*fields: str) -> str:
    return ("<bpmn:extensionElements><camunda:formData>" + "".join(fields)
            + "</camunda:formData></bpmn:extensionElements>")


def field(fid: str, kind: str, label: str = "", default: str | None = None, inner: str = "") -> str:
    extra = f' defaultValue="{default}"' if default is not None else ""
    return f'<camunda:formField id="{fid}" label="{label}" type="{kind}"{extra}>{inner}</camunda:formField>'


def constraints(**named) -> str:
    items = "".join(f'<camunda:constraint name="{n}"' + (f' config="{c}"' if c is not None else "") + "/>"
                    for n, c in named.items())
    return f"<camunda:validation>{items}</camunda:validation>"


def parse_one(data: bytes, name="p.bpmn"):
    [parsed] = parse_upload([(name, data)])
    return parsed


def task_spec(data: bytes, task_id: str, key="p"):
    spec, subprocesses = build_specs({"p.bpmn": data}, key)
    for s in [spec, *subprocesses.values()]:
        if task_id in s.task_specs:
            return s.task_specs[task_id]
    raise KeyError(task_id)


def run(files: dict, key="p", data=None) -> BpmnWorkflow:
    spec, subprocesses = build_specs(files, key)
    engine = make_script_engine() if make_script_engine else None
    workflow = BpmnWorkflow(spec, subprocesses, script_engine=engine)
    workflow.task_tree.data.update(data or {})
    workflow.do_engine_steps()
    return workflow


def ready_names(workflow) -> list[str]:
    return [t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.READY, manual=True)]


def refused(files: list[tuple[str, bytes]], **kwargs) -> list[dict]:
    with pytest.raises(BpmnInvalid) as info:
        parse_upload(files, **kwargs)
    assert isinstance(info.value, InvalidInput)
    return info.value.problems


# --- forms ------------------------------------------------------------------------------

@pytest.mark.parametrize(("xml", "expected"), [
    (field("name", "string", "Name", "ACME"), {"type": "string", "title": "Name", "default": "ACME"}),
    (field("seats", "long", "Seats", "5"), {"type": "integer", "title": "Seats", "default": 5}),
    (field("vip", "boolean", "VIP", "true"), {"type": "boolean", "title": "VIP", "default": True}),
    (field("close", "date", "Close date"), {"type": "string", "format": "date", "title": "Close date"}),
    (field("tier", "enum", "Tier", "b", '<camunda:value id="a" name="Gold"/><camunda:value id="b" name="Silver"/>'),
     {"type": "string", "title": "Tier", "default": "b", "enum": ["a", "b"],
      "oneOf": [{"const": "a", "title": "Gold"}, {"const": "b", "title": "Silver"}]}),
    (field("code", "string", inner=constraints(minlength="2", maxlength="8")),
     {"type": "string", "title": "code", "minLength": 2, "maxLength": 8}),
    (field("qty", "long", inner=constraints(min="1", max="10")),
     {"type": "integer", "title": "qty", "minimum": 1, "maximum": 10}),
    (field("ref", "string", inner=constraints(readonly=None)), {"type": "string", "title": "ref", "readOnly": True}),
])
def test_form_field_becomes_schema_property(xml, expected):
    info = describe_task(task_spec(simple(user_task("t", inner=form(xml))), "t"))
    [(name, prop)] = info.form_schema["properties"].items()
    assert prop == expected
    assert info.form_schema["type"] == "object"
    assert info.form_schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


SALES_FORM = form(
    field("company", "string", "Company", inner=constraints(required=None)),
    field("seats", "long", "Seats", inner=constraints(required=None, min="1", max="500")),
    field("vip", "boolean", "VIP"),
)


@pytest.mark.parametrize(("data", "bad_fields"), [
    ({"company": "ACME", "seats": 10}, set()),
    ({"seats": 10}, {"company"}),
    ({"company": "", "seats": 10}, {"company"}),
    ({"company": "ACME"}, {"seats"}),
    ({"company": "ACME", "seats": 0}, {"seats"}),
    ({"company": "ACME", "seats": 501}, {"seats"}),
    ({"company": "ACME", "seats": 2, "vip": "yes"}, {"vip"}),
])
def test_submitted_data_is_validated_by_the_form_schema(data, bad_fields):
    schema = describe_task(task_spec(simple(user_task("t", inner=SALES_FORM)), "t")).form_schema
    assert schema["required"] == ["company", "seats"]
    errors = jsonschema.Draft202012Validator(schema).iter_errors(data)
    fields = {e.path[0] if e.path else re.match(r"'(\w+)' is a required", e.message).group(1)
              for e in errors}
    assert fields == bad_fields


@pytest.mark.parametrize(("xml", "message"), [
    (field("x", "double"), "has type 'double'"),
    (field("x", "long", inner=constraints(min="abc")), "needs a number"),
    (field("x", "string", inner=constraints(min="1")), "does not apply to a string field"),
    (field("x", "string", inner=constraints(custom="1")), "'custom' is not supported"),
    (field("x", "enum"), "has no values"),
    (field("x", "long", default="many"), "default value 'many'"),
])
def test_form_mistakes_make_the_process_not_executable(xml, message):
    parsed = parse_one(simple(user_task("t", inner=form(xml))))
    assert not parsed.is_executable
    [problem] = parsed.problems
    assert message in problem.message and problem.element_id == "t" and problem.line == 4


# --- people, dates, priority ------------------------------------------------------------

@pytest.mark.parametrize(("attrs", "expected"), [
    ('camunda:candidateGroups="sales, managers"', {"candidate_groups": ["sales", "managers"]}),
    ('camunda:assignee="zhang.san"', {"assignee": "'zhang.san'"}),
    ('camunda:assignee="${owner}"', {"assignee": "owner"}),
    ('camunda:dueDate="2026-12-01T09:00:00Z"', {"due_date": "'2026-12-01T09:00:00Z'"}),
    ('camunda:dueDate="${deadline}"', {"due_date": "deadline"}),
    ('camunda:dueDate="P3D"', {"due_date": "'P3D'"}),
    ('camunda:priority="80"', {"priority": "80"}),
    ('camunda:priority="${vip ? 90 : 50}"', {"priority": "((90) if (vip) else (50))"}),
    ("", {"candidate_groups": [], "assignee": None, "due_date": None, "priority": None}),
])
def test_task_people_and_dates(attrs, expected):
    info = describe_task(task_spec(simple(user_task("t", attrs, name="Call the client")), "t"))
    assert info.title == "Call the client"
    assert {k: getattr(info, k) for k in expected} == expected


def lane_process(task_attrs: str = "") -> bytes:
    return definitions(process(
        '<bpmn:laneSet id="ls"><bpmn:lane id="lane1" name="presales"><bpmn:flowNodeRef>start</bpmn:flowNodeRef>'
        "<bpmn:flowNodeRef>t</bpmn:flowNodeRef><bpmn:flowNodeRef>end</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>",
        '<bpmn:startEvent id="start"/>', user_task("t", task_attrs), '<bpmn:endEvent id="end"/>',
        chain("start", "t", "end")))


@pytest.mark.parametrize(("attrs", "groups"), [
    ("", ["presales"]),
    ('camunda:candidateGroups="legal"', ["legal"]),
])
def test_lane_names_the_group_unless_candidate_groups_are_given(attrs, groups):
    info = describe_task(task_spec(lane_process(attrs), "t"))
    assert info.candidate_groups == groups
    assert info.title == "t"


def test_bad_assignee_expression_is_a_problem():
    parsed = parse_one(simple(user_task("t", 'camunda:assignee="${a &amp;&amp;}"')))
    assert not parsed.is_executable
    assert "camunda:assignee" in parsed.problems[0].message


# --- expressions ------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "python"), [
    ("${amount > 1000 && approved}", "amount > 1000 and approved"),
    ("${!approved || tier eq 'gold'}", "(not approved) or tier == 'gold'"),
    ("${!won == lost}", "(not won) == lost"),
    ("${deal.amount > 1000 && deal.owner.name != null}", "deal['amount'] > 1000 and deal['owner']['name'] != None"),
    ("${name.upper() == 'ACME' and items[0] eq 1}", "name.upper() == 'ACME' and items[0] == 1"),
    ("${a ne b and c gt 1 or d le 2}", "a != b and c > 1 or d <= 2"),
    ("${x ge 1 && y lt 2}", "x >= 1 and y < 2"),
    ("${won == true && lost == false}", "won == True and lost == False"),
    ("${owner == null}", "owner == None"),
    ("${empty customer.name}", "(customer['name'] in (None, '', [], {}))"),
    ("${not empty items}", "(not (items in (None, '', [], {})))"),
    ("${(a + b) div 2 mod 3}", "(a + b) / 2 % 3"),
    ("${x ? 'y' : 'z'}", "(('y') if (x) else ('z'))"),
    ("amount > 1000 and approved", "amount > 1000 and approved"),
    ("  stage == '合同签署'\n", "stage == '合同签署'"),
])
def test_translate_condition(text, python):
    assert expressions.translate_condition(text) == python


@pytest.mark.parametrize(("text", "python"), [
    ("PT2S", "'PT2S'"),
    ("P3D", "'P3D'"),
    ("2026-12-01T09:00:00Z", "'2026-12-01T09:00:00Z'"),
    ("R3/PT1H", "'R3/PT1H'"),
    ("R/PT10M", "'R/PT10M'"),
    ('"PT2S"', '"PT2S"'),
    ("deadline", "deadline"),
    ("${deadline}", "deadline"),
    (" PT5M ", "'PT5M'"),
])
def test_translate_timer(text, python):
    assert expressions.translate_timer(text) == python


@pytest.mark.parametrize(("function", "text", "python"), [
    (expressions.translate_assignee, "zhang.san@corp.cn", "'zhang.san@corp.cn'"),
    (expressions.translate_assignee, "${initiator}", "initiator"),
    (expressions.translate_assignee, "owners['lead']", "owners['lead']"),
    (expressions.translate_due_date, "2026-12-01", "'2026-12-01'"),
    (expressions.translate_due_date, "${close_date}", "close_date"),
    (expressions.translate_priority, "50", "50"),
    (expressions.translate_priority, "${vip ? 80 : 50}", "((80) if (vip) else (50))"),
    (expressions.translate_expression, "Call ${name} now", "'Call ' + str(name) + ' now'"),
])
def test_translate_task_attributes(function, text, python):
    assert function(text) == python


@pytest.mark.parametrize(("function", "text", "message"), [
    (expressions.translate_condition, "${a &&}", "not a valid Python expression"),
    (expressions.translate_condition, "${a ? b}", "'?' without its ':'"),
    (expressions.translate_condition, "${x", "without its closing"),
    (expressions.translate_condition, "", "empty"),
    (expressions.translate_condition, "${x @ y}", "cannot read"),
    (expressions.translate_timer, "", "no value"),
    (expressions.translate_timer, "in two days", "not a valid Python expression"),
])
def test_untranslatable_expressions(function, text, message):
    with pytest.raises(expressions.ExpressionError, match=re.escape(message)):
        function(text)


# --- refused uploads --------------------------------------------------------------------

MINIMAL = simple(user_task("t"))


@pytest.mark.parametrize(("data", "message", "line"), [
    (b'<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<d>&x;</d>',
     "DOCTYPE", 2),
    (b'<?xml version="1.0"?>\n\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">'
     b'<!ENTITY lol3 "&lol2;&lol2;&lol2;">]>\n<lolz>&lol3;</lolz>', "DOCTYPE", 3),
    (b'<?xml version="1.0"?>\n<!DOCTYPE d SYSTEM "http://evil.example/x.dtd">\n<d/>', "DOCTYPE", 2),
    (MINIMAL.replace(b"</bpmn:process>", b"</bpmn:proces>"), "not well-formed XML", 6),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "binary", 3),
    ("<?xml version='1.0'?>\n<a>caf\u00e9</a>".encode("latin-1"), "not UTF-8", 2),
    (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>', "root element is <svg>", 2),
    (MINIMAL.replace(b'<bpmn:userTask id="t"', b'<bpmn:userTask id="t" bogus="1"'), "XML schema", 4),
    (definitions('<bpmn:message id="m" name="m"/>'), "contains no process", 2),
])
def test_unusable_files_are_refused_with_file_and_line(data, message, line):
    [problem] = refused([("evil.bpmn", data)])
    assert message in problem["message"]
    assert problem["file"] == "evil.bpmn" and problem["line"] == line


def test_schema_problems_name_the_element():
    data = MINIMAL.replace(b'<bpmn:userTask id="t"', b'<bpmn:userTask id="t" bogus="1"')
    [problem] = refused([("s.bpmn", data)])
    assert problem["element_id"] == "t"


def test_every_problem_of_every_file_is_listed():
    problems = refused([("a.txt", b"hello"), ("b.bpmn", b"<a><b></a>"), ("ok.bpmn", MINIMAL),
                        ("c.bpmn", b"<!DOCTYPE x []><x/>")])
    assert [p["file"] for p in problems] == ["a.txt", "b.bpmn", "c.bpmn"]
    assert "only .bpmn and .dmn" in problems[0]["message"]


def test_too_large_names_the_file():
    with pytest.raises(TooLarge) as info:
        parse_upload([("ok.bpmn", MINIMAL), ("huge.bpmn", b" " * (MAX_FILE_BYTES + 1))])
    assert info.value.problems == [{"message": "huge.bpmn is over the 5 MiB limit", "file": "huge.bpmn"}]


def test_duplicate_process_ids_across_files_are_refused_naming_both():
    problems = refused([("one.bpmn", MINIMAL), ("two.bpmn", MINIMAL)])
    assert [(p["file"], p["element_id"]) for p in problems] == [("one.bpmn", "p"), ("two.bpmn", "p")]
    assert all("one.bpmn and two.bpmn" in p["message"] for p in problems)


# --- call activities and DMN --------------------------------------------------------------

CALLER = simple('<bpmn:callActivity id="call" calledElement="child"/>')
CHILD = simple(user_task("child_task"), pid="child")


def test_call_activity_to_another_uploaded_file():
    parsed = {p.key: p for p in parse_upload([("caller.bpmn", CALLER), ("child.bpmn", CHILD)])}
    assert parsed["p"].is_executable, parsed["p"].problems
    assert parsed["p"].files == {"caller.bpmn": CALLER, "child.bpmn": CHILD}
    assert parsed["child"].files == {"child.bpmn": CHILD}
    workflow = run(parsed["p"].files)
    assert ready_names(workflow) == ["child_task"]


def test_call_activity_to_a_deployed_process():
    asked = []
    deployed = lambda key: asked.append(key) or ({"child.bpmn": CHILD} if key == "child" else None)
    [parsed] = parse_upload([("caller.bpmn", CALLER)], find_deployed=deployed)
    assert asked == ["child"] and parsed.is_executable
    assert set(parsed.files) == {"caller.bpmn", "child.bpmn"}


def test_call_activity_to_nowhere_is_refused():
    [problem] = refused([("caller.bpmn", CALLER)], find_deployed=lambda key: None)
    assert problem == {"message": "calls process 'child', which is neither in this upload nor deployed",
                       "file": "caller.bpmn", "line": 4, "element_id": "call"}


def test_caller_of_a_process_that_cannot_run_cannot_run():
    broken_child = simple('<bpmn:serviceTask id="svc"/>', pid="child")
    parsed = {p.key: p for p in parse_upload([("caller.bpmn", CALLER), ("child.bpmn", broken_child)])}
    assert not parsed["child"].is_executable
    assert [p.element_id for p in parsed["p"].problems] == ["call"]


DMN = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="dmn_defs" name="Discounts"
             namespace="http://camunda.org/schema/1.0/dmn">
  <decision id="discount" name="Discount">
    <decisionTable id="table" hitPolicy="FIRST">
      <input id="in_tier" label="Tier"><inputExpression id="in_tier_expr" typeRef="string"><text>tier</text></inputExpression></input>
      <output id="out_discount" name="discount" typeRef="integer"/>
      <rule id="gold"><inputEntry id="gold_in"><text>"gold"</text></inputEntry><outputEntry id="gold_out"><text>15</text></outputEntry></rule>
      <rule id="other"><inputEntry id="other_in"><text>-</text></inputEntry><outputEntry id="other_out"><text>0</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>
"""
RULES = simple('<bpmn:businessRuleTask id="rules" camunda:decisionRef="discount"/>', user_task("t"))


@pytest.mark.parametrize(("tier", "discount"), [("gold", 15), ("silver", 0)])
def test_business_rule_task_runs_the_uploaded_decision(tier, discount):
    parsed = {p.key: p for p in parse_upload([("flow.bpmn", RULES), ("discount.dmn", DMN)])}
    assert list(parsed) == ["p"] and parsed["p"].is_executable, parsed["p"].problems
    assert parsed["p"].files == {"flow.bpmn": RULES, "discount.dmn": DMN}
    workflow = run(parsed["p"].files, data={"tier": tier})
    assert workflow.get_tasks(state=TaskState.READY, manual=True)[0].data["discount"] == discount


def test_business_rule_task_without_its_dmn_is_refused():
    [problem] = refused([("flow.bpmn", RULES)])
    assert problem["element_id"] == "rules" and "discount" in problem["message"]


# --- running what was parsed ----------------------------------------------------------------

def test_bare_iso_timer_runs_as_a_timer():
    data = simple('<bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition id="td">'
                  "<bpmn:timeDuration>PT0.05S</bpmn:timeDuration></bpmn:timerEventDefinition>"
                  "</bpmn:intermediateCatchEvent>", user_task("after"))
    assert parse_one(data).is_executable
    workflow = run({"p.bpmn": data})
    assert ready_names(workflow) == []
    time.sleep(0.06)
    workflow.refresh_timers()  # refresh_waiting_tasks is deprecated in 3.2
    workflow.do_engine_steps()
    assert ready_names(workflow) == ["after"]


GATEWAY = definitions(process(
    '<bpmn:startEvent id="start"/>',
    '<bpmn:exclusiveGateway id="gw" default="gw_small"/>',
    user_task("big"), user_task("small"),
    '<bpmn:endEvent id="end"/>',
    flow("start", "gw"), flow("gw", "big", "${amount > 1000 && approved}"), flow("gw", "small"),
    flow("big", "end"), flow("small", "end")))


@pytest.mark.parametrize(("data", "task"), [
    ({"amount": 5000, "approved": True}, "big"),
    ({"amount": 5000, "approved": False}, "small"),
    ({"amount": 10, "approved": True}, "small"),
])
def test_juel_condition_routes_the_gateway(data, task):
    assert parse_one(GATEWAY).is_executable
    assert ready_names(run({"p.bpmn": GATEWAY}, data=data)) == [task]


@pytest.mark.parametrize(("deal", "task"), [
    ({"amount": 5000, "owner": "li.si"}, "big"),
    ({"amount": 5000, "owner": ""}, "small"),
    ({"amount": 10, "owner": "li.si"}, "small"),
])
def test_juel_property_access_reads_process_data(deal, task):
    data = GATEWAY.replace(b"${amount &gt; 1000 &amp;&amp; approved}",
                           b"${deal.amount gt 1000 and !empty deal.owner}")
    assert b"deal.amount" in data and parse_one(data).is_executable
    assert ready_names(run({"p.bpmn": data}, data={"deal": deal})) == [task]


# --- stages -----------------------------------------------------------------------------------

def staged(tid: str, stage: str) -> str:
    return user_task(tid, inner=props({"stage": stage}))


STAGED = definitions(process(
    '<bpmn:startEvent id="start"/>',
    staged("lead", "线索获取"),
    '<bpmn:subProcess id="sub">' + props({"stage": "方案制定"})
    + '<bpmn:startEvent id="s_start"/>' + user_task("inner") + staged("inner2", "商务谈判")
    + '<bpmn:endEvent id="s_end"/>' + chain("s_start", "inner", "inner2", "s_end") + "</bpmn:subProcess>",
    staged("needs", "需求确认"), '<bpmn:endEvent id="end"/>',
    chain("start", "lead", "sub", "needs", "end")))


def test_stages_in_order_of_appearance_and_inherited_from_subprocesses():
    parsed = parse_one(STAGED)
    assert parsed.is_executable, parsed.problems
    assert parsed.stages == ["线索获取", "方案制定", "商务谈判", "需求确认"]
    expected = {"lead": "线索获取", "sub": "方案制定", "inner": "方案制定", "inner2": "商务谈判",
                "needs": "需求确认", "start": None}
    assert {t: stage_of(task_spec(STAGED, t)) for t in expected} == expected
    assert describe_task(task_spec(STAGED, "inner")).stage == "方案制定"


def test_declared_stage_order_wins_and_unknown_stages_are_problems():
    data = simple(staged("a", "需求确认"), staged("b", "线索获取"),
                  properties={"stages": "线索获取, 需求确认，方案制定"})
    assert parse_one(data).stages == ["线索获取", "需求确认", "方案制定"]
    parsed = parse_one(simple(staged("a", "需求确认"), staged("b", "typo"), properties={"stages": "需求确认"}))
    assert [(p.element_id, p.message) for p in parsed.problems] == [
        ("b", "stage 'typo' is not in the process's stages list")]


def test_stage_and_task_info_survive_the_serializer():
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(CAMUNDA_CONFIG))
    workflow = run({"p.bpmn": STAGED})
    restored = serializer.deserialize_json(serializer.serialize_json(workflow))
    [task] = restored.get_tasks(state=TaskState.READY, manual=True)
    assert stage_of(task.task_spec) == "线索获取"
    assert describe_task(task.task_spec).form_schema["type"] == "object"


# --- valid but not runnable -------------------------------------------------------------------

TIMER_EVENT = '<bpmn:intermediateCatchEvent id="ev"><bpmn:timerEventDefinition id="td"/></bpmn:intermediateCatchEvent>'


@pytest.mark.parametrize(("data", "element_id", "message"), [
    (simple(user_task("t"), executable="false"), "p", "isExecutable"),
    (simple(TIMER_EVENT), "ev", "the timer has no value"),
    (simple('<bpmn:scriptTask id="s" scriptFormat="python"/>'), "s", "has no script"),
    (simple('<bpmn:scriptTask id="s" scriptFormat="groovy"><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>'),
     "s", "format 'groovy'"),
    (simple('<bpmn:serviceTask id="svc" camunda:class="com.acme.Mail"/>'), "svc", "service tasks"),
    (simple('<bpmn:intermediateCatchEvent id="ev"><bpmn:messageEventDefinition id="md" messageRef="nope"/>'
            "</bpmn:intermediateCatchEvent>"), "ev", "message 'nope', which is not defined"),
    (simple('<bpmn:intermediateThrowEvent id="ev"><bpmn:signalEventDefinition id="sd"/></bpmn:intermediateThrowEvent>'),
     "ev", "has no signal"),
    (simple('<bpmn:callActivity id="c"/>'), "c", "Called element"),
    (simple('<bpmn:businessRuleTask id="r"/>'), "r", "decisionRef"),
    (definitions(process('<bpmn:startEvent id="start"/>', '<bpmn:exclusiveGateway id="gw"/>', user_task("a"),
                         user_task("b"), chain("start", "gw"), flow("gw", "a", "${x > 1}"), flow("gw", "b"))),
     "gw_b", "no condition and is not the default"),
    (definitions(process('<bpmn:startEvent id="start"/>', '<bpmn:exclusiveGateway id="gw" default="gw_a"/>',
                         user_task("a"), user_task("b"), chain("start", "gw"), flow("gw", "a"),
                         flow("gw", "b", "amount >> > 3"))), "gw_b", "not a valid Python expression"),
    (definitions(process('<bpmn:startEvent id="start"/>', user_task("a"), user_task("b"),
                         flow("start", "a"), flow("start", "b"), flow("a", "b", "x > 1"))),
     "a_b", "only flows leaving an exclusive or inclusive gateway"),
    (definitions(process(user_task("a"))), "p", "No start event"),
])
def test_valid_models_that_cannot_run_are_accepted_with_located_problems(data, element_id, message):
    parsed = parse_one(data)
    assert not parsed.is_executable
    assert any(p.element_id == element_id and message in p.message and p.file == "p.bpmn" and p.line
               for p in parsed.problems), parsed.problems


def test_collaboration_yields_one_process_per_pool():
    data = definitions(
        '<bpmn:collaboration id="c"><bpmn:participant id="pa" name="Sales" processRef="sales"/>'
        '<bpmn:participant id="pb" name="Legal" processRef="legal"/></bpmn:collaboration>',
        process('<bpmn:startEvent id="s1"/>', '<bpmn:endEvent id="e1"/>', chain("s1", "e1"), pid="sales"),
        process('<bpmn:startEvent id="s2"/>', '<bpmn:endEvent id="e2"/>', chain("s2", "e2"), pid="legal"))
    parsed = parse_upload([("collab.bpmn", data)])
    assert [(p.key, p.name, p.is_executable) for p in parsed] == [("sales", "Sales", True), ("legal", "Legal", True)]


def test_build_specs_is_deterministic_and_refuses_what_cannot_build():
    first, second = build_specs({"p.bpmn": STAGED}, "p"), build_specs({"p.bpmn": STAGED}, "p")
    assert sorted(first[0].task_specs) == sorted(second[0].task_specs)
    assert sorted(first[1]) == sorted(second[1]) == ["sub"]
    with pytest.raises(BpmnInvalid) as info:
        build_specs({"p.bpmn": STAGED}, "missing")
    assert info.value.problems[0]["file"] == "p.bpmn"
