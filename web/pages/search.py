"""The global search page: what the header's box finds, grouped, each group linking to its full list."""
from __future__ import annotations

from flask import render_template, request

from crm import search as everything

from ..db import get_session
from . import bp, login_required, page_actor

# The lists a group's "see all" link opens with the same text, where such a list exists.
FULL_LISTS = {"deals": "deal_pages.deal_list", "companies": "customer_pages.company_list",
              "contracts": "pages.contract_list"}


@bp.get("/search")
@login_required
def search():
    text = request.args.get("q", "")
    found = everything.search_everything(get_session(), text, actor=page_actor())
    return render_template("search.html", found=found, search_text=found.text, full_lists=FULL_LISTS)
