"""The pipeline board: open deals by stage with their amounts, and charts of the funnel's reports.

Deals and figures come from crm's services (deals.list_opportunities and the
reports of the funnel issue); this module only arranges them into columns and
chart series.
"""
from __future__ import annotations

from flask import render_template, url_for

from crm import deals, reports

from ..db import get_session
from . import bp, login_required, page_actor

FORECAST_MONTHS = 6


@bp.get("/pipeline")
@login_required
def pipeline():
    session = get_session()
    pipeline_report = reports.weighted_pipeline(session, actor=page_actor())
    open_deals = [d for d in deals.list_opportunities(session, outcome="open", actor=page_actor())
                  if d.instance.status != "terminated"]
    # Won deals whose instance still runs are being delivered: their stage is not empty, only closed.
    delivering = [d for d in deals.list_opportunities(session, outcome="won", actor=page_actor())
                  if d.instance.status not in ("completed", "terminated")]
    conversion = reports.stage_conversion(session, actor=page_actor())
    forecast = reports.monthly_forecast(session, months=FORECAST_MONTHS, actor=page_actor())
    # The one win rate (crm.reports.WIN_RATE), the same figure as the reports page's for the same period.
    win_loss = reports.wins_and_losses(session, actor=page_actor())
    return render_template("pipeline.html", columns=board_columns(pipeline_report, open_deals, delivering),
                           total=pipeline_report["total"], conversion=conversion, forecast=forecast,
                           win_loss=win_loss, charts=chart_data(conversion, forecast))


def board_columns(pipeline_report: dict, open_deals: list, delivering: list = ()) -> list[dict]:
    """Return one column per stage (the funnel's order) with its deals, biggest amount first,
    and how many won deals are still being delivered in it."""
    by_stage: dict[str, list] = {}
    for deal in open_deals:
        by_stage.setdefault(deal.stage or "", []).append(deal)
    won_in: dict[str, int] = {}
    for deal in delivering:
        won_in[deal.stage or ""] = won_in.get(deal.stage or "", 0) + 1
    columns = [{**row, "cards": sorted(by_stage.pop(row["stage"], []), key=lambda d: -(d.amount or 0))}
               for row in pipeline_report["stages"]]
    for stage, cards in by_stage.items():  # a stage the newest definition no longer has
        columns.append({"stage": stage, "probability": None, "deals": len(cards),
                        "amount": sum(d.amount or 0 for d in cards), "cards": cards,
                        "weighted_amount": sum(d.weighted_amount for d in cards)})
    for column in columns:
        column["won_in_delivery"] = won_in.get(column["stage"], 0)
    return columns


def chart_data(conversion: dict, forecast: dict) -> dict:
    """Return the series the two charts draw: stage conversion and the monthly forecast."""
    stages = conversion["stages"]
    return {
        "conversion": {"labels": [s["stage"] for s in stages],
                       "entered": [s["entered"] for s in stages],
                       "moved_on": [s["moved_on"] for s in stages],
                       "lost": [s["lost"] for s in stages],
                       # Lost bars open the deals lost at that stage; the others have no list of their own.
                       "lost_links": [url_for("deal_pages.deal_list", stage=s["stage"], outcome="lost")
                                      for s in stages],
                       "rate": [None if s["conversion_rate"] is None else round(100 * s["conversion_rate"], 1)
                                for s in stages]},
        "forecast": {"labels": [m["month"] for m in forecast["months"]],
                     "amount": [m["amount"] for m in forecast["months"]],
                     "weighted": [m["weighted_amount"] for m in forecast["months"]]},
    }
