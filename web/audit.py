"""The audit log over HTTP: the entries filtered by actor, object, action and time, and a CSV export."""
from __future__ import annotations

import io

from flask import Blueprint, Response, request

from core import audit

from .audit_schemas import AuditEntrySchema, AuditExportQuerySchema, AuditQuerySchema
from .auth import declare_permissions
from .db import get_session

bp = Blueprint("audit", __name__, url_prefix="/api")
declare_permissions(bp, {"list_audit_entries": "audit.read", "export_audit_entries": "audit.read"})

entries_schema = AuditEntrySchema(many=True)
query_schema, export_query_schema = AuditQuerySchema(), AuditExportQuerySchema()


@bp.get("/audit")
def list_audit_entries():
    return entries_schema.dump(audit.list_entries(get_session(), query_schema.load(request.args)))


@bp.get("/audit/export")
def export_audit_entries():
    stream = io.StringIO()
    audit.write_csv(audit.iter_entries(get_session(), export_query_schema.load(request.args)), stream)
    return Response(stream.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="audit.csv"'})
