"""Row-level visibility: whose records an actor sees, the way a sales organisation works.

An owner sees their own; a team's manager sees what the team's members own, and
the members of its sub-teams, to any depth; a holder of `<kind>.read.all` sees
every record of that kind. The domain packages turn this into their own filters
(an instance, a deal, a company), so that lists, reports, searches, exports and
the inbox all agree; an object out of sight is answered as not found.
"""
from __future__ import annotations

from sqlalchemy import literal, select, union
from sqlalchemy.orm import Session

from .models import Team, team_members
from .permissions import Actor

_CACHE_KEY = "visible_owner_ids"


def sees_all(actor: Actor | None, kind: str) -> bool:
    """Tell whether `actor` sees every record of `kind` (None, the system, sees everything)."""
    return actor is None or actor.can(f"{kind}.read.all")


def visible_owner_ids(session: Session, actor: Actor) -> frozenset[int]:
    """Return the ids of the users whose records `actor` sees: itself and its teams' members.

    Computed once per session and actor: a request asks for it in several places.
    """
    cache = session.info.setdefault(_CACHE_KEY, {})
    if actor.id not in cache:
        managed = (select(Team.id).where(Team.manager_id == literal(actor.id))
                   .cte("managed", recursive=True))
        managed = managed.union(select(Team.id).join(managed, Team.parent_id == managed.c.id))
        members = select(team_members.c.user_id).where(team_members.c.team_id.in_(select(managed.c.id)))
        managers = select(Team.manager_id).where(Team.id.in_(select(managed.c.id)),
                                                 Team.manager_id.is_not(None))
        ids = set(session.scalars(union(members, managers, select(literal(actor.id)))))
        cache[actor.id] = frozenset(ids)
    return cache[actor.id]


def forget(session: Session) -> None:
    """Drop cached visibility, after a change to teams in this session."""
    session.info.pop(_CACHE_KEY, None)
