"""People: users with a role and groups, passwords and API tokens, both stored hashed."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from .audit import record
from .db import utcnow
from .errors import Conflict, InvalidInput, NotFound, Unauthorized
from .models import ROLES, ApiToken, Group, User, user_groups

TOKEN_PREFIX = "dft_"
TOKEN_USE_RESOLUTION = timedelta(minutes=1)


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
    record(session, "user.created", actor=None, detail={"user": user.name, "role": role,
                                                       "groups": sorted(groups)})
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


def login(session: Session, name: str, password: str, now: datetime | None = None) -> User:
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
        raise Unauthorized("wrong user name or password")
    if user.locked_until is not None and user.locked_until > now:
        raise LockedOut(user.locked_until)
    if not user.is_active or not check_password_hash(user.password_hash, password):
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.failed_logins, user.locked_until = 0, now + LOCKOUT
            record(session, "user.locked", actor=None,
                   detail={"user": user.name, "until": user.locked_until.isoformat()})
        session.flush()
        raise Unauthorized("wrong user name or password")
    user.failed_logins, user.locked_until = 0, None
    record(session, "user.logged_in", actor=user, detail={"user": user.name})
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
    record(session, "user.password_changed", actor=user, detail={"user": user.name})
    session.flush()
    return user


def find_user_by_id(session: Session, user_id: int) -> User | None:
    """Return the active user with `user_id`, or None: what a login session points at."""
    user = session.get(User, user_id)
    return user if user is not None and user.is_active else None


def create_token(session: Session, user: User) -> str:
    """Create an API token for `user` and return it; only its hash is stored, so show it once."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=_hash_token(token), prefix=token[:12]))
    session.flush()
    record(session, "token.created", actor=user, detail={"prefix": token[:12]})
    return token


@dataclass(frozen=True)
class Actor:
    """Who is acting, as far as rights and the audit trail need to know.

    Every API request authenticates; loading the ORM `User` with its groups for that
    costs more than a whole engine step, so the token is checked with one plain
    query into this value. Routes that change or show the user load the `User`.
    """
    id: int
    name: str
    role: str
    group_names: frozenset[str]

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


_tokens, _users, _groups = ApiToken.__table__, User.__table__, Group.__table__
# One row per group of the token's holder (one row with no group name when in none).
_TOKEN_HOLDER = (select(_users.c.id, _users.c.name, _users.c.role, _users.c.is_active,
                        _tokens.c.id.label("token_id"), _tokens.c.last_used_at,
                        _groups.c.name.label("group_name"))
                 .join_from(_tokens, _users, _tokens.c.user_id == _users.c.id)
                 .outerjoin(user_groups, user_groups.c.user_id == _users.c.id)
                 .outerjoin(_groups, _groups.c.id == user_groups.c.group_id)
                 .where(_tokens.c.token_hash == bindparam("token_hash")))
_NOTE_TOKEN_USE = (update(_tokens).where(_tokens.c.id == bindparam("token_id"))
                   .values(last_used_at=bindparam("last_used_at")))


def actor_for_token(session: Session, token: str) -> Actor:
    """Return who an API token belongs to, if active; raise Unauthorized otherwise."""
    connection = session.connection()
    rows = connection.execute(_TOKEN_HOLDER, {"token_hash": _hash_token(token)}).all()
    if not rows or not rows[0].is_active:
        raise Unauthorized("unknown or revoked API token")
    holder, now = rows[0], utcnow()
    # Only note use once a minute: a write on every request would cost every GET a commit.
    if holder.last_used_at is None or now - holder.last_used_at > TOKEN_USE_RESOLUTION:
        connection.execute(_NOTE_TOKEN_USE, {"token_id": holder.token_id, "last_used_at": now})
    names = frozenset(row.group_name for row in rows if row.group_name is not None)
    return Actor(holder.id, holder.name, holder.role, names)


def _hash_token(token: str) -> str:
    # Tokens carry 256 bits of randomness, so a plain SHA-256 is enough; a slow
    # password hash would cost every API request tens of milliseconds.
    return hashlib.sha256(token.encode()).hexdigest()
