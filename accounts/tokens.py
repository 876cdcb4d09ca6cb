"""API tokens: created once and shown once, stored as their SHA-256, checked on every request."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from core.audit import record
from core.db import utcnow
from core.errors import Unauthorized

from .models import ApiToken, Group, GroupPermission, User, user_groups
from .permissions import Actor, role_and_group_permissions

TOKEN_PREFIX = "dft_"
TOKEN_USE_RESOLUTION = timedelta(minutes=1)


def create_token(session: Session, user: User) -> str:
    """Create an API token for `user` and return it; only its hash is stored, so show it once."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=_hash_token(token), prefix=token[:12]))
    session.flush()
    record(session, "token.created", actor=user, detail={"prefix": token[:12]})
    return token


_tokens, _users, _groups = ApiToken.__table__, User.__table__, Group.__table__
_grants = GroupPermission.__table__
# One row per group of the token's holder and permission the group grants (one row with
# no group name when in none): who it is and what it may do in one round trip.
_TOKEN_HOLDER = (select(_users.c.id, _users.c.name, _users.c.role, _users.c.is_active,
                        _tokens.c.id.label("token_id"), _tokens.c.last_used_at,
                        _groups.c.name.label("group_name"), _grants.c.permission)
                 .join_from(_tokens, _users, _tokens.c.user_id == _users.c.id)
                 .outerjoin(user_groups, user_groups.c.user_id == _users.c.id)
                 .outerjoin(_groups, _groups.c.id == user_groups.c.group_id)
                 .outerjoin(_grants, _grants.c.group_name == _groups.c.name)
                 .where(_tokens.c.token_hash == bindparam("token_hash")))
_NOTE_TOKEN_USE = (update(_tokens).where(_tokens.c.id == bindparam("token_id"))
                   .values(last_used_at=bindparam("last_used_at")))


def actor_for_token(session: Session, token: str, *, ip: str | None = None) -> Actor:
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
    granted = {row.permission for row in rows if row.permission is not None}
    return Actor(holder.id, holder.name, holder.role, names, role_and_group_permissions(holder.role, granted), ip)


def _hash_token(token: str) -> str:
    # Tokens carry 256 bits of randomness, so a plain SHA-256 is enough; a slow
    # password hash would cost every API request tens of milliseconds.
    return hashlib.sha256(token.encode()).hexdigest()
