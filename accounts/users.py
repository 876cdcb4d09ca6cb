"""People: users with a role and groups, their passwords (stored hashed) and logins."""
from __future__ import annotations

import functools
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from core.audit import record
from core.db import utcnow
from core.errors import Conflict, InvalidInput, NotFound, Unauthorized

from . import throttle
from .models import ROLES, Group, User
from .permissions import require

# Stands where a service account's password hash would be: no password matches it.
NO_PASSWORD = "!service account: tokens only"


def create_user(session: Session, name: str, password: str | None, *, role: str = "member",
                groups: list[str] = (), service: bool = False) -> User:
    """Create a user with a hashed password, creating missing groups on the way.

    A service account (`service=True`, for an ERP or OA integration) has no
    password and cannot log in on the pages; it works through its API tokens.
    """
    if service and password:
        raise InvalidInput("a service account has no password",
                           [{"message": "not for service accounts", "field": "password"}])
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}", [{"message": "unknown role", "field": "role"}])
    if not name or not name.strip():
        raise InvalidInput("a user needs a name", [{"message": "required", "field": "name"}])
    if not service and len(password or "") < 8:
        raise InvalidInput("the password needs at least 8 characters",
                           [{"message": "at least 8 characters", "field": "password"}])
    if find_user(session, name) is not None:
        raise Conflict(f"user {name!r} exists already")
    user = User(name=name.strip(), password_hash=NO_PASSWORD if service else generate_password_hash(password),
                role=role, groups=[ensure_group(session, g) for g in groups], is_service=service)
    session.add(user)
    session.flush()
    record(session, "user.created", actor=None, object_id=user.id,
           detail={"user": user.name, "role": role, "groups": sorted(groups), "service": service})
    return user


def ensure_group(session: Session, name: str) -> Group:
    """Return the group called `name`, creating it when it does not exist."""
    group = session.scalar(select(Group).where(Group.name == name))
    if group is None:
        group = Group(name=name)
        session.add(group)
        session.flush()
    return group


def find_user(session: Session, name: str) -> User | None:
    """Return the user called `name`, or None."""
    return session.scalar(select(User).where(User.name == name))


def get_user(session: Session, name: str) -> User:
    """Return the user called `name`; raise NotFound otherwise."""
    user = find_user(session, name)
    if user is None:
        raise NotFound(f"no user {name!r}")
    return user


def authenticate(session: Session, name: str, password: str) -> User:
    """Return the active user whose name and password match; raise Unauthorized otherwise."""
    user = find_user(session, name)
    if not _password_matches(user, password) or not user.is_active:
        raise Unauthorized(WRONG_LOGIN)
    return user


WRONG_LOGIN = "wrong user name or password"


class LoginThrottled(Unauthorized):
    """Too many recent failures: this attempt was not even checked; try again in `retry_after` s."""

    def __init__(self, retry_after: int):
        super().__init__(f"{WRONG_LOGIN}; try again in {retry_after} seconds")
        self.retry_after = retry_after


def login(session: Session, name: str, password: str, *, ip: str | None = None,
          now: datetime | None = None) -> User:
    """Check a login form's name and password, throttled per account, per IP and per both.

    Unknown names, wrong passwords, disabled users and service accounts all get
    one message, and cost one password hash, so that nothing tells them apart.
    Failures are flushed with the refusal: the caller must commit them although
    the login failed. Every attempt is audited with its IP.

    Raises:
        LoginThrottled: too many recent failures (see accounts.throttle); wait and retry.
        Unauthorized: unknown name, wrong password, disabled or service user.
    """
    now = now or utcnow()
    name = (name or "").strip()
    wait = throttle.wait_seconds(session, name, ip, now)
    if wait > 0:
        raise LoginThrottled(wait)
    user = find_user(session, name) if name else None
    if not _password_matches(user, password) or not user.is_active:
        throttle.note_failure(session, name, ip, now)
        record(session, "user.login_failed", actor=None, object_id=getattr(user, "id", None), ip=ip,
               detail={"user": name[:80]})
        session.flush()
        raise Unauthorized(WRONG_LOGIN)
    throttle.note_success(session, name, ip)
    record(session, "user.logged_in", actor=user, object_id=user.id, ip=ip, detail={"user": user.name})
    session.flush()
    return user


@functools.cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_hex(16))


def _password_matches(user: User | None, password: str) -> bool:
    # Without a user (or with a service account, which has no password) hash anyway:
    # an answer that came faster would tell an unknown name from a wrong password.
    if user is None or user.is_service:
        check_password_hash(_dummy_hash(), password or "")
        return False
    return check_password_hash(user.password_hash, password or "")


def end_sessions(session: Session, user: User) -> None:
    """End every page session of `user`: each carries the version it began with."""
    user.session_version = (user.session_version or 1) + 1
    session.flush()


def logout(session: Session, user: User, *, ip: str | None = None) -> None:
    """Log `user` out everywhere: this session and every copy of its cookie."""
    end_sessions(session, user)
    record(session, "user.logged_out", actor=user, detail={"user": user.name, "ip": ip})


def disable_user(session: Session, name: str, *, actor=None) -> User:
    """Disable a user: their logins, page sessions and API tokens stop working at once."""
    require(actor, "users.manage")
    user = get_user(session, name)
    user.is_active = False
    end_sessions(session, user)
    record(session, "user.disabled", actor=actor, detail={"user": user.name})
    return user


def enable_user(session: Session, name: str, *, actor=None) -> User:
    """Enable a disabled user again: their tokens work again, their old sessions stay ended."""
    require(actor, "users.manage")
    user = get_user(session, name)
    user.is_active = True
    session.flush()
    record(session, "user.enabled", actor=actor, detail={"user": user.name})
    return user


def change_password(session: Session, user: User, current: str, new: str) -> User:
    """Replace `user`'s password after checking the current one.

    Raises:
        InvalidInput: the current password is wrong, or the new one is too short.
    """
    if not check_password_hash(user.password_hash, current):
        raise InvalidInput("the current password is wrong",
                           [{"message": "wrong password", "field": "current_password"}])
    if len(new) < 8:
        raise InvalidInput("the password needs at least 8 characters",
                           [{"message": "at least 8 characters", "field": "new_password"}])
    user.password_hash = generate_password_hash(new)
    end_sessions(session, user)
    record(session, "user.password_changed", actor=user, object_id=user.id, detail={"user": user.name})
    return user


def find_user_by_id(session: Session, user_id: int) -> User | None:
    """Return the active user with `user_id`, or None: what a login session points at."""
    user = session.get(User, user_id)
    return user if user is not None and user.is_active else None
