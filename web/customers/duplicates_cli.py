"""`flask duplicates scan`: find duplicate companies or contacts and store them for review."""
from __future__ import annotations

import time

import click
from flask.cli import AppGroup

from core.errors import DomainError
from customers import duplicates

from ..cli_common import fail, unit_of_work

duplicates_cli = AppGroup("duplicates", help="Find duplicate companies and contacts.")


@duplicates_cli.command("scan")
@click.option("--kind", type=click.Choice(duplicates.KINDS), default="companies", show_default=True)
def scan(kind):
    """Score the pairs that may be one record and store those above the review threshold."""
    started = time.perf_counter()
    try:
        with unit_of_work() as session:
            summary = duplicates.scan(session, kind, progress=click.echo)
    except DomainError as exc:
        fail(exc)
    click.echo(f"{summary['records']} {kind} scanned in {time.perf_counter() - started:.1f} s: "
               f"{summary['candidates']} candidates, {summary['new']} new, "
               f"{summary['dismissed_kept']} stay dismissed, {summary['removed']} no longer alike")


def register(app) -> None:
    """Add `flask duplicates` to the app's CLI."""
    app.cli.add_command(duplicates_cli)
