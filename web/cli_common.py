"""What every admin command shares: a unit of work per command, and errors printed with where they are."""
from __future__ import annotations

import sys

import click
from flask import current_app

from core.errors import DomainError


def unit_of_work():
    """Return a session in a transaction that commits when the command's block ends without error."""
    return current_app.extensions["session_factory"].begin()


def fail(exc: DomainError):
    """Print each located problem of `exc` and exit with status 1."""
    for problem in exc.problems:
        where = ", ".join(f"{k} {problem[k]}" for k in ("file", "line", "element_id", "field")
                          if problem.get(k) is not None)
        click.echo(f"error: {problem['message']}" + (f" ({where})" if where else ""), err=True)
    sys.exit(1)


def perform(change, done: str) -> None:
    """Run `change(session)` in a unit of work and print `done`, or print its problems and exit 1."""
    try:
        with unit_of_work() as session:
            change(session)
    except DomainError as exc:
        fail(exc)
    click.echo(done)
