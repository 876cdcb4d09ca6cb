"""The deal page's words: the stage bar, the outcome in one sentence, figures and a readable history.

Everything here is presentation in the request's language. Model texts ("客户公司
Company") are cut to one language with in_language; the bundled funnel's stage names
are Chinese in the model, and in English they read from the catalogue in reverse.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

from crm.models import LOST_REASONS, WIN_REASONS

from ..i18n import ZH, action_label, current_locale, display_value, format_money
from ..i18n import gettext as _
from .task_context import in_language

# The bundled funnel's stages in English; the catalogue holds their Chinese (the model's names).
STAGE_NAMES = ("Lead qualification", "Needs confirmation", "Solution design", "Negotiation",
               "Contract signing", "Delivery", "After-sales service")
# Process variables that no form names: the start data and what the system sets.
KEY_LABELS = {
    "company": "Company", "company_id": "Company number", "deal_name": "Deal name", "owner": "Owner",
    "amount": "Amount", "agreed_amount": "Agreed amount", "discount_percent": "Discount",
    "payment_terms": "Payment terms", "expected_close_date": "Expected signing date",
    "stale_after": "Reminder after", "escalate_after": "Escalation after", "entry_stage": "Entry stage",
    "outcome": "Outcome", "lost_reason": "Reason lost", "lost_note": "Note on the loss",
    "contract_signed_by_both": "Contract signed by both parties", "contract_id": "Contract",
    "tender_id": "Tender number", "win_reason": "Why we won",
}
MONEY_KEYS = {"amount", "agreed_amount", "budget", "bid_price", "awarded_amount"}
HIDDEN_KEYS = {"company_id", "tender_id"}
_DURATION = re.compile(r"P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?")


def words(text: str | None) -> str:
    """Return a model text in the page's language: its half of "中文 English", or its catalogue entry."""
    if not text:
        return ""
    text = in_language(text)
    return _(text) if current_locale() == "zh" and text in ZH else text


def stage_label(stage: str | None) -> str:
    """Return a stage's name in the page's language."""
    if not stage or current_locale() == "zh":
        return stage or ""
    english = {ZH[name]: name for name in STAGE_NAMES}
    return english.get(stage, in_language(stage))


def stage_bar(stages: list[str], current: str | None, outcome: str, status: str) -> list[dict]:
    """Return each stage as done, current, lost or todo.

    A lost deal's stage is marked lost and those before it only passed: nothing on
    the bar of a lost deal reads as completed. A won deal that has ended is done throughout.
    """
    stages = list(stages or [])
    if current and current not in stages:
        stages.append(current)
    at = stages.index(current) if current in stages else -1
    steps = []
    for index, name in enumerate(stages):
        if outcome == "lost":
            state = "passed" if index < at else "lost" if index == at else "todo"
        elif index < at or (status == "completed" and index == at):
            state = "done"
        else:
            state = "current" if index == at else "todo"
        steps.append({"name": name, "label": stage_label(name), "state": state})
    return steps


def outcome_text(outcome: str, stage: str | None, reason: str | None) -> str:
    """Return the outcome in words: "赢单" / "丢单于 商务谈判（价格）" / "Lost at negotiation (price)"."""
    if outcome == "won":
        return _("Won")
    if outcome != "lost":
        return _("In progress")
    where = stage_label(stage)
    why = reason_words(reason) if reason else ""
    if current_locale() == "en":
        where, why = where[:1].lower() + where[1:], why.lower()
    if where and why:
        return _("Lost at {stage} ({reason})", stage=where, reason=why)
    if where:
        return _("Lost at {stage}", stage=where)
    return _("Lost")


def reason_words(reason: str, reasons: dict = LOST_REASONS) -> str:
    """Return a lost (or, given WIN_REASONS, win) reason in the page's language ("价格 Price")."""
    return in_language(reasons.get(reason, reason))


def win_words(reason: str) -> str:
    """Return why a deal was won in the page's language."""
    return reason_words(reason, WIN_REASONS)


def days_since(moment: datetime | None, now: datetime) -> int | None:
    """Return whole days from `moment` to `now` (None without a moment)."""
    if moment is None:
        return None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return max((now - moment).days, 0)


def duration_words(text: str) -> str | None:
    """Return an ISO duration such as P14D in words ("14 days" / "14 天"); None if it is none."""
    match = _DURATION.fullmatch(text) if isinstance(text, str) and len(text) > 1 else None
    if match is None or not any(match.groups()):
        return None
    units = ("{n} weeks", "{n} days", "{n} hours", "{n} minutes")
    return " ".join(_(unit, n=int(n)) for unit, n in zip(units, match.groups()) if n)


@dataclass
class Labels:
    """Variable names and enum values in words, from the forms of a deal's tasks."""

    names: dict
    choices: dict

    @classmethod
    def of(cls, tasks) -> "Labels":
        names, choices = {}, {}
        for task in tasks:
            for name, schema in ((task.form or {}).get("properties") or {}).items():
                if schema.get("title"):
                    names.setdefault(name, schema["title"])
                for choice in schema.get("oneOf") or []:
                    if "const" in choice and choice.get("title"):
                        choices.setdefault(name, {}).setdefault(str(choice["const"]), choice["title"])
        return cls(names, choices)

    def name(self, key: str) -> str:
        if key in KEY_LABELS:
            return _(KEY_LABELS[key])
        return words(self.names.get(key)) or key.replace("_", " ")

    def value(self, key: str, value) -> str:
        if key in MONEY_KEYS:
            return format_money(value) or display_value(value)
        if key == "discount_percent" and isinstance(value, (int, float)):
            return f"{value} %"
        if key == "lost_reason" and isinstance(value, str):
            return reason_words(value)
        if key == "win_reason" and isinstance(value, str):
            return win_words(value)
        if key in ("contract_id", "tender_id") and isinstance(value, int):
            return f"#{value}"
        if key == "entry_stage" and isinstance(value, str):
            return stage_label(value)
        choice = self.choices.get(key, {}).get(str(value)) if not isinstance(value, (dict, list)) else None
        if choice:
            return words(choice)
        return duration_words(value) or display_value(value)

    def changes(self, changes) -> list[tuple[str, str]]:
        """Return variables set from outside ({name: [before, after]}) as (name, "before → after")."""
        if not isinstance(changes, dict):
            return []
        shown = []
        for key, change in changes.items():
            if key in HIDDEN_KEYS or not isinstance(change, list) or len(change) != 2:
                continue
            before, after = (self.value(key, value) for value in change)
            shown.append((self.name(key), after if change[0] is None or before == after
                          else f"{before} → {after}"))
        return shown

    def pairs(self, data) -> list[tuple[str, str]]:
        """Return the readable (name, value) pairs of a data dict, leaving out internal numbers."""
        if not isinstance(data, dict):
            return []
        return [(self.name(k), self.value(k, v)) for k, v in data.items() if k not in HIDDEN_KEYS]


def history_lines(instance, outcome: str, labels: Labels) -> list[dict]:
    """Return the instance's history, newest first, each entry's action, subject and data in words."""
    titles = {t.id: t.title for t in instance.tasks}
    lines = []
    for entry in reversed(instance.history):
        detail = entry.detail or {}
        if entry.action == "instance.completed":
            what = _("Deal lost") if outcome == "lost" else _("Deal won") if outcome == "won" else _("Ended")
        else:
            what = action_label(entry.action)
        if entry.action == "stage.entered":
            subject = stage_label(detail.get("stage"))
        else:
            subject = (words(detail.get("title") or titles.get(entry.task_id)) or detail.get("number")
                       or ", ".join(labels.name(name) for name in detail.get("names") or []))
        lines.append({"action": entry.action, "what": what, "subject": subject or "", "at": entry.at,
                      "who": entry.actor.name if entry.actor else _("the system"),
                      "data": labels.pairs(detail.get("data")) + labels.changes(detail.get("changes")),
                      "message": detail.get("message") or detail.get("reason")})
    return lines
