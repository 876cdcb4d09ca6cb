"""API tokens: created once and shown once, stored as their SHA-256, checked on every request.

A token has a name, an expiry (90 days unless told; never only for service
accounts), optional scopes that narrow what it may do below its holder's
permissions, and can be revoked by its holder or by whoever has users.manage.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from core.audit import record
from core.db import utcnow
from core.errors import Forbidden, InvalidInput, NotFound, Unauthorized

from .models import ApiToken, Group, GroupPermission, User, user_groups
from .permissions import PERMISSIONS, Actor, permissions_of, require, role_and_group_permissions

TOKEN_PREFIX = "dft_"
TOKEN_USE_RESOLUTION = timedelta(minutes=1)
DEFAULT_LIFETIME = timedelta(days=90)
MAX_LIFETIME = timedelta(days=3650)
# `expires_in=NEVER`: a token that does not expire, for service accounts only.
NEVER = timedelta.max
# The scope that stands for every reading permission of the holder.
READ_ONLY = "read"


def create_token(session: Session, user: User, *, name: str = "", scopes: list[str] | None = None,
                 expires_in: timedelta | None = None, actor: Actor | None = None,
                 now: datetime | None = None) -> str:
    """Create an API token for `user` and return it; only its hash is stored, so show it once.

    Args:
        scopes: None for all of `user`'s permissions; else permission names or "read".
        expires_in: how long it lasts, DEFAULT_LIFETIME when None, or NEVER (service accounts).
        actor: who asks (None: an operator's command); another user's token needs users.manage.

    Raises:
        InvalidInput: an unknown scope, one the holder lacks, a bad lifetime.
        Forbidden: a scoped token asking, or a token for somebody else without users.manage.
    """
    return issue_token(session, user, name=name, scopes=scopes, expires_in=expires_in, actor=actor,
                       now=now)[1]


def issue_token(session: Session, user: User, *, name: str = "", scopes: list[str] | None = None,
                expires_in: timedelta | None = None, actor: Actor | None = None,
                now: datetime | None = None) -> tuple[ApiToken, str]:
    """Create an API token as `create_token` does; return its row and the token itself."""
    now = now or utcnow()
    _check_may_manage_tokens(session, actor, user.id)
    scopes = _checked_scopes(session, user, scopes)
    expires_at = _expiry(user, expires_in, now)
    token, name = TOKEN_PREFIX + secrets.token_urlsafe(32), (name or "").strip()[:80]
    row = ApiToken(user_id=user.id, token_hash=_hash_token(token), prefix=token[:12], name=name,
                   scopes=scopes, created_at=now, expires_at=expires_at)
    session.add(row)
    session.flush()
    record(session, "token.created", actor=actor, object_type="token", object_id=row.id,
           detail={"user": user.name, "token_id": row.id, "prefix": row.prefix, "name": name,
                   "scopes": scopes, "expires_at": expires_at.isoformat() if expires_at else None})
    return row, token


def list_tokens(session: Session, actor: Actor | None, user_name: str | None = None) -> list[ApiToken]:
    """Return tokens, newest first: the actor's own, or `user_name`'s (users.manage), or all (commands).

    Raises:
        Forbidden: asking for somebody else's tokens without users.manage.
    """
    query = select(ApiToken).join(ApiToken.user).order_by(ApiToken.id.desc())
    if user_name is None and actor is not None:
        user_name = actor.name
    if user_name is not None:
        if actor is not None and user_name != actor.name:
            require(actor, "users.manage")
        query = query.where(User.name == user_name)
    return list(session.scalars(query))


def revoke_token(session: Session, token_id: int, actor: Actor | None, *,
                 now: datetime | None = None) -> ApiToken:
    """Revoke a token at once; its holder or users.manage may, for anybody else it does not exist.

    Raises:
        NotFound: no such token, or one the actor may not see.
        Forbidden: the actor's own token is limited by scopes.
    """
    token = session.get(ApiToken, token_id) if 0 < token_id < 2 ** 31 else None
    if token is None or (actor is not None and token.user_id != actor.id and not actor.can("users.manage")):
        raise NotFound(f"no API token {token_id}")
    _check_may_manage_tokens(session, actor, token.user_id)
    if token.revoked_at is None:
        token.revoked_at = now or utcnow()
        session.flush()
        record(session, "token.revoked", actor=actor,
               detail={"user": token.user.name, "token_id": token.id, "prefix": token.prefix})
    return token


_tokens, _users, _groups = ApiToken.__table__, User.__table__, Group.__table__
_grants = GroupPermission.__table__
# One row per group of the token's holder and permission the group grants (one row with
# no group name when in none): who it is, what it may do and whether the token holds, in one round trip.
_TOKEN_HOLDER = (select(_users.c.id, _users.c.name, _users.c.role, _users.c.is_active,
                        _tokens.c.id.label("token_id"), _tokens.c.last_used_at, _tokens.c.expires_at,
                        _tokens.c.revoked_at, _tokens.c.scopes,
                        _groups.c.name.label("group_name"), _grants.c.permission)
                 .join_from(_tokens, _users, _tokens.c.user_id == _users.c.id)
                 .outerjoin(user_groups, user_groups.c.user_id == _users.c.id)
                 .outerjoin(_groups, _groups.c.id == user_groups.c.group_id)
                 .outerjoin(_grants, _grants.c.group_name == _groups.c.name)
                 .where(_tokens.c.token_hash == bindparam("token_hash")))
_NOTE_TOKEN_USE = (update(_tokens).where(_tokens.c.id == bindparam("token_id"))
                   .values(last_used_at=bindparam("last_used_at")))


def actor_for_token(session: Session, token: str, *, ip: str | None = None) -> Actor:
    """Return who an API token belongs to, narrowed to its scopes; raise Unauthorized unless it holds."""
    connection = session.connection()
    rows = connection.execute(_TOKEN_HOLDER, {"token_hash": _hash_token(token)}).all()
    if not rows or not rows[0].is_active:
        raise Unauthorized("unknown or revoked API token, or its user is disabled")
    holder, now = rows[0], utcnow()
    if holder.revoked_at is not None:
        raise Unauthorized("this API token has been revoked")
    if holder.expires_at is not None and holder.expires_at <= now:
        raise Unauthorized("this API token has expired")
    # Only note use once a minute: a write on every request would cost every GET a commit.
    if holder.last_used_at is None or now - holder.last_used_at > TOKEN_USE_RESOLUTION:
        connection.execute(_NOTE_TOKEN_USE, {"token_id": holder.token_id, "last_used_at": now})
    names = frozenset(row.group_name for row in rows if row.group_name is not None)
    granted = {row.permission for row in rows if row.permission is not None}
    permissions = narrowed(role_and_group_permissions(holder.role, granted), holder.scopes)
    return Actor(holder.id, holder.name, holder.role, names, permissions, ip)


def narrowed(permissions: frozenset[str], scopes: list[str] | None) -> frozenset[str]:
    """Return the part of `permissions` that `scopes` allow (all of them when there are none)."""
    if not scopes:
        return permissions
    allowed = set(scopes)
    if READ_ONLY in allowed:
        allowed |= {p for p in permissions if is_reading(p)}
    return permissions & allowed


def is_reading(permission: str) -> bool:
    """Tell whether `permission` only lets one look: what a read-only token keeps."""
    return permission.endswith((".read", ".read.all")) or permission == "contracts.verify"


def _checked_scopes(session: Session, user: User, scopes) -> list[str] | None:
    if not scopes:
        return None
    if not isinstance(scopes, (list, tuple)) or not all(isinstance(s, str) for s in scopes):
        raise InvalidInput("scopes must be a list of permission names or \"read\"",
                           [{"message": "a list of permission names", "field": "scopes"}])
    unknown = sorted({s for s in scopes if s != READ_ONLY and s not in PERMISSIONS})
    if unknown:
        raise InvalidInput(f"unknown permissions in scopes: {', '.join(unknown)}",
                           [{"message": f"unknown permission {s!r}", "field": "scopes"} for s in unknown])
    held = permissions_of(session, user.role, user.group_names)
    lacking = sorted({s for s in scopes if s != READ_ONLY and s not in held})
    if lacking:
        raise InvalidInput(f"{user.name} does not hold {', '.join(lacking)}",
                           [{"message": f"{user.name} does not hold {s!r}", "field": "scopes"} for s in lacking])
    return sorted(set(scopes))


def _expiry(user: User, expires_in: timedelta | None, now: datetime) -> datetime | None:
    if expires_in is NEVER:
        if not user.is_service:
            raise InvalidInput("only a service account's token may never expire",
                               [{"message": "only for service accounts", "field": "expires_in_days"}])
        return None
    expires_in = DEFAULT_LIFETIME if expires_in is None else expires_in
    if not timedelta(0) < expires_in <= MAX_LIFETIME:
        raise InvalidInput(f"a token lasts between a moment and {MAX_LIFETIME.days} days",
                           [{"message": f"between 1 and {MAX_LIFETIME.days} days", "field": "expires_in_days"}])
    return now + expires_in


def _check_may_manage_tokens(session: Session, actor: Actor | None, holder_id: int) -> None:
    # A scoped token must not mint itself a wider one, nor revoke: it only does what its scopes say.
    if actor is None:
        return
    if actor.id != holder_id:
        require(actor, "users.manage")
    if actor.permissions != permissions_of(session, actor.role, actor.group_names):
        raise Forbidden("a token limited by scopes cannot create or revoke tokens")


def _hash_token(token: str) -> str:
    # Tokens carry 256 bits of randomness, so a plain SHA-256 is enough; a slow
    # password hash would cost every API request tens of milliseconds.
    return hashlib.sha256(token.encode()).hexdigest()
