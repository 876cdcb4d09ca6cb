"""The server's messages in the person's language: domain errors are English f-strings, read back here.

The domain packages know nothing of Flask or of languages: they raise
`NotFound(f"no task {task_id}")`. A page shows such a message through
`server_message`, which recognises it by its template ("no {what} {key}"),
looks the template up in the catalogue like any other string (ZH in
web/i18n_zh_messages.py) and fills the values back in. Placeholders named in
WORDS are words themselves ("task", "sealed") and are translated too; every
other value (an id, a name, a file) is shown as it came.

To translate a new message, add its template to TEMPLATES and its Chinese to
the catalogue; tests/web/test_messages.py checks both halves agree. A message
no template matches is shown in English and logged once. The JSON API keeps
the English: it is the contract's wording.
"""
from __future__ import annotations

import logging
import re
from functools import lru_cache

from .i18n import current_locale, gettext

log = logging.getLogger(__name__)
_unknown: set[str] = set()

# The things a message may name by kind ("no {what} {key}"), longest first so that
# "process instance" wins over "process".
NOUNS = ("process definition", "process instance", "committee member", "duplicate candidate",
         "contact link", "company link", "opportunity", "import job", "API token", "contract", "customer",
         "contracts", "company", "contact", "process", "tender", "order", "event", "task", "user",
         "team")
STATUSES = ("open", "completed", "cancelled", "running", "waiting", "terminated", "error",
            "rendered", "sealed", "signed")
# Placeholder name -> the words it may stand for; each is translated as its capitalised English.
WORDS = {"what": NOUNS, "status": STATUSES, "expected": STATUSES}

TEMPLATES = [
    # permission refused
    "please log in",
    "you need the permission {permission} ({description})",
    "you are not in a group of task {task}",
    "task {task} is not assigned to you",
    "you may not complete task {task}",
    "the route {endpoint} declares no permission, so it is closed",
    "you may change {what} only if you see both its ends",
    # not found
    "no {what} {key}",
    "no {what}",
    "no process {key} is deployed",
    "{what} {key} was merged into {survivor}",
    "process instance {instance} has no opportunity",
    "contract {number} has no revision {revision}",
    # already done, changed meanwhile, conflicts
    "task {task} is already claimed by {name}",
    "task {task} is no longer ready",
    "task {task} is already {status}",
    "process instance {instance} has already ended",
    "process instance {instance} was changed meanwhile; reload and retry",
    "process instance {instance} is not in error (it is {status})",
    "process instance {instance} has a signed contract already: {number}",
    "contract {number} was signed meanwhile; the deal keeps it",
    "contract {number} is {status}; only a {expected} contract can be {doing}",
    "contract {number} was superseded by a redraft; it can no longer be sent or signed",
    "changed meanwhile; reload and retry",
    "conflicts with an existing record; reload and retry",
    "a company called {name} exists already",
    "user {name} exists already",
    "team {name} exists already",
    "contact {contact} is on the committee already",
    "contact {contact} is on the committee of opportunity {opportunity} already",
    "credit_code {code} is {name}'s already",
    "is {name}'s already",
    # required fields, invalid values (the engine's and the schemas' wording)
    "the task cannot be completed yet",
    "{field} is required",
    "required",
    "not a field of this form",
    "must be an object",
    "data must be a JSON object",
    "say why you set these variables",
    "the customer's signer needs a name and an e-mail address",
    "a signing link lasts at most 30 days",
    "choose your PKCS#12 file (.p12 or .pfx)",
    "type your name as it stands on the link; if it is wrong, ask the sender for a new link",
    "tick that you have read and agree",
    "{file} is not a PDF: {why}",
    "{file} is not a readable PDF: {why}",
    "Missing data for required field.",
    "Field may not be null.",
    "Unknown field.",
    "Not a valid integer.",
    "Not a valid number.",
    "Not a valid string.",
    "Not a valid boolean.",
    "Not a valid date.",
    "Not a valid email address.",
    "Must be one of: {choices}.",
    "Length must be between {min} and {max}.",
    "Shorter than minimum length {min}.",
    "Longer than maximum length {max}.",
    "Must be greater than or equal to {min}.",
    "Must be greater than or equal to {min} and less than or equal to {max}.",
    # an upload that is no model at all (the checks of a model's elements are for a modeller to add)
    "no file uploaded",
    "{name}: only .bpmn and .dmn files can be uploaded",
    "not well-formed XML: {detail}",
    "DOCTYPE declarations are not allowed",
    "not a BPMN or DMN file: the root element is <{element}>",
    "a binary (or UTF-16) file, not UTF-8 XML text",
    "not UTF-8 text (byte {byte}); save the file as UTF-8",
    "{name} is over the {limit} MiB limit",
    "{name} is uploaded twice",
    # the web server's own refusals (werkzeug's and Flask-WTF's descriptions)
    "The requested URL was not found on the server. If you entered the URL manually please check "
    "your spelling and try again.",
    "The method is not allowed for the requested URL.",
    "The browser (or proxy) sent a request that this server could not understand.",
    "The data value transmitted exceeds the capacity limit.",
    "The CSRF token is missing.",
    "The CSRF session token is missing.",
    "The CSRF token is invalid.",
    "The CSRF tokens do not match.",
    "The CSRF token has expired.",
    "internal error; it has been logged",
]

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@lru_cache(maxsize=None)
def _patterns() -> list[tuple[re.Pattern, str]]:
    compiled = []
    for template in TEMPLATES:
        parts, last = [], 0
        for match in _PLACEHOLDER.finditer(template):
            parts.append(re.escape(template[last:match.start()]))
            name = match[1]
            words = WORDS.get(name)
            parts.append(f"(?P<{name}>{'|'.join(map(re.escape, words))})" if words else f"(?P<{name}>.+?)")
            last = match.end()
        parts.append(re.escape(template[last:]))
        compiled.append((re.compile("".join(parts), re.DOTALL), template))
    return compiled


def server_message(message: str) -> str:
    """Return a message of the server's (a domain error, a schema's, werkzeug's) in the request's language."""
    if not message or current_locale() == "en":
        return message
    for pattern, template in _patterns():
        match = pattern.fullmatch(message)
        if match:
            values = {name: gettext(value[:1].upper() + value[1:]) if name in WORDS else value
                      for name, value in match.groupdict().items()}
            return gettext(template, **values)
    if message not in _unknown:
        _unknown.add(message)
        log.info("no template for the server message %r", message)
    return message


def problem_text(problem: dict) -> str:
    """Return one problem of an error as a line: its message in words, after the field it names."""
    message = server_message(problem.get("message") or "")
    field = problem.get("field")
    if field and field not in ("body", "data") and not message.startswith(field):
        return f"{field}: {message}"
    return message
