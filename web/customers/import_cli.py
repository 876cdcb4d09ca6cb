"""`flask import KIND FILE`: the upload's job, run at once in this process with a progress bar."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

import accounts
from core.errors import DomainError, InvalidInput
from customers import imports

from ..cli_common import fail, unit_of_work


@click.command("import")
@click.argument("kind", type=click.Choice(imports.KINDS))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--mapping", help='JSON {"file header": "field"} for headers the import does not know.')
@click.option("--dry-run", is_flag=True, help="Check every row and report, write nothing.")
@click.option("--as", "as_user", metavar="USER", help="Import as USER (owner of new companies, in the audit log).")
@with_appcontext
def import_file(kind, file, mapping, dry_run, as_user):
    """Import FILE (CSV in UTF-8 or GBK, or XLSX) as KIND; print the counts and the data-quality report."""
    try:
        mapping = _mapping(mapping)
        with unit_of_work() as session:
            actor = accounts.get_user(session, as_user) if as_user else None
            job_id = imports.submit(session, kind, file.name, file.read_bytes(), mapping=mapping,
                                    dry_run=dry_run, actor=actor).id
    except DomainError as exc:
        fail(exc)
    factory = current_app.extensions["session_factory"]
    with click.progressbar(length=1, label=f"importing {file.name}", file=sys.stderr) as bar:
        def progress(done, total):
            bar.length = max(total, done, 1)
            bar.update(done - bar.pos)
        job = imports.run_job(factory, job_id, progress=progress)
    if job.status == "failed":
        click.echo(f"error: {job.error} (import job {job.id}; nothing was written)", err=True)
        sys.exit(1)
    click.echo(f"import job {job.id}: {job.kind} from {job.filename} ({job.encoding})"
               + (", dry run: nothing written" if job.dry_run else ""))
    click.echo("  " + ", ".join(f"{name} {count}" for name, count in job.counts.items()))
    for line in job.quality:
        click.echo(f"  {line['rule']:<13} {line['field']:<28} passed {line['passed']:>8}  "
                   f"failed {line['failed']:>8}")
    with factory() as session:
        for rejection in imports.rejections(session, job, 20):
            click.echo(f"  row {rejection.row}, {rejection.column}: {rejection.reason} ({rejection.rule})")
    if job.counts.get("rejected"):
        click.echo(f"  {job.counts['rejected']} rows rejected: GET /api/imports/{job.id}/rejections.csv lists all")


def _mapping(text: str | None) -> dict | None:
    if not text:
        return None
    try:
        mapping = json.loads(text)
    except ValueError:
        mapping = None
    if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
        raise InvalidInput("--mapping takes a JSON object of header: field",
                           [{"message": 'a JSON object such as {"客户全称": "name"}', "field": "--mapping"}])
    return mapping


def register(app: Flask) -> None:
    """Add `flask import` to the app's CLI."""
    app.cli.add_command(import_file)
