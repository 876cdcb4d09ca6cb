"""The import and export routes: upload a file as a job (202), watch it, download its rejections; export.

Jobs run in the background (customers.imports.Runner): the upload's
transaction commits the queued job, and the runner is woken when the request
has finished, which is after that commit.
"""
from __future__ import annotations

import json
import threading

from flask import (Blueprint, Flask, Response, current_app, g, request, request_finished, send_file,
                   stream_with_context, url_for)
from marshmallow import Schema, ValidationError, fields, validate, validates
from sqlalchemy.engine import Engine

from customers import imports

from ..auth import SIGNED_IN, current_actor, declare_permissions
from ..db import get_session
from ..fields import Id

bp = Blueprint("customer_imports", __name__, url_prefix="/api")
declare_permissions(bp, {
    "create_import": "companies.import",
    "show_import": SIGNED_IN,  # the creator, or whoever sees every company (customers.imports.get_job)
    "import_rejections": SIGNED_IN,
    "export_companies": "companies.export",
    "export_contacts": "companies.export",
})
SHOWN_REJECTIONS = 100
MAX_MAPPING = 200
POLL_SECONDS = 10


class ImportFormSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(imports.KINDS))
    mapping = fields.String(load_default=None, validate=validate.Length(max=20_000),
                            metadata={"description": 'JSON {"file header": "field"}'})
    dry_run = fields.Boolean(load_default=False)

    @validates("mapping")
    def _mapping(self, value, **kwargs):
        if value is None:
            return
        try:
            mapping = json.loads(value)
        except ValueError:
            raise ValidationError("not JSON") from None
        if not isinstance(mapping, dict) or len(mapping) > MAX_MAPPING or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()):
            raise ValidationError(f'a JSON object of at most {MAX_MAPPING} "file header": "field" pairs')


class ExportQuerySchema(Schema):
    format = fields.String(load_default="csv", validate=validate.OneOf(("csv", "xlsx")))


class ImportJobSchema(Schema):
    id = Id()
    kind = fields.String()
    status = fields.String()
    dry_run = fields.Boolean()
    filename = fields.String()
    encoding = fields.String(allow_none=True)
    file_sha256 = fields.String()
    total_rows = fields.Integer()
    processed_rows = fields.Function(lambda job: getattr(job, "live_processed_rows", job.processed_rows))
    counts = fields.Raw()
    quality = fields.Raw()
    error = fields.String(allow_none=True)
    created_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)


class RejectionSchema(Schema):
    row = fields.Integer()
    column = fields.String(allow_none=True)
    rule = fields.String()
    reason = fields.String()


import_form, export_query = ImportFormSchema(), ExportQuerySchema()
job_schema, rejections_schema = ImportJobSchema(), RejectionSchema(many=True)
EMPTY_COUNTS = {"rows": 0, "created": 0, "updated": 0, "unchanged": 0, "merged": 0, "rejected": 0}


def _job_body(session, job) -> dict:
    body = job_schema.dump(job)
    body["counts"] = body["counts"] or dict(EMPTY_COUNTS)
    body["quality"] = body["quality"] or []
    body["rejections"] = rejections_schema.dump(imports.rejections(session, job, SHOWN_REJECTIONS))
    body["rejections_url"] = url_for(".import_rejections", job_id=job.id)
    return body


@bp.post("/imports")
def create_import():
    form = import_form.load(request.form)
    upload = request.files.get("file")
    if upload is None:
        raise ValidationError({"file": ["a file is required (multipart field `file`)"]})
    session = get_session()
    job = imports.submit(session, form["kind"], upload.filename or "upload", upload.read(),
                         mapping=json.loads(form["mapping"]) if form["mapping"] else None,
                         dry_run=form["dry_run"], actor=current_actor())
    response = current_app.make_response((_job_body(session, job), 202))
    response.headers["Location"] = url_for(".show_import", job_id=job.id)
    g.wake_import_runner = True  # see _wake_after_commit
    return response


@bp.get("/imports/<int:job_id>")
def show_import(job_id):
    session = get_session()
    return _job_body(session, imports.get_job(session, job_id, actor=current_actor()))


@bp.get("/imports/<int:job_id>/rejections.csv")
def import_rejections(job_id):
    session = get_session()
    job = imports.get_job(session, job_id, actor=current_actor())
    return Response(imports.rejections_csv(imports.rejections(session, job)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="import-{job.id}-rejections.csv"'})


@bp.get("/exports/companies")
def export_companies():
    query = export_query.load(request.args)
    rows = imports.company_rows(get_session(), actor=current_actor())
    return _export(query["format"], "companies", imports.COMPANY_HEADER, rows)


@bp.get("/exports/contacts")
def export_contacts():
    query = export_query.load(request.args)
    rows = imports.contact_rows(get_session(), actor=current_actor())
    return _export(query["format"], "contacts", imports.CONTACT_HEADER, rows)


def _export(format_: str, name: str, header, rows):
    if format_ == "xlsx":
        return send_file(imports.as_xlsx(header, rows, name), download_name=f"{name}.xlsx", as_attachment=True,
                         mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return Response(stream_with_context(imports.as_csv(header, rows)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


_runners_lock = threading.Lock()


@bp.record_once
def _connect(state) -> None:
    request_finished.connect(_wake_after_commit, state.app, weak=False)


def _wake_after_commit(app: Flask, response, **extra) -> None:
    # request_finished comes after the after_request hooks, web.db's commit among them: the job is visible.
    if g.pop("wake_import_runner", False) and response.status_code < 400 and _shareable(app):
        import_runner(app).wake()


def _shareable(app: Flask) -> bool:
    # A session factory bound to one connection (a test's transaction) cannot be handed to another thread:
    # its jobs wait for `flask worker` or a call to customers.imports.run_job.
    return isinstance(app.extensions["session_factory"].kw.get("bind"), Engine)


def import_runner(app: Flask) -> imports.Runner:
    """Return the app's import runner (one per app)."""
    with _runners_lock:
        if "import_runner" not in app.extensions:
            app.extensions["import_runner"] = imports.Runner(app.extensions["session_factory"])
        return app.extensions["import_runner"]


def start_import_runner(app: Flask) -> imports.Runner:
    """Run the queued jobs now and look for new ones every POLL_SECONDS (a server, `flask worker`)."""
    runner = import_runner(app)
    stop = threading.Event()

    def poll():
        while not stop.wait(POLL_SECONDS):
            runner.wake()
    runner.wake()
    threading.Thread(target=poll, name="imports-poll", daemon=True).start()
    runner.stop_polling = stop.set
    return runner
