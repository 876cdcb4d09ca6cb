"""The shapes of the token routes (web.tokens), also listed in the OpenAPI document."""
from __future__ import annotations

from datetime import timedelta

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from accounts.tokens import MAX_LIFETIME, NEVER


class TokenSchema(Schema):
    id = fields.Integer()
    user = fields.Function(lambda t: t.user.name)
    name = fields.String()
    prefix = fields.String(metadata={"description": "the token's first characters, to recognise it"})
    scopes = fields.List(fields.String(), allow_none=True,
                         metadata={"description": "null: all the holder's permissions; \"read\": every read"})
    created_at = fields.DateTime()
    last_used_at = fields.DateTime(allow_none=True)
    expires_at = fields.DateTime(allow_none=True, metadata={"description": "null: never (service accounts)"})
    revoked_at = fields.DateTime(allow_none=True)


class NewTokenSchema(TokenSchema):
    token = fields.String(metadata={"description": "the token itself, shown this once only"})


class TokenInSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=80))
    scopes = fields.List(fields.String(validate=validate.Length(min=1, max=64)), load_default=None,
                         allow_none=True, validate=validate.Length(max=64),
                         metadata={"description": "permission names, or [\"read\"] for a read-only token"})
    expires_in_days = fields.Integer(load_default=None, allow_none=True,
                                     validate=validate.Range(min=1, max=MAX_LIFETIME.days),
                                     metadata={"description": "default 90"})
    never_expires = fields.Boolean(load_default=False, metadata={"description": "service accounts only"})

    @validates_schema
    def one_lifetime(self, data, **kwargs):
        if data.get("never_expires") and data.get("expires_in_days") is not None:
            raise ValidationError("give expires_in_days or never_expires, not both", "never_expires")

    @post_load
    def to_lifetime(self, data, **kwargs):
        days, never = data.pop("expires_in_days"), data.pop("never_expires")
        data["expires_in"] = NEVER if never else (timedelta(days=days) if days is not None else None)
        return data


class TokenQuerySchema(Schema):
    user = fields.String(load_default=None, validate=validate.Length(min=1, max=80),
                         metadata={"description": "whose tokens (users.manage); default the caller's"})
