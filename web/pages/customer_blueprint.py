"""The blueprint of the customer pages (web.pages.customers, web.pages.company_360) and what each route needs."""
from __future__ import annotations

from flask import Blueprint

from ..auth import declare_permissions

bp = Blueprint("customer_pages", __name__)
declare_permissions(bp, {
    "company_list": "companies.read",
    "company": "companies.read",
    "company_network": "companies.read",
    "accept_group_suggestion": "companies.write",
    "contact": "companies.read",
})
