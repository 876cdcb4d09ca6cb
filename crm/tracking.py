"""Keep opportunities and tenders in step with the process instances they belong to.

`on_persist` is an engine.instances listener: it runs at the end of every
persist, in the same transaction, so an opportunity never disagrees with its
funnel instance about stage, amount or outcome. The processes say what the
numbers mean through their own properties (`probabilities`, `won_stage`), read
here from the stored definition, so a designer changes them by deploying.

A tender whose instance ends won starts a funnel instance at contract signing
for the awarded amount, once: the opportunity's unique tender_id guards it.
"""
from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import bpmn, definitions, instances
from core.db import utcnow
from engine.forms import NS
from accounts.models import User
from engine.models import ProcessDefinition, ProcessInstance
from customers.companies import resolve_company

from .models import TENDER_OUTCOMES, Opportunity, Tender

FUNNEL_KEY = "sales_funnel"
TENDER_KEY = "tender"
CONTRACT_STAGE = "合同签署"
MAX_AMOUNT = 10 ** 15  # CNY; process data is typed by people, the columns are 64-bit

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FunnelInfo:
    """What a funnel definition says about its stages: order, probability, where a deal is won."""
    stages: tuple[str, ...]
    probabilities: dict
    won_stage: str | None

    def is_won_at(self, stage: str | None) -> bool:
        """Tell whether a deal in `stage` has passed the stage where deals count as won."""
        if stage not in self.stages or self.won_stage not in self.stages:
            return False
        return self.stages.index(stage) >= self.stages.index(self.won_stage)


_info_cache: dict[tuple[str, str], FunnelInfo] = {}


def funnel_info(definition: ProcessDefinition) -> FunnelInfo:
    """Return the stage facts of a funnel definition, read once per deployed version."""
    key = (definition.key, definition.content_hash)
    if key not in _info_cache:
        process = _process_element(definition)
        declared = bpmn.own_property(process, "probabilities") if process is not None else None
        probabilities = {}
        for part in re.split(r"[,，]", declared or ""):
            stage, _, value = part.rpartition(":")
            try:
                probability = float(value)
            except ValueError:
                continue  # a typo in the property must not stop the deal; the stage counts as 0
            if math.isfinite(probability):
                probabilities[stage.strip()] = min(max(probability, 0.0), 1.0)
        won_stage = bpmn.own_property(process, "won_stage") if process is not None else None
        _info_cache[key] = FunnelInfo(tuple(definition.stages or ()), probabilities, won_stage)
    return _info_cache[key]


def _process_element(definition: ProcessDefinition):
    text = (definition.files or {}).get(definition.file_name)
    if text is None:
        return None
    doc, _ = bpmn.load_file(definition.file_name, text.encode("utf-8"))  # the hardened parser
    if doc is None:
        return None
    found = doc.root.xpath("bpmn:process[@id=$key]", namespaces=NS, key=definition.key)
    return found[0] if found else None


def on_persist(session: Session, instance: ProcessInstance, workflow) -> None:
    """Update the opportunity or tender of `instance`; start the deal of a won tender."""
    if instance.process_key == FUNNEL_KEY:
        with session.no_autoflush:
            sync_opportunity(session, instance)
    elif instance.process_key == TENDER_KEY:
        with session.no_autoflush:
            tender = sync_tender(session, instance)
        if tender.outcome == "won":
            open_deal_for_won_tender(session, tender)


def sync_opportunity(session: Session, instance: ProcessInstance) -> Opportunity:
    """Create or update the opportunity of a funnel instance from its data and stage."""
    opportunity = session.scalar(select(Opportunity).where(Opportunity.instance_id == instance.id))
    if opportunity is None:
        opportunity = Opportunity(instance_id=instance.id, outcome="open", probability=0.0,
                                  created_at=instance.created_at)
        session.add(opportunity)
    data = instance.data or {}
    company = resolve_company(session, data.get("company_id"), data.get("company"),
                              owner_id=instance.owner_id)
    if company is not None:
        opportunity.company = company
    opportunity.name = (_text(data.get("deal_name"), 255) or (company.name if company else None)
                        or opportunity.name or f"Deal {instance.id}")
    opportunity.owner_id = instance.owner_id
    opportunity.amount = _int(data.get("agreed_amount")) or _int(data.get("amount")) or opportunity.amount
    opportunity.expected_close_date = (_date(data.get("expected_close_date")) or _date(data.get("timeline"))
                                       or opportunity.expected_close_date)
    opportunity.win_reason = _text(data.get("win_reason"), 32) or opportunity.win_reason
    opportunity.stage = instance.stage
    _set_outcome(opportunity, instance, data, funnel_info(instance.definition))
    opportunity.updated_at = utcnow()
    return opportunity


def _set_outcome(opportunity: Opportunity, instance: ProcessInstance, data: dict, info: FunnelInfo) -> None:
    if data.get("outcome") == "lost" and instance.status == "completed":
        outcome, probability = "lost", 0.0
        opportunity.lost_reason = _text(data.get("lost_reason"), 32)
        opportunity.lost_note = _text(data.get("lost_note"), 10_000)
    else:
        # A process without a won_stage wins its deals by ending other than lost.
        is_won = info.is_won_at(instance.stage) or instance.status == "completed"
        outcome = "won" if is_won else "open"
        probability = info.probabilities.get(instance.stage, 0.0)
    if outcome != opportunity.outcome:
        opportunity.closed_at = None if outcome == "open" else utcnow()
    opportunity.outcome, opportunity.probability = outcome, probability


def sync_tender(session: Session, instance: ProcessInstance) -> Tender:
    """Create or update the tender record of a tender instance: milestones, bid, award."""
    tender = session.scalar(select(Tender).where(Tender.instance_id == instance.id))
    if tender is None:
        tender = Tender(instance_id=instance.id, outcome="open", created_at=instance.created_at)
        session.add(tender)
    data = instance.data or {}
    company = resolve_company(session, data.get("company_id"), data.get("buyer"),
                              owner_id=instance.owner_id)
    if company is not None:
        tender.company = company
    tender.title = (_text(data.get("title"), 255) or tender.title or (company.name if company else None)
                    or f"Tender {instance.id}")
    tender.owner_id = instance.owner_id
    tender.stage = instance.stage
    for name in ("registration_deadline", "questions_deadline", "submission_deadline", "opening_date",
                 "award_date"):
        setattr(tender, name, _date(data.get(name)) or getattr(tender, name))
    for name in ("budget", "bid_score", "bid_price", "awarded_amount", "winning_price"):
        setattr(tender, name, _int(data.get(name)) if data.get(name) is not None else getattr(tender, name))
    tender.winner = _text(data.get("winner"), 255) or tender.winner
    tender.decision_reason = _text(data.get("director_reason"), 10_000) or tender.decision_reason
    ended = instance.status == "completed" and data.get("outcome") in TENDER_OUTCOMES
    outcome = data["outcome"] if ended else "open"
    if outcome != tender.outcome:
        tender.closed_at = None if outcome == "open" else utcnow()
    tender.outcome = outcome
    tender.updated_at = utcnow()
    return tender


def open_deal_for_won_tender(session: Session, tender: Tender) -> ProcessInstance | None:
    """Start the funnel at contract signing for a won tender, unless its deal exists already."""
    session.flush()  # the tender and a company it named may be new
    if session.scalar(select(Opportunity.id).where(Opportunity.tender_id == tender.id)) is not None:
        return None
    if definitions.find_latest(session, FUNNEL_KEY) is None:
        log.warning("tender %s was won but no %s process is deployed", tender.id, FUNNEL_KEY)
        return None
    owner = session.get(User, tender.owner_id) if tender.owner_id else None
    data = {"deal_name": tender.title, "company_id": tender.company_id,
            "company": tender.company.name if tender.company_id and tender.company else None,
            "amount": tender.awarded_amount, "agreed_amount": tender.awarded_amount,
            "expected_close_date": tender.award_date.isoformat() if tender.award_date else None,
            "entry_stage": CONTRACT_STAGE, "tender_id": tender.id, "source": "tender",
            "owner": owner.name if owner else None}
    data = {k: v for k, v in data.items() if v is not None}
    instance = instances.start_instance(session, FUNNEL_KEY, data=data, business_key=f"TENDER-{tender.id}",
                                        actor=None)
    # Set here, not from the data: anybody may put a tender_id into a deal's data.
    session.scalar(select(Opportunity).where(Opportunity.instance_id == instance.id)).tender_id = tender.id
    return instance


def _text(value, limit: int) -> str | None:
    return value.strip()[:limit] or None if isinstance(value, str) else None


def _int(value) -> int | None:
    """Return an amount or a score from the data; None for anything no deal could be worth."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < MAX_AMOUNT:
        return None
    return int(value)


def _date(value) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value[:10]) if isinstance(value, str) else None
    except ValueError:
        return None
