"""The pages in Chinese and English: a small catalogue, the person's choice, and formatting.

Strings in templates and page code are written in English and looked up in
ZH for Chinese, the default. A person picks the language on any page; it is
kept in the session and in a long-lived cookie, so it survives logging out.
The catalogue lives in web/i18n_zh.py; tests check every string has an entry.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, current_app, has_app_context, has_request_context, request, session
from markupsafe import Markup, escape

from .i18n_zh import ZH

LOCALES = {"zh": "中文", "en": "English"}
DEFAULT_LOCALE = "zh"
COOKIE = "locale"
COOKIE_AGE = 365 * 24 * 3600
HTML_LANG = {"zh": "zh-CN", "en": "en"}
DEFAULT_TIME_ZONE = "Asia/Shanghai"

log = logging.getLogger(__name__)
_missing: set[str] = set()


def current_locale() -> str:
    """Return the request's language: the session's choice, else the cookie's, else Chinese."""
    if not has_request_context():
        return DEFAULT_LOCALE
    code = session.get("locale") or request.cookies.get(COOKIE)
    return code if code in LOCALES else DEFAULT_LOCALE


def set_locale(response, code: str) -> None:
    """Keep `code` as the person's language, in the session and the cookie; ignore unknown codes."""
    if code not in LOCALES:
        return
    session["locale"] = code
    response.set_cookie(COOKIE, code, max_age=COOKIE_AGE, httponly=True, samesite="Lax",
                        secure=current_app.config.get("SESSION_COOKIE_SECURE", False))


def gettext(text: str, **values) -> str:
    """Return `text` in the request's language, with `values` filled in."""
    if current_locale() == "zh":
        translated = ZH.get(text)
        if translated is None:
            if text not in _missing:
                _missing.add(text)
                log.warning("no Chinese for %r", text)
            translated = text
        text = translated
    return text.format(**values) if values else text


def format_time(moment: datetime | None, *, with_date: bool = True) -> str:
    """Return `moment` as 'YYYY-MM-DD HH:MM UTC' (pages turn it into local time in the browser)."""
    if moment is None:
        return ""
    moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC" if with_date else "%H:%M UTC")


def time_tag(moment: datetime | str | None) -> Markup:
    """Return a <time> element; app.js shows it in the reader's time zone."""
    if moment is None or moment == "":
        return Markup("")
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
        except ValueError:
            return Markup(escape(moment))
    moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return Markup('<time datetime="{}">{}</time>').format(moment.isoformat(), format_time(moment))


def display_zone() -> ZoneInfo:
    """Return the time zone people read times in: the app's TIME_ZONE, Asia/Shanghai by default.

    People have no time zone of their own yet; when they do, it goes here.
    """
    name = current_app.config.get("TIME_ZONE") if has_app_context() else None
    try:
        return ZoneInfo(name or DEFAULT_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("unknown TIME_ZONE %r, showing times in %s", name, DEFAULT_TIME_ZONE)
        return ZoneInfo(DEFAULT_TIME_ZONE)


def local_time_tag(moment: datetime | None) -> Markup:
    """Return a <time> element written in the display zone, its UTC offset named ("UTC+8").

    Unlike time_tag, the server writes the local time, so the page reads the same
    whatever the browser's own zone; app.js leaves elements with data-zone alone.
    """
    if moment is None:
        return Markup("")
    moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    zone = display_zone()
    local = moment.astimezone(zone)
    minutes = int(local.utcoffset().total_seconds()) // 60
    offset = f"UTC{'+' if minutes >= 0 else '-'}{abs(minutes) // 60}" + (
        f":{abs(minutes) % 60:02d}" if minutes % 60 else "")
    return Markup('<time datetime="{}" data-zone="{}">{} {}</time>').format(
        moment.isoformat(), zone.key, local.strftime("%Y-%m-%d %H:%M"), offset)


def format_money(value, currency: str = "¥") -> str:
    """Return an amount with thousands separators, or '' when it is not a number."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return ""
    return f"{currency}{number:,.0f}" if number == int(number) else f"{currency}{number:,.2f}"


def display_value(value) -> str:
    """Return a data value as a person reads it: yes/no, a dash for nothing, JSON for structures."""
    if value is True or value is False:
        return gettext("Yes" if value else "No")
    if value is None or value == "":
        return "—"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


ACTIONS = {
    "instance.started": "Started", "instance.completed": "Completed", "instance.error": "Error",
    "instance.retried": "Retried", "instance.terminated": "Terminated",
    "instance.variables_set": "Data changed", "instance.repaired": "Repaired",
    "instance.facts_recorded": "Facts recorded",
    "task.claimed": "Task claimed", "task.unclaimed": "Task given back",
    "task.completed": "Task completed", "stage.entered": "Stage entered", "timer.fired": "Timer fired",
    "contract.drafted": "Contract drafted", "contract.rendered": "Contract rendered",
    "contract.sealed": "Contract sealed", "contract.signed": "Contract signed",
    "contract.completed": "Contract completed", "contract.viewed": "Contract viewed",
    "contract.link_created": "Signing link created", "contract.link_opened": "Signing link opened",
    "contract.link_expired": "Expired signing link refused",
    "contract.link_refused": "Used or withdrawn signing link refused",
    "contract.link_revoked": "Signing link withdrawn", "contract.superseded": "Contract superseded",
    "contract.supersedes": "Contract redrafted",
    "company.created": "Company created", "company.renamed": "Company renamed",
    "company.changed": "Company changed", "contact.created": "Contact created",
    "company.merged": "Companies merged", "contact.merged": "Contacts merged",
    "duplicate.dismissed": "Duplicate dismissed",
    "companies.exported": "Companies exported", "contacts.exported": "Contacts exported",
    "committee_member.added": "Committee member added",
    "committee_member.removed": "Committee member removed",
    "user.logged_in": "Logged in", "user.login_failed": "Login failed",
}


def action_label(action: str) -> str:
    """Return an audit action in words, in the request's language."""
    return gettext(ACTIONS[action]) if action in ACTIONS else action


def init_app(app: Flask) -> None:
    """Make `_`, the language and the formatters available to every template."""
    app.jinja_env.globals.update(_=gettext, html_lang=lambda: HTML_LANG[current_locale()],
                                 action_label=action_label)
    app.jinja_env.filters.update(time=time_tag, localtime=local_time_tag, money=format_money,
                                 show=display_value)
