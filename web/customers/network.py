"""The relationship network routes: links between companies and between contacts, the network, control.

Parse, call one customers.network service, render; the rules are in customers.
"""
from __future__ import annotations

from flask import Blueprint, request

from customers import network

from ..api import json_body
from ..auth import current_actor, declare_permissions
from ..db import get_session
from .network_schemas import (CompanyLinkInSchema, CompanyLinkPatchSchema, CompanyLinkSchema, ContactLinkInSchema,
                              ContactLinkPatchSchema, ContactLinkSchema, ControlQuerySchema, LinkListedSchema,
                              NetworkQuerySchema)

bp = Blueprint("customer_network", __name__, url_prefix="/api")
declare_permissions(bp, {
    "show_network": "companies.read",
    "show_control": "companies.read",
    "accept_group_suggestion": "companies.write",
    "add_company_link": "companies.write",
    "change_company_link": "companies.write",
    "delete_company_link": "companies.write",
    "list_company_links": "companies.read",
    "add_contact_link": "companies.write",
    "change_contact_link": "companies.write",
    "delete_contact_link": "companies.write",
    "list_contact_links": "companies.read",
})

network_query, control_query = NetworkQuerySchema(), ControlQuerySchema()
company_link_in, company_link_patch = CompanyLinkInSchema(), CompanyLinkPatchSchema(partial=True)
contact_link_in, contact_link_patch = ContactLinkInSchema(), ContactLinkPatchSchema(partial=True)
company_link_out, contact_link_out = CompanyLinkSchema(), ContactLinkSchema()
links_listed = LinkListedSchema(many=True)


@bp.get("/companies/<int:company_id>/network")
def show_network(company_id):
    query = network_query.load(request.args)
    return network.network(get_session(), company_id, query["depth"], query["kinds"], current_actor(),
                           on=query["on"])


@bp.get("/companies/<int:company_id>/control")
def show_control(company_id):
    query = control_query.load(request.args)
    return network.control(get_session(), company_id, current_actor(), on=query["on"])


@bp.post("/companies/<int:company_id>/group-suggestion/accept")
def accept_group_suggestion(company_id):
    return network.accept_group_suggestion(get_session(), company_id, actor=current_actor())


@bp.get("/companies/<int:company_id>/links")
def list_company_links(company_id):
    return links_listed.dump(network.list_company_links(get_session(), company_id, actor=current_actor()))


@bp.post("/company-links")
def add_company_link():
    body = company_link_in.load(json_body())
    return company_link_out.dump(network.add_company_link(get_session(), actor=current_actor(), **body)), 201


@bp.patch("/company-links/<int:link_id>")
def change_company_link(link_id):
    changes = company_link_patch.load(json_body())
    return company_link_out.dump(network.change_company_link(get_session(), link_id, changes,
                                                             actor=current_actor()))


@bp.delete("/company-links/<int:link_id>")
def delete_company_link(link_id):
    network.delete_company_link(get_session(), link_id, actor=current_actor())
    return "", 204


@bp.get("/contacts/<int:contact_id>/links")
def list_contact_links(contact_id):
    return links_listed.dump(network.list_contact_links(get_session(), contact_id, actor=current_actor()))


@bp.post("/contact-links")
def add_contact_link():
    body = contact_link_in.load(json_body())
    return contact_link_out.dump(network.add_contact_link(get_session(), actor=current_actor(), **body)), 201


@bp.patch("/contact-links/<int:link_id>")
def change_contact_link(link_id):
    changes = contact_link_patch.load(json_body())
    return contact_link_out.dump(network.change_contact_link(get_session(), link_id, changes,
                                                             actor=current_actor()))


@bp.delete("/contact-links/<int:link_id>")
def delete_contact_link(link_id):
    network.delete_contact_link(get_session(), link_id, actor=current_actor())
    return "", 204
