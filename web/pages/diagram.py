"""What the bpmn-js viewer needs to show a definition or an instance: the XML's URL and markers."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import url_for

# Audit actions that mean "the run passed this element": the path taken.
PASSED_ACTIONS = ("task.completed", "timer.fired", "instance.error")


@dataclass
class Diagram:
    xml_url: str
    active: list[str] = field(default_factory=list)
    done: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    focus: list[str] = field(default_factory=list)  # shown large when nothing is active or failed


def definition_diagram(definition) -> Diagram:
    """Return the plain diagram of a definition version."""
    return Diagram(xml_url=url_for("pages.definition_xml", key=definition.key,
                                   version=definition.version))


def instance_diagram(instance) -> Diagram:
    """Return the instance's diagram with open tasks active and passed elements done."""
    diagram = definition_diagram(instance.definition)
    diagram.active = sorted({t.element_id for t in instance.tasks if t.status == "open"})
    diagram.done = sorted({e.element_id for e in instance.history
                           if e.element_id and e.action in PASSED_ACTIONS
                           and e.element_id not in diagram.active})
    if instance.status == "error" and instance.error_element_id:
        diagram.failed = [instance.error_element_id]
    passed = [e.element_id for e in instance.history if e.element_id and e.action in PASSED_ACTIONS]
    if passed and not diagram.active:
        diagram.focus = passed[-1:]  # where a finished run ended: its last step
    return diagram
