"""Who is calling, and whether they may: bearer tokens for the API, the session for pages.

Every blueprint declares, in one table beside its routes, the permission each of
its endpoints needs (`declare_permissions`); a request to an endpoint missing from
its table is refused, so a new route cannot forget to be checked.
"""
from __future__ import annotations

from flask import Blueprint, g, request, session

import accounts
from accounts.models import User
from accounts.permissions import PERMISSIONS
from core.errors import Forbidden, Unauthorized

from .db import get_session

# The endpoint needs nobody logged in: the login page, assets, a customer's signing link.
PUBLIC = "public"
# The endpoint needs a logged-in person or a token, and no permission beyond that.
SIGNED_IN = "signed-in"


def is_api_request() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def current_actor() -> accounts.Actor:
    """Return who is calling, authenticating once per request.

    Raises:
        Unauthorized: no valid bearer token (API) or no logged-in session (pages).
    """
    if "actor" not in g:
        if is_api_request():
            g.actor = accounts.actor_for_token(get_session(), _bearer_token(), ip=request.remote_addr)
        else:
            user = page_user()
            if user is None:
                raise Unauthorized("please log in")
            g.actor = accounts.actor_for_user(get_session(), user, ip=request.remote_addr)
    return g.actor


def page_user():
    """Return the logged-in user of this request, or None."""
    if "page_user" not in g:
        user = None
        user_id = session.get("user_id")
        if user_id is not None:
            user = accounts.find_user_by_id(get_session(), user_id)
            # Logout, a password change and disabling bump the version: copies of the cookie die too.
            if user is not None and session.get("session_version") != user.session_version:
                user = None
        g.page_user = user
    return g.page_user


def _bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send an API token as 'Authorization: Bearer TOKEN'")
    return token.strip()


def current_user() -> User:
    """Return the calling `User` as an ORM object, for routes that change or show it."""
    if "user" not in g:
        g.user = get_session().get(User, current_actor().id)
    return g.user


def declare_permissions(bp: Blueprint, needs: dict[str, str]) -> None:
    """Check before every request to `bp` the permission its endpoint needs.

    Args:
        needs: endpoint (the view function's name) -> a permission, SIGNED_IN or PUBLIC.
    """
    unknown = {need for need in needs.values() if need not in PERMISSIONS and need not in (PUBLIC, SIGNED_IN)}
    if unknown:
        raise ValueError(f"blueprint {bp.name!r} names unknown permissions: {sorted(unknown)}")
    bp.permissions = dict(needs)

    @bp.before_request
    def check_permission():
        view = (request.endpoint or "").rpartition(".")[2]
        need = needs.get(view)
        if need is None:
            raise Forbidden(f"the route {request.endpoint!r} declares no permission, so it is closed")
        if need == PUBLIC:
            return
        actor = current_actor()
        if need != SIGNED_IN:
            accounts.require(actor, need)
