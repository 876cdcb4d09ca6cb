"""Commands for who may do what: `flask group grant|revoke|show`, `flask team create|add|show`."""
from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from accounts import permissions, teams
from accounts.models import GroupPermission, Team

from .cli_common import perform, unit_of_work

group_cli = AppGroup("group", help="Grant permissions to groups.")
team_cli = AppGroup("team", help="Manage sales teams: a manager sees what the team owns.")


@group_cli.command("grant")
@click.argument("group")
@click.argument("permission")
def grant(group, permission):
    """Grant PERMISSION to every member of GROUP."""
    perform(lambda session: permissions.grant(session, group, permission, actor=None),
            f"granted {permission} to group {group}")


@group_cli.command("revoke")
@click.argument("group")
@click.argument("permission")
def revoke(group, permission):
    """Take PERMISSION away from GROUP."""
    perform(lambda session: permissions.revoke(session, group, permission, actor=None),
            f"revoked {permission} from group {group}")


@group_cli.command("show")
def show_grants():
    """List every permission, what it allows, and the roles and groups that hold it."""
    with unit_of_work() as session:
        grants = session.execute(select(GroupPermission.permission, GroupPermission.group_name)).all()
    by_permission: dict[str, list[str]] = {}
    for permission, group in grants:
        by_permission.setdefault(permission, []).append(f"group {group}")
    for permission, allows in permissions.PERMISSIONS.items():
        roles = [f"role {r}" for r, held in permissions.ROLE_PERMISSIONS.items() if permission in held]
        click.echo(f"{permission:<28} {allows}\n{'':<28} held by: {', '.join(roles + sorted(by_permission.get(permission, [])))}")


@team_cli.command("create")
@click.argument("name")
@click.option("--manager", help="The user who sees what the team owns.")
@click.option("--member", "members", multiple=True, help="A member; repeat for several.")
@click.option("--parent", help="The team this one belongs to: its manager sees this team too.")
def create_team(name, manager, members, parent):
    """Create a team."""
    perform(lambda session: teams.create_team(session, name, manager=manager, members=list(members),
                                              parent=parent, actor=None), f"created team {name}")


@team_cli.command("add")
@click.argument("team")
@click.argument("user")
def add_member(team, user):
    """Put USER into TEAM."""
    perform(lambda session: teams.add_member(session, team, user, actor=None), f"added {user} to team {team}")


@team_cli.command("show")
def show_teams():
    """List the teams with their manager, parent and members."""
    with unit_of_work() as session:
        for team in session.scalars(select(Team).order_by(Team.name)):
            parent = session.get(Team, team.parent_id).name if team.parent_id else "-"
            click.echo(f"{team.name}: manager {team.manager.name if team.manager else '-'}, parent {parent},"
                       f" members {', '.join(sorted(m.name for m in team.members)) or '-'}")
