"""People: users with a role and groups, their passwords (stored hashed) and logins."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from core.audit import record
from core.db import utcnow
from core.errors import Conflict, InvalidInput, NotFound, Unauthorized

from .models import ROLES, Group, User


def create_user(session: Session, name: str, password: str, *, role: str = "member",
                groups: list[str] = ()) -> User:
    """Create a user with a hashed password, creating missing groups on the way."""
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}", [{"message": "unknown role", "field": "role"}])
    if not name or not name.strip():
        raise InvalidInput("a user needs a name", [{"message": "required", "field": "name"}])
    if len(password) < 8:
        raise InvalidInput("the password needs at least 8 characters",
                           [{"message": "at least 8 characters", "field": "password"}])
    if find_user(session, name) is not None:
        raise Conflict(f"user {name!r} exists already")
    user = User(name=name.strip(), password_hash=generate_password_hash(password), role=role,
                groups=[ensure_group(session, g) for g in groups])
    session.add(user)
    session.flush()
    record(session, "user.created", actor=None, object_id=user.id,
           detail={"user": user.name, "role": role, "groups": sorted(groups)})
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
    if user is None or not user.is_active or not check_password_hash(user.password_hash, password):
        raise Unauthorized("wrong user name or password")
    return user


MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)


class LockedOut(Unauthorized):
    """Too many wrong passwords in a row: the account refuses logins until `until`."""

    def __init__(self, until: datetime):
        super().__init__(f"too many failed logins; try again after {until:%H:%M} UTC")
        self.until = until


def login(session: Session, name: str, password: str, now: datetime | None = None, *,
          ip: str | None = None) -> User:
    """Check a login form's name and password, counting wrong passwords towards a lockout.

    After MAX_FAILED_LOGINS wrong passwords in a row the account is locked for
    LOCKOUT; while locked even the right password is refused, so guessing gains
    nothing. The failure count is flushed with the refusal: the caller must
    commit it although the login failed.

    Raises:
        LockedOut: the account is locked.
        Unauthorized: unknown name, wrong password or inactive user (one message for all).
    """
    now = now or utcnow()
    user = find_user(session, name.strip()) if name else None
    if user is None:
        record(session, "user.login_failed", actor=None, ip=ip, detail={"user": (name or "")[:80]})
        raise Unauthorized("wrong user name or password")
    if user.locked_until is not None and user.locked_until > now:
        record(session, "user.login_failed", actor=None, object_id=user.id, ip=ip,
               detail={"user": user.name, "locked": True})
        raise LockedOut(user.locked_until)
    if not user.is_active or not check_password_hash(user.password_hash, password):
        user.failed_logins = (user.failed_logins or 0) + 1
        record(session, "user.login_failed", actor=None, object_id=user.id, ip=ip, detail={"user": user.name})
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.failed_logins, user.locked_until = 0, now + LOCKOUT
            record(session, "user.locked", actor=None, object_id=user.id, ip=ip,
                   detail={"user": user.name, "until": user.locked_until.isoformat()})
        session.flush()
        raise Unauthorized("wrong user name or password")
    user.failed_logins, user.locked_until = 0, None
    record(session, "user.logged_in", actor=user, object_id=user.id, ip=ip, detail={"user": user.name})
    session.flush()
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
    record(session, "user.password_changed", actor=user, object_id=user.id, detail={"user": user.name})
    session.flush()
    return user


def find_user_by_id(session: Session, user_id: int) -> User | None:
    """Return the active user with `user_id`, or None: what a login session points at."""
    user = session.get(User, user_id)
    return user if user is not None and user.is_active else None
