"""People and their rights: users, groups, teams, permissions, API tokens. No Flask.

The engine and the other domain packages ask this package one question, "may
this actor do this to this object", through `permissions.require` and
`visibility`; they never look at roles or groups themselves.
"""
from .permissions import Actor, actor_for_user, require
from .tokens import NEVER, actor_for_token, create_token, issue_token, list_tokens, revoke_token
from .users import (WRONG_LOGIN, LoginThrottled, authenticate, change_password, create_user, disable_user,
                    enable_user, end_sessions, ensure_group, find_user, find_user_by_id, get_user, login, logout)

__all__ = ["Actor", "LoginThrottled", "NEVER", "WRONG_LOGIN", "actor_for_token", "actor_for_user",
           "authenticate", "change_password", "create_token", "create_user", "disable_user", "enable_user",
           "end_sessions", "ensure_group", "find_user", "find_user_by_id", "get_user", "issue_token", "list_tokens", "login",
           "logout", "require", "revoke_token"]
