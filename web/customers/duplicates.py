"""Duplicates, merging and the data-quality figures: the API routes and the /data-quality page.

Parse, call one customers service, render: customers.duplicates finds and lists
the pairs, customers.merge merges, customers.data_quality counts.
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from customers import data_quality, duplicates, merge

from ..api import json_body
from ..auth import current_actor, declare_permissions
from ..db import get_session
from ..i18n import gettext as _
from ..pages import back, login_required
from .duplicate_schemas import DuplicateQuerySchema, MergeFormSchema, MergeSchema
from .schemas import CompanySchema, ContactSchema

bp = Blueprint("duplicates", __name__, url_prefix="/api")
declare_permissions(bp, {
    "list_duplicates": "companies.read",
    "dismiss_duplicate": "companies.merge",
    "merge_company": "companies.merge",
    "merge_contact": "companies.merge",
    "show_data_quality": "companies.read",
})
pages_bp = Blueprint("duplicate_pages", __name__, template_folder="../templates")
declare_permissions(pages_bp, {
    "data_quality_page": "companies.read",
    "dismiss_form": "companies.merge",
    "merge_form": "companies.merge",
})

PER_PAGE = 50


def _side(record, kind: str) -> dict:
    if kind == "companies":
        return {"id": record.id, "name": record.name, "credit_code": record.credit_code, "city": record.city,
                "phone": record.phone, "email": record.email, "address": record.address}
    return {"id": record.id, "name": record.name, "company_id": record.company_id, "email": record.email,
            "mobile": record.mobile, "title": record.title}


def _pair(candidate, left, right) -> dict:
    return {"id": candidate.id, "kind": candidate.kind, "score": candidate.score, "reasons": candidate.reasons,
            "status": candidate.status, "found_at": candidate.found_at.isoformat(),
            "left": _side(left, candidate.kind), "right": _side(right, candidate.kind)}


@bp.get("/duplicates")
def list_duplicates():
    query = DuplicateQuerySchema().load(request.args)
    pairs = duplicates.list_candidates(get_session(), query["kind"], actor=current_actor(), page=query["page"],
                                       per_page=PER_PAGE)
    return [_pair(*row) for row in pairs]


@bp.post("/duplicates/<int:candidate_id>/dismiss")
def dismiss_duplicate(candidate_id):
    candidate = duplicates.dismiss(get_session(), candidate_id, actor=current_actor())
    return {"id": candidate.id, "status": candidate.status}


@bp.post("/companies/<int:company_id>/merge")
def merge_company(company_id):
    body = MergeSchema().load(json_body())
    survivor = merge.merge_companies(get_session(), company_id, body["from_id"], current_actor())
    return CompanySchema().dump(survivor)


@bp.post("/contacts/<int:contact_id>/merge")
def merge_contact(contact_id):
    body = MergeSchema().load(json_body())
    survivor = merge.merge_contacts(get_session(), contact_id, body["from_id"], current_actor())
    return ContactSchema().dump(survivor)


@bp.get("/data-quality")
def show_data_quality():
    return data_quality.report(get_session(), current_actor())



@pages_bp.get("/data-quality")
@login_required
def data_quality_page():
    query = DuplicateQuerySchema().load(request.args)
    session, actor = get_session(), current_actor()
    pairs = duplicates.list_candidates(session, query["kind"], actor=actor, page=query["page"], per_page=PER_PAGE)
    return render_template("data_quality.html", report=data_quality.report(session, actor),
                           pairs=[_pair(*row) for row in pairs], kind=query["kind"], page=query["page"],
                           per_page=PER_PAGE, may_merge=actor.can("companies.merge"))


@pages_bp.post("/data-quality/duplicates/<int:candidate_id>/dismiss")
@login_required
def dismiss_form(candidate_id):
    duplicates.dismiss(get_session(), candidate_id, actor=current_actor())
    flash(_("Marked as not a duplicate."))
    return redirect(back("duplicate_pages.data_quality_page"))


@pages_bp.post("/data-quality/merge")
@login_required
def merge_form():
    form = MergeFormSchema().load(request.form)
    merger = merge.merge_companies if form["kind"] == "companies" else merge.merge_contacts
    merger(get_session(), form["into_id"], form["from_id"], current_actor())
    flash(_("Merged {loser} into {survivor}.", loser=form["from_id"], survivor=form["into_id"]))
    return redirect(url_for("duplicate_pages.data_quality_page", kind=form["kind"]))
