"""What the BPMN modules share: located problems, loaded files and parsed processes.

engine.bpmn builds specs, engine.bpmn_upload loads and resolves uploads and
engine.bpmn_checks says why a process cannot run; all of them report Problems
about Docs. These live here, below all three, so none of them has to import
another in a circle. Callers import them from engine.bpmn, which re-exports them.
"""

from dataclasses import asdict, dataclass, field

from lxml import etree

from core.errors import InvalidInput
from engine.forms import BPMN_NS, CAMUNDA_NS

DECISION_REF = f"{{{CAMUNDA_NS}}}decisionRef"


def bpmn_tags(*names: str) -> list[str]:
    """Return the namespaced BPMN tags of local names, for lxml's iter()."""
    return [f"{{{BPMN_NS}}}{name}" for name in names]


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
class Doc:
    """One loaded file: its bytes, its hardened lxml tree and its kind ('bpmn' or 'dmn')."""
    name: str
    data: bytes
    root: etree._Element
    kind: str
    issues: list = field(default_factory=list)  # (element, message) from expression translation


def problem_at(file: str, element, message: str) -> Problem:
    """Return a Problem at element's line, naming it or its nearest ancestor with an id.

    Ids inside extensionElements (Camunda form fields) are skipped: designers look for the task.
    """
    chain = [element, *element.iterancestors()]
    extension = next((i for i, e in enumerate(chain) if etree.QName(e).localname == "extensionElements"), -1)
    owner = next((e for e in chain[extension + 1:] if e.get("id")), None)
    return Problem(message, file, element.sourceline, owner.get("id") if owner is not None else None)
