"""The customer pages: the company list, a company's 360° view and a contact's page.

Their own blueprint `bp` ("customer_pages", in customer_blueprint.py with its
permission table); the 360 page's routes are in company_360.py. The pages render on the server from the customers services, as every page
does: a page session is not an API token (web.auth.current_actor wants a bearer
token on /api), so the network graph's script reads the same JSON as
GET /api/companies/{id}/network from a page route of this blueprint instead.
"""
from __future__ import annotations

from flask import render_template, request
from marshmallow import EXCLUDE

from crm import committees
from customers import companies, industries
from customers.contact_view import contact_view
from customers.models import SIZE_BANDS

from ..customers.schemas import CompanyListQuerySchema
from ..db import get_session
from . import company_360  # noqa: F401  (its routes join the blueprint)
from . import login_required, page_actor
from .customer_blueprint import bp


CURRENCY_SYMBOLS = {"CNY": "¥", "USD": "US$", "EUR": "€", "HKD": "HK$", "JPY": "JP¥"}
WHOLE_UNITS = {"JPY", "KRW", "VND", "IDR"}  # currencies without a minor unit
# A page keeps working when a bookmark carries a parameter it no longer knows.
list_query = CompanyListQuerySchema(unknown=EXCLUDE)


@bp.get("/companies")
@login_required
def company_list():
    query = list_query.load({key: value for key, value in request.args.items() if value.strip()})
    found = companies.search_companies(get_session(), actor=page_actor(), **query)
    paging = {name: value for name, value in query.items() if name != "page" and value is not None}
    return render_template("companies.html", found=found, query=query, sections=industries.SECTIONS,
                           size_bands=SIZE_BANDS, args=paging)


@bp.get("/contacts/<int:contact_id>")
@login_required
def contact(contact_id):
    view = contact_view(get_session(), contact_id, actor=page_actor())
    seats = committees.committee_seats(get_session(), contact_id, actor=page_actor())
    return render_template("contact.html", seats=seats, **view)


@bp.app_template_global()
def money_minor(amount: int | None, currency: str = "CNY") -> str:
    """Return an amount in the currency's minor unit (分) as people read it: ¥1,250.00."""
    if amount is None:
        return ""
    symbol = CURRENCY_SYMBOLS.get(currency, currency + " ")
    if currency in WHOLE_UNITS:
        return f"{symbol}{amount:,}"
    sign, amount = ("-" if amount < 0 else ""), abs(amount)
    return f"{sign}{symbol}{amount // 100:,}.{amount % 100:02d}"


