"""Who is calling: a bearer token for the API."""
from __future__ import annotations

from functools import wraps

from flask import g, request

from engine import accounts
from engine.errors import Unauthorized
from engine.models import User

from .db import get_session


def current_actor() -> accounts.Actor:
    """Return who is calling, authenticating the bearer token once per request."""
    if "actor" not in g:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("send an API token as 'Authorization: Bearer TOKEN'")
        g.actor = accounts.actor_for_token(get_session(), token.strip())
    return g.actor


def current_user() -> User:
    """Return the calling `User` as an ORM object, for routes that change or show it."""
    if "user" not in g:
        g.user = get_session().get(User, current_actor().id)
    return g.user


def token_required(view):
    """Refuse the request with 401 unless it carries a valid API token."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        current_actor()
        return view(*args, **kwargs)

    return wrapped
