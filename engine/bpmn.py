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
"""

import copy
import re
import threading
from dataclasses import asdict, dataclass, field
from typing import Callable

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ProcessParser import ProcessParser
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.parser.task_parsers import SubprocessParser
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.parser.task_spec import BusinessRuleTaskParser, SubWorkflowParser
from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS as DMN_SCHEMAS

from engine.errors import InvalidInput, TooLarge
from engine.expressions import ExpressionError, translate_condition, translate_timer
from engine.forms import BPMN_NS, CAMUNDA_NS, NS, SCHEMA_DIALECT, user_task_info

MAX_FILE_BYTES = 5 * 1024 * 1024
STAGE_KEY = "dealflow:stage"  # keys in task_spec.extensions, which the serializer keeps
TASK_KEY = "dealflow:task"
SUBPROCESS_TAGS = {f"{{{BPMN_NS}}}{t}" for t in ("subProcess", "transaction", "adHocSubProcess")}
HUMAN_TAGS = {f"{{{BPMN_NS}}}userTask", f"{{{BPMN_NS}}}manualTask"}
_EXTENSIONS = (".bpmn", ".dmn", ".xml")


@dataclass
class Problem:
    """One reason a file is refused or a process cannot run, located for the designer."""
    message: str
    file: str | None = None
    line: int | None = None
    element_id: str | None = None

    def as_dict(self) -> dict:
        """Return the problem as a dict with only the keys that are set."""
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass
class ParsedProcess:
    """One bpmn:process of an accepted upload, with every file needed to build it."""
    key: str
    name: str
    file: str
    files: dict[str, bytes]
    is_executable: bool
    problems: list[Problem] = field(default_factory=list)
    stages: list[str] = field(default_factory=list)


class BpmnInvalid(InvalidInput):
    """An upload (or stored files) that is not usable BPMN/DMN; `problems` locates each cause."""

    def __init__(self, problems: list[Problem]):
        count = f"{len(problems)} problems" if len(problems) > 1 else "1 problem"
        super().__init__(f"invalid BPMN ({count}): {problems[0].message}",
                         [p.as_dict() for p in problems])


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


@dataclass
class Doc:
    """One loaded file: its bytes, its hardened lxml tree and its kind ('bpmn' or 'dmn')."""
    name: str
    data: bytes
    root: etree._Element
    kind: str
    issues: list = field(default_factory=list)  # (element, message) from expression translation


class _LocatedElement(etree.ElementBase):
    """An lxml element that answers SpiffWorkflow's `node.line_number` with lxml's sourceline."""

    @property
    def line_number(self):
        return self.sourceline


def problem_at(file: str, element, message: str) -> Problem:
    """Return a Problem at element's line, naming it or its nearest ancestor with an id.

    Ids inside extensionElements (Camunda form fields) are skipped: designers look for the task.
    """
    chain = [element, *element.iterancestors()]
    extension = next((i for i, e in enumerate(chain) if etree.QName(e).localname == "extensionElements"), -1)
    owner = next((e for e in chain[extension + 1:] if e.get("id")), None)
    return Problem(message, file, element.sourceline, owner.get("id") if owner is not None else None)


def load_file(name: str, data: bytes) -> tuple[Doc | None, list[Problem]]:
    """Parse one file safely and translate its expressions; return it or why it is refused."""
    if not name.lower().endswith(_EXTENSIONS):
        return None, [Problem(f"{name}: only .bpmn and .dmn files can be uploaded", name)]
    problem = _encoding_problem(name, data)
    if problem:
        return None, [problem]
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False, remove_comments=False)
    parser.set_element_class_lookup(etree.ElementDefaultClassLookup(element=_LocatedElement))
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        return None, [Problem(f"not well-formed XML: {exc.msg}", name, exc.lineno or 1)]
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        # DTDs are how XXE and entity-expansion attacks get in; BPMN never needs one.
        line = data[:data.find(b"<!DOCTYPE")].count(b"\n") + 1 if b"<!DOCTYPE" in data else 1
        return None, [Problem("DOCTYPE declarations are not allowed", name, line)]
    qname = etree.QName(root)
    if qname.localname == "definitions" and qname.namespace == BPMN_NS:
        doc = Doc(name, data, root, "bpmn")
        doc.issues = _translate_expressions(root)
        return doc, []
    if qname.localname == "definitions" and "omg.org/spec/DMN/" in (qname.namespace or ""):
        return Doc(name, data, root, "dmn"), []
    return None, [Problem(f"not a BPMN or DMN file: the root element is <{qname.localname}>",
                          name, root.sourceline)]


def _encoding_problem(name: str, data: bytes) -> Problem | None:
    """Refuse binary and non-UTF-8 files: stored definitions are kept as UTF-8 text."""
    if b"\x00" in data:
        return Problem("a binary (or UTF-16) file, not UTF-8 XML text", name,
                       data[:data.find(b"\x00")].count(b"\n") + 1)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Problem(f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8",
                       name, data[:exc.start].count(b"\n") + 1)
    return None


def _translate_expressions(root) -> list:
    """Rewrite conditions and timer values to Python in place; return (element, message) failures."""
    issues = []
    conditions = ("conditionExpression", "condition", "completionCondition", "loopCondition")
    for element in root.iter(*(f"{{{BPMN_NS}}}{t}" for t in conditions)):
        language = (element.get("language") or "").lower()
        if not (element.text or "").strip() or language not in ("", "python", "juel"):
            continue  # an empty or foreign-language condition is reported by the checks
        try:
            element.text = translate_condition(element.text)
        except ExpressionError as exc:
            issues.append((element, f"condition: {exc}"))
    timers = ("timeDate", "timeDuration", "timeCycle")
    for element in root.iter(*(f"{{{BPMN_NS}}}{t}" for t in timers)):
        if (element.text or "").strip():
            try:
                element.text = translate_timer(element.text)
            except ExpressionError as exc:
                issues.append((element, f"timer: {exc}"))
    return issues


_validators = threading.local()  # lxml schema objects are not shared across threads


def schema_problems(doc: Doc) -> list[Problem]:
    """Validate doc against the BPMN 2.0 (or its DMN) XSD; return one Problem per error.

    Camunda extensions sit in `##other`-namespace wildcards with lax processing, so
    the XSD accepts them unchecked; forms and properties are checked separately.
    """
    key = BPMN_NS if doc.kind == "bpmn" else etree.QName(doc.root).namespace
    if key not in DMN_SCHEMAS and key != BPMN_NS:
        return []
    cache = _validators.__dict__
    if key not in cache:
        cache[key] = BpmnValidator() if key == BPMN_NS else BpmnValidator(DMN_SCHEMAS[key])
    validator = cache[key]
    validator.preprocess(doc.root)
    if validator.validator.validate(doc.root):
        return []
    by_line = {}
    for element in doc.root.iter(etree.Element):
        by_line.setdefault(element.sourceline, element)
    problems = []
    for error in validator.validator.error_log:
        message = "XML schema: " + re.sub(r"\{[^}]*\}", "", error.message)
        element = by_line.get(error.line)
        problems.append(problem_at(doc.name, element, message) if element is not None
                        else Problem(message, doc.name, error.line))
    return problems


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


class _Parser(CamundaParser):
    """CamundaParser (so DMN business rule tasks work) with the fixes above."""
    PROCESS_PARSER_CLASS = _ProcessParser
    OVERRIDE_PARSER_CLASSES = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        f"{{{BPMN_NS}}}businessRuleTask": (_BusinessRuleTaskParser,
                                           CamundaParser.OVERRIDE_PARSER_CLASSES[
                                               f"{{{BPMN_NS}}}businessRuleTask"][1]),
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


def own_property(element, name: str) -> str | None:
    """Return the value of the element's own camunda:property `name`, if set and not blank."""
    for prop in element.iterfind("bpmn:extensionElements/camunda:properties/camunda:property", NS):
        if prop.get("name") == name and (prop.get("value") or "").strip():
            return prop.get("value").strip()
    return None


def element_stage(element) -> str | None:
    """Return the element's stage: its own, else its nearest enclosing subprocess's."""
    for candidate in [element, *element.iterancestors()]:
        if candidate is element or candidate.tag in SUBPROCESS_TAGS:
            stage = own_property(candidate, "stage")
            if stage:
                return stage
        if candidate.tag == f"{{{BPMN_NS}}}process":
            return None
    return None


def process_stages(process) -> list[str]:
    """Return the process's ordered stages: its `stages` property, else order of appearance."""
    declared = own_property(process, "stages")
    if declared:
        return list(dict.fromkeys(s.strip() for s in re.split(r"[,，]", declared) if s.strip()))
    stages = (element_stage(owner) for owner in _stage_owners(process))
    return list(dict.fromkeys(s for s in stages if s))


def _stage_owners(process) -> list:
    """Return the elements inside process that carry their own `stage` property, in file order."""
    owners = []
    for prop in process.iter(f"{{{CAMUNDA_NS}}}property"):
        extension = prop.getparent().getparent() if prop.get("name") == "stage" else None
        owner = extension.getparent() if extension is not None else None
        if owner is not None and own_property(owner, "stage"):
            owners.append(owner)
    return owners


# --- checking an upload ---------------------------------------------------------------------

def _bpmn(*names: str) -> list[str]:
    return [f"{{{BPMN_NS}}}{name}" for name in names]


_GATEWAYS = set(_bpmn("exclusiveGateway", "inclusiveGateway"))
# SpiffWorkflow lets only these have several outgoing flows.
_SPLITTERS = _GATEWAYS | set(_bpmn("parallelGateway", "eventBasedGateway", "complexGateway", "startEvent"))
_DECISION_REF = f"{{{CAMUNDA_NS}}}decisionRef"


@dataclass
class _Upload:
    """The loaded files of one upload, indexed for resolving references."""
    docs: list[Doc] = field(default_factory=list)
    processes: dict = field(default_factory=dict)  # process id -> (Doc, element)
    decisions: dict = field(default_factory=dict)  # decision id -> Doc
    deployed: dict = field(default_factory=dict)  # called process id -> its deployed files, or None


def parse_upload(files: list[tuple[str, bytes]],
                 find_deployed: Callable[[str], dict[str, bytes] | None] | None = None
                 ) -> list[ParsedProcess]:
    """Parse and check uploaded .bpmn/.dmn files together; return one ParsedProcess per process.

    Raises:
        TooLarge: a file is over MAX_FILE_BYTES.
        BpmnInvalid: any file is invalid; every problem across all files is listed.
    """
    files = [(re.split(r"[\\/]", name or "")[-1] or "upload",
              data.encode("utf-8") if isinstance(data, str) else data) for name, data in files]
    too_big = [Problem(f"{name} is over the {MAX_FILE_BYTES // 2**20} MiB limit", name)
               for name, data in files if len(data) > MAX_FILE_BYTES]
    if too_big:
        raise TooLarge(too_big[0].message, [p.as_dict() for p in too_big])
    if not files:
        raise BpmnInvalid([Problem("no file uploaded")])
    upload, problems = _load_upload(files)
    problems += _resolve_references(upload, find_deployed)
    if problems:
        raise BpmnInvalid(problems)
    results = {key: _analyse(upload, doc, proc) for key, (doc, proc) in upload.processes.items()}
    _propagate_calls(upload, results)
    return list(results.values())


def _load_upload(files: list[tuple[str, bytes]]) -> tuple[_Upload, list[Problem]]:
    upload, problems, names = _Upload(), [], set()
    for name, data in files:
        if name in names:
            problems.append(Problem(f"{name} is uploaded twice", name))
            continue
        names.add(name)
        doc, doc_problems = load_file(name, data)
        doc_problems += schema_problems(doc) if doc is not None else []
        problems += doc_problems
        if doc is not None and not doc_problems:
            upload.docs.append(doc)
    return upload, problems + _index(upload)


def _index(upload: _Upload) -> list[Problem]:
    """Index processes and decisions by id; refuse empty files and ids defined twice."""
    owners, problems = {}, []
    for doc in upload.docs:
        kind = "process" if doc.kind == "bpmn" else "decision"
        found = doc.root.findall(f"{{{etree.QName(doc.root).namespace}}}{kind}")
        if not found:
            problems.append(problem_at(doc.name, doc.root, f"{doc.name} contains no {kind}"))
        for element in found:
            if not element.get("id"):
                problems.append(problem_at(doc.name, element, f"a {kind} needs an id"))
                continue
            owners.setdefault((kind, element.get("id")), []).append((doc, element))
    for (kind, key), places in owners.items():
        if len(places) > 1:
            names = " and ".join(doc.name for doc, _ in places)
            problems += [problem_at(doc.name, element, f"{kind} id {key!r} is defined in {names}")
                         for doc, element in places]
        target = upload.processes if kind == "process" else upload.decisions
        target[key] = places[0] if kind == "process" else places[0][0]
    return problems


def _resolve_references(upload: _Upload, find_deployed) -> list[Problem]:
    """Refuse call activities and business rule tasks whose target exists nowhere."""
    problems = []
    for doc, proc in upload.processes.values():
        for call in proc.iter(*_bpmn("callActivity")):
            target = call.get("calledElement")
            if not target or "{" in target or target in upload.processes:
                continue  # missing or dynamic targets are reported by check_process
            if target not in upload.deployed:
                upload.deployed[target] = find_deployed(target) if find_deployed else None
            if not upload.deployed[target]:
                problems.append(problem_at(doc.name, call, f"calls process {target!r}, which is "
                                                           "neither in this upload nor deployed"))
        for task in proc.iter(*_bpmn("businessRuleTask")):
            ref = task.get(_DECISION_REF)
            if ref and "{" not in ref and ref not in upload.decisions:
                problems.append(problem_at(doc.name, task, f"uses decision {ref!r}, which is in no "
                                                           "uploaded .dmn file; upload it too"))
    return problems


def _analyse(upload: _Upload, doc: Doc, proc) -> ParsedProcess:
    key = proc.get("id")
    files = _files_for(upload, key)
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


def _files_for(upload: _Upload, key: str) -> dict[str, bytes]:
    """Return the files process `key` needs: its own, its DMN, and those of what it calls."""
    uploaded, deployed, todo, seen = {}, {}, [key], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        doc, proc = upload.processes[current]
        uploaded[doc.name] = doc.data
        for call in proc.iter(*_bpmn("callActivity")):
            target = call.get("calledElement")
            if target in upload.processes:
                todo.append(target)
            else:
                deployed.update(upload.deployed.get(target) or {})
        for task in proc.iter(*_bpmn("businessRuleTask")):
            dmn = upload.decisions.get(task.get(_DECISION_REF))
            if dmn is not None:
                uploaded[dmn.name] = dmn.data
    return {**deployed, **uploaded}  # on a name clash the uploaded file wins


def _propagate_calls(upload: _Upload, results: dict[str, ParsedProcess]) -> None:
    """Mark a process that calls an uploaded process which cannot run as unable to run too."""
    changed = True
    while changed:
        changed = False
        for key, result in results.items():
            doc, proc = upload.processes[key]
            for call in proc.iter(*_bpmn("callActivity")):
                target = results.get(call.get("calledElement"))
                if target is None or target is result or target.is_executable \
                        or any(p.element_id == call.get("id") for p in result.problems):
                    continue
                result.problems.append(problem_at(doc.name, call, f"calls process {target.key!r}, "
                                                                  "which cannot run"))
                changed, result.is_executable = True, False


# --- what keeps a valid process from running ------------------------------------------------

def check_process(doc: Doc, proc) -> list[Problem]:
    """Return what keeps a schema-valid process from running, each located, in file order."""
    issues = []
    if proc.get("isExecutable") == "false":
        issues.append((proc, 'the process is marked not executable (isExecutable="false")'))
    for check in (_check_flows, _check_activities, _check_events, _check_stages):
        issues += check(proc)
    issues += [(element, message) for element, message in doc.issues
               if next(element.iterancestors(*_bpmn("process")), None) is proc]
    unique = dict.fromkeys((element, message) for element, message in issues)
    problems = [problem_at(doc.name, element, message) for element, message in unique]
    return sorted(problems, key=lambda p: p.line or 0)


def _check_flows(proc) -> list:
    by_id = {e.get("id"): e for e in proc.iter(etree.Element) if e.get("id")}
    flows = list(proc.iter(*_bpmn("sequenceFlow")))
    exits = {}
    for flow in flows:
        exits[flow.get("sourceRef")] = exits.get(flow.get("sourceRef"), 0) + 1
    issues = []
    for flow in flows:
        condition = flow.find("bpmn:conditionExpression", NS)
        source = by_id.get(flow.get("sourceRef"))
        from_gateway = source is not None and source.tag in _GATEWAYS
        if condition is not None and (condition.text or "").strip():
            language = (condition.get("language") or "").lower()
            if language not in ("", "python", "juel"):
                issues.append((condition, f"condition language {language!r} is not supported; "
                                          "write ${...} or a Python expression"))
            if not from_gateway:
                issues.append((flow, "only flows leaving an exclusive or inclusive gateway "
                                     "may have a condition"))
        elif from_gateway and exits[source.get("id")] > 1 and source.get("default") != flow.get("id"):
            issues.append((flow, "this flow leaves a gateway with several ways out but has "
                                 "no condition and is not the default flow"))
    for source_id, count in exits.items():
        source = by_id.get(source_id)
        if count > 1 and source is not None and source.tag not in _SPLITTERS:
            issues.append((source, "several flows leave this element; split with a gateway"))
    return issues


def _check_activities(proc) -> list:
    issues = []
    for task in proc.iter(*_bpmn("scriptTask")):
        script_format = (task.get("scriptFormat") or "python").lower()
        if script_format not in ("python", "python3", "py"):
            issues.append((task, f"script format {script_format!r} is not supported; scripts run as Python"))
        if not (task.findtext("bpmn:script", "", NS)).strip():
            issues.append((task, "the script task has no script"))
    for task in proc.iter(*_bpmn("serviceTask")):
        issues.append((task, "service tasks cannot run here (no connectors or Java delegates); "
                             "use a script task"))
    for task in proc.iter(*_bpmn("sendTask", "receiveTask")):
        if not task.get("messageRef") and task.find("bpmn:messageEventDefinition", NS) is None:
            issues.append((task, "the task has no message"))
    for task in proc.iter(*_bpmn("businessRuleTask")):
        if not task.get(_DECISION_REF) or "{" in task.get(_DECISION_REF):
            issues.append((task, "set camunda:decisionRef to the id of a DMN decision"))
    for call in proc.iter(*_bpmn("callActivity")):
        if not call.get("calledElement") or "{" in call.get("calledElement"):
            issues.append((call, "set 'Called element' to the id of a process"))
    for task in proc.iter(*_bpmn("userTask")):
        issues += user_task_info(task, None)[1]
    stores = {ref.get("id") for ref in proc.iter(*_bpmn("dataStoreReference"))}
    for ref in proc.iterfind(".//bpmn:dataInputAssociation/bpmn:sourceRef", NS):
        if ref.text in stores:
            issues.append((ref.getparent().getparent(), "data stores are not supported; use data objects"))
    for ref in proc.iterfind(".//bpmn:dataOutputAssociation/bpmn:targetRef", NS):
        if ref.text in stores:
            issues.append((ref.getparent().getparent(), "data stores are not supported; use data objects"))
    return issues


_EVENT_REFS = (("messageEventDefinition", "messageRef", "message"),
               ("signalEventDefinition", "signalRef", "signal"),
               ("errorEventDefinition", "errorRef", "error"),
               ("escalationEventDefinition", "escalationRef", "escalation"))


def _check_events(proc) -> list:
    root = proc.getroottree().getroot()
    defined = {kind: {e.get("id"): e.get("name") for e in root.iterfind(f"bpmn:{kind}", NS)}
               for _, _, kind in _EVENT_REFS}
    issues = []
    for tag, attribute, kind in _EVENT_REFS:
        for definition in proc.iter(*_bpmn(tag)):
            ref, event = definition.get(attribute), definition.getparent()
            if ref and ref not in defined[kind]:
                issues.append((event, f"refers to {kind} {ref!r}, which is not defined"))
            elif ref and kind in ("message", "signal") and not defined[kind][ref]:
                # SpiffWorkflow matches messages and signals by name.
                issues.append((event, f"{kind} {ref!r} needs a name"))
            elif not ref and kind in ("message", "signal"):
                issues.append((event, f"the event has no {kind}; choose or create one"))
    for task in proc.iter(*_bpmn("sendTask", "receiveTask")):
        if task.get("messageRef") and task.get("messageRef") not in defined["message"]:
            issues.append((task, f"refers to message {task.get('messageRef')!r}, which is not defined"))
    for definition in proc.iter(*_bpmn("timerEventDefinition")):
        values = definition.iterchildren(*_bpmn("timeDate", "timeDuration", "timeCycle"))
        if not any((value.text or "").strip() for value in values):
            issues.append((definition.getparent(), "the timer has no value; set a date, duration or cycle"))
    for definition in proc.iter(*_bpmn("linkEventDefinition", "compensateEventDefinition")):
        kind = etree.QName(definition).localname.replace("EventDefinition", "")
        issues.append((definition.getparent(), f"{kind} events are not supported"))
    for definition in proc.iter(*_bpmn("conditionalEventDefinition")):
        if not definition.findtext("bpmn:condition", "", NS).strip():
            issues.append((definition.getparent(), "the conditional event has no condition"))
    return issues


def _check_stages(proc) -> list:
    if not own_property(proc, "stages"):
        return []
    allowed = set(process_stages(proc))
    return [(owner, f"stage {own_property(owner, 'stage')!r} is not in the process's stages list")
            for owner in _stage_owners(proc) if own_property(owner, "stage") not in allowed]
