"""One database session per request; the request owns the transaction.

Services flush; this module commits when the response is a success and rolls
back otherwise, so a failed request leaves nothing behind.
"""
from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session


def get_session() -> Session:
    """Return this request's session, opening it on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["session_factory"]()
    return g.db_session


def keep_changes() -> None:
    """Commit this request's changes although it answers an error.

    For what must outlive a refusal: the audit event of a used or expired signing link.
    """
    g.keep_changes = True


def init_app(app: Flask) -> None:
    """Commit after successful requests; roll back and close after every request."""

    @app.after_request
    def commit(response):
        session = g.get("db_session")
        if session is not None and (response.status_code < 400 or g.get("keep_changes")):
            session.commit()
        return response

    @app.teardown_request
    def close(exc=None):
        session = g.pop("db_session", None)
        if session is not None:
            session.rollback()
            session.close()
