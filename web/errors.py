"""Errors are exceptions, mapped to JSON here and nowhere else."""
from __future__ import annotations

import logging

from flask import Flask, jsonify
from marshmallow import ValidationError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from engine.errors import (Conflict, DomainError, Forbidden, InvalidInput, NotFound, ProcessError,
                           TooLarge, Unauthorized)

STATUS = {NotFound: 404, Conflict: 409, Forbidden: 403, Unauthorized: 401, InvalidInput: 422,
          TooLarge: 413, ProcessError: 422}

log = logging.getLogger(__name__)


class BadRequest(DomainError):
    """The request itself is malformed: not JSON, not an object."""


STATUS[BadRequest] = 400


def error_response(status: int, problems: list[dict]):
    """Return the contract's error body with `status`."""
    response = jsonify({"errors": problems})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="dealflow"'
    return response


def register_error_handlers(app: Flask) -> None:
    """Answer every error in the contract's JSON shape; never a bare 500 for bad input."""

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        status = next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 422)
        return error_response(status, exc.problems)

    @app.errorhandler(ValidationError)
    def validation_error(exc: ValidationError):
        return error_response(422, list(_field_problems(exc.messages)))

    @app.errorhandler(StaleDataError)
    def stale(exc):
        return error_response(409, [{"message": "changed meanwhile; reload and retry"}])

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return error_response(exc.code or 500, [{"message": exc.description or exc.name}])

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unhandled error")
        return error_response(500, [{"message": "internal error; it has been logged"}])


def _field_problems(messages, prefix: str = ""):
    if isinstance(messages, dict):
        for field, inner in messages.items():
            name = f"{prefix}.{field}" if prefix else str(field)
            yield from _field_problems(inner, name)
    elif isinstance(messages, list):
        for message in messages:
            if isinstance(message, (dict, list)):
                yield from _field_problems(message, prefix)
            else:
                yield {"message": str(message), "field": prefix or "body"}
    else:
        yield {"message": str(messages), "field": prefix or "body"}
