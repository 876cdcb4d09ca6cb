"""The audit log page: every write, filtered as GET /api/audit filters, for those with audit.read."""
from __future__ import annotations

from flask import render_template, request

from core import audit

from ..audit_schemas import AuditQuerySchema
from ..db import get_session
from . import bp, login_required

query_schema = AuditQuerySchema()


@bp.get("/audit")
@login_required
def audit_log():
    # Pages go by id, not by number: entries keep arriving at the top while one reads older ones.
    query = query_schema.load({"limit": PER_PAGE, **{k: v for k, v in request.args.items() if v != ""}})
    entries = audit.list_entries(get_session(), query)
    return render_template("audit.html", entries=entries, query=query, object_types=audit.OBJECT_TYPES,
                           older=entries[-1].id if len(entries) == query.limit else None)


PER_PAGE = 50

