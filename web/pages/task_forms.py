"""A task's JSON Schema as an HTML form, and a submitted form back as typed JSON data.

The engine validates; this module only shapes. A value that cannot be converted
(letters in a number field) is passed on as text, so that the engine's own
validation names the field, exactly as it would for the API.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from jsonschema import Draft202012Validator

from ..i18n import gettext as _
from ..i18n import in_language
from ..messages import server_message

TEXTAREA_MIN_LENGTH = 10  # a field that wants at least a sentence gets room for one


@dataclass
class FormField:
    name: str
    title: str
    widget: str  # text, textarea, number, date, select, boolean
    is_required: bool = False
    is_readonly: bool = False
    value: object = None
    options: list[tuple[str, str]] = field(default_factory=list)
    attributes: dict = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    visible_when: dict | None = None  # the JSON Schema the form's data must match to show the field
    condition: str = ""  # the same in words, for pages without JavaScript

    @property
    def error_ids(self) -> list[str]:
        """The ids of the field's messages, which its input names in aria-describedby."""
        return [f"e-{self.name}-{n}" for n in range(1, len(self.errors) + 1)]

    @property
    def visible_when_json(self) -> str:
        return json.dumps(self.visible_when, ensure_ascii=False) if self.visible_when else ""


def form_fields(schema: dict, values: dict, problems: list[dict]) -> list[FormField]:
    """Return the fields of `schema` filled with `values`, each with its problems as messages.

    A stage-gate criterion about one field is among that field's messages, in words.
    """
    required = set(schema.get("required") or []) | conditionally_required(schema)
    properties = schema.get("properties") or {}
    fields = []
    for name, prop in properties.items():
        widget, options, attributes = _widget(prop)
        value = values.get(name, prop.get("default"))
        messages = [in_language(p["message"]) if p.get("gate") else field_message(p["message"], prop)
                    for p in problems if p.get("field") == name]
        visible_when = prop.get("x-visible-when")
        fields.append(FormField(name=name, title=in_language(prop.get("title") or name), widget=widget,
                                is_required=name in required, is_readonly=bool(prop.get("readOnly")),
                                value=value, options=options, attributes=attributes,
                                errors=list(dict.fromkeys(messages)), visible_when=visible_when,
                                condition=_condition_words(visible_when, properties)))
    return fields


def conditionally_required(schema: dict) -> set[str]:
    """Return the fields an `allOf: [{if, then: {required}}]` of the schema may require."""
    return {name for rule in schema.get("allOf") or [] if "if" in rule
            for name in (rule.get("then") or {}).get("required") or []}


def _condition_words(condition: dict | None, properties: dict) -> str:
    """Return a `field == value` condition schema as a sentence; '' for anything else."""
    if not condition:
        return ""
    negated = "not" in condition
    inner = condition.get("not", condition)
    rules = inner.get("properties") or {}
    if len(rules) != 1:
        return ""
    name, rule = next(iter(rules.items()))
    if "const" not in rule:
        return ""
    prop = properties.get(name) or {}
    titles = {o.get("const"): o.get("title") for o in prop.get("oneOf", [])}
    shown = titles.get(rule["const"]) or str(rule["const"])
    values = {"field": in_language(prop.get("title") or name), "value": in_language(shown)}
    return (_("Only when {field} is not {value}.", **values) if negated
            else _("Only when {field} is {value}.", **values))


def _holds(condition: dict | None, data: dict) -> bool:
    return condition is None or Draft202012Validator(condition).is_valid(data)


def _widget(prop: dict) -> tuple[str, list, dict]:
    kind = prop.get("type")
    if "enum" in prop:
        titles = {o.get("const"): o.get("title") for o in prop.get("oneOf", [])}
        return "select", [(v, in_language(titles.get(v) or str(v))) for v in prop["enum"]], {}
    if kind == "boolean":
        return "boolean", [], {}
    if kind in ("integer", "number"):
        attributes = {"step": "1" if kind == "integer" else "any", "inputmode": "numeric"}
        attributes.update({html: prop[key] for key, html in (("minimum", "min"), ("maximum", "max"))
                           if key in prop})
        return "number", [], attributes
    if prop.get("format") == "date":
        return "date", [], {}
    attributes = {html: prop[key] for key, html in (("minLength", "minlength"),
                                                    ("maxLength", "maxlength")) if key in prop}
    is_long = prop.get("minLength", 0) >= TEXTAREA_MIN_LENGTH or prop.get("maxLength", 0) > 255
    return ("textarea" if is_long else "text"), [], attributes


def form_data(schema: dict, form) -> dict:
    """Return the JSON data a submitted form means under `schema`; empty and hidden fields are left out."""
    data = {}
    for name, prop in (schema.get("properties") or {}).items():
        if prop.get("readOnly") or name not in form:
            continue
        raw = form.get(name, "").strip()
        if raw == "":
            continue
        data[name] = _typed(prop, raw)
    # Without JavaScript a hidden field is shown and may be filled in: what it holds does
    # not count while its condition does not hold (a lost reason on a deal moving on).
    for name, prop in (schema.get("properties") or {}).items():
        if name in data and not _holds(prop.get("x-visible-when"), data):
            del data[name]
    return data


def _typed(prop: dict, raw: str):
    kind = prop.get("type")
    if kind == "boolean" and raw in ("true", "false"):
        return raw == "true"
    if kind == "integer" and re.fullmatch(r"[+-]?\d+", raw):
        return int(raw)
    if kind == "number":
        try:
            return float(raw)
        except ValueError:
            return raw
    return raw


_MESSAGES = [  # the engine's jsonschema wording, and what a person reads instead
    (re.compile(r"is required$"), lambda m, p: _("This field is required.")),
    (re.compile(r"is less than the minimum of (\S+)"), lambda m, p: _("At least {n}.", n=m[1])),
    (re.compile(r"is greater than the maximum of (\S+)"), lambda m, p: _("At most {n}.", n=m[1])),
    (re.compile(r"should be non-empty|is too short"),
     lambda m, p: _("At least {n} characters.", n=p.get("minLength", 1))),
    (re.compile(r"is too long"), lambda m, p: _("At most {n} characters.", n=p.get("maxLength"))),
    (re.compile(r"is not a 'date'"), lambda m, p: _("Enter a date as YYYY-MM-DD.")),
    (re.compile(r"is not of type 'integer'"), lambda m, p: _("Enter a whole number.")),
    (re.compile(r"is not of type 'boolean'"), lambda m, p: _("Choose yes or no.")),
    (re.compile(r"is not one of|is not valid under any of the given schemas"),
     lambda m, p: _("Choose one of the options.")),
]


def field_message(message: str, prop: dict) -> str:
    """Return the engine's message about a field in words for the person filling it in."""
    for pattern, describe in _MESSAGES:
        match = pattern.search(message)
        if match:
            return describe(match, prop)
    return server_message(message)
