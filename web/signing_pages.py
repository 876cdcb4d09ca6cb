"""The customer's signing page: a personal one-time link, no account needed.

`GET /sign/<token>` shows the contract and a form: the signer confirms their
name, ticks that they have read and agree, and signs with a certificate the
internal CA issues to them or with a PKCS#12 of their own. A used, expired or
revoked link answers 410 and an unknown one 404, on a page that names no
contract; the refusal stays in the contract's audit trail although the answer
is an error. The form carries a CSRF token like every page form (app.py).
"""
from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from core.errors import Gone, NotFound
from signing import links

from .auth import PUBLIC, declare_permissions
from .contract_schemas import SignWithLinkSchema
from .db import get_session, keep_changes

bp = Blueprint("signing_pages", __name__, template_folder="templates")
declare_permissions(bp, {"sign_page": PUBLIC, "sign_pdf": PUBLIC, "sign_submit": PUBLIC})


@bp.get("/sign/<token>")
def sign_page(token):
    link = links.open_link(get_session(), token, request.remote_addr, request.user_agent.string)
    return render_template("sign.html", link=link, contract=link.contract, token=token)


@bp.get("/sign/<token>/pdf")
def sign_pdf(token):
    _, data = links.link_pdf(get_session(), token, request.remote_addr, request.user_agent.string)
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = "inline; filename=\"contract.pdf\""
    return response


@bp.post("/sign/<token>")
def sign_submit(token):
    form = SignWithLinkSchema().load(request.form.to_dict())
    upload = request.files.get("file") if form["method"] == "own" else None
    contract = links.sign_with_link(
        get_session(), token, form["name"], bool(form["agree"]), request.remote_addr,
        request.user_agent.string, pkcs12=upload.read() if upload else None,
        passphrase=form["passphrase"], use_own_certificate=form["method"] == "own")
    return render_template("sign_done.html", contract=contract)


@bp.errorhandler(Gone)
def link_gone(exc: Gone):
    keep_changes()  # the refused attempt is an event of the contract's audit trail
    return render_template("sign_gone.html", status=410), 410


@bp.errorhandler(NotFound)
def link_unknown(exc: NotFound):
    return render_template("sign_gone.html", status=404), 404


@bp.after_request
def private(response):
    # The token is in the URL: never send it on as a Referer, never cache the page.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response
