"""The pipeline board: open deals by stage with their amounts, and charts of the funnel's reports.

Deals and figures come from crm's services (deals.list_opportunities and the
reports of the funnel issue); this module only arranges them into columns and
chart series.
"""
from __future__ import annotations

from flask import render_template

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
    conversion = reports.stage_conversion(session, actor=page_actor())
    forecast = reports.monthly_forecast(session, months=FORECAST_MONTHS, actor=page_actor())
    return render_template("pipeline.html", columns=board_columns(pipeline_report, open_deals),
                           total=pipeline_report["total"], conversion=conversion, forecast=forecast,
                           charts=chart_data(conversion, forecast))


def board_columns(pipeline_report: dict, open_deals: list) -> list[dict]:
    """Return one column per stage (the funnel's order) with its deals, biggest amount first."""
    by_stage: dict[str, list] = {}
    for deal in open_deals:
        by_stage.setdefault(deal.stage or "", []).append(deal)
    columns = [{**row, "cards": sorted(by_stage.pop(row["stage"], []), key=lambda d: -(d.amount or 0))}
               for row in pipeline_report["stages"]]
    for stage, cards in by_stage.items():  # a stage the newest definition no longer has
        columns.append({"stage": stage, "probability": None, "deals": len(cards),
                        "amount": sum(d.amount or 0 for d in cards), "cards": cards,
                        "weighted_amount": sum(d.weighted_amount for d in cards)})
    return columns


def chart_data(conversion: dict, forecast: dict) -> dict:
    """Return the series the two charts draw: stage conversion and the monthly forecast."""
    stages = conversion["stages"]
    return {
        "conversion": {"labels": [s["stage"] for s in stages],
                       "entered": [s["entered"] for s in stages],
                       "moved_on": [s["moved_on"] for s in stages],
                       "lost": [s["lost"] for s in stages],
                       "rate": [None if s["conversion_rate"] is None else round(100 * s["conversion_rate"], 1)
                                for s in stages]},
        "forecast": {"labels": [m["month"] for m in forecast["months"]],
                     "amount": [m["amount"] for m in forecast["months"]],
                     "weighted": [m["weighted_amount"] for m in forecast["months"]]},
    }
