"""Every OMG MIWG reference model, and its Camunda Modeler export, is refused cleanly or accepted with reasons.

The corpus is a copy of the workplace's shared/conformance/miwg in tests/conformance/miwg;
a missing corpus fails the run rather than silently testing nothing.
"""

from pathlib import Path

import pytest

from engine.bpmn import BpmnInvalid, parse_upload

CORPUS = Path(__file__).resolve().parents[1] / "conformance" / "miwg"
FILES = sorted(CORPUS.glob("**/*.bpmn"))
# Problems about the file itself (before there are elements to point at) carry a line only.
XML_LEVEL = ("not well-formed XML", "DOCTYPE", "a binary", "not UTF-8", "not a BPMN or DMN")


def test_corpus_is_present():
    assert FILES, f"no .bpmn files under {CORPUS}; the MIWG conformance corpus is missing"


@pytest.mark.parametrize("path", FILES or [None], ids=lambda p: str(p.relative_to(CORPUS)) if p else "missing")
def test_corpus_file_is_refused_cleanly_or_accepted_with_reasons(path):
    if path is None:
        pytest.fail(f"the MIWG conformance corpus is missing at {CORPUS}")
    try:
        parsed = parse_upload([(path.name, path.read_bytes())])
    except BpmnInvalid as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem["file"] == path.name and problem.get("line"), problem
            assert problem.get("element_id") or problem["message"].startswith(XML_LEVEL), problem
        return
    assert parsed, "an accepted file yields at least one process"
    for process in parsed:
        assert process.file == path.name and path.name in process.files
        if not process.is_executable:
            assert process.problems, f"{process.key} cannot run but says nothing why"
        for problem in process.problems:
            assert problem.file and problem.line and problem.element_id, problem


def test_related_corpus_files_resolve_each_other_when_uploaded_together():
    caller, callee = CORPUS / "reference" / "C.9.2.bpmn", CORPUS / "reference" / "C.9.1.bpmn"
    parsed = {p.key: p for p in parse_upload([(f.name, f.read_bytes()) for f in (caller, callee)])}
    [calling] = [p for p in parsed.values() if p.file == "C.9.2.bpmn"]
    assert set(calling.files) == {"C.9.2.bpmn", "C.9.1.bpmn"}
