"""What a task is about, shown above its form: the deal or tender and what the task is asked to decide.

A person completing a stage's task needs the deal's figures, not only the fields of
this stage: the summary reads them from the process data (whatever the process holds
of them, for any process that names them), and the stage with the days spent in it.
A task whose form names variables under `x-review` (a discount approval) shows those
first and large: what is being approved.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from flask import url_for

from ..i18n import display_value, format_money, in_language
from ..i18n import gettext as _

MONEY, PERCENT, TEXT = "money", "percent", "text"
# Process variables a summary shows, in this order, with their label and kind.
SUMMARY = [
    ("deal_name", "Deal", TEXT), ("title", "Tender title", TEXT), ("buyer", "Buyer", TEXT),
    ("budget", "Budget", MONEY), ("amount", "Amount", MONEY), ("bid_price", "Bid price", MONEY),
    ("agreed_amount", "Agreed amount", MONEY), ("awarded_amount", "Awarded amount", MONEY),
    ("discount_percent", "Discount", PERCENT), ("payment_terms", "Payment terms", TEXT),
    ("expected_close_date", "Expected signing date", TEXT),
    ("submission_deadline", "Submission deadline", TEXT), ("owner", "Owner", TEXT),
]
_KINDS = {name: (label, kind) for name, label, kind in SUMMARY}


@dataclass
class Item:
    name: str
    label: str
    value: str
    kind: str = TEXT


@dataclass
class Summary:
    company: str | None
    company_url: str | None
    items: list[Item]
    stage: str | None
    days_in_stage: int | None
    review: list[Item]

    @property
    def is_empty(self) -> bool:
        return not (self.company or self.items or self.review)


def task_summary(row, form: dict, stage_since: datetime | None, now: datetime) -> Summary:
    """Return the summary of the deal or tender behind task `row`."""
    data = row.instance.data or {}
    properties = form.get("properties") or {}
    reviewed = [name for name in form.get("x-review") or [] if _present(data.get(name))]
    review = [_item(name, data[name], properties) for name in reviewed]
    items = [_item(name, data[name], properties) for name, _label, _kind in SUMMARY
             if name not in reviewed and _present(data.get(name))]
    company = data.get("company") or data.get("customer")
    company_id = data.get("company_id")
    company_url = (url_for("customer_pages.company", company_id=company_id)
                   if isinstance(company_id, int) and not isinstance(company_id, bool) else None)
    days = None
    if stage_since is not None:
        since = stage_since if stage_since.tzinfo else stage_since.replace(tzinfo=timezone.utc)
        days = max((now - since).days, 0)
    if company_url and not company:
        company = _("Company #{id}", id=company_id)
    return Summary(company=str(company) if company else None, company_url=company_url, items=items,
                   stage=row.instance.stage, days_in_stage=days, review=review)


def _present(value) -> bool:
    return value is not None and value != ""


def _item(name: str, value, properties: dict) -> Item:
    label, kind = _KINDS.get(name, (None, TEXT))
    label = _(label) if label else in_language((properties.get(name) or {}).get("title") or name)
    if kind == MONEY:
        shown = format_money(value) or display_value(value)
    elif kind == PERCENT:
        shown = f"{value} %"
    else:
        shown = display_value(value)
    return Item(name=name, label=label, value=shown, kind=kind)
