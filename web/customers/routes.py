"""The company and contact routes: parse, call one customers service, render.

The group view's deal totals come from crm.groups; everything else from customers.
"""
from __future__ import annotations

from flask import Blueprint, request

from crm import groups
from customers import companies, contacts

from ..api import json_body
from ..auth import current_actor, declare_permissions
from ..db import get_session
from ..pagination import paged_response
from .schemas import (CompanyGroupSchema, CompanyInSchema, CompanyListQuerySchema, CompanyPatchSchema,
                      CompanySchema, ContactInSchema, ContactPatchSchema, ContactSchema, ListQuerySchema)

bp = Blueprint("customers", __name__, url_prefix="/api")
declare_permissions(bp, {
    "list_companies": "companies.read",
    "create_company": "companies.write",
    "show_company": "companies.read",
    "update_company": "companies.write",
    "show_company_group": "companies.read",
    "list_contacts": "companies.read",
    "create_contact": "companies.write",
    "show_contact": "companies.read",
    "update_contact": "companies.write",
})

company_schema, companies_schema = CompanySchema(), CompanySchema(many=True)
company_in_schema, company_patch_schema = CompanyInSchema(), CompanyPatchSchema(partial=True)
group_schema = CompanyGroupSchema()
contact_schema, contacts_schema = ContactSchema(), ContactSchema(many=True)
contact_in_schema, contact_patch_schema = ContactInSchema(), ContactPatchSchema(partial=True)
# Query parameters per route: any other parameter is refused with 422, naming it.
company_list_query, contact_query = CompanyListQuerySchema(), ListQuerySchema(only=("company_id",))


@bp.get("/companies")
def list_companies():
    query = company_list_query.load(request.args)
    found = companies.search_companies(get_session(), actor=current_actor(), **query)
    return paged_response(companies_schema.dump(found.items), total=found.total, page=found.page,
                          per_page=found.per_page)


@bp.post("/companies")
def create_company():
    body = company_in_schema.load(json_body())
    return company_schema.dump(companies.create_company(get_session(), actor=current_actor(), **body)), 201


@bp.get("/companies/<int:company_id>")
def show_company(company_id):
    return company_schema.dump(companies.get_company(get_session(), company_id, actor=current_actor()))


@bp.patch("/companies/<int:company_id>")
def update_company(company_id):
    changes = company_patch_schema.load(json_body())
    return company_schema.dump(companies.update_company(get_session(), company_id, changes,
                                                        actor=current_actor()))


@bp.get("/companies/<int:company_id>/group")
def show_company_group(company_id):
    return group_schema.dump(groups.company_group(get_session(), company_id, actor=current_actor()))


@bp.get("/contacts")
def list_contacts():
    query = contact_query.load(request.args)
    return contacts_schema.dump(contacts.list_contacts(get_session(), company_id=query["company_id"],
                                                       actor=current_actor()))


@bp.post("/contacts")
def create_contact():
    body = contact_in_schema.load(json_body())
    return contact_schema.dump(contacts.create_contact(get_session(), actor=current_actor(), **body)), 201


@bp.get("/contacts/<int:contact_id>")
def show_contact(contact_id):
    return contact_schema.dump(contacts.get_contact(get_session(), contact_id, actor=current_actor()))


@bp.patch("/contacts/<int:contact_id>")
def update_contact(contact_id):
    changes = contact_patch_schema.load(json_body())
    return contact_schema.dump(contacts.update_contact(get_session(), contact_id, changes,
                                                       actor=current_actor()))
