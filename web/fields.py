"""Numbers the database can hold, in schemas and URLs: ids (INTEGER columns) and amounts (BIGINT).

SQLite raises OverflowError beyond 2**63 - 1 and PostgreSQL NumericValueOutOfRange
beyond a column's type (2**31 - 1 for an INTEGER id); refused here, such a number
is a 422 naming the field (or, in a URL, a 404) instead of a 500.
"""
from __future__ import annotations

from marshmallow import fields, validate
from werkzeug.routing import IntegerConverter

MAX_INT64 = 2**63 - 1
MIN_INT64 = -(2**63)
MAX_ID = 2**31 - 1  # ids are INTEGER columns


class Int64(fields.Integer):
    """An integer that fits a BIGINT column."""

    def __init__(self, *, validate_range: validate.Range | None = None, **kwargs):
        checks = kwargs.pop("validate", None)
        checks = [checks] if callable(checks) else list(checks or [])
        bounds = validate_range or validate.Range(min=MIN_INT64, max=MAX_INT64)
        super().__init__(validate=[bounds, *checks], **kwargs)


class Id(Int64):
    """A row id: 1 to 2**31 - 1."""

    def __init__(self, **kwargs):
        super().__init__(validate_range=validate.Range(min=1, max=MAX_ID), **kwargs)


class IdConverter(IntegerConverter):
    """The `int` URL converter, matching only ids (1 to 2**31 - 1): any other number is a 404."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = 1, max: int | None = MAX_ID,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)
