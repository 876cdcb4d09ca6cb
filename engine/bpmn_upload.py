"""Load uploaded BPMN/DMN files safely and resolve the references between them.

Uploads are untrusted: each file is size-checked, must be UTF-8, is parsed with a
hardened lxml parser that refuses any DOCTYPE (the way in for XXE and entity
expansion), and is validated against the BPMN/DMN XSD. Whatever is wrong here
refuses the whole upload (BpmnInvalid, nothing stored); engine.bpmn then checks
and builds each process of an upload that loads. Spec building reloads stored
files through load_file too, so stored and uploaded files are read the same way.
"""

import re
import threading
from dataclasses import dataclass, field
from typing import Callable

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS as DMN_SCHEMAS

from engine.bpmn_model import (
    DECISION_REF, BpmnInvalid, Doc, ParsedProcess, Problem, bpmn_tags, problem_at,
)
from core.errors import TooLarge
from engine.expressions import ExpressionError, translate_condition, translate_timer
from engine.forms import BPMN_NS

MAX_FILE_BYTES = 5 * 1024 * 1024
_EXTENSIONS = (".bpmn", ".dmn", ".xml")


# --- one file -------------------------------------------------------------------------------

class _LocatedElement(etree.ElementBase):
    """An lxml element that answers SpiffWorkflow's `node.line_number` with lxml's sourceline."""

    @property
    def line_number(self):
        return self.sourceline


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


# --- an upload ------------------------------------------------------------------------------

@dataclass
class Upload:
    """The loaded files of one upload, indexed for resolving references."""
    docs: list[Doc] = field(default_factory=list)
    processes: dict = field(default_factory=dict)  # process id -> (Doc, element)
    decisions: dict = field(default_factory=dict)  # decision id -> Doc
    deployed: dict = field(default_factory=dict)  # called process id -> its deployed files, or None


def read_upload(files: list[tuple[str, bytes]],
                find_deployed: Callable[[str], dict[str, bytes] | None] | None = None) -> Upload:
    """Load uploaded files together and resolve their references; return them indexed.

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
    return upload


def _load_upload(files: list[tuple[str, bytes]]) -> tuple[Upload, list[Problem]]:
    upload, problems, names = Upload(), [], set()
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


def _index(upload: Upload) -> list[Problem]:
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


def _resolve_references(upload: Upload, find_deployed) -> list[Problem]:
    """Refuse call activities and business rule tasks whose target exists nowhere."""
    problems = []
    for doc, proc in upload.processes.values():
        for call in proc.iter(*bpmn_tags("callActivity")):
            target = call.get("calledElement")
            if not target or "{" in target or target in upload.processes:
                continue  # missing or dynamic targets are reported by check_process
            if target not in upload.deployed:
                upload.deployed[target] = find_deployed(target) if find_deployed else None
            if not upload.deployed[target]:
                problems.append(problem_at(doc.name, call, f"calls process {target!r}, which is "
                                                           "neither in this upload nor deployed"))
        for task in proc.iter(*bpmn_tags("businessRuleTask")):
            ref = task.get(DECISION_REF)
            if ref and "{" not in ref and ref not in upload.decisions:
                problems.append(problem_at(doc.name, task, f"uses decision {ref!r}, which is in no "
                                                           "uploaded .dmn file; upload it too"))
    return problems


def files_for(upload: Upload, key: str) -> dict[str, bytes]:
    """Return the files process `key` needs: its own, its DMN, and those of what it calls."""
    uploaded, deployed, todo, seen = {}, {}, [key], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        doc, proc = upload.processes[current]
        uploaded[doc.name] = doc.data
        for call in proc.iter(*bpmn_tags("callActivity")):
            target = call.get("calledElement")
            if target in upload.processes:
                todo.append(target)
            else:
                deployed.update(upload.deployed.get(target) or {})
        for task in proc.iter(*bpmn_tags("businessRuleTask")):
            dmn = upload.decisions.get(task.get(DECISION_REF))
            if dmn is not None:
                uploaded[dmn.name] = dmn.data
    return {**deployed, **uploaded}  # on a name clash the uploaded file wins


def propagate_calls(upload: Upload, results: dict[str, ParsedProcess]) -> None:
    """Mark a process that calls an uploaded process which cannot run as unable to run too."""
    changed = True
    while changed:
        changed = False
        for key, result in results.items():
            doc, proc = upload.processes[key]
            for call in proc.iter(*bpmn_tags("callActivity")):
                target = results.get(call.get("calledElement"))
                if target is None or target is result or target.is_executable \
                        or any(p.element_id == call.get("id") for p in result.problems):
                    continue
                result.problems.append(problem_at(doc.name, call, f"calls process {target.key!r}, "
                                                                  "which cannot run"))
                changed, result.is_executable = True, False

