"""The home screen: the task inbox, a task with its form and diagram, claim, unclaim, complete."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from engine import tasks
from engine.instances import stage_entered_at
from core.db import utcnow
from core.errors import InvalidInput

from ..db import get_session
from ..i18n import gettext as _
from ..i18n import in_language
from ..messages import server_message
from . import back, bp, login_required, page_actor
from .diagram import instance_diagram
from .inbox_view import InboxQuery, build_inbox, customer_of, is_overdue
from .instances import SIGNING_TASK, contract_context
from .task_context import task_summary
from .task_forms import form_data, form_fields


@bp.get("/")
@login_required
def inbox():
    query = InboxQuery.from_args(request.args)
    rows = tasks.list_open_tasks(get_session(), page_actor())
    now = utcnow()
    return render_template("inbox.html", inbox=build_inbox(rows, page_actor(), query, now),
                           query=query, now=now, customer_of=customer_of, is_overdue=is_overdue)


@bp.get("/tasks/<task_id>")
@login_required
def task(task_id):
    row = tasks.get_task(get_session(), task_id, actor=page_actor())
    return render_task(row, values={}, problems=[])


def render_task(row, values: dict, problems: list[dict], status: int = 200):
    """Render a task's page: the deal it is about, its form filled with `values`, its problems
    at their fields (a criterion about no one field as a checklist)."""
    fields = form_fields(row.form or {}, values, problems)
    names = {f.name for f in fields}
    gates = [in_language(p["message"]) for p in problems if p.get("gate") and p.get("field") not in names]
    general = [server_message(p["message"]) for p in problems if not p.get("gate") and p.get("field") not in names]
    now = utcnow()
    summary = task_summary(row, row.form or {}, stage_entered_at(get_session(), row.instance_id), now)
    return render_template(
        "task.html", task=row, fields=fields, gates=gates, summary=summary,
        general_problems=general, may_work=tasks.may_work_on(page_actor(), row),
        diagram=instance_diagram(row.instance), customer=customer_of(row),
        is_overdue=is_overdue(row, now), instance_id=row.instance_id,
        **(contract_context(row.instance, page_actor()) if row.element_id == SIGNING_TASK else {})), status


@bp.post("/tasks/<task_id>/claim")
@login_required
def claim(task_id):
    row = tasks.claim_task(get_session(), task_id, actor=page_actor())
    flash(_("You took “{title}”.", title=in_language(row.title)), "success")
    return redirect(back())


@bp.post("/tasks/<task_id>/unclaim")
@login_required
def unclaim(task_id):
    row = tasks.unclaim_task(get_session(), task_id, actor=page_actor())
    flash(_("“{title}” is back with its group.", title=in_language(row.title)), "info")
    return redirect(back())


@bp.post("/tasks/<task_id>/complete")
@login_required
def complete(task_id):
    row = tasks.get_task(get_session(), task_id, actor=page_actor())
    data = form_data(row.form or {}, request.form)
    try:
        done = tasks.complete_task(get_session(), task_id, data, actor=page_actor())
    except InvalidInput as exc:
        return render_task(row, values=request.form.to_dict(), problems=exc.problems, status=422)
    flash(_("“{title}” is done.", title=in_language(done.title)), "success")
    following = tasks.list_open_tasks(get_session(), page_actor(), instance_id=done.instance_id)
    if following:
        return redirect(url_for("pages.task", task_id=following[0].id))
    return redirect(url_for("pages.instance", instance_id=done.instance_id))
