"""The admin commands of the outside contract: `flask --app app user|token|processes|worker`."""
from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

import accounts
from engine import definitions
from core import audit
from core.errors import DomainError, InvalidInput

from .access_cli import group_cli, team_cli
from .cli_common import fail, perform, unit_of_work
from .customers import duplicates_cli, import_cli

user_cli = AppGroup("user", help="Manage users.")
token_cli = AppGroup("token", help="Manage API tokens.")
processes_cli = AppGroup("processes", help="Deploy process definitions.")
audit_cli = AppGroup("audit", help="Check and export the audit log.")


@user_cli.command("create")
@click.argument("name")
@click.option("--password", help="At least 8 characters; none for a service account.")
@click.option("--group", "groups", multiple=True, help="A group to join; repeat for several.")
@click.option("--role", type=click.Choice(["admin", "designer", "member"]), default="member")
@click.option("--service", is_flag=True, help="A service account (ERP/OA integration): tokens only, no login.")
def create_user(name, password, groups, role, service):
    """Create a user, or with --service a service account."""
    if not password and not service:
        click.echo("error: give --password, or --service for a service account", err=True)
        sys.exit(1)
    try:
        with unit_of_work() as session:
            accounts.create_user(session, name, password, role=role, groups=list(groups), service=service)
    except DomainError as exc:
        fail(exc)
    click.echo(f"created {'service account' if service else 'user'} {name} ({role})")


@user_cli.command("disable")
@click.argument("name")
def disable_user(name):
    """Disable user NAME: their logins, sessions and tokens stop working at once."""
    perform(lambda session: accounts.disable_user(session, name), f"disabled user {name}")


@user_cli.command("enable")
@click.argument("name")
def enable_user(name):
    """Enable user NAME again: their tokens work again; they log in afresh."""
    perform(lambda session: accounts.enable_user(session, name), f"enabled user {name}")


@token_cli.command("create")
@click.argument("name")
@click.option("--name", "label", default="", help="What the token is for.")
@click.option("--scope", "scopes", multiple=True, help="A permission it may use; repeat for several.")
@click.option("--read-only", is_flag=True, help="Only the holder's reading permissions.")
@click.option("--expires-in-days", default=None, metavar="N|never",
              help="Days until it expires (default 90); 'never' for a service account's token.")
def create_token(name, label, scopes, read_only, expires_in_days):
    """Create an API token for user NAME; the token is the last line of output."""
    try:
        expires_in = _lifetime(expires_in_days)
        with unit_of_work() as session:
            token = accounts.create_token(session, accounts.get_user(session, name), name=label,
                                          scopes=[*scopes, *(["read"] if read_only else [])] or None,
                                          expires_in=expires_in)
    except DomainError as exc:
        fail(exc)
    click.echo(f"API token for {name} (shown once, keep it safe):")
    click.echo(token)


def _lifetime(days: str | None):
    if days is None:
        return None
    if days.strip().lower() == "never":
        return accounts.NEVER
    if not days.strip().isdigit():
        raise InvalidInput("--expires-in-days takes a number of days or 'never'",
                           [{"message": "a number of days or 'never'", "field": "--expires-in-days"}])
    return timedelta(days=int(days))


@token_cli.command("list")
@click.argument("name", required=False)
def list_tokens(name):
    """List the API tokens of user NAME, or of everybody."""
    with unit_of_work() as session:
        rows = [(str(t.id), t.user.name, t.name or "-", t.prefix, ",".join(t.scopes) if t.scopes else "all",
                 _when(t.created_at), _when(t.last_used_at), _when(t.expires_at, "never"), _when(t.revoked_at))
                for t in accounts.list_tokens(session, None, name)]
    header = ("id", "user", "name", "prefix", "scopes", "created", "last used", "expires", "revoked")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())


def _when(moment, empty: str = "-") -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else empty


@token_cli.command("revoke")
@click.argument("token_id", metavar="ID", type=int)
def revoke_token(token_id):
    """Revoke API token ID at once (`token list` shows the ids)."""
    try:
        with unit_of_work() as session:
            token = accounts.revoke_token(session, token_id, None)
            line = f"revoked token {token.id} ({token.prefix}…) of {token.user.name}"
    except DomainError as exc:
        fail(exc)
    click.echo(line)


@processes_cli.command("deploy")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False,
                                                                   path_type=Path))
def deploy_processes(paths):
    """Deploy BPMN/DMN files as the upload does."""
    try:
        with unit_of_work() as session:
            deployments = definitions.deploy(session, [(p.name, p.read_bytes()) for p in paths],
                                             actor=None)
            lines = [f"{'deployed' if d.is_new else 'unchanged'} {d.definition.key} "
                     f"version {d.definition.version}"
                     + ("" if d.definition.is_executable else " (not executable)")
                     for d in deployments]
    except DomainError as exc:
        fail(exc)
    click.echo("\n".join(lines))


@audit_cli.command("verify")
def verify_audit():
    """Walk the audit log's hash chain; exit 1 naming the first entry altered, removed or reordered."""
    with unit_of_work() as session:
        result = audit.verify_chain(session)
    click.echo(str(result), err=not result.is_intact)
    if not result.is_intact:
        sys.exit(1)


@audit_cli.command("export")
@click.option("--format", "format_", type=click.Choice(["csv"]), default="csv")
@click.argument("file", type=click.File("w", encoding="utf-8", lazy=True))
def export_audit(format_, file):
    """Write the whole audit log to FILE (`-` for standard output), oldest first."""
    with unit_of_work() as session:
        audit.write_csv(audit.iter_entries(session), file)


@click.command("demo")
@with_appcontext
def load_demo():
    """Deploy the bundled processes and load the demo data once; print the demo logins."""
    import demo

    with unit_of_work() as session:
        for d in demo.deploy_bundled_processes(session):
            state = "deployed" if d.is_new else "up to date:"
            click.echo(f"{state} {d.definition.key} version {d.definition.version}")
        created = demo.load_demo(session)
    click.echo("demo data loaded" if created else "demo data already present")
    click.echo("Demo logins (user / password / role):")
    for name, password, role, groups in demo.DEMO_USERS:
        click.echo(f"  {name:<9} {password:<17} {role}" + (f" ({', '.join(groups)})" if groups else ""))


@click.command("worker")
@with_appcontext
def run_worker():
    """Run the timer scheduler and background work without a web server."""
    import signal
    import threading

    from app import start_scheduler

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    scheduler = start_scheduler(current_app)
    click.echo(f"worker {scheduler.worker} firing timers; Ctrl-C to stop", err=True)
    stop.wait()
    scheduler.shutdown()


def register_commands(app: Flask) -> None:
    """Add the admin commands to the app's CLI."""
    for command in (user_cli, token_cli, processes_cli, audit_cli, load_demo, run_worker, group_cli,
                    team_cli):
        app.cli.add_command(command)
    duplicates_cli.register(app)
    import_cli.register(app)
