"""Who is calling: a bearer token for the API."""
from __future__ import annotations

from functools import wraps

from flask import g, request

from engine import accounts
from engine.errors import Unauthorized

from .db import get_session


def current_user():
    """Return the user of this request, authenticating the bearer token once."""
    if "user" not in g:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("send an API token as 'Authorization: Bearer TOKEN'")
        g.user = accounts.user_for_token(get_session(), token.strip())
    return g.user


def token_required(view):
    """Refuse the request with 401 unless it carries a valid API token."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        current_user()
        return view(*args, **kwargs)

    return wrapped
