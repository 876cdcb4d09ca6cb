"""Errors the engine raises; the web layer maps each class to one HTTP status."""


class DomainError(Exception):
    """An error the user can act on; the message is safe to show.

    `problems` holds one dict per located problem, e.g.
    {"message": ..., "field": ...} or {"message": ..., "file": ..., "line": ..., "element_id": ...}.
    """

    def __init__(self, message: str, problems: list[dict] | None = None):
        super().__init__(message)
        self.message = message
        self.problems = problems or [{"message": message}]


class NotFound(DomainError):
    """The thing asked for does not exist (or the caller may not see it)."""


class Conflict(DomainError):
    """The request clashes with the current state: already done, changed meanwhile."""


class Forbidden(DomainError):
    """The caller is known but may not do this."""


class Unauthorized(DomainError):
    """The caller is not known: no or a bad token, no session."""


class Gone(DomainError):
    """The thing existed but can no longer be used: a signing link used, expired or revoked."""


class InvalidInput(DomainError):
    """The content is well-formed but breaks a rule: a form field, a gate, a BPMN element."""


class TooLarge(DomainError):
    """An upload is over its size limit."""


class ProcessError(DomainError):
    """A process failed while running: a script, a condition, a timer expression.

    Carries what a modeller needs to find the cause: the BPMN element id and the file.
    """

    def __init__(self, message: str, element_id: str | None = None, file: str | None = None,
                 line: int | None = None):
        problem = {"message": message}
        if element_id:
            problem["element_id"] = element_id
        if file:
            problem["file"] = file
        if line:
            problem["line"] = line
        super().__init__(message, [problem])
        self.element_id = element_id
