"""The shapes of the CRM routes (web.crm), and their entries in the OpenAPI document.

The company and contact shapes are in web.customers.schemas.
"""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from crm import deals
from crm.models import ATTITUDES, COMMITTEE_ROLES, LOST_REASONS, OUTCOMES, TENDER_OUTCOMES

from .fields import Id, Int64

ISO_DURATION = validate.Regexp(r"^P(?=[\dT])(\d+[YMWD])*(T(\d+(\.\d+)?[HMS])+)?$",
                               error="an ISO 8601 duration such as P14D or PT12H")
_name = validate.Length(min=1, max=255)


class OpportunitySchema(Schema):
    id = Id()
    name = fields.String()
    instance_id = Id(metadata={"description": "the sales_funnel instance that runs the deal"})
    status = fields.Function(lambda o: o.instance.status, metadata={"description": "of the instance"})
    company_id = Id(allow_none=True)
    company = fields.Function(lambda o: o.company.name if o.company else None)
    owner = fields.Function(lambda o: o.owner.name if o.owner else None)
    amount = Int64(allow_none=True)
    expected_close_date = fields.Date(allow_none=True)
    stage = fields.String(allow_none=True)
    probability = fields.Float()
    weighted_amount = fields.Float()
    outcome = fields.String(metadata={"description": "open, won (past contract signing) or lost"})
    lost_reason = fields.String(allow_none=True)
    lost_note = fields.String(allow_none=True)
    win_reason = fields.String(allow_none=True)
    tender_id = Id(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)


class OpportunityInSchema(Schema):
    company_id = Id(required=True)
    name = fields.String(load_default=None, validate=_name)
    amount = Int64(load_default=None, validate=validate.Range(min=0))
    expected_close_date = fields.Date(load_default=None)
    owner = fields.String(load_default=None, metadata={"description": "user name; default: the caller"})
    stale_after = fields.String(load_default=None, validate=ISO_DURATION,
                                metadata={"description": "reminder after this long in a stage (P14D)"})
    escalate_after = fields.String(load_default=None, validate=ISO_DURATION,
                                   metadata={"description": "escalation this long after the reminder (P7D)"})


class CommitteeMemberSchema(Schema):
    id = Id()
    opportunity_id = Id()
    contact_id = Id()
    contact = fields.Function(lambda m: m.contact.name)
    contact_title = fields.Function(lambda m: m.contact.title)
    role = fields.String()
    influence = fields.Float()
    attitude = fields.String()
    note = fields.String(allow_none=True)


class CommitteeMemberInSchema(Schema):
    contact_id = Id(required=True)
    role = fields.String(required=True, validate=validate.OneOf(COMMITTEE_ROLES))
    influence = fields.Float(required=True, validate=validate.Range(min=0, max=1))
    attitude = fields.String(load_default="neutral", validate=validate.OneOf(ATTITUDES))
    note = fields.String(allow_none=True, load_default=None)


class TenderSchema(Schema):
    id = Id()
    title = fields.String()
    instance_id = Id(metadata={"description": "the tender instance"})
    status = fields.Function(lambda t: t.instance.status)
    company_id = Id(allow_none=True)
    company = fields.Function(lambda t: t.company.name if t.company else None)
    owner = fields.Function(lambda t: t.owner.name if t.owner else None)
    stage = fields.String(allow_none=True)
    outcome = fields.String(metadata={"description": "open, no_bid, missed, won or lost"})
    budget = Int64(allow_none=True)
    registration_deadline = fields.Date(allow_none=True)
    questions_deadline = fields.Date(allow_none=True)
    submission_deadline = fields.Date(allow_none=True)
    opening_date = fields.Date(allow_none=True)
    award_date = fields.Date(allow_none=True)
    bid_score = Int64(allow_none=True)
    bid_price = Int64(allow_none=True)
    decision_reason = fields.String(allow_none=True,
                                    metadata={"description": "the director's, below the threshold"})
    awarded_amount = Int64(allow_none=True)
    winner = fields.String(allow_none=True)
    winning_price = Int64(allow_none=True)
    created_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)


class TenderInSchema(Schema):
    company_id = Id(load_default=None)
    buyer = fields.String(load_default=None, validate=_name)
    title = fields.String(load_default=None, validate=_name)
    owner = fields.String(load_default=None)
    submission_due = fields.AwareDateTime(load_default=None, metadata={
        "description": "the exact moment bids close; default 17:00 Beijing time on the submission date"})

    @validates_schema
    def _names_the_buyer(self, data, **kwargs):
        if data.get("company_id") is None and not data.get("buyer"):
            raise ValidationError("give company_id or buyer", "buyer")


class PeriodQuerySchema(Schema):
    start = fields.Date(data_key="from", load_default=None)
    end = fields.Date(data_key="to", load_default=None, metadata={"description": "exclusive"})
    by = fields.String(load_default=None, validate=validate.OneOf(("month", "quarter")))
    process_key = fields.String(load_default="sales_funnel",
                                validate=validate.OneOf(("sales_funnel", "tender")))
    months = Int64(load_default=6, validate=validate.Range(min=1, max=36))
    owner = fields.String(load_default=None, validate=validate.Length(max=80))
    team = fields.String(load_default=None, validate=validate.Length(max=255))


class ListQuerySchema(Schema):
    company_id = Id(load_default=None)
    group_of = Id(load_default=None)
    owner = fields.String(load_default=None)
    stage = fields.String(load_default=None)
    outcome = fields.String(load_default=None, validate=validate.OneOf(sorted({*OUTCOMES, *TENDER_OUTCOMES})))


class DealSearchSchema(Schema):
    """The deal list page's filters, sort and page (a bookmark's or saved view's query string)."""

    q = fields.String(load_default=None, validate=validate.Length(max=255))
    outcome = fields.String(load_default=None, validate=validate.OneOf(OUTCOMES))
    stage = fields.String(load_default=None, validate=validate.Length(max=255))
    owner = fields.String(load_default=None, validate=validate.Length(max=80))
    team = fields.String(load_default=None, validate=validate.Length(max=120))
    lost_reason = fields.String(load_default=None, validate=validate.OneOf(sorted(LOST_REASONS)))
    company_id = Id(load_default=None)
    close_month = fields.Date(load_default=None, format="%Y-%m")
    amount_min = Int64(load_default=None, validate=validate.Range(min=0))
    amount_max = Int64(load_default=None, validate=validate.Range(min=0))
    sort = fields.String(load_default="-updated", validate=validate.OneOf(
        [f"{sign}{key}" for key in deals.SORTS for sign in ("", "-")]))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    per_page = fields.Integer(load_default=deals.DEFAULT_PER_PAGE, validate=validate.Range(min=1, max=deals.MAX_PER_PAGE))


class DealFormSchema(Schema):
    """The new-deal form: the customer by name or code, made when asked, and the deal's own facts."""

    company = fields.String(required=True, validate=validate.Length(min=1, max=255))
    new_company = fields.Boolean(load_default=False, truthy={"on", "1", "true"}, falsy={"", "0", "false"})
    name = fields.String(load_default=None, validate=validate.Length(max=255))
    amount = Int64(load_default=None, validate=validate.Range(min=0))
    owner = fields.String(load_default=None, validate=validate.Length(max=80))
    expected_close_date = fields.Date(load_default=None)


class StageConversionSchema(Schema):
    stage = fields.String()
    entered = Int64()
    moved_on = Int64(metadata={"description": "left other than lost: to the next stage or the end"})
    lost = Int64()
    open = Int64()
    conversion_rate = fields.Float(allow_none=True, metadata={"description": "moved_on / entered"})
    loss_rate = fields.Float(allow_none=True)


class ConversionReportSchema(Schema):
    process_key = fields.String()
    start = fields.String(data_key="from", attribute="from", allow_none=True)
    end = fields.String(data_key="to", attribute="to", allow_none=True)
    stages = fields.List(fields.Nested(StageConversionSchema))
    overall = fields.Dict(metadata={"description": (
        "entered, won, lost, open: of the instances that entered their first stage in the period; "
        "conversion_rate: won / entered; loss_rate: lost / entered; closed_won, closed_lost: closed in the "
        "period; win_rate: closed_won / (closed_won + closed_lost), the same figure as /api/reports/win-loss")})
    periods = fields.List(fields.Dict(), metadata={"description": "with ?by=month|quarter: "
                                                   "{period, stages, overall} each"})


SCHEMAS = {"Opportunity": OpportunitySchema,
           "OpportunityIn": OpportunityInSchema, "CommitteeMember": CommitteeMemberSchema,
           "CommitteeMemberIn": CommitteeMemberInSchema, "Tender": TenderSchema, "TenderIn": TenderInSchema,
           "ConversionReport": ConversionReportSchema}

_PERIOD = [("from", "first day, YYYY-MM-DD"), ("to", "day after the last, YYYY-MM-DD"),
           ("owner", "only the deals or tenders this user (by name) owns"),
           ("team", "only those the team's people own, sub-teams included (by team name)")]
REPORT = "Report"  # a JSON object, described per route

# path, method, summary, status, response schema (or REPORT), is a list, request schema, query parameters
ROUTES = [
    ("/api/opportunities", "get", "Deals", "200", "Opportunity", True, None,
     [("outcome", "open, won or lost"), ("stage", "current stage"), ("company_id", "of this company"),
      ("group_of", "of this company or any subsidiary"), ("owner", "user name")]),
    ("/api/opportunities", "post", "Open a deal: starts a sales_funnel instance", "201", "Opportunity", False,
     "OpportunityIn", []),
    ("/api/opportunities/{id}", "get", "A deal", "200", "Opportunity", False, None, []),
    ("/api/opportunities/{id}/committee", "get", "The deal's decision committee", "200", "CommitteeMember",
     True, None, []),
    ("/api/opportunities/{id}/committee", "post", "Add a contact to the decision committee", "201",
     "CommitteeMember", False, "CommitteeMemberIn", []),
    ("/api/opportunities/{id}/committee/{member_id}", "delete", "Take a member off the committee", "204",
     None, False, None, []),
    ("/api/tenders", "get", "Tenders", "200", "Tender", True, None,
     [("outcome", "open, no_bid, missed, won or lost")]),
    ("/api/tenders", "post", "Follow a tender: starts a tender instance", "201", "Tender", False, "TenderIn",
     []),
    ("/api/tenders/{id}", "get", "A tender with its milestone dates", "200", "Tender", False, None, []),
    ("/api/reports/conversion", "get", "Stage conversion: entered, moved on, lost, per stage and overall",
     "200", "ConversionReport", False, None,
     [*_PERIOD, ("by", "month or quarter: also per period"), ("process_key", "sales_funnel or tender")]),
    ("/api/reports/stage-durations", "get", "Average days in each stage", "200", REPORT, False, None,
     [*_PERIOD, ("process_key", "sales_funnel or tender")]),
    ("/api/reports/pipeline", "get", "Open deals per stage, amount × stage probability", "200", REPORT, False,
     None, []),
    ("/api/reports/forecast", "get", "Monthly forecast of closing amounts from the weighted pipeline", "200",
     REPORT, False, None, [("months", "how many months from this one (default 6)")]),
    ("/api/reports/win-loss", "get", "Deals won and lost, by reason; win_rate: won / (won + lost) closed in the "
     "period", "200", REPORT, False, None, _PERIOD),
    ("/api/reports/tender-win-rate", "get", "Tender outcomes, win rate of bids, who won when we lost", "200",
     REPORT, False, None, _PERIOD),
]
