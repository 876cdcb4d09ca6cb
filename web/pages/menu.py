"""The main menu: which pages a person sees in the header, and in which order, in one place.

Each entry names the permission its page needs (what the page's route declares, or
narrower where a page is only someone's work: the process designer's upload, the
data stewards' duplicates). The order follows what the person is there for: a
salesperson's day starts with deals, legal's with contracts, and only legal's menu
leaves out the sales pages it may read but does not work in (search still finds
them). Templates only loop over `main_menu`; none decides on an entry itself.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import request, url_for

from ..i18n import gettext as _
from . import bp, page_actor, page_user


@dataclass(frozen=True)
class MenuEntry:
    key: str  # what a template's `nav` says to mark the entry as the current page
    label: str  # English, looked up in the catalogue when shown
    endpoint: str
    permission: str


ENTRIES = {entry.key: entry for entry in (
    MenuEntry("inbox", "Inbox", "pages.inbox", "tasks.work"),
    MenuEntry("deals", "Deals", "deal_pages.deal_list", "deals.read"),
    MenuEntry("pipeline", "Pipeline", "pages.pipeline", "reports.read"),
    MenuEntry("reports", "Reports", "report_pages.reports_page", "reports.read"),
    MenuEntry("customers", "Customers", "customer_pages.company_list", "companies.read"),
    MenuEntry("contracts", "Contracts", "pages.contract_list", "contracts.read"),
    MenuEntry("verify", "Verify", "pages.verify_form", "contracts.verify"),
    MenuEntry("processes", "Processes", "pages.processes", "processes.deploy"),
    MenuEntry("data-quality", "Data quality", "duplicate_pages.data_quality_page", "companies.merge"),
    MenuEntry("audit", "Audit log", "pages.audit_log", "audit.read"),
)}
SALES = ("inbox", "deals", "pipeline", "reports", "customers", "contracts", "data-quality", "audit")
MENUS = {
    "sales": SALES,
    "legal": ("inbox", "contracts", "verify", "audit"),
    # Those who model and run the processes: the sales pages to see them work, then the engine's.
    "designer": (*SALES[:6], "processes", *SALES[6:]),
    "admin": (*SALES[:6], "processes", *SALES[6:]),
}


def menu_kind(actor) -> str:
    """Return which menu fits `actor`: by role, then legal by the right to seal contracts, else sales."""
    if actor.role in ("admin", "designer"):
        return actor.role
    return "legal" if actor.can("contracts.seal") else "sales"


def menu_for(actor) -> list[MenuEntry]:
    """Return the entries `actor` sees, in its menu's order: those whose permission it holds."""
    return [ENTRIES[key] for key in MENUS[menu_kind(actor)] if actor.can(ENTRIES[key].permission)]


@bp.app_context_processor
def main_menu():
    # API answers and the login page have no menu.
    if request.path.startswith("/api") or page_user() is None:
        return {"main_menu": []}
    return {"main_menu": [{"key": e.key, "label": _(e.label), "url": url_for(e.endpoint)}
                          for e in menu_for(page_actor())]}
