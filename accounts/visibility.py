"""Row-level visibility: whose records an actor sees, the way a sales organisation works.

An owner sees their own; a team's manager sees what the team's members own, and
the members of its sub-teams, to any depth; a holder of `<kind>.read.all` sees
every record of that kind. The domain packages turn this into their own filters
(an instance, a deal, a company), so that lists, reports, searches, exports and
the inbox all agree; an object out of sight is answered as not found.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from sqlalchemy import Integer, Select, bindparam, select, union
from sqlalchemy.orm import Session

from .models import Team, team_members
from .permissions import Actor

_CACHE_KEY = "visible_owner_ids"
MAX_CACHED = 1024  # conditions and statements kept: a few per actor that has asked lately
_built: OrderedDict = OrderedDict()
_built_lock = threading.Lock()


def sees_all(actor: Actor | None, kind: str) -> bool:
    """Tell whether `actor` sees every record of `kind` (None, the system, sees everything)."""
    return actor is None or actor.can(f"{kind}.read.all")


def visible_owner_ids(session: Session, actor: Actor) -> frozenset[int]:
    """Return the ids of the users whose records `actor` sees: itself and its teams' members.

    Computed once per session and actor: a request asks for it in several places.
    """
    cache = session.info.setdefault(_CACHE_KEY, {})
    if actor.id not in cache:
        cache[actor.id] = frozenset(session.scalars(_OWNER_IDS, {"actor_id": actor.id}))
    return cache[actor.id]


def _owner_ids() -> Select:
    """Return the query of whose records an actor (bind actor_id) sees: built once, it runs on every request."""
    actor_id = bindparam("actor_id", type_=Integer)
    managed = select(Team.id).where(Team.manager_id == actor_id).cte("managed", recursive=True)
    managed = managed.union(select(Team.id).join(managed, Team.parent_id == managed.c.id))
    members = select(team_members.c.user_id).where(team_members.c.team_id.in_(select(managed.c.id)))
    managers = select(Team.manager_id).where(Team.id.in_(select(managed.c.id)), Team.manager_id.is_not(None))
    return union(members, managers, select(actor_id))


_OWNER_IDS = _owner_ids()


def forget(session: Session) -> None:
    """Drop cached visibility, after a change to teams in this session."""
    session.info.pop(_CACHE_KEY, None)


def built_once(key: tuple, build: Callable[[], object]) -> object:
    """Return what `build()` returns for `key`, building it only the first time (of the last MAX_CACHED keys).

    Building a visibility condition, and the statement around it, costs more than
    running it (a 360 view asked for a dozen). Share only what is a pure function of
    `key`: an actor's condition is keyed by actor_key and its visible owners, never
    by the request, so one actor's never reaches another. SQL expressions are
    immutable: sharing them between requests and threads is safe. Keys hold their
    parts (columns, conditions) alive, so no key is ever mistaken for a dead one's.
    """
    with _built_lock:
        found = _built.get(key)
        if found is not None:
            _built.move_to_end(key)
            return found
    found = build()
    with _built_lock:
        _built[key] = found
        while len(_built) > MAX_CACHED:
            _built.popitem(last=False)
    return found


def actor_key(session: Session, actor: Actor) -> Hashable:
    """Return all a visibility condition depends on in `actor`: id, groups, rights and whose records it sees."""
    return actor.id, actor.group_names, actor.permissions, visible_owner_ids(session, actor)
