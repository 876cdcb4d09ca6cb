"""Conditional form fields as a modeler declares them (a `visible_when` property on a form field),
the schema they become, and the data the engine then requires; and which field a gate is about."""

import pytest

from engine.bpmn import describe_task
from engine.expressions import translate_condition
from engine.tasks import form_problems, gate_field
from tests.engine.test_bpmn import constraints, field, form, parse_one, simple, task_spec, user_task

OUTCOME = field("outcome", "enum", "Outcome", "continue",
                '<camunda:value id="continue" name="Move on"/><camunda:value id="lost" name="Lost"/>')
APPROVED = field("approved", "boolean", "Approved")


def when(condition: str, required: bool = True) -> str:
    return (f'<camunda:properties><camunda:property id="visible_when" value="{condition}"/></camunda:properties>'
            + (constraints(required=None) if required else ""))


def schema_of(*fields: str, attrs: str = "", properties: str = "") -> dict:
    task = user_task("t", attrs, inner=form(*fields).replace(
        "<bpmn:extensionElements>", f"<bpmn:extensionElements>{properties}"))
    return describe_task(task_spec(simple(task), "t")).form_schema


def test_a_conditional_field_is_required_only_while_its_condition_holds():
    schema = schema_of(OUTCOME, field("reason", "string", "Reason", inner=when("outcome == lost")),
                       field("hint", "string", "Hint", inner=when("outcome == lost", required=False)))
    lost = {"properties": {"outcome": {"const": "lost"}}, "required": ["outcome"]}
    assert schema["required"] == []
    assert schema["allOf"] == [{"if": lost, "then": {"required": ["reason"]}}]
    assert schema["properties"]["reason"]["x-visible-when"] == lost
    assert schema["properties"]["hint"]["x-visible-when"] == lost
    assert form_problems(schema, {"outcome": "continue"}) == []
    assert form_problems(schema, {}) == []
    assert form_problems(schema, {"outcome": "lost"}) == [{"message": "Reason is required", "field": "reason"}]
    assert form_problems(schema, {"outcome": "lost", "reason": "price"}) == []


def test_a_condition_on_a_yes_no_field_with_not_equal():
    schema = schema_of(APPROVED, field("why", "string", "Why", inner=when("approved != true")))
    assert schema["allOf"][0]["if"] == {"not": {"properties": {"approved": {"const": True}},
                                                "required": ["approved"]}}
    assert form_problems(schema, {"approved": True}) == []
    assert [p["field"] for p in form_problems(schema, {"approved": False})] == ["why"]


@pytest.mark.parametrize(("condition", "message"), [
    ("outcome is lost", "write it as `field == value`"),
    ("stage == 1", "'stage' is not a field of this form"),
    ("outcome == gone", "is not one of the enum values"),
])
def test_a_condition_the_engine_cannot_read_makes_the_process_not_executable(condition, message):
    task = user_task("t", inner=form(OUTCOME, field("reason", "string", inner=when(condition))))
    parsed = parse_one(simple(task))
    assert not parsed.is_executable
    [problem] = parsed.problems
    assert "visible_when" in problem.message and message in problem.message and problem.element_id == "t"


def test_a_task_names_what_it_asks_to_decide_on():
    review = '<camunda:properties><camunda:property name="review" value="discount, amount , terms"/></camunda:properties>'
    assert schema_of(APPROVED, properties=review)["x-review"] == ["discount", "amount", "terms"]
    assert "x-review" not in schema_of(APPROVED)


@pytest.mark.parametrize(("condition", "subject"), [
    ("${outcome == 'lost' or agreed_amount > 0}", "agreed_amount"),
    ("${outcome == 'lost' or customer_accepted}", "customer_accepted"),
    ("${approved or not empty note}", "note"),
    ("${outcome == 'lost' or contract_signed_by_both}", None),  # a fact from outside the form
    ("${budget > 0 and agreed_amount > 0}", None),  # about two fields: no one field's
])
def test_a_gate_is_shown_at_the_one_field_it_is_about(condition, subject):
    fields = {"outcome", "agreed_amount", "customer_accepted", "approved", "note", "budget"}
    assert gate_field(translate_condition(condition), fields) == subject
