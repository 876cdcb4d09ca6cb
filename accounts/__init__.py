"""People and their rights: users, groups, teams, permissions, API tokens. No Flask.

The engine and the other domain packages ask this package one question, "may
this actor do this to this object", through `permissions.require` and
`visibility`; they never look at roles or groups themselves.
"""
from .permissions import Actor, actor_for_user, require
from .tokens import actor_for_token, create_token
from .users import (LOCKOUT, MAX_FAILED_LOGINS, LockedOut, authenticate, change_password, create_user,
                    ensure_group, find_user, find_user_by_id, get_user, login)

__all__ = ["Actor", "LOCKOUT", "LockedOut", "MAX_FAILED_LOGINS", "actor_for_token", "actor_for_user",
           "authenticate", "change_password", "create_token", "create_user", "ensure_group", "find_user",
           "find_user_by_id", "get_user", "login", "require"]
