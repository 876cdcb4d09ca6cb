"""The contract routes: draft, seal, sign, download, verify. Routes parse, call one service, render."""
from __future__ import annotations

from flask import Blueprint, Response, request
from werkzeug.utils import secure_filename

from core.errors import InvalidInput
from signing import funnel, service

from .api import json_body
from .auth import current_actor, declare_permissions, token_required
from .contract_schemas import (CertificateSchema, ContractDetailSchema, ContractQuerySchema,
                               ContractSchema, DraftContractSchema, RevocationSchema,
                               SignContractSchema, VerificationSchema)
from .db import get_session

bp = Blueprint("contracts", __name__, url_prefix="/api")
declare_permissions(bp, {
    "draft": "contracts.draft",
    "list_contracts": "contracts.read",
    "show": "contracts.read",
    "pdf": "contracts.read",
    "verify": "contracts.read",
    "verify_upload": "contracts.verify",
    "seal": "contracts.seal",
    "draft_for_deal": "contracts.draft",
    "sign": "contracts.read",  # still open to every reader: signing links replace it
    "import_company_certificate": "signing.manage",
    "add_trust_root": "signing.manage",
    "revoke": "signing.manage",
})


@bp.post("/contracts")
@token_required
def draft():
    body = DraftContractSchema().load(json_body())
    contract = service.draft_contract(get_session(), body, current_actor(), ip=request.remote_addr)
    return ContractDetailSchema().dump(contract), 201


@bp.get("/contracts")
@token_required
def list_contracts():
    query = ContractQuerySchema().load(request.args)
    return ContractSchema(many=True).dump(service.list_contracts(get_session(), **query, actor=current_actor()))


@bp.get("/contracts/<int:contract_id>")
@token_required
def show(contract_id):
    return ContractDetailSchema().dump(service.get_contract(get_session(), contract_id, actor=current_actor()))


@bp.get("/contracts/<int:contract_id>/pdf")
@token_required
def pdf(contract_id):
    contract, revision, data = service.contract_pdf(get_session(), contract_id, current_actor(),
                                                    request.remote_addr,
                                                    revision=request.args.get("revision", type=int))
    response = Response(data, mimetype="application/pdf")
    name = secure_filename(f"{contract.number}-r{revision.number}.pdf") or "contract.pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    response.set_etag(revision.sha256)
    return response


@bp.get("/contracts/<int:contract_id>/verify")
@token_required
def verify(contract_id):
    return VerificationSchema().dump(service.verify_contract(get_session(), contract_id, actor=current_actor()))


@bp.post("/contracts/verify")
@token_required
def verify_upload():
    upload = _upload("file", "the PDF")
    report = service.verify_pdf_bytes(upload.read(), file_name=upload.filename or "upload.pdf")
    return VerificationSchema().dump(report)


@bp.post("/contracts/<int:contract_id>/seal")
@token_required
def seal(contract_id):
    contract = service.seal_contract(get_session(), contract_id, current_actor(), request.remote_addr)
    return ContractDetailSchema().dump(contract)


@bp.post("/process-instances/<int:instance_id>/contract")
@token_required
def draft_for_deal(instance_id):
    contract = funnel.draft_for_instance(get_session(), instance_id, current_actor(), ip=request.remote_addr)
    return ContractDetailSchema().dump(contract), 201


@bp.post("/contracts/<int:contract_id>/sign")
@token_required
def sign(contract_id):
    pkcs12 = None
    if request.mimetype == "multipart/form-data":
        body = SignContractSchema().load(request.form.to_dict())
        pkcs12 = _upload("file", "the signer's PKCS#12").read() if "file" in request.files else None
    else:
        body = SignContractSchema().load(json_body())
    contract = service.sign_as_customer(get_session(), contract_id, body["name"], body["email"],
                                        current_actor(), request.remote_addr, pkcs12=pkcs12,
                                        passphrase=body["passphrase"])
    return ContractDetailSchema().dump(contract)


@bp.post("/signing/company-certificate")
@token_required
def import_company_certificate():
    upload = _upload("file", "the company's PKCS#12")
    summary = service.import_company_certificate(upload.read(), request.form.get("passphrase"),
                                                 current_actor())
    return CertificateSchema().dump(summary)


@bp.post("/signing/trust-roots")
@token_required
def add_trust_root():
    summary = service.add_trust_root(_upload("file", "the CA certificate").read(), current_actor())
    return CertificateSchema().dump(summary), 201


@bp.post("/signing/revocations")
@token_required
def revoke():
    body = RevocationSchema().load(json_body())
    return service.revoke_certificate(body["serial"], body["reason"], current_actor())


def _upload(name: str, what: str):
    upload = request.files.get(name)
    if upload is None:
        message = f"send {what} as a multipart part named {name!r}"
        raise InvalidInput(message, [{"message": message, "field": name}])
    return upload
