"""Parse and check uploaded BPMN/DMN files, and build SpiffWorkflow specs from stored ones.

Uploads are untrusted, so we parse the XML ourselves with a hardened lxml parser,
refuse any DOCTYPE, and hand SpiffWorkflow only parsed trees. An upload is refused
(BpmnInvalid, nothing stored) when a file is not BPMN/DMN at all or a reference
cannot be resolved; a well-formed model that cannot run yet is accepted with
`is_executable=False` and located `problems`, so designers can store drafts.

Conventions for process designers (Camunda Modeler 5 / bpmn.io):
- Stage: give a flow node or a subprocess the extension property `stage`
  (Properties panel > Extension properties: name `stage`, value `需求确认`). An
  element without one belongs to the stage of its nearest enclosing subprocess.
  Stage order is the process property `stages` (`线索获取,需求确认,...`), else the
  order in which stages first appear in the file.
- Forms: Camunda "Form fields" (string, long, boolean, date, enum) with the
  constraints required, readonly, min/max (long), minlength/maxlength (string).
- Expressions: conditions, timers, assignee, due date and priority take Camunda
  `${...}` (JUEL) or plain Python; bare ISO 8601 timer values (`PT2S`, `P3D`,
  `2026-12-01T09:00:00Z`, `R3/PT1H`) are taken literally.
- People: camunda:candidateGroups (comma separated), else the lane's name;
  camunda:assignee is a user name or `${variable}`.
- Messages and signals (engine.events): a message catch says which instance it
  belongs to with the extension property `correlation_key` (its own, else the
  process's), an expression over the instance data such as `${order_number}`.

This module builds specs and reads them back, and is the one other code imports.
By sub-domain: engine.bpmn_upload loads files and resolves references,
engine.bpmn_checks says why a process cannot run, engine.bpmn_stages reads
stages, and engine.bpmn_model holds what they share; their public names are
re-exported here.
"""

import copy
import re
from dataclasses import dataclass, field
from typing import Callable

from SpiffWorkflow.bpmn.parser.ProcessParser import ProcessParser
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.parser.event_parsers import (
    CANCEL_EVENT_XPATH, ERROR_EVENT_XPATH, ESCALATION_EVENT_XPATH, MESSAGE_EVENT_XPATH,
    SIGNAL_EVENT_XPATH, TERMINATION_EVENT_XPATH)
from SpiffWorkflow.bpmn.parser.task_parsers import SubprocessParser
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.specs.event_definitions import (
    MessageEventDefinition as CamundaMessageEventDefinition)
from SpiffWorkflow.camunda.parser.event_parsers import CamundaEndEventParser
from SpiffWorkflow.camunda.parser.task_spec import BusinessRuleTaskParser, SubWorkflowParser

from engine.bpmn_checks import check_process, correlation_key_of
from engine.expressions import ExpressionError, translate_condition
from engine.bpmn_model import BpmnInvalid, Doc, ParsedProcess, Problem, problem_at
from engine.bpmn_stages import SUBPROCESS_TAGS, element_stage, own_property, process_stages
from engine.bpmn_upload import (
    MAX_FILE_BYTES, Upload, files_for, load_file, propagate_calls, read_upload, schema_problems,
)
from engine.forms import BPMN_NS, CAMUNDA_NS, NS, SCHEMA_DIALECT, user_task_info

__all__ = [  # what callers use, wherever it is defined
    "MAX_FILE_BYTES", "STAGE_KEY", "TASK_KEY", "SUBPROCESS_TAGS", "HUMAN_TAGS",
    "Problem", "ParsedProcess", "BpmnInvalid", "TaskInfo", "Doc",
    "problem_at", "load_file", "schema_problems", "check_process",
    "build_specs", "parse_upload", "describe_task", "stage_of", "gates_of",
    "own_property", "element_stage", "process_stages",
]

STAGE_KEY = "dealflow:stage"  # keys in task_spec.extensions, which the serializer keeps
TASK_KEY = "dealflow:task"
CORRELATION_KEY = "dealflow:correlation_key"  # a message catch's key, as a Python expression
HUMAN_TAGS = {f"{{{BPMN_NS}}}userTask", f"{{{BPMN_NS}}}manualTask"}


@dataclass
class TaskInfo:
    """What a human task asks: who, by when, which form. Expressions are Python source."""
    title: str
    candidate_groups: list[str]
    assignee: str | None
    due_date: str | None
    priority: str | None
    form_schema: dict
    stage: str | None
    documentation: str | None
    gates: list[tuple[str, str]] = field(default_factory=list)  # (criterion, Python condition)


# --- SpiffWorkflow parser, extended ---------------------------------------------------------

class _ProcessParser(ProcessParser):
    """Builds specs even when isExecutable is false (so every problem shows), and annotates them."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # isExecutable is reported by our own checks; SpiffWorkflow would stop at it.
        self.process_executable = True

    def _parse(self):
        super()._parse()
        for task_spec in self.spec.task_specs.values():
            node = self.nodes_by_id.get(getattr(task_spec, "bpmn_id", None))
            if node is not None:
                _annotate(task_spec, node)


def _annotate(task_spec, node) -> None:
    """Store the stage (and, for human tasks, the TaskInfo) where the serializer keeps it."""
    if getattr(task_spec, "extensions", None) is None:
        task_spec.extensions = {}
    task_spec.extensions[STAGE_KEY] = element_stage(node)
    definition = getattr(task_spec, "event_definition", None)
    if isinstance(definition, CamundaMessageEventDefinition):
        # Camunda's parser puts a message's payload under one variable; Camunda itself merges
        # message variables into the process, and so do we: the plain definition does that.
        task_spec.event_definition = MessageEventDefinition(
            definition.name, definition.correlation_properties, description=definition.description)
    key = correlation_key_of(node)
    if key:
        try:
            task_spec.extensions[CORRELATION_KEY] = translate_condition(key)
        except ExpressionError:
            pass  # reported by the checks
    if node.tag in HUMAN_TAGS:
        task_spec.extensions[TASK_KEY] = user_task_info(node, task_spec.lane)[0]


class _BusinessRuleTaskParser(BusinessRuleTaskParser):
    """Report a business rule task without camunda:decisionRef instead of a KeyError."""

    @staticmethod
    def get_decision_ref(node):
        return node.get(f"{{{CAMUNDA_NS}}}decisionRef")

    def create_task(self):
        if not self.get_decision_ref(self.node):
            self.raise_validation_exception("a business rule task needs a camunda:decisionRef")
        return super().create_task()


class _SubprocessParser(SubWorkflowParser):
    """Camunda's subprocess parser, plus event subprocesses (triggeredByEvent) as in plain BPMN."""

    def create_task(self):
        if self.node.get("triggeredByEvent") != "true":
            return super().create_task()
        spec_id = SubprocessParser.get_subprocess_spec(self)
        return self.EVENT_SUBPROCESS_CLASS(self.spec, self.bpmn_id, subworkflow_spec=spec_id,
                                           **self.bpmn_attributes)


class _EndEventParser(CamundaEndEventParser):
    """SpiffWorkflow 3.2 reads a signal end event as a none end event, dropping its signal."""

    def create_task(self):
        definitions = [MESSAGE_EVENT_XPATH, CANCEL_EVENT_XPATH, ERROR_EVENT_XPATH,
                       ESCALATION_EVENT_XPATH, TERMINATION_EVENT_XPATH, SIGNAL_EVENT_XPATH]
        task = self._create_task(self.get_event_definition(definitions))
        task.connect(self.spec.end)
        return task


class _Parser(CamundaParser):
    """CamundaParser (so DMN business rule tasks work) with the fixes above."""
    PROCESS_PARSER_CLASS = _ProcessParser
    OVERRIDE_PARSER_CLASSES = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        f"{{{BPMN_NS}}}businessRuleTask": (_BusinessRuleTaskParser,
                                           CamundaParser.OVERRIDE_PARSER_CLASSES[
                                               f"{{{BPMN_NS}}}businessRuleTask"][1]),
        f"{{{BPMN_NS}}}endEvent": (_EndEventParser, CamundaParser.OVERRIDE_PARSER_CLASSES[
            f"{{{BPMN_NS}}}endEvent"][1]),
        f"{{{BPMN_NS}}}subProcess": (_SubprocessParser,
                                     CamundaParser.OVERRIDE_PARSER_CLASSES[f"{{{BPMN_NS}}}subProcess"][1]),
    }

    def _add_data_stores(self, bpmn):
        # We implement no data stores; flows that use one are reported by the checks,
        # so a drawn but unused data store does not stop the whole file.
        pass


# --- building specs -------------------------------------------------------------------------

def build_specs(files: dict[str, bytes], key: str) -> tuple[BpmnProcessSpec, dict]:
    """Return (spec, subprocess_specs) of process `key` built from stored files.

    Raises:
        BpmnInvalid: a file does not load, or SpiffWorkflow cannot build the process.
    """
    parser, docs, problems = _Parser(), {}, []
    for name in sorted(files):  # a fixed order keeps builds deterministic
        doc, doc_problems = load_file(name, files[name])
        problems += doc_problems
        if doc is None:
            continue
        docs[name] = doc
        try:
            if doc.kind == "dmn":
                parser.add_dmn_xml(doc.root, name)
            else:
                parser.add_bpmn_xml(doc.root.getroottree(), name)
        except Exception as exc:  # SpiffWorkflow raises assorted errors on odd models
            problems.append(_spiff_problem(exc, docs, key, name))
    if problems:
        raise BpmnInvalid(problems)
    try:
        return parser.get_spec(key), parser.get_subprocess_specs(key)
    except Exception as exc:
        raise BpmnInvalid([_spiff_problem(exc, docs, key)]) from exc


def _spiff_problem(exc: Exception, docs: dict, key: str, file: str | None = None) -> Problem:
    """Turn a SpiffWorkflow parse error into a Problem located at its element, else the process."""
    if isinstance(exc, ValidationException):
        text = ". ".join([str(exc.args[0]) if exc.args else "", *exc.notes])
        message = re.sub(r"<Element \{[^}]*\}(\w+) at 0x[0-9a-f]+>", r"\1", text).strip(" .")
        file, element_id = exc.file_name or file, exc.id or None
        if "RecursionError" in message:  # SpiffWorkflow parses one Python frame per step
            message = "too many steps in a row for SpiffWorkflow to build (a few hundred at most)"
    else:
        message, element_id = f"SpiffWorkflow cannot build this: {type(exc).__name__}: {exc}", None
    for doc_id in ([element_id] if element_id else []) + [key]:
        for doc in sorted(docs.values(), key=lambda d: d.name != file):
            found = doc.root.xpath("//*[@id=$id]", id=doc_id)
            if found:
                return problem_at(doc.name, found[0], message)
    return Problem(message, file or next(iter(docs), None), 1)


# --- reading a spec back --------------------------------------------------------------------

def describe_task(task_spec) -> TaskInfo:
    """Return what a person needs to know about a human task spec: title, people, form, stage."""
    extensions = getattr(task_spec, "extensions", None) or {}
    info = extensions.get(TASK_KEY)
    if info is None:  # a spec we did not parse, or not a human task: describe it plainly
        lane = getattr(task_spec, "lane", None)
        info = {"title": getattr(task_spec, "bpmn_name", None) or task_spec.name,
                "candidate_groups": [lane] if lane else [], "assignee": None, "due_date": None,
                "priority": None, "documentation": getattr(task_spec, "documentation", None),
                "form_schema": {"$schema": SCHEMA_DIALECT, "type": "object",
                                "properties": {}, "required": []}}
    return TaskInfo(stage=extensions.get(STAGE_KEY), **copy.deepcopy(info))


def stage_of(task_spec) -> str | None:
    """Return the stage of any task spec, or None."""
    return (getattr(task_spec, "extensions", None) or {}).get(STAGE_KEY)


def gates_of(task_spec) -> list[tuple[str, str]]:
    """Return the stage-gate criteria of a human task spec as (criterion, condition) pairs."""
    info = (getattr(task_spec, "extensions", None) or {}).get(TASK_KEY) or {}
    return [tuple(gate) for gate in info.get("gates", ())]


# --- checking an upload ---------------------------------------------------------------------

def parse_upload(files: list[tuple[str, bytes]],
                 find_deployed: Callable[[str], dict[str, bytes] | None] | None = None
                 ) -> list[ParsedProcess]:
    """Parse and check uploaded .bpmn/.dmn files together; return one ParsedProcess per process.

    Raises:
        TooLarge: a file is over MAX_FILE_BYTES.
        BpmnInvalid: any file is invalid; every problem across all files is listed.
    """
    upload = read_upload(files, find_deployed)
    results = {key: _analyse(upload, doc, proc) for key, (doc, proc) in upload.processes.items()}
    propagate_calls(upload, results)
    return list(results.values())


def _analyse(upload: Upload, doc: Doc, proc) -> ParsedProcess:
    key = proc.get("id")
    files = files_for(upload, key)
    problems = check_process(doc, proc)
    try:
        build_specs(files, key)
    except BpmnInvalid as exc:
        # SpiffWorkflow stops at its first error, often one our checks already explained.
        located = {p.element_id for p in problems}
        problems += [Problem(**p) for p in exc.problems if p.get("element_id") not in located]
    participant = doc.root.xpath("bpmn:collaboration/bpmn:participant[@processRef=$key]/@name",
                                 namespaces=NS, key=key)
    name = proc.get("name") or (participant[0] if participant else key)
    return ParsedProcess(key, name, doc.name, files, not problems, problems, process_stages(proc))
