"""Which process variables a BPMN process protects from outside callers.

A designer names them on the process (Camunda Modeler: select the process,
Properties panel > Extension properties):

- `protected_variables`: names only the process sets (its forms, scripts and
  the system's own integrations); neither start data nor
  `POST /api/process-instances/{id}/variables` may carry them.
- `protected_after_start`: names start data may carry (who owns the deal, the
  first estimate) but `/variables` may not change afterwards.

Values are comma-separated names; `*` matches any run of characters, so
`*_approved` covers every approval decision.
"""

import fnmatch
import re

from engine.bpmn_stages import own_property

PROTECTED = "protected_variables"
PROTECTED_AFTER_START = "protected_after_start"
_PATTERN = re.compile(r"[A-Za-z_*][A-Za-z0-9_*]*")


def declared_names(process, prop: str) -> tuple[list[str], list[str]]:
    """Return the names or patterns the process's property `prop` lists, and what is wrong with it."""
    raw = own_property(process, prop) or ""
    names, issues = [], []
    for entry in (e.strip() for e in re.split(r"[,，\s]+", raw)):
        if not entry:
            continue
        if _PATTERN.fullmatch(entry):
            names.append(entry)
        else:
            issues.append(f"{prop}: {entry!r} is not a variable name or a pattern with *")
    return list(dict.fromkeys(names)), issues


def matches(name: str, patterns) -> bool:
    """Tell whether `name` is one of `patterns` (names, or globs with *)."""
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)
