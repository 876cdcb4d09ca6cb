"""The contract archive: search, a contract with its PDF, signatures, audit trail and downloads,
and a page that verifies any uploaded PDF."""
from __future__ import annotations

from flask import Response, render_template, request
from werkzeug.utils import secure_filename

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
    found = contracts.list_contracts(get_session(), customer=query or None, status=status or None,
                                   actor=page_actor())
    return render_template("contracts.html", contracts=found, q=query, status=status,
                           statuses=STATUSES)


@bp.get("/contracts/<int:contract_id>")
@login_required
def contract(contract_id):
    found = contracts.get_contract(get_session(), contract_id, actor=page_actor())
    report = contracts.verify_contract(get_session(), contract_id, actor=page_actor())
    return render_template("contract.html", contract=found, report=report)


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

