"""The CRM routes: deals and their committees, tenders, reports (companies: web.customers).

Routes parse, call one crm service, render. Importing this module imports the
crm package, which registers its instance listener with the engine.
"""
from __future__ import annotations

from flask import Blueprint, request

from crm import deals, reports, tenders

from .api import json_body
from .auth import current_actor, declare_permissions
from .crm_schemas import (CommitteeMemberInSchema, CommitteeMemberSchema, ConversionReportSchema,
                          ListQuerySchema, OpportunityInSchema, OpportunitySchema, PeriodQuerySchema,
                          TenderInSchema, TenderSchema)
from .db import get_session

bp = Blueprint("crm", __name__, url_prefix="/api")
declare_permissions(bp, {
    "list_opportunities": "deals.read",
    "open_opportunity": "deals.write",
    "show_opportunity": "deals.read",
    "list_committee": "deals.read",
    "add_committee_member": "deals.write",
    "remove_committee_member": "deals.write",
    "list_tenders": "tenders.read",
    "open_tender": "tenders.write",
    "show_tender": "tenders.read",
    "conversion_report": "reports.read",
    "stage_durations_report": "reports.read",
    "pipeline_report": "reports.read",
    "forecast_report": "reports.read",
    "win_loss_report": "reports.read",
    "tender_win_rate_report": "reports.read",
})

deal_schema, deals_schema = OpportunitySchema(), OpportunitySchema(many=True)
deal_in_schema = OpportunityInSchema()
member_schema, members_schema = CommitteeMemberSchema(), CommitteeMemberSchema(many=True)
member_in_schema = CommitteeMemberInSchema()
tender_schema, tenders_schema, tender_in_schema = TenderSchema(), TenderSchema(many=True), TenderInSchema()
conversion_schema = ConversionReportSchema()
# Query parameters per route: any other parameter is refused with 422, naming it.
deal_query = ListQuerySchema(only=("outcome", "stage", "company_id", "group_of", "owner"))
tender_query = ListQuerySchema(only=("outcome",))
period_only = PeriodQuerySchema(only=("start", "end", "owner", "team"))
conversion_query = PeriodQuerySchema(only=("start", "end", "by", "process_key", "owner", "team"))
durations_query = PeriodQuerySchema(only=("start", "end", "process_key", "owner", "team"))
forecast_query = PeriodQuerySchema(only=("months",))


def period_query(schema: PeriodQuerySchema) -> dict:
    """Return a report's query parameters, validated: `from` and `to` as a Period, `owner` and `team` as owners."""
    args = schema.load(request.args)
    owners = reports.owner_ids(get_session(), owner=args.pop("owner"), team=args.pop("team"))
    return {"period": reports.Period(args.pop("start"), args.pop("end")), "owners": owners, **args}


# --- deals and their committees -------------------------------------------------------------

@bp.get("/opportunities")
def list_opportunities():
    return deals_schema.dump(deals.list_opportunities(get_session(), **deal_query.load(request.args),
                                                      actor=current_actor()))


@bp.post("/opportunities")
def open_opportunity():
    body = deal_in_schema.load(json_body())
    return deal_schema.dump(deals.open_deal(get_session(), actor=current_actor(), **body)), 201


@bp.get("/opportunities/<int:opportunity_id>")
def show_opportunity(opportunity_id):
    return deal_schema.dump(deals.get_opportunity(get_session(), opportunity_id, actor=current_actor()))


@bp.get("/opportunities/<int:opportunity_id>/committee")
def list_committee(opportunity_id):
    return members_schema.dump(deals.list_committee(get_session(), opportunity_id, actor=current_actor()))


@bp.post("/opportunities/<int:opportunity_id>/committee")
def add_committee_member(opportunity_id):
    body = member_in_schema.load(json_body())
    return member_schema.dump(deals.add_committee_member(get_session(), opportunity_id,
                                                         actor=current_actor(), **body)), 201


@bp.delete("/opportunities/<int:opportunity_id>/committee/<int:member_id>")
def remove_committee_member(opportunity_id, member_id):
    deals.remove_committee_member(get_session(), opportunity_id, member_id, actor=current_actor())
    return "", 204


# --- tenders --------------------------------------------------------------------------------

@bp.get("/tenders")
def list_tenders():
    return tenders_schema.dump(tenders.list_tenders(get_session(), **tender_query.load(request.args),
                                                         actor=current_actor()))


@bp.post("/tenders")
def open_tender():
    body = tender_in_schema.load(json_body())
    return tender_schema.dump(tenders.open_tender(get_session(), actor=current_actor(), **body)), 201


@bp.get("/tenders/<int:tender_id>")
def show_tender(tender_id):
    return tender_schema.dump(tenders.get_tender(get_session(), tender_id, actor=current_actor()))


# --- reports --------------------------------------------------------------------------------

@bp.get("/reports/conversion")
def conversion_report():
    return conversion_schema.dump(reports.stage_conversion(get_session(), **period_query(conversion_query),
                                                             actor=current_actor()))


@bp.get("/reports/stage-durations")
def stage_durations_report():
    return reports.stage_durations(get_session(), **period_query(durations_query), actor=current_actor())


@bp.get("/reports/pipeline")
def pipeline_report():
    return reports.weighted_pipeline(get_session(), actor=current_actor())


@bp.get("/reports/forecast")
def forecast_report():
    return reports.monthly_forecast(get_session(), **forecast_query.load(request.args),
                                    actor=current_actor())


@bp.get("/reports/win-loss")
def win_loss_report():
    return reports.wins_and_losses(get_session(), **period_query(period_only), actor=current_actor())


@bp.get("/reports/tender-win-rate")
def tender_win_rate_report():
    return reports.tender_win_rate(get_session(), **period_query(period_only), actor=current_actor())
