"""The deal pages: the list of deals with filters, sort and pages, and the form that opens a deal.

Their own blueprint ("deal_pages"), with the deal page, the centre of a deal: its figures,
stage, outcome, committee, contract, tasks, timers, history and diagram. Each is one crm
service call deep: deals.search_deals, deals.open_deal_for, deal_view.get_deal_view.
"""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from marshmallow import EXCLUDE, ValidationError

from accounts.teams import list_team_names
from crm import deal_view, deals
from core.db import utcnow
from core.errors import InvalidInput
from crm.models import LOST_REASONS

from .. import i18n
from ..auth import declare_permissions
from ..crm_schemas import DealFormSchema, DealSearchSchema
from ..db import get_session
from . import login_required, page_actor
from .deal_facts import Labels, days_since, history_lines, outcome_text, stage_bar, stage_label, win_words, words
from .diagram import instance_diagram

bp = Blueprint("deal_pages", __name__)
declare_permissions(bp, {"deal_list": "deals.read", "deal": "deals.read", "new_deal": "deals.write",
                         "open_new_deal": "deals.write"})

OUTCOME_LABELS = {"open": "In progress", "won": "Won", "lost": "Lost"}
SORT_LABELS = {"-updated": "Recently updated first", "updated": "Least recently updated first",
               "-created": "Newest first", "created": "Oldest first", "name": "Name A–Z", "-name": "Name Z–A",
               "-amount": "Largest amount first", "amount": "Smallest amount first",
               "close": "Closing soonest first", "-close": "Closing latest first",
               "stage": "Stage A–Z", "-stage": "Stage Z–A"}
# A page keeps working when a bookmark or a saved view carries a parameter it no longer knows.
search_query = DealSearchSchema(unknown=EXCLUDE)
deal_form = DealFormSchema(unknown=EXCLUDE)


@bp.get("/deals")
@login_required
def deal_list():
    args = {key: value for key, value in request.args.items() if value.strip()}
    try:
        query = search_query.load(args)
        problems = {}
    except ValidationError as error:  # a filter typed wrong shows at its field; the rest still apply
        problems = {field: " ".join(messages) for field, messages in error.messages.items()}
        query = search_query.load({k: v for k, v in args.items() if k not in problems})
    try:
        found = deals.search_deals(get_session(), actor=page_actor(), **query)
    except InvalidInput as error:  # a team that does not exist: said at its field, the rest applied
        problems.update({p.get("field") or "": p["message"] for p in error.problems})
        query = {**query, **{field: None for field in problems if field in query}}
        found = deals.search_deals(get_session(), actor=page_actor(), **query)
    kept = {name: value for name, value in args.items() if name != "page" and name not in problems}
    return render_template("deals.html", found=found, query=query, args=kept, problems=problems,
                           teams=list_team_names(get_session()), lost_reasons=LOST_REASONS,
                           stages=deals.funnel_stages(get_session()), sorts=deals.SORTS,
                           outcomes=tuple(OUTCOME_LABELS), outcome_labels=OUTCOME_LABELS, sort_labels=SORT_LABELS,
                           reason_label=reason_label)


def reason_label(reason: str) -> str:
    """Return a lost reason in the page's language (the catalogue's labels are "价格 Price")."""
    return i18n.in_language(LOST_REASONS.get(reason, reason))


@bp.get("/deals/new")
@login_required
def new_deal():
    return render_template("deal_new.html", form={"company": request.args.get("company", "")}, problems={})


@bp.post("/deals/new")
@login_required
def open_new_deal():
    form = {key: value for key, value in request.form.items() if key != "csrf_token" and value.strip()}
    try:
        deal = deals.open_deal_for(get_session(), actor=page_actor(), **deal_form.load(form))
    except ValidationError as error:
        return _refused(form, {field: " ".join(messages) for field, messages in error.messages.items()})
    except InvalidInput as error:
        return _refused(form, {p.get("field") or "": p["message"] for p in error.problems})
    return redirect(url_for("deal_pages.deal", opportunity_id=deal.id), 303)


@bp.get("/deals/<int:opportunity_id>")
@login_required
def deal(opportunity_id):
    view = deal_view.get_deal_view(get_session(), opportunity_id, actor=page_actor())
    found, now = view.opportunity, utcnow()
    return render_template(
        "deal.html", view=view, deal=found, instance=view.instance, now=now,
        steps=stage_bar(view.instance.definition.stages, found.stage, found.outcome, view.instance.status),
        outcome=outcome_text(found.outcome, found.stage, found.lost_reason),
        days_in_stage=days_since(view.stage_since, now) if found.outcome == "open" else None,
        history=history_lines(view.instance, found.outcome, Labels.of(view.instance.tasks)),
        diagram=instance_diagram(view.instance), data=view.data, stage_label=stage_label, words=words,
        win_words=win_words)


def _refused(form: dict, problems: dict):
    return render_template("deal_new.html", form=form, problems=problems), 422

