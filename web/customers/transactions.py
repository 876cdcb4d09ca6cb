"""The order, payment, return, event and 360° routes: parse, call one customers service, render."""
from __future__ import annotations

from flask import Blueprint, request

from customers import events, transactions, view360

from ..api import json_body
from ..auth import current_actor, declare_permissions
from ..db import get_session
from .transaction_schemas import (EventSchema, IngestResultSchema, OrderInSchema, OrderPatchSchema, OrderSchema,
                                  PageQuerySchema, PaymentInSchema, PaymentSchema, ReturnInSchema, ReturnSchema,
                                  View360QuerySchema, View360Schema, listing)

bp = Blueprint("customer_transactions", __name__, url_prefix="/api")
declare_permissions(bp, {
    "list_orders": "companies.read",
    "record_order": "transactions.write",
    "change_order": "transactions.write",
    "list_payments": "companies.read",
    "record_payment": "transactions.write",
    "list_returns": "companies.read",
    "record_return": "transactions.write",
    "ingest_events": "events.write",
    "list_events": "companies.read",
    "show_360": "companies.read",
})

order_schema, orders_schema = OrderSchema(), OrderSchema(many=True)
order_in_schema, order_patch_schema = OrderInSchema(), OrderPatchSchema(partial=True)
payment_schema, payments_schema, payment_in_schema = PaymentSchema(), PaymentSchema(many=True), PaymentInSchema()
return_schema, returns_schema, return_in_schema = ReturnSchema(), ReturnSchema(many=True), ReturnInSchema()
events_schema, ingest_schema = EventSchema(many=True), IngestResultSchema()
page_query, view_query, view_schema = PageQuerySchema(), View360QuerySchema(), View360Schema()


@bp.get("/companies/<int:company_id>/orders")
def list_orders(company_id):
    query = page_query.load(request.args)
    return listing(orders_schema, transactions.list_orders(get_session(), company_id, actor=current_actor(),
                                                                **query))


@bp.post("/companies/<int:company_id>/orders")
def record_order(company_id):
    body = order_in_schema.load(json_body())
    order, created = transactions.record_order(get_session(), company_id, actor=current_actor(), **body)
    return order_schema.dump(order), 201 if created else 200


@bp.patch("/orders/<int:order_id>")
def change_order(order_id):
    changes = order_patch_schema.load(json_body())
    return order_schema.dump(transactions.change_order(get_session(), order_id, changes, actor=current_actor()))


@bp.get("/companies/<int:company_id>/payments")
def list_payments(company_id):
    query = page_query.load(request.args)
    return listing(payments_schema, transactions.list_payments(get_session(), company_id, actor=current_actor(),
                                                                **query))


@bp.post("/companies/<int:company_id>/payments")
def record_payment(company_id):
    body = payment_in_schema.load(json_body())
    payment, created = transactions.record_payment(get_session(), company_id, actor=current_actor(), **body)
    return payment_schema.dump(payment), 201 if created else 200


@bp.get("/companies/<int:company_id>/returns")
def list_returns(company_id):
    query = page_query.load(request.args)
    return listing(returns_schema, transactions.list_returns(get_session(), company_id, actor=current_actor(),
                                                                **query))


@bp.post("/companies/<int:company_id>/returns")
def record_return(company_id):
    body = return_in_schema.load(json_body())
    returned, created = transactions.record_return(get_session(), company_id, actor=current_actor(), **body)
    return return_schema.dump(returned), 201 if created else 200


@bp.post("/events")
def ingest_events():
    actor = current_actor()
    # Read as bytes, whatever the Content-Type: JSON lines are no JSON document for Flask to parse.
    result = events.ingest(get_session(), request.get_data(cache=False), source=actor.name, actor=actor)
    return ingest_schema.dump(result)


@bp.get("/companies/<int:company_id>/events")
def list_events(company_id):
    query = page_query.load(request.args)
    return listing(events_schema, events.list_events(get_session(), company_id, actor=current_actor(), **query))


@bp.get("/companies/<int:company_id>/360")
def show_360(company_id):
    query = view_query.load(request.args)
    return view_schema.dump(view360.view(get_session(), company_id, actor=current_actor(), **query))
