"""The admin commands of the outside contract: `flask --app app user|token|processes|worker`."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

import accounts
from engine import definitions
from core import audit
from core.errors import DomainError


def _unit_of_work():
    return current_app.extensions["session_factory"].begin()


def _fail(exc: DomainError):
    for problem in exc.problems:
        where = ", ".join(f"{k} {problem[k]}" for k in ("file", "line", "element_id", "field")
                          if problem.get(k) is not None)
        click.echo(f"error: {problem['message']}" + (f" ({where})" if where else ""), err=True)
    sys.exit(1)


user_cli = AppGroup("user", help="Manage users.")
token_cli = AppGroup("token", help="Manage API tokens.")
processes_cli = AppGroup("processes", help="Deploy process definitions.")
audit_cli = AppGroup("audit", help="Check and export the audit log.")


@user_cli.command("create")
@click.argument("name")
@click.option("--password", required=True, help="At least 8 characters.")
@click.option("--group", "groups", multiple=True, help="A group to join; repeat for several.")
@click.option("--role", type=click.Choice(["admin", "designer", "member"]), default="member")
def create_user(name, password, groups, role):
    """Create a user."""
    try:
        with _unit_of_work() as session:
            accounts.create_user(session, name, password, role=role, groups=list(groups))
    except DomainError as exc:
        _fail(exc)
    click.echo(f"created user {name} ({role})")


@token_cli.command("create")
@click.argument("name")
def create_token(name):
    """Create an API token for user NAME; the token is the last line of output."""
    try:
        with _unit_of_work() as session:
            token = accounts.create_token(session, accounts.get_user(session, name))
    except DomainError as exc:
        _fail(exc)
    click.echo(f"API token for {name} (shown once, keep it safe):")
    click.echo(token)


@processes_cli.command("deploy")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False,
                                                                   path_type=Path))
def deploy_processes(paths):
    """Deploy BPMN/DMN files as the upload does."""
    try:
        with _unit_of_work() as session:
            deployments = definitions.deploy(session, [(p.name, p.read_bytes()) for p in paths],
                                             actor=None)
            lines = [f"{'deployed' if d.is_new else 'unchanged'} {d.definition.key} "
                     f"version {d.definition.version}"
                     + ("" if d.definition.is_executable else " (not executable)")
                     for d in deployments]
    except DomainError as exc:
        _fail(exc)
    click.echo("\n".join(lines))


@audit_cli.command("verify")
def verify_audit():
    """Walk the audit log's hash chain; exit 1 naming the first entry altered, removed or reordered."""
    with _unit_of_work() as session:
        result = audit.verify_chain(session)
    click.echo(str(result), err=not result.is_intact)
    if not result.is_intact:
        sys.exit(1)


@audit_cli.command("export")
@click.option("--format", "format_", type=click.Choice(["csv"]), default="csv")
@click.argument("file", type=click.File("w", encoding="utf-8", lazy=True))
def export_audit(format_, file):
    """Write the whole audit log to FILE (`-` for standard output), oldest first."""
    with _unit_of_work() as session:
        audit.write_csv(audit.iter_entries(session), file)


@click.command("demo")
@with_appcontext
def load_demo():
    """Deploy the bundled processes and load the demo data once; print the demo logins."""
    import demo

    with _unit_of_work() as session:
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
    for command in (user_cli, token_cli, processes_cli, audit_cli, load_demo, run_worker):
        app.cli.add_command(command)
