"""The contract routes: draft, seal, send, record a signature, download, verify.

Routes parse, call one service, render. Nobody signs for the customer here: the
customer's signer signs through a signing link (web/signing_pages.py), and legal
may only record a signature made elsewhere by uploading the signed PDF.
"""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, request, url_for
from werkzeug.utils import secure_filename

from core.errors import InvalidInput
from signing import customer, funnel, links, service

from .api import json_body
from .auth import current_actor, declare_permissions
from .contract_schemas import (CertificateSchema, ContractDetailSchema, ContractQuerySchema,
                               ContractSchema, DraftContractSchema, RevocationSchema,
                               SigningLinkRequestSchema, SigningLinkSchema, VerificationSchema)
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
    "create_signing_link": "contracts.send",
    "sign": "contracts.record_signature",
    "import_company_certificate": "signing.manage",
    "add_trust_root": "signing.manage",
    "revoke": "signing.manage",
})


@bp.post("/contracts")
def draft():
    body = DraftContractSchema().load(json_body())
    contract = service.draft_contract(get_session(), body, current_actor(), ip=request.remote_addr)
    return ContractDetailSchema().dump(contract), 201


@bp.get("/contracts")
def list_contracts():
    query = ContractQuerySchema().load(request.args)
    return ContractSchema(many=True).dump(service.list_contracts(get_session(), **query, actor=current_actor()))


@bp.get("/contracts/<int:contract_id>")
def show(contract_id):
    return ContractDetailSchema().dump(service.get_contract(get_session(), contract_id, actor=current_actor()))


@bp.get("/contracts/<int:contract_id>/pdf")
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
def verify(contract_id):
    return VerificationSchema().dump(service.verify_contract(get_session(), contract_id, actor=current_actor()))


@bp.post("/contracts/verify")
def verify_upload():
    upload = _upload("file", "the PDF")
    report = service.verify_pdf_bytes(upload.read(), file_name=upload.filename or "upload.pdf")
    return VerificationSchema().dump(report)


@bp.post("/contracts/<int:contract_id>/seal")
def seal(contract_id):
    contract = service.seal_contract(get_session(), contract_id, current_actor(), request.remote_addr)
    return ContractDetailSchema().dump(contract)


@bp.post("/process-instances/<int:instance_id>/contract")
def draft_for_deal(instance_id):
    contract = funnel.draft_for_instance(get_session(), instance_id, current_actor(), ip=request.remote_addr)
    return ContractDetailSchema().dump(contract), 201


@bp.post("/contracts/<int:contract_id>/signing-links")
def create_signing_link(contract_id):
    body = SigningLinkRequestSchema().load(json_body())
    link, token = links.create_link(get_session(), contract_id, body["name"], body["email"],
                                    current_actor(), request.remote_addr,
                                    lifetime=timedelta(days=body["days"]))
    url = url_for("signing_pages.sign_page", token=token, _external=True)
    return SigningLinkSchema().dump({"url": url, "expires_at": link.expires_at}), 201


@bp.post("/contracts/<int:contract_id>/sign")
def sign(contract_id):
    if request.mimetype != "multipart/form-data":
        message = ("staff can no longer sign for the customer: send the customer's signer a signing "
                   f"link (POST /api/contracts/{contract_id}/signing-links), or upload the PDF the "
                   "customer signed as the multipart part 'file'")
        raise InvalidInput(message, [{"message": message, "field": "file"}])
    upload = _upload("file", "the PDF the customer signed")
    contract = customer.record_signed_pdf(get_session(), contract_id, upload.read(), current_actor(),
                                          request.remote_addr, file_name=upload.filename or "signed.pdf")
    return ContractDetailSchema().dump(contract)


@bp.post("/signing/company-certificate")
def import_company_certificate():
    upload = _upload("file", "the company's PKCS#12")
    summary = service.import_company_certificate(upload.read(), request.form.get("passphrase"),
                                                 current_actor())
    return CertificateSchema().dump(summary)


@bp.post("/signing/trust-roots")
def add_trust_root():
    summary = service.add_trust_root(_upload("file", "the CA certificate").read(), current_actor())
    return CertificateSchema().dump(summary), 201


@bp.post("/signing/revocations")
def revoke():
    body = RevocationSchema().load(json_body())
    return service.revoke_certificate(body["serial"], body["reason"], current_actor())


def _upload(name: str, what: str):
    upload = request.files.get(name)
    if upload is None:
        message = f"send {what} as a multipart part named {name!r}"
        raise InvalidInput(message, [{"message": message, "field": name}])
    return upload
