"""The reports page: conversion, stage durations, wins and losses, tenders, for a period and an owner or team.

Its own blueprint ("report_pages"). The figures are crm.reports' (the same as
/api/reports/...); this module turns the period choice into dates and each
figure into a link to the deals behind it on /deals, where the deal list can
show exactly those deals (open or lost at a stage, won).
"""
from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, render_template, request, url_for
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from accounts.teams import list_team_names
from core.errors import InvalidInput
from crm import reports
from crm.models import LOST_REASONS, WIN_REASONS

from .. import i18n
from ..auth import declare_permissions
from ..db import get_session
from . import login_required, page_actor

bp = Blueprint("report_pages", __name__)
declare_permissions(bp, {"reports_page": "reports.read"})

PERIODS = {"month": "This month", "quarter": "This quarter", "year": "This year", "all": "All time",
           "custom": "From … to …"}
# Each figure's definition, shown beside it (title and aria-describedby) and in the list under the page.
DEFINITIONS = {
    "entered": "Deals that entered this stage in the period.",
    "moved_on": "Of those, the deals that left the stage for the next one (at the last stage: finished).",
    "lost": "Of those, the deals lost while in this stage.",
    "open": "Of those, the deals still in this stage, won deals in delivery included.",
    "conversion": "Moved on ÷ entered.",
    "win_rate": "Won ÷ closed (won + lost): of the deals closed in the period, the share won. "
                "The pipeline page shows it for all time.",
    "average_days": "Average days in the stage of the visits that entered it in the period and left it.",
    "days_open": "Average days so far of the visits still in the stage.",
    "by_reason": "Deals closed in the period, by the reason recorded when they were won or lost.",
    "lost_at": "Deals lost in the period, by the stage they were lost at.",
    "tender_win_rate": "Tenders won ÷ bids decided (won + lost) among those closed in the period; "
                       "tenders not bid for or missed are not bids.",
}

TERM_NAMES = {"entered": "Entered", "moved_on": "Moved on", "lost": "Lost", "open": "In progress",
              "conversion": "Conversion", "win_rate": "Win rate", "average_days": "Average days",
              "days_open": "Days so far", "by_reason": "By reason", "lost_at": "Lost at stage",
              "tender_win_rate": "Tender win rate"}


class ReportQuerySchema(Schema):
    period = fields.String(load_default="quarter", validate=validate.OneOf(tuple(PERIODS)))
    start = fields.Date(data_key="from", load_default=None)
    end = fields.Date(data_key="to", load_default=None, metadata={"description": "included"})
    owner = fields.String(load_default=None, validate=validate.Length(max=80))
    team = fields.String(load_default=None, validate=validate.Length(max=255))


report_query = ReportQuerySchema(unknown=EXCLUDE)


@bp.get("/reports")
@login_required
def reports_page():
    args = {key: value for key, value in request.args.items() if value.strip()}
    query, problems = _load(args)
    period = period_for(query["period"], query["start"], query["end"], date.today())
    session, actor = get_session(), page_actor()
    try:
        owners = reports.owner_ids(session, owner=query["owner"], team=query["team"])
    except InvalidInput as error:  # an unknown owner or team is shown at its field; the page shows everyone's
        problems.update({p.get("field") or "": p["message"] for p in error.problems})
        owners = None
    figures = {"period": period, "owners": owners, "actor": actor}
    conversion = reports.stage_conversion(session, **figures)
    win_loss = reports.wins_and_losses(session, **figures)
    link = deal_link(query["owner"] if owners is not None and "owner" not in problems else None)
    return render_template(
        "reports.html", query=query, problems=problems, periods=PERIODS, period=period,
        last_day=period.end - timedelta(days=1) if period.end else None, term_names=TERM_NAMES,
        conversion=conversion, durations=reports.stage_durations(session, **figures), win_loss=win_loss,
        tenders=reports.tender_win_rate(session, **figures), definitions=DEFINITIONS, link=link,
        owners=reports.report_owners(session, actor=actor), teams=list_team_names(session),
        reason_label=reason_label, charts=conversion_chart(conversion, link))


def _load(args: dict) -> tuple[dict, dict]:
    try:
        return report_query.load(args), {}
    except ValidationError as error:  # a field typed wrong shows at its field; the rest still apply
        problems = {field: " ".join(messages) for field, messages in error.messages.items()}
        return report_query.load({k: v for k, v in args.items() if k not in problems}), problems


def period_for(choice: str, start: date | None, end: date | None, today: date) -> reports.Period:
    """Return the report Period of a choice on the page: this month, quarter or year, all, or from–to.

    The page's `to` is the last day shown, included; a Period ends the day after.
    """
    if choice == "custom":
        return reports.Period(start, end + timedelta(days=1) if end else None)
    if choice == "all":
        return reports.Period()
    months = {"month": 1, "quarter": 3, "year": 12}[choice]
    first_month = (today.month - 1) // months * months + 1
    first = today.replace(month=first_month, day=1)
    index = first_month - 1 + months
    return reports.Period(first, date(first.year + index // 12, index % 12 + 1, 1))


def deal_link(owner: str | None):
    """Return link(stage=…, outcome=…): the URL of the deal list showing those deals, of `owner` if one."""
    def link(**filters) -> str:
        return url_for("deal_pages.deal_list", **filters, **({"owner": owner} if owner else {}))
    return link


def conversion_chart(conversion: dict, link) -> dict:
    """Return the conversion chart's series, and per bar the deal list it opens (None: no list shows them).

    Deals that moved on from a stage are elsewhere now; the list filters by the current stage, so
    those bars do not click through.
    """
    stages = conversion["stages"]
    return {"labels": [s["stage"] for s in stages],
            "moved_on": [s["moved_on"] for s in stages],
            "lost": [s["lost"] for s in stages],
            "open": [s["open"] for s in stages],
            "links": {"moved_on": [None for _ in stages],
                      "lost": [link(stage=s["stage"], outcome="lost") for s in stages],
                      "open": [link(stage=s["stage"], outcome="open") for s in stages]}}


def reason_label(reason: str, lost: bool) -> str:
    """Return a win or loss reason in the page's language: the catalogue's labels are "价格 Price"."""
    label = (LOST_REASONS if lost else WIN_REASONS).get(reason)
    if label is None:
        return i18n.gettext("Not given") if reason == "unspecified" else reason
    chinese, _, english = label.partition(" ")
    return chinese if i18n.current_locale() == "zh" else english

