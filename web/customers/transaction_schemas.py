"""The shapes of the order, payment, return, event and 360° routes (web.customers.transactions).

Types are checked here; the rules (a known currency, a date that makes sense, an
order of the same company, a unique number) in customers.transactions and
customers.events, whoever calls.
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from customers.models import ORDER_STATUSES, PAYMENT_KINDS

from ..fields import Id, Int64
from .schemas import CompanySchema

_reference = validate.Length(min=1, max=64)
_minor = {"description": "in the currency's minor unit (分)"}


def _text(length: int, **kwargs):
    return fields.String(allow_none=True, load_default=None, validate=validate.Length(max=length), **kwargs)


class OrderSchema(Schema):
    id = Id()
    company_id = Id()
    contact_id = Id(allow_none=True)
    number = fields.String()
    ordered_on = fields.Date()
    amount = Int64(metadata=_minor)
    currency = fields.String()
    status = fields.String()
    source = fields.String(allow_none=True)
    created_at = fields.DateTime()


class OrderInSchema(Schema):
    number = fields.String(required=True, validate=_reference, metadata={"description": "the ERP's, unique"})
    ordered_on = fields.Date(required=True)
    amount = Int64(required=True, metadata=_minor)
    currency = _text(3, metadata={"description": "ISO 4217; default CNY"})
    status = fields.String(load_default="open", metadata={"description": ", ".join(ORDER_STATUSES)})
    contact_id = Id(allow_none=True, load_default=None)
    source = _text(120)


class OrderPatchSchema(Schema):
    status = fields.String(metadata={"description": ", ".join(ORDER_STATUSES)})
    amount = Int64(metadata=_minor)
    ordered_on = fields.Date()


class PaymentSchema(Schema):
    id = Id()
    company_id = Id()
    kind = fields.String()
    reference = fields.String()
    paid_on = fields.Date()
    amount = Int64(metadata=_minor)
    currency = fields.String()
    method = fields.String(allow_none=True)
    order_id = Id(allow_none=True)
    order_number = fields.Function(lambda p: getattr(p, "order_number", None))
    source = fields.String(allow_none=True)
    created_at = fields.DateTime()


class PaymentInSchema(Schema):
    reference = fields.String(required=True, validate=_reference, metadata={"description": "unique"})
    kind = fields.String(load_default="payment", metadata={"description": ", ".join(PAYMENT_KINDS)})
    paid_on = fields.Date(required=True)
    amount = Int64(required=True, metadata={"description": "greater than 0, in the minor unit (分)"})
    currency = _text(3, metadata={"description": "ISO 4217; default CNY"})
    order_number = _text(64, metadata={"description": "an order of the same company"})
    method = _text(40)
    source = _text(120)


class ReturnSchema(Schema):
    id = Id()
    company_id = Id()
    reference = fields.String()
    returned_on = fields.Date()
    amount = Int64(metadata=_minor)
    currency = fields.String()
    reason = fields.String(allow_none=True)
    order_id = Id(allow_none=True)
    order_number = fields.Function(lambda r: getattr(r, "order_number", None))
    source = fields.String(allow_none=True)
    created_at = fields.DateTime()


class ReturnInSchema(Schema):
    reference = fields.String(required=True, validate=_reference, metadata={"description": "unique"})
    returned_on = fields.Date(required=True)
    amount = Int64(required=True, metadata=_minor)
    currency = _text(3, metadata={"description": "ISO 4217; default CNY"})
    order_number = _text(64, metadata={"description": "an order of the same company"})
    reason = _text(255)
    source = _text(120)


class EventSchema(Schema):
    id = Id()
    event_id = fields.String(attribute="external_id", metadata={"description": "the sender's id"})
    source = fields.String(metadata={"description": "the sender: the name of the token's user"})
    type = fields.String()
    occurred_at = fields.DateTime()
    company_id = Id(allow_none=True)
    contact_id = Id(allow_none=True)
    properties = fields.Dict(allow_none=True)
    received_at = fields.DateTime()


class PageQuerySchema(Schema):
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))
    before_id = Id(load_default=None, metadata={"description": "the next page: older than this id"})


class View360QuerySchema(Schema):
    before = fields.String(load_default=None, validate=validate.Length(max=200),
                           metadata={"description": "timeline.next_before of the page before"})


def listing(schema: Schema, page) -> dict:
    """Return a customers.transactions.Listing as {"items", "next_before_id"} and "totals" if it has them."""
    body = {"items": schema.dump(page.rows), "next_before_id": page.next_before_id}
    if page.totals is not None:
        body["totals"] = page.totals
    return body


class IngestResultSchema(Schema):
    accepted = fields.Integer(metadata={"description": "events stored now"})
    duplicates = fields.Integer(metadata={"description": "lines repeating a stored event or an earlier line"})
    rejected = fields.List(fields.Dict(), metadata={"description": "[{line, field, message}], skipped"})


class View360Schema(Schema):
    """The 360° JSON: the company's fields as CompanySchema has them, with aliases and quality flags."""
    company = fields.Method("_company")
    group = fields.Raw()
    control = fields.Raw(allow_none=True)
    contacts = fields.Raw()
    deals = fields.Raw()
    tenders = fields.Raw()
    contracts = fields.Raw()
    orders = fields.Raw()
    payments = fields.Raw()
    returns = fields.Raw()
    totals = fields.Raw()
    behaviour = fields.Raw()
    timeline = fields.Raw()

    def _company(self, view: dict) -> dict:
        return {**CompanySchema().dump(view["company"]), "aliases": view["aliases"],
                "quality_flags": view["quality_flags"]}


def _page_schema(item: type[Schema], with_totals: bool) -> type[Schema]:
    shape = {"items": fields.List(fields.Nested(item)),
             "next_before_id": Id(allow_none=True, metadata={"description": "send as before_id for the next page"})}
    if with_totals:
        shape["totals"] = fields.Dict(metadata={
            "description": "{currency: {ordered, paid, refunded, returned, outstanding}}"})
    return Schema.from_dict(shape, name=f"{item.__name__[:-6]}PageSchema")


OrderPageSchema, PaymentPageSchema = _page_schema(OrderSchema, True), _page_schema(PaymentSchema, True)
ReturnPageSchema, EventPageSchema = _page_schema(ReturnSchema, True), _page_schema(EventSchema, False)

SCHEMAS = {"Order": OrderSchema, "OrderIn": OrderInSchema, "OrderPatch": OrderPatchSchema,
           "Payment": PaymentSchema, "PaymentIn": PaymentInSchema, "Return": ReturnSchema,
           "ReturnIn": ReturnInSchema, "Event": EventSchema, "IngestResult": IngestResultSchema,
           "Company360": View360Schema, "OrderPage": OrderPageSchema,
           "PaymentPage": PaymentPageSchema, "ReturnPage": ReturnPageSchema, "EventPage": EventPageSchema}

_page = [("limit", "1 to 500, default 100"), ("before_id", "older than this id")]
# path, method, summary, status, response schema, is a list, request schema, query parameters
ROUTES = [
    ("/api/companies/{id}/orders", "get", "The company's orders (newest first) and its totals per currency",
     "200", "OrderPage", False, None, _page),
    ("/api/companies/{id}/orders", "post", "Record an order; the same number with the same values is a no-op "
     "(200), with others a 409", "201", "Order", False, "OrderIn", []),
    ("/api/orders/{id}", "patch", "Change an order's status, amount or date", "200", "Order", False,
     "OrderPatch", []),
    ("/api/companies/{id}/payments", "get", "The company's payments and refunds and its totals", "200",
     "PaymentPage", False, None, _page),
    ("/api/companies/{id}/payments", "post", "Record a payment or a refund, optionally against an order",
     "201", "Payment", False, "PaymentIn", []),
    ("/api/companies/{id}/returns", "get", "The company's returns and its totals", "200", "ReturnPage", False,
     None, _page),
    ("/api/companies/{id}/returns", "post", "Record a return, optionally against an order", "201", "Return",
     False, "ReturnIn", []),
    ("/api/events", "post", "A batch of behaviour events as JSON lines (application/x-ndjson), idempotent by "
     "(sender, id); at most 5 MB and 10,000 lines", "200", "IngestResult", False, None, []),
    ("/api/companies/{id}/events", "get", "The company's behaviour events, newest first", "200", "EventPage",
     False, None, _page),
    ("/api/companies/{id}/360", "get", "The 360° view of a company, with one page of its timeline", "200",
     "Company360", False, None, [("before", "timeline.next_before of the previous page")]),
]
