"""The web pages people work in: server-rendered Jinja2 over the same services as the API.

One blueprint, `bp`, split by screen: `account` (login, logout, password,
language), `inbox` (tasks and their forms), `processes` (upload, versions,
diagrams, start), `instances`, `contracts` (the archive), `pipeline` (the board)
and `vendor` (bpmn-js and Chart.js from node_modules). A person is known by the
session cookie; every form carries a CSRF token (CSRFProtect, set up in app.py).
"""
from __future__ import annotations

from functools import wraps
from urllib.parse import unquote, urlsplit

from flask import Blueprint, current_app, redirect, request, url_for
from werkzeug.exceptions import HTTPException

from .. import i18n
from ..messages import server_message
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
    "search": SIGNED_IN,  # each group of results needs its own read permission (crm.search)
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
    """Return where a form leads back to: its `next` field, the referrer, or the page of its object.

    A target is only taken when a GET of it would show a page this person may see:
    a page rendered by a refused POST (a form with errors at /tasks/<id>/complete)
    is the referrer of the next form sent from it, and going back to that URL would
    answer 405. Such a target, and one without a page of its own, leads to the
    nearest page above it (/tasks/<id>); failing that, to the nearest page above
    the form's own URL (/instances/<id>/contract leads to /instances/<id>, a refused
    /contracts/verify to the page of the same URL).
    """
    for target in (request.form.get("next"), request.referrer):
        page = page_for(_same_site_path(target)) if target else None
        if page:
            return page
    return page_for(request.path) or url_for(default)


def page_for(target: str | None) -> str | None:
    """Return `target` when a GET of it shows a page this person may see, else the nearest such page
    above it (its path cut at a slash, the query dropped); None when there is none but the root."""
    if not target or not _is_local(target):
        return None
    parts = urlsplit(target)
    path, query = parts.path, parts.query
    if _is_page(path):
        return path + (f"?{query}" if query else "")
    while path.rstrip("/").count("/") > 1:
        path = path.rstrip("/").rsplit("/", 1)[0]
        if _is_page(path):
            return path
    return None


def current_page() -> str:
    """Return the URL that shows this request's page again: itself for a GET, else the page of its object.

    The language switch sends it as `next`, so that switching on a page rendered by a
    refused form (whose URL takes only a POST) shows that page again, in the other language.
    """
    if request.method == "GET":
        return request.full_path.rstrip("?")
    return page_for(request.path) or url_for("pages.inbox")


def _same_site_path(target: str) -> str | None:
    parts = urlsplit(target)
    if parts.netloc:
        if parts.netloc != request.host:
            return None
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return target


def _is_local(target: str) -> bool:
    parts = urlsplit(target)
    return (not parts.scheme and not parts.netloc and target.startswith("/")
            and not target.startswith("//") and "\\" not in target)


def _is_page(path: str) -> bool:
    # A page: a GET route outside the API whose declared permission this person holds.
    if path == "/api" or path.startswith("/api/"):
        return False
    adapter = current_app.url_map.bind(request.host, script_name=request.script_root or None)
    try:
        endpoint, _ = adapter.match(unquote(path), method="GET")
    except HTTPException:  # not found, POST only, or a redirect to another spelling
        return False
    blueprint, _, view = endpoint.rpartition(".")
    need = getattr(current_app.blueprints.get(blueprint), "permissions", {}).get(view)
    if need is None:
        return False  # the route declares no permission, so it is closed
    if need in (PUBLIC, SIGNED_IN) or page_user() is None:
        return True  # a person not logged in is asked to log in there, then comes back
    return current_actor().can(need)


@bp.app_template_filter("message")
def message_filter(text: str) -> str:
    """A server's message (a BPMN problem, a refusal) in the request's language: `{{ p.message|message }}`."""
    return server_message(text)


@bp.app_context_processor
def page_globals():
    return {"current_user": page_user() if _has_request_user() else None,
            "locale": i18n.current_locale(), "locales": i18n.LOCALES, "current_page": current_page}


def _has_request_user() -> bool:
    # Error pages of /api requests render no user menu and must not touch the session cookie.
    return not request.path.startswith("/api")


from . import account, contracts, inbox, instances, pipeline, processes, vendor  # noqa: E402,F401
from . import audit  # noqa: E402,F401
from . import menu, search  # noqa: E402,F401
