"""The shapes of the relationship network routes (web.customers.network).

Types and ranges are checked here; the rules of a link (both ends seen, a
percent only for a shareholding, at most 100 % held) in customers.links.
"""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from customers.links import ppm_to_percent
from customers.models import COMPANY_LINK_KINDS, CONTACT_LINK_KINDS
from customers.network import DEFAULT_DEPTH, KINDS, MAX_DEPTH

from ..fields import Id

_source = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=120),
                        metadata={"description": "where the link is known from: 工商登记, a call, ..."})
_percent = fields.Float(allow_none=True, load_default=None, allow_nan=False,
                        metadata={"description": "shareholder only: more than 0, at most 100, 4 decimals"})


class KindList(fields.String):
    """A comma-separated list of link kinds in a query string."""

    def _deserialize(self, value, attr, data, **kwargs):
        kinds = [kind.strip() for kind in super()._deserialize(value, attr, data, **kwargs).split(",")]
        unknown = [kind for kind in kinds if kind not in KINDS]
        if unknown or not kinds:
            raise ValidationError(f"unknown kind {unknown[0]!r}; use some of " + ", ".join(KINDS)
                                  if unknown else "name at least one kind")
        return kinds


class NetworkQuerySchema(Schema):
    depth = fields.Integer(load_default=DEFAULT_DEPTH, strict=False, validate=validate.Range(min=1, max=MAX_DEPTH))
    kinds = KindList(load_default=None, metadata={"description": "comma-separated; default every company kind"})
    on = fields.Date(load_default=None, metadata={"description": "links holding on this day; default today"})


class ControlQuerySchema(Schema):
    on = fields.Date(load_default=None, metadata={"description": "holdings on this day; default today"})


class CompanyLinkInSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(COMPANY_LINK_KINDS))
    from_company_id = Id(required=True, metadata={"description": "holds shares in / supplies / ... `to`"})
    to_company_id = Id(required=True)
    percent = _percent
    valid_from = fields.Date(allow_none=True, load_default=None, metadata={"description": "the first day"})
    valid_to = fields.Date(allow_none=True, load_default=None, metadata={"description": "the day it ends"})
    source = _source


class CompanyLinkPatchSchema(Schema):
    """Load with partial=True: only the fields sent change."""
    percent = _percent
    valid_from = fields.Date(allow_none=True)
    valid_to = fields.Date(allow_none=True, metadata={"description": "set to end the link"})
    source = _source


class ContactLinkInSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(CONTACT_LINK_KINDS))
    from_contact_id = Id(required=True, metadata={"description": "reports to / influences `to`"})
    to_contact_id = Id(required=True)
    valid_from = fields.Date(allow_none=True, load_default=None)
    valid_to = fields.Date(allow_none=True, load_default=None)
    source = _source


class ContactLinkPatchSchema(Schema):
    valid_from = fields.Date(allow_none=True)
    valid_to = fields.Date(allow_none=True)
    source = _source


class CompanyLinkSchema(Schema):
    id = Id()
    kind = fields.String()
    from_company_id = Id()
    to_company_id = Id()
    percent = fields.Function(lambda link: ppm_to_percent(link.share_ppm))
    valid_from = fields.Date(allow_none=True)
    valid_to = fields.Date(allow_none=True)
    source = fields.String(allow_none=True)
    created_at = fields.DateTime()


class ContactLinkSchema(Schema):
    id = Id()
    kind = fields.String()
    from_contact_id = Id()
    to_contact_id = Id()
    valid_from = fields.Date(allow_none=True)
    valid_to = fields.Date(allow_none=True)
    source = fields.String(allow_none=True)
    created_at = fields.DateTime()


class LinkEndSchema(Schema):
    id = Id()
    name = fields.String(allow_none=True, metadata={"description": "null when the caller may not see it"})
    hidden = fields.Boolean()


class LinkListedSchema(Schema):
    id = Id()
    kind = fields.String()
    from_ = fields.Nested(LinkEndSchema, data_key="from")
    to = fields.Nested(LinkEndSchema)
    percent = fields.Float(allow_none=True)
    valid_from = fields.Date(allow_none=True)
    valid_to = fields.Date(allow_none=True)
    source = fields.String(allow_none=True)
    is_current = fields.Boolean()

    def get_attribute(self, obj, attr, default):
        return obj.get("from") if attr == "from_" else super().get_attribute(obj, attr, default)


SCHEMAS = {"CompanyLinkIn": CompanyLinkInSchema, "CompanyLinkPatch": CompanyLinkPatchSchema,
           "CompanyLink": CompanyLinkSchema, "ContactLinkIn": ContactLinkInSchema,
           "ContactLinkPatch": ContactLinkPatchSchema, "ContactLink": ContactLinkSchema,
           "LinkEnd": LinkEndSchema, "LinkListed": LinkListedSchema}

# path, method, summary, status, response schema ("Report": a JSON object described in the summary),
# is a list, request schema, query parameters: the format of web.customers.schemas.ROUTES.
ROUTES = [
    ("/api/companies/{id}/network", "get", "Nodes and edges within depth links of a company, for drawing "
     "(at most 500 nodes; companies the caller may not see have a null label)", "200", "Report", False, None,
     [("depth", "1 to 4, default 2"), ("kinds", "comma-separated link kinds; default every company kind"),
      ("on", "links holding on this day (YYYY-MM-DD); default today")]),
    ("/api/companies/{id}/control", "get", "Effective shareholdings, the ultimate controller, beneficial holders "
     "and the group they make", "200", "Report", False, None, [("on", "holdings on this day; default today")]),
    ("/api/companies/{id}/group-suggestion/accept", "post", "Set the parent of the companies the shareholdings "
     "put in the group to its controller", "200", "Report", False, None, []),
    ("/api/companies/{id}/links", "get", "Every link of a company, any period", "200", "LinkListed", True, None,
     []),
    ("/api/company-links", "post", "Link two companies (shareholdings in one company at most 100 %)", "201",
     "CompanyLink", False, "CompanyLinkIn", []),
    ("/api/company-links/{id}", "patch", "Change a link's percent, period or source; a valid_to ends it", "200",
     "CompanyLink", False, "CompanyLinkPatch", []),
    ("/api/company-links/{id}", "delete", "Remove a link entered by mistake", "204", None, False, None, []),
    ("/api/contacts/{id}/links", "get", "Every link of a contact, any period", "200", "LinkListed", True, None,
     []),
    ("/api/contact-links", "post", "Link two contacts: reports_to or influences", "201", "ContactLink", False,
     "ContactLinkIn", []),
    ("/api/contact-links/{id}", "patch", "Change a contact link's period or source", "200", "ContactLink", False,
     "ContactLinkPatch", []),
    ("/api/contact-links/{id}", "delete", "Remove a contact link entered by mistake", "204", None, False, None,
     []),
]
