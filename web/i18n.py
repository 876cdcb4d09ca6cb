"""The pages in Chinese and English, one at a time: a small catalogue, the person's choice, formatting.

Strings in templates and page code are written in English and looked up in
ZH for Chinese, the default. A person picks the language on any page; it is
kept in the session and in a long-lived cookie, so it survives logging out.
The catalogue lives in web/i18n_zh.py; tests check every string has an entry.
Texts from process models ("线索获取 Lead acquisition") carry both languages and
go through in_language instead; times are stored in UTC and written in the
display zone (TIME_ZONE, Asia/Shanghai by default).
"""
from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, current_app, has_app_context, has_request_context, request, session
from markupsafe import Markup, escape

from crm.models import LOST_REASONS, WIN_REASONS

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


def local_time_tag(moment: datetime | str | None) -> Markup:
    """Return a <time> element written in the display zone, its UTC offset named ("UTC+8").

    Times are stored in UTC; the server writes them in the display zone, so a page
    reads the same whatever the browser's own zone. The datetime attribute keeps the
    instant in UTC for machines.
    """
    if moment is None or moment == "":
        return Markup("")
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
        except ValueError:
            return Markup(escape(moment))
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


_HAN = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


def in_language(text: str | None) -> str:
    """Return the part of a "中文 English" model text in the request's language.

    The one way model texts (task names, field labels, options, gate criteria) are
    shown: bundled models write them in both languages, Chinese first, so a
    modeler-designed model translates itself the same way. A text in one language
    only is returned as it is.
    """
    last = None
    for last in _HAN.finditer(text or ""):
        pass
    if last is None:
        return text or ""
    chinese, english = text[:last.end()].strip(), text[last.end():].strip()
    if not english or not re.search(r"[A-Za-z]", english) or _HAN.search(english):
        return text
    return chinese if current_locale() == "zh" else english


# The bundled processes' stages: the models name them in Chinese (the name is also the
# value deals and reports store), so their English lives here, as model texts do.
STAGES = {
    "线索获取": "线索获取 Lead acquisition", "需求确认": "需求确认 Needs confirmed",
    "方案制定": "方案制定 Solution design", "商务谈判": "商务谈判 Negotiation",
    "合同签署": "合同签署 Contract signing", "交付实施": "交付实施 Delivery",
    "售后服务": "售后服务 After-sales service",
    "招标": "招标 Tender announced", "投标": "投标 Bidding", "评标": "评标 Evaluation",
    "定标": "定标 Award",
}


def stage_label(stage: str | None) -> str:
    """Return a stage's name in the request's language; an unknown stage as it is."""
    return in_language(STAGES.get(stage, stage)) if stage else ""


_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?"
                       r"(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")
_UNITS = [("{n} years", "{n} year"), ("{n} months", "{n} month"), ("{n} weeks", "{n} week"),
          ("{n} days", "{n} day"), ("{n} hours", "{n} hour"), ("{n} minutes", "{n} minute"),
          ("{n} seconds", "{n} second")]


def format_duration(value: str) -> str | None:
    """Return an ISO 8601 duration in words ("P14D" → "14 天" / "14 days"), None if it is not one."""
    found = _DURATION.match(value) if isinstance(value, str) and len(value) > 1 else None
    if not found or not any(found.groups()) or value.endswith("T"):
        return None
    parts = []
    for number, (many, one) in zip(found.groups(), _UNITS):
        if number is not None:
            n = float(number) if "." in number else int(number)
            parts.append(gettext(one if n == 1 else many, n=n))
    return gettext(", ").join(parts)


# What the processes' own variables are called, for those no form field names.
DATA_LABELS = {
    "stale_after": "Stale reminder after", "escalate_after": "Escalation after",
    "entry_stage": "Entry stage", "stage": "Stage", "outcome": "Outcome",
    "lost_reason": "Reason lost", "lost_note": "Note on the loss", "win_reason": "Why we won",
    "owner": "Owner", "company": "Company", "company_id": "Company number", "amount": "Amount",
    "deal_name": "Deal", "contract_id": "Contract number",
    "contract_signed_by_both": "Contract signed by both parties",
    "discount_approved": "Discount approved", "approval_note": "Approval note",
    "customer_accepted": "Customer accepted", "tender_id": "Tender number",
}
# Enum values the processes set themselves, in both languages as model texts are.
VALUES = {
    "outcome": {"open": "进行中 Open", "continue": "继续推进 Move on", "won": "赢单 Won",
                "lost": "丢单 Lost", "no_bid": "不投标 No bid", "missed": "错过截止 Deadline missed"},
    "lost_reason": LOST_REASONS, "win_reason": WIN_REASONS,
}


def data_label(name: str, fields: dict | None = None) -> str:
    """Return a process variable's name for people: its form field's title, else the catalogue's."""
    title = ((fields or {}).get(name) or {}).get("title")
    if title:
        return in_language(title)
    return gettext(DATA_LABELS[name]) if name in DATA_LABELS else name


def data_value(name: str, value, fields: dict | None = None) -> str:
    """Return a process variable's value for people: an option's words, a duration, a stage, yes/no."""
    if isinstance(value, str):
        options = {o.get("const"): o.get("title") for o in ((fields or {}).get(name) or {}).get("oneOf", [])}
        words = options.get(value) or VALUES.get(name, {}).get(value)
        if words:
            return in_language(words)
        if name in ("stage", "entry_stage") or value in STAGES:
            return stage_label(value)
        duration = format_duration(value)
        if duration:
            return duration
    return display_value(value)


def form_fields_of(tasks) -> dict:
    """Return the form field schemas of `tasks` by variable name (the first form naming one wins)."""
    fields: dict = {}
    for task in tasks:
        for name, prop in ((task.form or {}).get("properties") or {}).items():
            fields.setdefault(name, prop)
    return fields


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
                                 action_label=action_label, data_label=data_label, data_value=data_value)
    # `time` and `localtime` are one: every time is written in the display zone.
    app.jinja_env.filters.update(time=local_time_tag, localtime=local_time_tag, money=format_money,
                                 show=display_value, lang=in_language, stage=stage_label,
                                 duration=format_duration)
