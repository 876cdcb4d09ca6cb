"""The shapes of the audit log routes (web.audit), and their entries in the OpenAPI document."""
from __future__ import annotations

from datetime import timezone

from marshmallow import Schema, fields, post_load, validate

from core.audit import MAX_PAGE, OBJECT_TYPES, AuditQuery

_ID = validate.Range(min=1, max=2**63 - 1)


class AuditEntrySchema(Schema):
    id = fields.Integer()
    chain_seq = fields.Integer(allow_none=True, metadata={"description": "position in the hash chain"})
    at = fields.DateTime()
    actor = fields.Function(lambda e: e.actor.name if e.actor else None)
    ip = fields.String(allow_none=True)
    action = fields.String()
    object_type = fields.String(allow_none=True)
    object_id = fields.String(allow_none=True)
    instance_id = fields.Integer(allow_none=True)
    task_id = fields.String(allow_none=True)
    element_id = fields.String(allow_none=True)
    detail = fields.Dict()
    changes = fields.Dict(allow_none=True, metadata={"description": "{field: [before, after]}"})
    row_hash = fields.String(allow_none=True)


class AuditQuerySchema(Schema):
    """The filters of GET /api/audit; any other parameter is refused with 422, naming it."""
    actor = fields.String(load_default=None, validate=validate.Length(max=80),
                          metadata={"description": "user name"})
    object_type = fields.String(load_default=None, validate=validate.OneOf(OBJECT_TYPES))
    object_id = fields.String(load_default=None, validate=validate.Length(max=64))
    action = fields.String(load_default=None, validate=validate.Length(max=64))
    since = fields.AwareDateTime(load_default=None, default_timezone=timezone.utc,
                                 metadata={"description": "at or after, ISO 8601"})
    until = fields.AwareDateTime(load_default=None, default_timezone=timezone.utc,
                                 metadata={"description": "before, ISO 8601"})
    instance_id = fields.Integer(load_default=None, validate=_ID)
    before_id = fields.Integer(load_default=None, validate=_ID,
                               metadata={"description": "the next page: entries older than this id"})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=MAX_PAGE))

    @post_load
    def as_query(self, data, **kwargs):
        return AuditQuery(**data)


class AuditExportQuerySchema(AuditQuerySchema):
    format = fields.String(load_default="csv", validate=validate.OneOf(["csv"]))

    class Meta:
        exclude = ("before_id", "limit")

    @post_load
    def as_query(self, data, **kwargs):
        data.pop("format")
        return AuditQuery(**data)


SCHEMAS = {"AuditEntry": AuditEntrySchema}
