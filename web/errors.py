"""Errors are exceptions, mapped here and nowhere else: JSON for the API, HTML for the pages.

The API (and any client asking for JSON) gets the contract's error body. A
person on a page gets the same message in words: a form that failed goes back
where it came from with the message flashed, anything else shows an error page.
Either way the request's changes are rolled back.
"""
from __future__ import annotations

import logging

from flask import Flask, flash, g, jsonify, redirect, render_template, request
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from core.errors import (Conflict, DomainError, Forbidden, Gone, InvalidInput, NotFound,
                         ProcessError, TooLarge, Unauthorized)

STATUS = {NotFound: 404, Conflict: 409, Forbidden: 403, Unauthorized: 401, InvalidInput: 422,
          TooLarge: 413, ProcessError: 422, Gone: 410}

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


def wants_json() -> bool:
    """Tell whether to answer in JSON: for /api, and for clients that prefer JSON to HTML."""
    if request.path == "/api" or request.path.startswith("/api/"):
        return True
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def respond(status: int, problems: list[dict]):
    """Answer an error in JSON or HTML, whichever the request wants."""
    if wants_json():
        return error_response(status, problems)
    return page_error(status, problems)


def page_error(status: int, problems: list[dict]):
    """Answer a page request's error: back to the form with a message, or an error page."""
    from .i18n import gettext as _
    from .messages import problem_text
    from .pages import back

    _discard_changes()
    if status == 401:
        return redirect(_login_url())
    messages = [problem_text(p) for p in problems]
    if request.method == "POST" and status < 500:
        flash(_(TITLES.get(status, "Something went wrong")) + ": " + "; ".join(messages), "error")
        return redirect(back(), 303)
    try:
        return render_template("error.html", status=status, title=_(TITLES.get(status, "Error")),
                               messages=messages), status
    except Exception:  # the page layout itself failed (a database gone): answer in plain text
        log.exception("cannot render the error page")
        return "; ".join(messages) or "error", status, {"Content-Type": "text/plain; charset=utf-8"}


TITLES = {400: "The request was not understood", 401: "Please log in", 403: "Not allowed",
          404: "Not found", 405: "This address only takes a form", 409: "Already changed", 410: "No longer available",
          413: "Too large", 422: "Cannot do that", 500: "Something went wrong"}


def _discard_changes() -> None:
    # The answer to a failed form is a redirect (a status below 400), which the
    # commit hook would otherwise take for success.
    session = g.get("db_session")
    if session is not None:
        session.rollback()


def _login_url() -> str:
    from flask import url_for

    return url_for("pages.login", next=request.full_path.rstrip("?"))


def register_error_handlers(app: Flask) -> None:
    """Answer every error in the contract's JSON shape or as a page; never a bare 500 for bad input."""

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        status = next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 422)
        return respond(status, exc.problems)

    @app.errorhandler(ValidationError)
    def validation_error(exc: ValidationError):
        return respond(422, list(_field_problems(exc.messages)))

    @app.errorhandler(StaleDataError)
    def stale(exc):
        return respond(409, [{"message": "changed meanwhile; reload and retry"}])

    @app.errorhandler(IntegrityError)
    def constraint_violated(exc):
        # The database's constraints are the last line of validation: a race the
        # services' checks could not see (two requests adding one name) is a conflict.
        log.info("constraint violated: %s", exc.orig)
        return respond(409, [{"message": "conflicts with an existing record; reload and retry"}])

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code == 405 and request.method == "GET" and not wants_json():
            # A form's URL opened as a page (reloaded, bookmarked): show the page of its object.
            from .pages import page_for

            target = page_for(request.path)
            if target:
                return redirect(target, 303)
        return respond(exc.code or 500, [{"message": exc.description or exc.name}])

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unhandled error")
        return respond(500, [{"message": "internal error; it has been logged"}])


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
