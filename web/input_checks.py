"""Refuse, before any route sees it, input that would break later: deep JSON, text no column holds.

Every JSON body reaches the app through `app.json.loads` (request.get_json),
so the checks here cover every route. A body nested ~1000 deep makes the
parser, marshmallow, jsonschema and json.dumps recurse until RecursionError;
a lone surrogate ("\\ud800") parses but cannot be encoded as UTF-8 for the
database, a PDF or lxml; PostgreSQL refuses NUL in text and in JSON, and
no JSON column holds NaN or Infinity (Python reads both, and 1e999 as inf). The same
text checks apply to path segments, query parameters, form fields and file
names (`check_request_text`, run before every request). All are a 400.
"""
from __future__ import annotations

import json
import math
import re

from flask import request
from flask.json.provider import DefaultJSONProvider

from .errors import BadRequest

MAX_DEPTH = 64
BAD_TEXT = re.compile("[\ud800-\udfff\x00]")


class CheckedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, with incoming documents limited in depth and to valid Unicode."""

    def loads(self, s, **kwargs):
        try:
            value = json.loads(s, **kwargs)
        except RecursionError:
            _refuse(f"the body is nested deeper than {MAX_DEPTH} levels")
        check_document(value)
        return value


def check_document(value) -> None:
    """Raise BadRequest when `value` nests deeper than MAX_DEPTH, holds bad text or a number not finite."""
    pending = [(value, 1)]
    while pending:  # iterative: the point is not to recurse on hostile depth
        item, depth = pending.pop()
        if isinstance(item, str):
            _check_text(item, "body")
            continue
        if isinstance(item, float) and not math.isfinite(item):
            _refuse("numbers must be finite (no NaN, Infinity or overflowing exponents)")
        if not isinstance(item, (dict, list)):
            continue
        if depth > MAX_DEPTH:
            _refuse(f"the body is nested deeper than {MAX_DEPTH} levels")
        if isinstance(item, dict):
            pending.extend((key, depth) for key in item)
            pending.extend((inner, depth + 1) for inner in item.values())
        else:
            pending.extend((inner, depth + 1) for inner in item)


def check_request_text() -> None:
    """Raise BadRequest naming the parameter whose name or value no text column can hold."""
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str):
            _check_text(value, name)
    sources = (request.args, request.form) if request.mimetype in FORMS else (request.args,)
    for source in sources:
        for name, value in source.items(multi=True):
            _check_text(name or "", name or "body")  # a multipart part may come without a name
            _check_text(value or "", name or "body")
    if request.mimetype == "multipart/form-data":
        for name, upload in request.files.items(multi=True):
            _check_text(upload.filename or "", name or "body")


FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")


def _check_text(text: str, field: str) -> None:
    found = BAD_TEXT.search(text)
    if found:
        _refuse("invalid character (NUL)" if found.group() == "\x00" else "invalid unicode (lone surrogate)",
                field)


def _refuse(message: str, field: str = "body"):
    # The field's own name may be the bad text: named escaped, so the answer is valid JSON and UTF-8.
    shown = field.encode("utf-8", "backslashreplace").decode().replace("\x00", "\\x00")
    raise BadRequest(message, [{"message": message, "field": shown}])
