"""Request and response schemas of the duplicate review, merge and data-quality routes, and their OpenAPI entries."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from customers import duplicates

from ..fields import Id


class DuplicateQuerySchema(Schema):
    kind = fields.String(load_default="companies", validate=validate.OneOf(duplicates.KINDS))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))


class MergeSchema(Schema):
    from_id = Id(required=True, metadata={"description": "the record merged into this one, then deleted"})


class MergeFormSchema(MergeSchema):
    kind = fields.String(required=True, validate=validate.OneOf(duplicates.KINDS))
    into_id = Id(required=True)
    csrf_token = fields.String()
    next = fields.String()


class DuplicateSideSchema(Schema):
    """One record of a pair: a company's or a contact's key fields (those of the other kind are absent)."""
    id = Id()
    name = fields.String()
    credit_code = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    company_id = Id()
    mobile = fields.String(allow_none=True)
    title = fields.String(allow_none=True)


class DuplicatePairSchema(Schema):
    id = Id()
    kind = fields.String(metadata={"description": ", ".join(duplicates.KINDS)})
    score = fields.Float(metadata={"description": "0 to 1; 1 is the same credit code"})
    reasons = fields.List(fields.String())
    status = fields.String(metadata={"description": "open or dismissed"})
    found_at = fields.DateTime()
    left = fields.Nested(DuplicateSideSchema)
    right = fields.Nested(DuplicateSideSchema)


class DismissedSchema(Schema):
    id = Id()
    status = fields.String()


# Nested schemas first: the plugin would register them under their own names on the way.
SCHEMAS = {"DuplicateSide": DuplicateSideSchema, "DuplicatePair": DuplicatePairSchema,
           "Dismissed": DismissedSchema, "Merge": MergeSchema}

# The format of web.customers.schemas.ROUTES; "Company" and "Contact" are that module's.
ROUTES = [
    ("/api/duplicates", "get", "Open duplicate candidates whose both records the caller sees, best first, "
     "50 a page", "200", "DuplicatePair", True, None,
     [("kind", "companies (default) or contacts"), ("page", "1, 2, ...")]),
    ("/api/duplicates/{id}/dismiss", "post", "Mark a pair as not a duplicate; a rescan keeps it so", "200",
     "Dismissed", False, None, []),
    ("/api/companies/{id}/merge", "post", "Merge company from_id into this one: contacts, deals, tenders, "
     "contracts, orders, payments, returns, events, links and keys move; its name stays as an alias", "200",
     "Company", False, "Merge", []),
    ("/api/contacts/{id}/merge", "post", "Merge contact from_id into this one: consents, committee seats, "
     "orders, events and links move", "200", "Contact", False, "Merge", []),
    ("/api/data-quality", "get", "Completeness and validity per field of the companies and contacts the caller "
     "sees, and the open duplicate candidates", "200", "Report", False, None, []),
]
