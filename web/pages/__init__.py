"""The web pages people work in: server-rendered Jinja2 over the same services as the API.

One blueprint, `bp`, split by screen: `account` (login, logout, password,
language), `inbox` (tasks and their forms), `processes` (upload, versions,
diagrams, start), `instances`, `contracts` (the archive), `pipeline` (the board)
and `vendor` (bpmn-js and Chart.js from node_modules). A person is known by the
session cookie; every form carries a CSRF token (CSRFProtect, set up in app.py).
"""
from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, redirect, request, url_for

from .. import i18n
from ..auth import PUBLIC, SIGNED_IN, current_actor, declare_permissions, page_user

bp = Blueprint("pages", __name__, template_folder="../templates", static_folder="../static",
               static_url_path="/assets")
declare_permissions(bp, {
    "static": PUBLIC, "vendor": PUBLIC,
    "login": PUBLIC, "login_submit": PUBLIC, "logout": PUBLIC, "language": PUBLIC,
    "password": SIGNED_IN, "password_submit": SIGNED_IN,
    "inbox": "tasks.work", "task": "tasks.work", "claim": "tasks.work", "unclaim": "tasks.work",
    "complete": "tasks.work",
    "instance": "instances.read", "retry": "instances.repair", "draft_contract": "contracts.draft",
    "contract_list": "contracts.read", "contract": "contracts.read", "contract_pdf": "contracts.read",
    "send_contract": "contracts.send",
    "verify_form": "contracts.verify", "verify_upload": "contracts.verify",
    "pipeline": "reports.read",
    "processes": "processes.read", "process": "processes.read", "definition_xml": "processes.read",
    "upload": "processes.deploy", "start": "processes.start",
    "audit_log": "audit.read",
})


def page_actor():
    """Return the logged-in person as an Actor, what services check rights against."""
    return current_actor()


def login_required(view):
    """Send people who are not logged in to the login page, and back here afterwards."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if page_user() is None:
            return redirect(url_for("pages.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped


def safe_next(target: str | None, default: str = "pages.inbox") -> str:
    """Return `target` when it is a path on this site, else the URL of `default`."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") \
                and not target.startswith("//") and "\\" not in target:
            return target
    return url_for(default)


def back(default: str = "pages.inbox") -> str:
    """Return where a form should lead back to: its `next` field, the referrer, or `default`."""
    target = request.form.get("next") or request.referrer
    if target:
        parts = urlsplit(target)
        if parts.netloc and parts.netloc != request.host:
            target = None
        elif parts.netloc:
            target = parts.path + (f"?{parts.query}" if parts.query else "")
    return safe_next(target, default)


@bp.app_context_processor
def page_globals():
    return {"current_user": page_user() if _has_request_user() else None,
            "locale": i18n.current_locale(), "locales": i18n.LOCALES}


def _has_request_user() -> bool:
    # Error pages of /api requests render no user menu and must not touch the session cookie.
    return not request.path.startswith("/api")


from . import account, contracts, inbox, instances, pipeline, processes, vendor  # noqa: E402,F401
from . import audit  # noqa: E402,F401
