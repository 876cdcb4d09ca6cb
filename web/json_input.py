"""Load request JSON once, refusing what would break later: deep nesting, lone surrogates.

Every JSON body reaches the app through `app.json.loads` (request.get_json),
so the checks here cover every route. A body nested ~1000 deep makes the
parser, marshmallow, jsonschema and json.dumps recurse until RecursionError;
a lone surrogate ("\\ud800") parses but cannot be encoded as UTF-8 for the
database, a PDF or lxml. Both are answered 400 before any route sees them.
"""
from __future__ import annotations

import json
import re

from flask.json.provider import DefaultJSONProvider

from .errors import BadRequest

MAX_DEPTH = 64
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


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
    """Raise BadRequest when `value` nests deeper than MAX_DEPTH or holds a lone surrogate."""
    pending = [(value, 1)]
    while pending:  # iterative: the point is not to recurse on hostile depth
        item, depth = pending.pop()
        if isinstance(item, str):
            if LONE_SURROGATE.search(item):
                _refuse("invalid unicode (lone surrogate)")
            continue
        if not isinstance(item, (dict, list)):
            continue
        if depth > MAX_DEPTH:
            _refuse(f"the body is nested deeper than {MAX_DEPTH} levels")
        if isinstance(item, dict):
            pending.extend((key, depth) for key in item)
            pending.extend((inner, depth + 1) for inner in item.values())
        else:
            pending.extend((inner, depth + 1) for inner in item)


def _refuse(message: str):
    raise BadRequest(message, [{"message": message, "field": "body"}])
