"""The contract API's shapes: what a request may carry and what a response shows."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from signing.models import STATUSES

from .fields import Id, Int64


class Moment(fields.Field):
    """A date (2026-11-25) or an ISO 8601 time, naive meaning UTC; a bare date as `to` includes its day."""

    def __init__(self, *, end_of_day: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.end_of_day = end_of_day

    def _deserialize(self, value, attr, data, **kwargs):
        text = str(value).strip()
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise ValidationError("a date such as 2026-11-25 or an ISO 8601 time") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        if self.end_of_day and len(text) == 10:
            moment += timedelta(days=1)
        return moment


class PartySchema(Schema):
    role = fields.String(required=True, validate=validate.OneOf(["company", "customer"]))
    name = fields.String(load_default="", validate=validate.Length(max=255))
    address = fields.String(load_default="", validate=validate.Length(max=500))
    representative = fields.String(load_default="", validate=validate.Length(max=255))
    contact = fields.String(load_default="", validate=validate.Length(max=255))


class ClauseSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=255))
    text = fields.String(required=True, validate=validate.Length(min=1, max=20_000))


class DraftContractSchema(Schema):
    customer = fields.String(required=True, validate=validate.Length(min=1, max=255))
    title = fields.String(required=True, validate=validate.Length(min=1, max=255))
    clauses = fields.List(fields.Nested(ClauseSchema), required=True,
                          validate=validate.Length(min=1, max=200))
    amount = fields.Decimal(required=True, places=2, as_string=True, validate=validate.Range(min=0))
    currency = fields.String(load_default="CNY", validate=validate.Regexp(r"^[A-Za-z]{3}$"))
    parties = fields.List(fields.Nested(PartySchema), load_default=list,
                          metadata={"description": "company and customer details; names default "
                                                   "to the seal's company and `customer`"})
    number = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=64),
                           metadata={"description": "generated (DF-YYYYMMDD-XXXXXX) when absent"})
    instance_id = Id(load_default=None, allow_none=True)
    place = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=255))


class ContractQuerySchema(Schema):
    instance_id = Id()
    customer = fields.String(validate=validate.Length(min=1, max=255),
                             metadata={"description": "part of the customer's name, any case"})
    status = fields.String(validate=validate.OneOf(STATUSES))
    created_from = Moment(data_key="from", metadata={"description": "created at or after"})
    created_to = Moment(data_key="to", end_of_day=True, metadata={"description": "created before; "
                                                                  "a bare date includes that day"})


class SigningLinkRequestSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=255),
                         metadata={"description": "the customer's signer, as the certificate will name them"})
    email = fields.Email(required=True, validate=validate.Length(max=254))
    days = fields.Integer(load_default=7, validate=validate.Range(min=1, max=30),
                          metadata={"description": "how long the link works (7 days by default)"})


class SigningLinkSchema(Schema):
    url = fields.String(metadata={"description": "the signer's personal link; shown once, send it to them"})
    expires_at = fields.DateTime()


class SignWithLinkSchema(Schema):
    """The public signing page's form (its CSRF token is checked before this)."""

    name = fields.String(load_default="", validate=validate.Length(max=255))
    agree = fields.String(load_default="")
    method = fields.String(load_default="issued", validate=validate.OneOf(["issued", "own"]))
    passphrase = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1024))

    class Meta:
        unknown = EXCLUDE  # the CSRF token and the way back, which are not the form's data


class RevocationSchema(Schema):
    serial = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-fA-F]{1,40}$"))
    reason = fields.String(load_default="unspecified", validate=validate.OneOf(
        ["unspecified", "key_compromise", "affiliation_changed", "superseded",
         "cessation_of_operation", "certificate_hold", "privilege_withdrawn"]))


class SignatureSchema(Schema):
    signer = fields.String()
    role = fields.String(metadata={"description": "company, customer, completion, or signer"})
    signed_at = fields.String(allow_none=True, metadata={"description": "the RFC 3161 time"})
    level = fields.String(allow_none=True, metadata={"description": "PAdES baseline level, e.g. B-LTA"})
    field = fields.String()
    issuer = fields.String()
    serial = fields.String()
    certification = fields.Boolean()


class RevisionSchema(Schema):
    number = Int64()
    kind = fields.String()
    sha256 = fields.String()
    size = Int64()
    created_at = fields.DateTime()


class ContractEventSchema(Schema):
    at = fields.DateTime()
    action = fields.String()
    actor = fields.String(attribute="actor_name", allow_none=True)
    ip = fields.String(allow_none=True)
    detail = fields.Dict()


class ContractSchema(Schema):
    id = Id()
    number = fields.String()
    instance_id = Id(allow_none=True)
    status = fields.String()
    sha256 = fields.String(allow_none=True, metadata={"description": "of the newest revision"})
    customer = fields.String()
    title = fields.String()
    amount = fields.Function(lambda contract: contract.data.get("amount"))
    currency = fields.Function(lambda contract: contract.data.get("currency"))
    created_by = fields.Function(lambda c: c.created_by.name if c.created_by else None)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    signatures = fields.List(fields.Nested(SignatureSchema))


class ContractDetailSchema(ContractSchema):
    data = fields.Dict(metadata={"description": "what contract.json in the PDF holds"})
    revisions = fields.List(fields.Nested(RevisionSchema))
    events = fields.List(fields.Nested(ContractEventSchema))


VERDICTS = ("valid", "modified", "tampered", "untrusted", "unsigned", "unreadable")


class IssueSchema(Schema):
    code = fields.String(metadata={"description": "stable: bytes_changed, changed_after_signing, "
                                                  "no_chain, revoked, archive_changed, …"})
    message = fields.String(metadata={"description": "in English, naming the signatures concerned"})
    text = fields.String(metadata={"description": "the message's template, before `params` are filled in"})
    params = fields.Dict()
    subjects = fields.List(fields.Dict(), metadata={"description": "the signatures and document "
                                                                   "timestamps it concerns"})


class VerificationSchema(Schema):
    verdict = fields.String(metadata={"description": "one of " + ", ".join(VERDICTS) + "; only "
                                                     "'valid' means nothing is wrong"})
    valid = fields.Boolean(metadata={"description": "intact, trusted and not modified after signing"})
    intact = fields.Boolean(metadata={"description": "every signature matches the bytes it signed"})
    trusted = fields.Boolean(metadata={"description": "intact, and every signer chains to a trusted, "
                                                      "unrevoked certificate (says nothing of later "
                                                      "changes: see modified_after_signing)"})
    modified_after_signing = fields.Boolean(metadata={"description": "changed beyond signing, form "
                                                                     "filling and validation data"})
    signatures = fields.List(fields.Dict(), metadata={"description": "each with number, revision (the "
                                                                     "last one it covers) and "
                                                                     "revisions_total"})
    document_timestamps = fields.List(fields.Dict())
    issues = fields.List(fields.Nested(IssueSchema), metadata={"description": "each problem once"})
    problems = fields.List(fields.String(), metadata={"description": "the issues' messages"})
    revisions = fields.Dict(metadata={"description": "total; unsigned: the revisions no signature or "
                                                     "timestamp covers; changed: what later revisions "
                                                     "changed, in words"})
    file = fields.String()
    sha256 = fields.String()
    size = Int64()
    contract = fields.Dict(allow_none=True, metadata={"description": "the embedded contract.json"})
    id = Id()
    instance_id = Id(allow_none=True)
    status = fields.String()
    revision = Int64()


class CertificateSchema(Schema):
    subject = fields.String()
    issuer = fields.String()
    serial = fields.String()
    not_after = fields.String()
