"""Read what a Camunda user task asks of people: its form and who should do it.

Camunda Modeler writes forms as `<camunda:formData>` (often with no formKey, which
SpiffWorkflow's own parser skips) and assignment as `camunda:*` attributes. The
web layer and the API speak JSON Schema, so the form becomes a draft 2020-12 schema
here, once, at parse time; the engine validates submitted data against it.

Field types: string, long (integer), boolean, date (`format: date`), enum (each
`camunda:value` id with its name as title). Constraints: required, readonly,
min/max (long), minlength/maxlength (string). Anything else is reported, not
silently dropped, so a designer learns that a rule will not be enforced.

Two field properties (`<camunda:properties><camunda:property id=... value=.../>` on a
form field, as the Modeler's form panel writes them) shape the form further:
`visible_when` (`outcome == lost`, `approved != true`): the field belongs to the form
only when that other field has (or has not) that value. The schema says so twice, in
JSON Schema for any client (`allOf: [{if: <condition>, then: {required: [...]}}]`, so a
`required` constraint binds only while the condition holds) and as the property's
`x-visible-when` (the same condition schema) for forms that show and hide the field.
A task property `review` (`discount_percent, agreed_amount`) names the process
variables a task asks someone to decide on; the schema carries them as `x-review`.
"""

import json
import re

from lxml import etree

from engine.expressions import (
    ExpressionError, has_juel, translate_assignee, translate_condition, translate_due_date,
    translate_priority,
)

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
NS = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS}
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

_TYPES = {
    "string": {"type": "string"},
    "long": {"type": "integer"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "enum": {"type": "string"},
}
_BOUNDS = {("long", "min"): "minimum", ("long", "max"): "maximum",
           ("string", "minlength"): "minLength", ("string", "maxlength"): "maxLength"}

Issue = tuple[etree._Element, str]


def user_task_info(node, lane: str | None) -> tuple[dict, list[Issue]]:
    """Return the TaskInfo fields (all but stage) of a userTask element, with its issues."""
    issues: list[Issue] = []
    schema, form_issues = form_schema(node)
    issues += form_issues
    info = {
        "title": node.get("name") or node.get("id"),
        "candidate_groups": candidate_groups(node, lane),
        "assignee": None,
        "due_date": None,
        "priority": None,
        "form_schema": schema,
        "documentation": _documentation(node),
        "gates": [],
    }
    gates, gate_issues = stage_gates(node)
    info["gates"] = gates
    issues += gate_issues
    translators = {"assignee": translate_assignee, "dueDate": translate_due_date,
                   "priority": translate_priority}
    for attribute, translate in translators.items():
        raw = node.get(f"{{{CAMUNDA_NS}}}{attribute}")
        if raw is None or not raw.strip():
            continue
        try:
            value = translate(raw)
        except ExpressionError as exc:
            issues.append((node, f"camunda:{attribute} {raw!r}: {exc}"))
            continue
        info[{"dueDate": "due_date"}.get(attribute, attribute)] = value
    return info, issues


GATE_PREFIX = "gate:"


def stage_gates(node) -> tuple[list[tuple[str, str]], list[Issue]]:
    """Return the task's stage-gate criteria: properties named `gate: <criterion>`.

    The value is the condition (Camunda `${...}` or Python) that must hold, over
    the task data with the submitted form merged in, for the task to complete.
    """
    gates, issues = [], []
    for prop in node.iterfind("./bpmn:extensionElements/camunda:properties/camunda:property", NS):
        name = (prop.get("name") or "").strip()
        if not name.lower().startswith(GATE_PREFIX):
            continue
        criterion = name[len(GATE_PREFIX):].strip() or name
        try:
            gates.append((criterion, translate_condition(prop.get("value") or "")))
        except ExpressionError as exc:
            issues.append((prop, f"gate {criterion!r}: {exc}"))
    return gates, issues


def candidate_groups(node, lane: str | None) -> list[str]:
    """Return camunda:candidateGroups as a list, else the lane name, else nothing."""
    raw = node.get(f"{{{CAMUNDA_NS}}}candidateGroups")
    if raw and raw.strip():
        return [group.strip() for group in raw.split(",") if group.strip()]
    return [lane] if lane else []


def form_schema(node) -> tuple[dict, list[Issue]]:
    """Return the JSON Schema of a user task's camunda:formData, with its issues."""
    properties, required, issues = {}, [], []
    conditional: dict[str, tuple] = {}  # field id: (element, condition text, is required)
    for field in node.iterfind("./bpmn:extensionElements/camunda:formData/camunda:formField", NS):
        field_id = field.get("id")
        if not field_id:
            issues.append((field, "a form field has no id"))
            continue
        if field_id in properties:
            issues.append((field, f"form field {field_id!r} is declared twice"))
        prop, is_required, field_issues = _field_schema(field)
        properties[field_id] = prop
        issues += field_issues
        visible_when = _field_property(field, VISIBLE_WHEN)
        if visible_when is not None:
            conditional[field_id] = (field, visible_when, is_required)
        elif is_required:
            required.append(field_id)
    schema = {"$schema": SCHEMA_DIALECT, "type": "object",
              "properties": properties, "required": required}
    issues += _add_conditions(schema, conditional)
    review = _task_property(node, "review")
    if review:
        schema["x-review"] = [name.strip() for name in review.split(",") if name.strip()]
    return schema, issues


VISIBLE_WHEN = "visible_when"
_CONDITION = re.compile(r"^\s*([A-Za-z_]\w*)\s*(==|!=)\s*(['\"]?)(.*?)\3\s*$")


def _field_property(field, name: str) -> str | None:
    for prop in field.iterfind("camunda:properties/camunda:property", NS):
        if (prop.get("id") or prop.get("name")) == name:
            return prop.get("value") or ""
    return None


def _task_property(node, name: str) -> str | None:
    for prop in node.iterfind("./bpmn:extensionElements/camunda:properties/camunda:property", NS):
        if (prop.get("name") or "").strip() == name:
            return prop.get("value") or ""
    return None


def condition_schema(text: str, properties: dict) -> dict:
    """Return the JSON Schema that data matches when `field == value` (or `!=`) holds.

    Raises ValueError naming what is wrong with the condition.
    """
    match = _CONDITION.match(text or "")
    if not match:
        raise ValueError("write it as `field == value` or `field != value`")
    name, operator, _, raw = match.groups()
    if name not in properties:
        raise ValueError(f"{name!r} is not a field of this form")
    prop = properties[name]
    kind = {"integer": "long", "boolean": "boolean"}.get(prop.get("type"), "enum" if "enum" in prop else "string")
    value = _typed(kind, raw, prop)
    holds = {"properties": {name: {"const": value}}, "required": [name]}
    return holds if operator == "==" else {"not": holds}


def _add_conditions(schema: dict, conditional: dict) -> list[Issue]:
    """Put each conditional field's condition on its property and its requirement in `allOf`."""
    issues, required_when = [], {}
    for field_id, (element, text, is_required) in conditional.items():
        try:
            condition = condition_schema(text, schema["properties"])
        except ValueError as exc:
            issues.append((element, f"form field {field_id!r}: {VISIBLE_WHEN} {text!r}: {exc}"))
            continue
        schema["properties"][field_id]["x-visible-when"] = condition
        if is_required:
            key = json.dumps(condition, sort_keys=True)
            required_when.setdefault(key, (condition, []))[1].append(field_id)
    if required_when:
        schema["allOf"] = [{"if": condition, "then": {"required": names}}
                           for condition, names in required_when.values()]
    return issues


def _field_schema(field) -> tuple[dict, bool, list[Issue]]:
    kind = field.get("type") or "string"
    issues: list[Issue] = []
    if kind not in _TYPES:
        issues.append((field, f"form field {field.get('id')!r} has type {kind!r}; "
                              "use string, long, boolean, date or enum"))
    prop = dict(_TYPES.get(kind, {}))
    prop["title"] = field.get("label") or field.get("id")
    if kind == "enum":
        issues += _add_enum(field, prop)
    default = field.get("defaultValue")
    if default is not None and not has_juel(default):
        try:
            prop["default"] = _typed(kind, default, prop)
        except ValueError as exc:
            issues.append((field, f"form field {field.get('id')!r}: default value {default!r} {exc}"))
    is_required, constraint_issues = _add_constraints(field, kind, prop)
    return prop, is_required, issues + constraint_issues


def _add_enum(field, prop: dict) -> list[Issue]:
    values = [(v.get("id"), v.get("name") or v.get("id"))
              for v in field.iterfind("camunda:value", NS) if v.get("id")]
    if not values:
        return [(field, f"enum form field {field.get('id')!r} has no values")]
    prop["enum"] = [value for value, _ in values]
    prop["oneOf"] = [{"const": value, "title": title} for value, title in values]
    return []


def _typed(kind: str, text: str, prop: dict):
    """Convert a default value written as text to the JSON value of its field type."""
    if kind == "long":
        return int(text)
    if kind == "boolean":
        if text.strip().lower() not in ("true", "false"):
            raise ValueError("is not true or false")
        return text.strip().lower() == "true"
    if kind == "enum" and text not in prop.get("enum", []):
        raise ValueError("is not one of the enum values")
    return text


def _add_constraints(field, kind: str, prop: dict) -> tuple[bool, list[Issue]]:
    is_required, issues = False, []
    for constraint in field.iterfind("camunda:validation/camunda:constraint", NS):
        name, config = constraint.get("name"), constraint.get("config")
        if name == "required":
            is_required = True
            # Camunda's required rejects an empty string, JSON Schema's does not.
            if kind == "string":
                prop.setdefault("minLength", 1)
        elif name == "readonly":
            prop["readOnly"] = True
        elif (kind, name) in _BOUNDS:
            try:
                prop[_BOUNDS[kind, name]] = _number(config, integer=kind == "string")
            except (TypeError, ValueError):
                issues.append((constraint, f"constraint {name!r} needs a number, not {config!r}"))
        elif name in ("min", "max", "minlength", "maxlength"):
            issues.append((constraint, f"constraint {name!r} does not apply to a {kind} field"))
        else:
            issues.append((constraint, f"constraint {name!r} is not supported"))
    return is_required, issues


def _number(text, integer: bool):
    value = float(text)
    if integer or value.is_integer():
        if not value.is_integer() or value < 0 and integer:
            raise ValueError(text)
        return int(value)
    return value


def _documentation(node) -> str | None:
    doc = node.find(f"{{{BPMN_NS}}}documentation")
    return doc.text.strip() if doc is not None and doc.text and doc.text.strip() else None
