"""The audit log page: every write, filtered as GET /api/audit filters, for those with audit.read."""
from __future__ import annotations

from flask import render_template, request

from core import audit

from ..audit_schemas import AuditQuerySchema
from ..auth import current_actor
from ..db import get_session
from . import bp, login_required, page_user

query_schema = AuditQuerySchema()


@bp.get("/audit")
@login_required
def audit_log():
    query = query_schema.load({k: v for k, v in request.args.items() if v != ""})
    entries = audit.list_entries(get_session(), query)
    return render_template("audit.html", entries=entries, query=query, object_types=audit.OBJECT_TYPES,
                           older=entries[-1].id if len(entries) == query.limit else None)


@bp.app_context_processor
def audit_menu():
    # The menu link shows only to those who may open the page.
    shown = not request.path.startswith("/api") and page_user() is not None
    return {"may_read_audit": shown and current_actor().can("audit.read")}
