"""Sales teams: a manager sees what the members own, and what the members of sub-teams own."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit import record
from core.errors import Conflict, InvalidInput

from . import visibility
from .models import Team
from .permissions import Actor, require
from .users import get_user

MAX_DEPTH = 20


def create_team(session: Session, name: str, *, manager: str | None = None, members: list[str] = (),
                parent: str | None = None, actor: Actor | None) -> Team:
    """Create a team with its manager, members and parent team, all named by name."""
    require(actor, "users.manage")
    if not name or not name.strip():
        raise InvalidInput("a team needs a name", [{"message": "required", "field": "name"}])
    if session.scalar(select(Team).where(Team.name == name)) is not None:
        raise Conflict(f"team {name!r} exists already")
    team = Team(name=name.strip(), manager=get_user(session, manager) if manager else None,
                members=[get_user(session, member) for member in dict.fromkeys(members)],
                parent_id=get_team(session, parent).id if parent else None)
    session.add(team)
    session.flush()
    visibility.forget(session)
    record(session, "team.created", actor=actor,
           detail={"team": team.name, "manager": manager, "members": sorted(set(members)), "parent": parent})
    return team


def get_team(session: Session, name: str) -> Team:
    """Return the team called `name`; raise InvalidInput naming it otherwise."""
    team = session.scalar(select(Team).where(Team.name == name))
    if team is None:
        raise InvalidInput(f"no team {name!r}", [{"message": f"no team {name!r}", "field": "team"}])
    return team


def add_member(session: Session, team_name: str, user_name: str, *, actor: Actor | None) -> Team:
    """Put a user into a team."""
    require(actor, "users.manage")
    team, user = get_team(session, team_name), get_user(session, user_name)
    if user not in team.members:
        team.members.append(user)
        session.flush()
        visibility.forget(session)
        record(session, "team.member_added", actor=actor, detail={"team": team.name, "user": user.name})
    return team


def team_member_ids(session: Session, name: str) -> frozenset[int]:
    """Return the ids of the team's members and manager, and those of its sub-teams, to any depth.

    What a report "for a team" counts: the same people its manager sees (accounts.visibility).
    """
    teams, frontier = [], [get_team(session, name)]
    for _ in range(MAX_DEPTH):
        teams.extend(frontier)
        seen = {t.id for t in teams}
        frontier = [t for t in session.scalars(select(Team).where(Team.parent_id.in_([t.id for t in frontier])))
                    if t.id not in seen]
        if not frontier:
            break
    members = {user.id for team in teams for user in team.members}
    return frozenset(members | {team.manager_id for team in teams if team.manager_id is not None})


def list_team_names(session: Session) -> list[str]:
    """Return every team's name, A to Z (for choosing one)."""
    return list(session.scalars(select(Team.name).order_by(Team.name)))
