"""The shapes of the company and contact routes (web.customers.routes), and their OpenAPI entries.

Values are type-checked here; what a value means (a credit code's checksum, an
industry code, a phone number) is checked by customers.checks on every write.
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from customers import companies, industries
from customers.models import CHANNELS, SIZE_BANDS

from ..fields import MAX_ID, Id, Int64

_name = validate.Length(min=1, max=255)
_short = validate.Length(max=80)


def _text(length: int, **kwargs):
    return fields.String(allow_none=True, load_default=None, validate=validate.Length(max=length), **kwargs)


class ExternalKeySchema(Schema):
    system = fields.String(required=True, validate=validate.Length(min=1, max=40),
                           metadata={"description": "erp, a tender platform, ... (lower case)"})
    key = fields.String(required=True, validate=validate.Length(min=1, max=120))


class CompanySchema(Schema):
    id = Id()
    name = fields.String()
    parent_id = Id(allow_none=True)
    parent = fields.Function(lambda c: c.parent.name if c.parent else None)
    industry = fields.String(allow_none=True, metadata={"description": "free text of older records"})
    city = fields.String(allow_none=True)
    created_at = fields.DateTime()
    credit_code = fields.String(allow_none=True, metadata={"description": "统一社会信用代码"})
    industry_section = fields.String(allow_none=True, metadata={"description": "GB/T 4754-2017 门类"})
    industry_section_name = fields.Function(lambda c: industries.section_name(c.industry_section))
    industry_division = fields.String(allow_none=True, metadata={"description": "GB/T 4754-2017 大类"})
    industry_division_name = fields.Function(lambda c: industries.division_name(c.industry_division))
    registered_capital = Int64(allow_none=True, metadata={"description": "in the currency's minor unit (分)"})
    registered_capital_currency = fields.String()
    founded_on = fields.Date(allow_none=True)
    province = fields.String(allow_none=True)
    size_band = fields.String(allow_none=True)
    website = fields.String(allow_none=True)
    phone = fields.String(allow_none=True, metadata={"description": "E.164"})
    email = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    tags = fields.Function(lambda c: c.tags or [])
    owner_id = Id(allow_none=True)
    erp_code = fields.String(allow_none=True)
    external_keys = fields.List(fields.Nested(ExternalKeySchema))


class CompanyInSchema(Schema):
    name = fields.String(required=True, validate=_name)
    parent_id = Id(allow_none=True, load_default=None)
    industry = _text(80)
    city = _text(80)
    credit_code = _text(40, metadata={"description": "统一社会信用代码, 18 characters, checksum checked"})
    industry_section = _text(1, metadata={"description": f"门类 {min(industries.SECTIONS)} to "
                                                         f"{max(industries.SECTIONS)}"})
    industry_division = _text(2, metadata={"description": "大类 01 to 97, within its section"})
    registered_capital = Int64(allow_none=True, load_default=None, validate=validate.Range(min=0),
                               metadata={"description": "in the currency's minor unit (分)"})
    registered_capital_currency = _text(3, metadata={"description": "ISO 4217; default CNY"})
    founded_on = fields.Date(allow_none=True, load_default=None, metadata={"description": "not in the future"})
    province = _text(40)
    size_band = _text(8, metadata={"description": ", ".join(SIZE_BANDS)})
    website = _text(255, metadata={"description": "an http(s) URL"})
    phone = _text(40, metadata={"description": "stored in E.164; without +country read as Chinese"})
    email = _text(320, metadata={"description": "the company's general address"})
    address = _text(255)
    tags = fields.List(fields.String(validate=validate.Length(max=40)), allow_none=True, load_default=None)
    owner_id = Id(allow_none=True, load_default=None, metadata={"description": "a user; default the caller"})
    erp_code = _text(120, metadata={"description": "the key of system erp"})
    external_keys = fields.List(fields.Nested(ExternalKeySchema), allow_none=True, load_default=None,
                                metadata={"description": "all of the company's keys: replaces them"})


class CompanyPatchSchema(CompanyInSchema):
    """The same fields, each optional: load with partial=True, and only those sent change."""


class CompanyGroupSchema(Schema):
    company = fields.Nested(CompanySchema)
    parents = fields.List(fields.Nested(CompanySchema), metadata={"description": "from the top of the group"})
    subsidiaries = fields.List(fields.Dict(), metadata={
        "description": "a tree: each {id, name, city, industry, subsidiaries}"})
    company_count = Int64(metadata={"description": "the company and all its subsidiaries"})
    totals = fields.Dict(metadata={"description": "the group's deals: open (with weighted_amount), won, lost"})


class ConsentSchema(Schema):
    granted = fields.Boolean()
    source = fields.String()
    recorded_at = fields.DateTime()


class ConsentInSchema(Schema):
    channel = fields.String(required=True, metadata={"description": ", ".join(CHANNELS)})
    granted = fields.Boolean(required=True)
    source = fields.String(required=True, validate=validate.Length(min=1, max=120),
                           metadata={"description": "where the yes or no came from: a form, a call, ..."})


def _consents(contact) -> dict:
    return {channel: ConsentSchema().dump(row) for channel, row in contact.current_consents.items()}


class ContactSchema(Schema):
    id = Id()
    company_id = Id()
    company = fields.Function(lambda c: c.company.name)
    name = fields.String()
    title = fields.String(allow_none=True)
    department = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    mobile = fields.String(allow_none=True, metadata={"description": "E.164"})
    wechat_id = fields.String(allow_none=True)
    preferred_channel = fields.String(allow_none=True)
    timezone = fields.String()
    consents = fields.Function(_consents, metadata={"description": "the current state per channel"})
    created_at = fields.DateTime()


class ContactInSchema(Schema):
    company_id = Id(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    title = _text(120)
    department = _text(120)
    email = fields.Email(allow_none=True, load_default=None)
    phone = _text(40)
    mobile = _text(40, metadata={"description": "any notation; Chinese unless +country; kept in E.164"})
    wechat_id = _text(64)
    preferred_channel = _text(8, metadata={"description": ", ".join(CHANNELS)})
    timezone = _text(64, metadata={"description": "IANA name; default Asia/Shanghai"})
    consents = fields.List(fields.Nested(ConsentInSchema), load_default=None,
                           metadata={"description": "added to the history; the latest per channel holds"})


class ContactPatchSchema(ContactInSchema):
    """The same fields but the company, each optional: load with partial=True."""

    class Meta:
        exclude = ("company_id",)


class ListQuerySchema(Schema):
    q = fields.String(load_default=None)
    parent_id = Id(load_default=None)
    company_id = Id(load_default=None)


class OwnerField(fields.Field):
    """A user id, or "mine" for the caller."""

    default_error_messages = {"invalid": 'a user id or "mine"'}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and value.strip().lower() == companies.MINE:
            return companies.MINE
        return Id().deserialize(value, attr, data, **kwargs)


class CompanyListQuerySchema(Schema):
    q = fields.String(load_default=None, validate=validate.Length(max=255))
    parent_id = Id(load_default=None)
    province = fields.String(load_default=None, validate=validate.Length(max=40))
    city = fields.String(load_default=None, validate=validate.Length(max=80))
    industry_section = fields.String(load_default=None, validate=validate.OneOf(sorted(industries.SECTIONS)))
    size_band = fields.String(load_default=None, validate=validate.OneOf(SIZE_BANDS))
    tag = fields.String(load_default=None, validate=validate.Length(max=40))
    owner_id = OwnerField(load_default=None)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_ID))
    per_page = fields.Integer(load_default=companies.DEFAULT_PER_PAGE,
                              validate=validate.Range(min=1, max=companies.MAX_PER_PAGE))


# Nested schemas first: apispec names them when a schema using them is added.
SCHEMAS = {"ExternalKey": ExternalKeySchema, "Consent": ConsentSchema, "ConsentIn": ConsentInSchema,
           "Company": CompanySchema, "CompanyIn": CompanyInSchema, "CompanyGroup": CompanyGroupSchema,
           "Contact": ContactSchema, "ContactIn": ContactInSchema, "ContactPatch": ContactPatchSchema}

# path, method, summary, status, response schema, is a list, request schema, query parameters
ROUTES = [
    ("/api/companies", "get", "Companies by name, a page at a time (headers X-Total-Count and Link)", "200",
     "Company", True, None,
     [("q", "name or an alias contains it (any case), or the pinyin initials, credit code or ERP code "
            "begin with it"),
      ("parent_id", "direct subsidiaries of"), ("province", "exactly"), ("city", "exactly"),
      ("industry_section", "GB/T 4754 门类 letter"), ("size_band", ", ".join(SIZE_BANDS)),
      ("tag", "carries this tag"), ("owner_id", 'owned by this user id, or "mine"'),
      ("page", "from 1 (default 1)"), ("per_page", "1 to 500 (default 50)")]),
    ("/api/companies", "post", "Add a company with its master data, optionally under a parent", "201",
     "Company", False, "CompanyIn", []),
    ("/api/companies/{id}", "get", "A company", "200", "Company", False, None, []),
    ("/api/companies/{id}", "patch", "Change a company (a parent inside its own group is refused)", "200",
     "Company", False, "CompanyIn", []),
    ("/api/companies/{id}/group", "get", "The company with all its subsidiaries, any depth, and their deals",
     "200", "CompanyGroup", False, None, []),
    ("/api/contacts", "get", "Contacts", "200", "Contact", True, None, [("company_id", "of this company")]),
    ("/api/contacts", "post", "Add a contact", "201", "Contact", False, "ContactIn", []),
    ("/api/contacts/{id}", "get", "A contact", "200", "Contact", False, None, []),
    ("/api/contacts/{id}", "patch", "Change a contact; consents given are added to its history", "200",
     "Contact", False, "ContactPatch", []),
]
