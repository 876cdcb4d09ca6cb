"""A company's 360° page: rendered on the server from customers.view360, its network drawn by network.js.

network.js reads `company_network`, which answers exactly what
GET /api/companies/{id}/network does, for the page's session (the /api routes
take bearer tokens only).
"""
from __future__ import annotations

from flask import flash, jsonify, redirect, render_template, request, url_for

from customers import industries, network, view360
from customers.models import COMPANY_LINK_KINDS, CONTACT_LINK_KINDS

from ..customers.network_schemas import NetworkQuerySchema
from ..db import get_session
from ..i18n import gettext as _
from . import login_required, page_actor
from .customer_blueprint import bp

network_query = NetworkQuerySchema()


@bp.get("/companies/<int:company_id>")
@login_required
def company(company_id):
    before = request.args.get("before") or None
    view = view360.view(get_session(), company_id, actor=page_actor(), before=before)
    return render_template("company.html", **view, before=before, sections=industries.SECTIONS,
                           division_name=industries.division_name, percent=percent,
                           company_names=_company_names(view["control"]),
                           may_write=page_actor().can("companies.write"),
                           network_kinds=(*COMPANY_LINK_KINDS, *CONTACT_LINK_KINDS),
                           default_kinds=COMPANY_LINK_KINDS, network_words=network_words())


@bp.get("/companies/<int:company_id>/network.json")
@login_required
def company_network(company_id):
    query = network_query.load(request.args)
    return jsonify(network.network(get_session(), company_id, query["depth"], query["kinds"], page_actor(),
                                   on=query["on"]))


@bp.post("/companies/<int:company_id>/group-suggestion")
@login_required
def accept_group_suggestion(company_id):
    result = network.accept_group_suggestion(get_session(), company_id, actor=page_actor())
    flash(_("{count} companies now belong to the group.", count=len(result["changed_company_ids"])), "success")
    return redirect(url_for("customer_pages.company", company_id=company_id), 303)


def percent(value) -> str:
    """Return a JSON percent (60.5) as people read it: 60.5 %."""
    return "" if value is None else f"{value:.2f}".rstrip("0").rstrip(".") + " %"


def network_words() -> dict:
    """Return the words network.js shows, in the page's language."""
    kinds = {kind: _(kind.replace("_", " ").capitalize()) for kind in (*COMPANY_LINK_KINDS, *CONTACT_LINK_KINDS)}
    return {"kinds": kinds, "hidden": _("a company you cannot see"), "drawn": _("{nodes} records, {edges} links"),
            "truncated": _("Only the nearest 500 records are drawn."), "failed": _("The network cannot be shown."),
            "empty": _("No links recorded.")}


def _company_names(control: dict | None) -> dict[int, str]:
    if not control:
        return {}
    names = {h["company_id"]: h["name"] for h in control.get("holders", []) if h.get("name")}
    controller = control.get("ultimate_controller")
    if controller and controller.get("name"):
        names[controller["company_id"]] = controller["name"]
    return names
