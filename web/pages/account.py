"""Logging in and out, changing one's password and picking the language."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for

import accounts
from core.errors import InvalidInput, Unauthorized

from .. import i18n
from ..db import get_session
from ..i18n import gettext as _
from . import back, bp, login_required, page_user, password_stamp, safe_next


@bp.get("/login")
def login():
    if page_user() is not None:
        return redirect(safe_next(request.args.get("next")))
    return render_template("login.html", next=request.args.get("next", ""))


@bp.post("/login")
def login_submit():
    name, next_url = request.form.get("name", ""), request.form.get("next", "")
    try:
        user = accounts.login(get_session(), name, request.form.get("password", ""),
                              ip=request.remote_addr)
    except accounts.LockedOut as exc:
        error = _("Too many failed logins. Try again after {time}.",
                  time=i18n.format_time(exc.until))
        return render_template("login.html", error=error, name=name, next=next_url)
    except Unauthorized:
        # Rendered with 200 so that the request commits the counted failure.
        return render_template("login.html", error=_("Wrong user name or password."),
                               name=name, next=next_url)
    locale = i18n.current_locale()
    session.clear()  # a fresh session at login: no fixation of a planted cookie
    session.permanent = True
    session.update(user_id=user.id, stamp=password_stamp(user), locale=locale)
    return redirect(safe_next(next_url))


@bp.post("/logout")
def logout():
    locale = i18n.current_locale()
    session.clear()
    session["locale"] = locale
    flash(_("You have logged out."), "info")
    return redirect(url_for("pages.login"))


@bp.get("/account/password")
@login_required
def password():
    return render_template("password.html", problems={})


@bp.post("/account/password")
@login_required
def password_submit():
    form = request.form
    if form.get("new_password") != form.get("confirm_password"):  # shape, checked at the edge
        return render_template("password.html", problems={"confirm_password": "mismatch"}), 422
    try:
        user = accounts.change_password(get_session(), page_user(), form.get("current_password", ""),
                                        form.get("new_password", ""))
    except InvalidInput as exc:
        problems = {p.get("field"): p["message"] for p in exc.problems}
        return render_template("password.html", problems=problems), 422
    session["stamp"] = password_stamp(user)
    flash(_("Your password has been changed."), "success")
    return redirect(url_for("pages.inbox"))


@bp.post("/language")
def language():
    code = request.form.get("locale", "")
    response = redirect(back("pages.login"))
    i18n.set_locale(response, code)
    return response
