"""Which sales stage a BPMN element belongs to, and the order of a process's stages.

The designer convention (a `stage` extension property, inherited from the nearest
enclosing subprocess; order from the process's `stages` property) is described in
engine.bpmn. Spec building annotates tasks with their stage and the checks compare
stages against the declared list, so both use these helpers from here.
"""

import re

from engine.forms import BPMN_NS, CAMUNDA_NS, NS

SUBPROCESS_TAGS = {f"{{{BPMN_NS}}}{t}" for t in ("subProcess", "transaction", "adHocSubProcess")}


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
    stages = (element_stage(owner) for owner in stage_owners(process))
    return list(dict.fromkeys(s for s in stages if s))


def stage_owners(process) -> list:
    """Return the elements inside process that carry their own `stage` property, in file order."""
    owners = []
    for prop in process.iter(f"{{{CAMUNDA_NS}}}property"):
        extension = prop.getparent().getparent() if prop.get("name") == "stage" else None
        owner = extension.getparent() if extension is not None else None
        if owner is not None and own_property(owner, "stage"):
            owners.append(owner)
    return owners
