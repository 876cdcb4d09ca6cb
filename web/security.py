"""Security headers on every response: pages, the API, errors and assets alike.

The pages load scripts and styles from this site only and run no inline script
(data for scripts travels in `<script type="application/json">` blocks, which
are never executed), so the policy can forbid everything else. Nothing may frame
a page, except the PDF viewers of the contract page and of the customer's signing
page, which frame the PDF.
"""
from __future__ import annotations

from flask import Flask, request

CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
# Responses a page of this site shows in an <iframe> (contract.html, sign.html).
FRAMED_BY_SITE = {"pages.contract_pdf", "signing_pages.sign_pdf"}
HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}


def init_app(app: Flask) -> None:
    """Add the security headers to every response of `app`."""

    @app.after_request
    def add_security_headers(response):
        framed = request.endpoint in FRAMED_BY_SITE
        policy = CONTENT_SECURITY_POLICY.replace("frame-ancestors 'none'", "frame-ancestors 'self'") \
            if framed else CONTENT_SECURITY_POLICY
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN" if framed else "DENY")
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if request.path == "/api" or request.path.startswith("/api/"):
            # API answers are one caller's data, tokens among them: no cache keeps a copy.
            response.headers["Cache-Control"] = "no-store"
        return response
