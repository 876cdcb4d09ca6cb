"""Upload checks for message and signal events: what runs is accepted, what cannot is located."""
from __future__ import annotations

import pytest

from engine import events
from tests.conftest import FIXTURES
from tests.engine.test_bpmn import definitions, parse_one, process, props, simple, task_spec

MESSAGE = '<bpmn:message id="Message_1" name="payment_received"/>'
SIGNAL = '<bpmn:signal id="Signal_1" name="prices_changed"/>'


@pytest.mark.parametrize("fixture", ["message_receive.bpmn", "message_events.bpmn", "message_start.bpmn",
                                     "signal_events.bpmn"])
def test_modeler_files_with_message_and_signal_events_are_executable(fixture):
    from engine.bpmn import parse_upload
    parsed = parse_upload([(fixture, (FIXTURES / fixture).read_bytes())])
    assert parsed and all(p.is_executable and not p.problems for p in parsed), [p.problems for p in parsed]


def test_the_correlation_key_is_the_elements_own_else_the_processes():
    own = simple('<bpmn:receiveTask id="r" messageRef="Message_1">'
                 + props({"correlation_key": "${order_number}"}) + "</bpmn:receiveTask>")
    assert task_spec(own.replace(b"</bpmn:definitions>", MESSAGE.encode() + b"</bpmn:definitions>"),
                     "r").extensions["dealflow:correlation_key"] == "order_number"
    inherited = definitions(process(
        '<bpmn:startEvent id="start"/>', '<bpmn:receiveTask id="r" messageRef="Message_1"/>',
        '<bpmn:endEvent id="end"/>',
        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="r"/>',
        '<bpmn:sequenceFlow id="f2" sourceRef="r" targetRef="end"/>',
        properties={"correlation_key": "customer_id"}), MESSAGE)
    assert task_spec(inherited, "r").extensions["dealflow:correlation_key"] == "customer_id"


@pytest.mark.parametrize(("middle", "extra", "element_id", "message"), [
    ('<bpmn:sendTask id="send" messageRef="Message_1"/>', MESSAGE, "send", "send tasks cannot run here"),
    ('<bpmn:intermediateThrowEvent id="ev"><bpmn:messageEventDefinition id="md" messageRef="Message_1"/>'
     "</bpmn:intermediateThrowEvent>", MESSAGE, "ev", "message throw events cannot run here"),
    ('<bpmn:receiveTask id="r" messageRef="Message_1">' + props({"correlation_key": "${order number}"})
     + "</bpmn:receiveTask>", MESSAGE, "r", "correlation_key:"),
    ('<bpmn:receiveTask id="r"/>', "", "r", "the task has no message"),
    ('<bpmn:intermediateCatchEvent id="ev"><bpmn:signalEventDefinition id="sd" signalRef="nope"/>'
     "</bpmn:intermediateCatchEvent>", SIGNAL, "ev", "signal 'nope', which is not defined"),
])
def test_what_still_cannot_run_is_reported_with_file_line_and_element(middle, extra, element_id, message):
    data = simple(middle)
    if extra:
        data = data.replace(b"</bpmn:definitions>", extra.encode() + b"</bpmn:definitions>")
    parsed = parse_one(data)
    assert not parsed.is_executable
    assert any(p.element_id == element_id and message in p.message and p.file == "p.bpmn" and p.line
               for p in parsed.problems), parsed.problems


def test_a_signal_end_event_keeps_its_signal():
    data = definitions(process('<bpmn:startEvent id="start"/>',
                               '<bpmn:endEvent id="end"><bpmn:signalEventDefinition id="sd" signalRef="Signal_1"/>'
                               "</bpmn:endEvent>",
                               '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="end"/>'), SIGNAL)
    assert events.kind_of(task_spec(data, "end").event_definition) == "signal"
