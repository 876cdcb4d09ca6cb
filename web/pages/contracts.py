"""The contract archive: search, a contract with its PDF, signatures, audit trail and downloads,
a signing link for the customer's signer, and a page that verifies any uploaded PDF."""
from __future__ import annotations

from flask import Response, render_template, request, url_for
from werkzeug.utils import secure_filename

from signing import links
from signing import service as contracts
from signing.models import STATUSES

from ..db import get_session
from . import bp, login_required, page_actor


@bp.get("/contracts")
@login_required
def contract_list():
    query = request.args.get("q", "").strip()[:255]
    status = request.args.get("status", "")
    status = status if status in STATUSES else ""
    page = request.args.get("page", 1, type=int)
    found = contracts.page_contracts(get_session(), text=query or None, status=status or None,
                                     page=max(1, min(page, 10**6)), actor=page_actor())
    args = {name: value for name, value in (("q", query), ("status", status)) if value}
    return render_template("contracts.html", found=found, contracts=found.items, q=query, status=status,
                           statuses=STATUSES, args=args)


@bp.get("/contracts/<int:contract_id>")
@login_required
def contract(contract_id):
    return _contract_page(contract_id)


@bp.post("/contracts/<int:contract_id>/signing-links")
@login_required
def send_contract(contract_id):
    link, token = links.create_link(get_session(), contract_id, request.form.get("name", ""),
                                    request.form.get("email", ""), page_actor(), request.remote_addr)
    # Shown in this answer only: the token is not stored, so it is never shown again.
    new_link = {"url": url_for("signing_pages.sign_page", token=token, _external=True),
                "expires_at": link.expires_at, "signer": f"{link.signer_name} <{link.signer_email}>"}
    return _contract_page(contract_id, new_link=new_link)


def _contract_page(contract_id: int, new_link: dict | None = None):
    found = contracts.get_contract(get_session(), contract_id, actor=page_actor())
    report = contracts.verify_contract(get_session(), contract_id, actor=page_actor())
    signer = next((p for p in found.data.get("parties", []) if p.get("role") == "customer"), {})
    may_send = (found.status == "sealed" and found.superseded_by_id is None
                and page_actor().can("contracts.send"))
    return render_template("contract.html", contract=found, report=report, new_link=new_link,
                           may_send=may_send, signer=signer)


@bp.get("/contracts/<int:contract_id>/pdf")
@login_required
def contract_pdf(contract_id):
    found, revision, data = contracts.contract_pdf(get_session(), contract_id, page_actor(),
                                                   request.remote_addr,
                                                   revision=request.args.get("revision", type=int))
    response = Response(data, mimetype="application/pdf")
    disposition = "attachment" if request.args.get("download") else "inline"
    name = secure_filename(f"{found.number}-r{revision.number}-{revision.kind}.pdf") or "contract.pdf"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{name}"'
    return response


@bp.get("/contracts/verify")
@login_required
def verify_form():
    return render_template("verify.html", report=None)


@bp.post("/contracts/verify")
@login_required
def verify_upload():
    upload = request.files.get("file")
    data = upload.read() if upload else b""
    name = (upload.filename if upload else "") or "upload.pdf"
    report = contracts.verify_pdf_bytes(data, file_name=name)
    return render_template("verify.html", report=report)

