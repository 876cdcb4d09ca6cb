"""Sales reports: conversion and time per stage, pipeline, forecast, wins and losses, tenders.

Stage figures come from the engine's stage history (stage_visits: when each
instance entered and left each stage), outcomes from the opportunity and tender
records; nothing re-reads a running workflow. Instances an admin terminated are
left out: they were neither won nor lost, just withdrawn.

Periods are half-open date ranges [start, end) in UTC; a visit belongs to the
period in which it entered its stage, a deal or tender to the one in which it closed.

Win rate has one definition everywhere, WIN_RATE: won ÷ closed (won + lost) among
the deals (or tenders: bids) closed in the period. The share of the deals that
entered the funnel in the period and were won is another figure, the conversion
rate, and is named so.

`owners` narrows a report to the deals and tenders these users own (see
owner_ids: one person, or a team with its sub-teams).
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from typing import Callable, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import User
from accounts.permissions import Actor
from accounts.teams import team_member_ids
from accounts.users import find_user
from core.errors import InvalidInput
from core.db import utcnow
from engine import definitions
from engine.models import ProcessInstance, StageVisit
from engine.visibility import instance_filter

from .models import LOST_REASONS, WIN_REASONS, Opportunity, Tender
from .visibility import deal_filter, only_visible, tender_filter
from .tracking import FUNNEL_KEY, TENDER_KEY, funnel_info

TENDER_LOSSES = ("lost", "no_bid", "missed")
WIN_RATE = "won ÷ (won + lost), of the deals closed in the period"
Owners = frozenset[int] | None  # user ids; None: everyone's


@dataclass(frozen=True)
class Period:
    """A half-open range of days [start, end); either end may be open."""
    start: date | None = None
    end: date | None = None

    def contains(self, moment: datetime | None) -> bool:
        """Tell whether a moment falls in the period."""
        if moment is None:
            return False
        return ((self.start is None or moment >= _midnight(self.start))
                and (self.end is None or moment < _midnight(self.end)))

    def as_dict(self) -> dict:
        """Return the period as the reports show it: `from` and `to`, ISO dates or None."""
        return {"from": self.start.isoformat() if self.start else None,
                "to": self.end.isoformat() if self.end else None}


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=timezone.utc)


class Visit(NamedTuple):
    stage: str
    entered_at: datetime
    left_at: datetime | None


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def win_rate(won: int, lost: int) -> float | None:
    """Return WIN_RATE from the counts of closed deals: the one place it is computed."""
    return _rate(won, won + lost)


def owner_ids(session: Session, *, owner: str | None = None, team: str | None = None) -> Owners:
    """Return whose records a report counts: `owner` (a user name), `team`'s people, both, or None for all.

    Both given: the owner only when a member of the team, so nobody's deals are counted
    twice or out of the team asked for.
    """
    ids = None
    if team:
        ids = team_member_ids(session, team)
    if owner:
        user = find_user(session, owner)
        if user is None:
            raise InvalidInput(f"no user {owner!r}", [{"message": f"no user {owner!r}", "field": "owner"}])
        ids = frozenset({user.id}) & ids if ids is not None else frozenset({user.id})
    return ids


def report_owners(session: Session, *, actor: Actor | None = None) -> list[str]:
    """Return the names of the people owning a deal or a tender `actor` sees, A to Z (for choosing one)."""
    names = set()
    for record, seen in ((Opportunity, deal_filter(session, actor)), (Tender, tender_filter(session, actor))):
        query = select(User.name).join(record, record.owner_id == User.id).distinct()
        names.update(session.scalars(only_visible(query, seen)))
    return sorted(names)


def _owned(query, record, owners: Owners):
    return query if owners is None else query.where(record.owner_id.in_(sorted(owners)))


# --- from the stage history -----------------------------------------------------------------

def _kind(process_key: str) -> str:
    return {FUNNEL_KEY: "deals", TENDER_KEY: "tenders"}.get(process_key, "instances")


def _record(process_key: str):
    return Tender if process_key == TENDER_KEY else Opportunity


def _history(session: Session, process_key: str, actor: Actor | None,
             owners: Owners = None) -> dict[int, list[Visit]]:
    query = (select(StageVisit.instance_id, StageVisit.stage, StageVisit.entered_at, StageVisit.left_at)
             .join(ProcessInstance, ProcessInstance.id == StageVisit.instance_id)
             .where(StageVisit.process_key == process_key, ProcessInstance.status != "terminated")
             .order_by(StageVisit.instance_id, StageVisit.entered_at, StageVisit.id))
    if owners is not None:
        record = _record(process_key)
        query = query.where(StageVisit.instance_id.in_(_owned(select(record.instance_id), record, owners)))
    seen = instance_filter(session, actor, _kind(process_key), StageVisit.instance_id)
    rows = session.execute(only_visible(query, seen))
    history: dict[int, list[Visit]] = defaultdict(list)
    for instance_id, stage, entered_at, left_at in rows:
        history[instance_id].append(Visit(stage, entered_at, left_at))
    return history


class Outcome(NamedTuple):
    outcome: str  # won, lost or open: a tender not bid for or missed counts as lost here
    closed_at: datetime | None
    as_recorded: str  # a tender's own outcome (no_bid, missed): the win rate is of bids only


def _outcomes(session: Session, process_key: str, actor: Actor | None,
              owners: Owners = None) -> dict[int, Outcome]:
    """Return won, lost or open per instance of the funnel or the tender process, and when it closed."""
    if process_key == TENDER_KEY:
        query = _owned(select(Tender.instance_id, Tender.outcome, Tender.closed_at), Tender, owners)
        rows = session.execute(only_visible(query, tender_filter(session, actor)))
        return {i: Outcome("lost" if o in TENDER_LOSSES else o, c, o) for i, o, c in rows}
    query = _owned(select(Opportunity.instance_id, Opportunity.outcome, Opportunity.closed_at), Opportunity,
                   owners)
    return {i: Outcome(o, c, o) for i, o, c in session.execute(only_visible(query, deal_filter(session, actor)))}


def _stage_order(session: Session, process_key: str, history: dict) -> list[str]:
    definition = definitions.find_latest(session, process_key)
    order = list(definition.stages) if definition is not None else []
    seen = (visit.stage for visits in history.values() for visit in visits)
    return list(dict.fromkeys([*order, *seen]))


def stage_conversion(session: Session, *, process_key: str = FUNNEL_KEY, period: Period = Period(),
                     by: str | None = None, owners: Owners = None, actor: Actor | None = None) -> dict:
    """Count per stage the instances that entered it, moved on from it, were lost in it, are still in it.

    Moved on: left the stage other than by being lost (to the next stage, or for
    the last stage to the end). Lost: the instance ended lost while in the stage.
    Open: still there. Overall: instances whose first stage was entered in the
    period, with how many were won and lost (conversion_rate: won ÷ entered), and
    the win rate (WIN_RATE) of those closed in the period. `by` (month or quarter)
    adds the same figures for each such period.
    """
    history = _history(session, process_key, actor, owners)
    outcomes = _outcomes(session, process_key, actor, owners)
    order = _stage_order(session, process_key, history)
    report = {"process_key": process_key, **period.as_dict(),
              **_conversion(history, outcomes, order, period.contains)}
    if by:
        report["periods"] = [{"period": label, **_conversion(history, outcomes, order, contains)}
                             for label, contains in _sub_periods(history, period, by)]
    return report


def _conversion(history, outcomes, order, contains: Callable) -> dict:
    counts = {stage: Counter() for stage in order}
    overall = Counter()
    closed = Counter(outcomes[i].as_recorded for i in history
                     if i in outcomes and outcomes[i].outcome != "open" and contains(outcomes[i].closed_at))
    for instance_id, visits in history.items():
        outcome = outcomes[instance_id].outcome if instance_id in outcomes else "open"
        if contains(visits[0].entered_at):
            overall["entered"] += 1
            overall[outcome] += 1
        for stage in dict.fromkeys(v.stage for v in visits if contains(v.entered_at)):
            counter = counts.setdefault(stage, Counter())
            counter["entered"] += 1
            if outcome == "lost" and visits[-1].stage == stage:
                counter["lost"] += 1
            elif any(v.left_at is not None for v in visits if v.stage == stage):
                counter["moved_on"] += 1
            else:
                counter["open"] += 1
    stages = [{"stage": stage, "entered": c["entered"], "moved_on": c["moved_on"], "lost": c["lost"],
               "open": c["open"], "conversion_rate": _rate(c["moved_on"], c["entered"]),
               "loss_rate": _rate(c["lost"], c["entered"])} for stage, c in counts.items()]
    return {"stages": stages, "overall": {
        "entered": overall["entered"], "won": overall["won"], "lost": overall["lost"],
        "open": overall["open"], "conversion_rate": _rate(overall["won"], overall["entered"]),
        "loss_rate": _rate(overall["lost"], overall["entered"]),
        "closed_won": closed["won"], "closed_lost": closed["lost"],
        "win_rate": win_rate(closed["won"], closed["lost"])}}


def _sub_periods(history, period: Period, by: str):
    moments = [v.entered_at for visits in history.values() for v in visits if period.contains(v.entered_at)]
    if not moments:
        return []
    step = 3 if by == "quarter" else 1
    year, month = min(moments).year, (min(moments).month - 1) // step * step + 1
    last = max(moments)
    periods = []
    while (year, month) <= (last.year, last.month):
        start = date(year, month, 1)
        end = date(year + (month + step > 12), (month + step - 1) % 12 + 1, 1)
        label = f"{year}-Q{(month - 1) // 3 + 1}" if by == "quarter" else f"{year}-{month:02d}"
        inner = Period(start, end)
        periods.append((label, lambda m, inner=inner: inner.contains(m) and period.contains(m)))
        year, month = end.year, end.month
    return periods


def stage_durations(session: Session, *, process_key: str = FUNNEL_KEY, period: Period = Period(),
                    now: datetime | None = None, owners: Owners = None, actor: Actor | None = None) -> dict:
    """Return per stage the average days spent by visits that left it, and the age of open ones."""
    history = _history(session, process_key, actor, owners)
    now = now or utcnow()
    closed, open_ = defaultdict(list), defaultdict(list)
    for visits in history.values():
        for visit in visits:
            if not period.contains(visit.entered_at):
                continue
            if visit.left_at is not None:
                closed[visit.stage].append((visit.left_at - visit.entered_at).total_seconds() / 86400)
            else:
                open_[visit.stage].append((now - visit.entered_at).total_seconds() / 86400)
    stages = [{"stage": stage, "visits": len(closed[stage]), "average_days": _mean(closed[stage]),
               "open": len(open_[stage]), "average_days_open": _mean(open_[stage])}
              for stage in _stage_order(session, process_key, history)]
    return {"process_key": process_key, **period.as_dict(), "stages": stages}


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


# --- from the opportunity and tender records ----------------------------------------------

def _open_deals(session: Session, actor: Actor | None) -> list[Opportunity]:
    query = (select(Opportunity).join(ProcessInstance)
             .where(Opportunity.outcome == "open", ProcessInstance.status != "terminated"))
    return list(session.scalars(only_visible(query, deal_filter(session, actor))))


def weighted_pipeline(session: Session, *, actor: Actor | None = None) -> dict:
    """Return the open deals per stage: count, amount, and amount × the stage's probability."""
    definition = definitions.find_latest(session, FUNNEL_KEY)
    info = funnel_info(definition) if definition is not None else None
    order = list(info.stages) if info else []
    rows: dict[str, Counter] = {stage: Counter() for stage in order}
    for deal in _open_deals(session, actor):
        row = rows.setdefault(deal.stage or "", Counter())
        row["deals"] += 1
        row["amount"] += deal.amount or 0
        row["weighted_amount"] += deal.weighted_amount
    stages = [{"stage": stage, "probability": info.probabilities.get(stage) if info else None,
               "deals": r["deals"], "amount": r["amount"], "weighted_amount": round(r["weighted_amount"], 2)}
              for stage, r in rows.items()]
    return {"stages": stages, "total": {
        "deals": sum(r["deals"] for r in rows.values()), "amount": sum(r["amount"] for r in rows.values()),
        "weighted_amount": round(sum(r["weighted_amount"] for r in rows.values()), 2)}}


def monthly_forecast(session: Session, *, months: int = 6, today: date | None = None,
                     actor: Actor | None = None) -> dict:
    """Forecast closing amounts per month from the weighted pipeline, by expected close date.

    Deals whose expected date has passed count in the current month (as overdue);
    deals beyond the horizon are `later`, deals without a date `unscheduled`.
    """
    today = today or utcnow().date()
    keys = [_add_months(today.replace(day=1), i) for i in range(months)]
    buckets = {key: Counter() for key in keys}
    later, unscheduled = Counter(), Counter()
    for deal in _open_deals(session, actor):
        expected = deal.expected_close_date
        if expected is None:
            bucket = unscheduled
        else:
            month = max(expected.replace(day=1), keys[0])
            bucket = buckets.get(month, later)
            bucket["overdue"] += expected < today
        bucket["deals"] += 1
        bucket["amount"] += deal.amount or 0
        bucket["weighted_amount"] += deal.weighted_amount
    rows = [{"month": f"{key:%Y-%m}", **_forecast_row(buckets[key])} for key in keys]
    return {"months": rows, "later": _forecast_row(later), "unscheduled": _forecast_row(unscheduled),
            "total_weighted_amount": round(sum(r["weighted_amount"] for r in rows), 2)}


def _forecast_row(bucket: Counter) -> dict:
    return {"deals": bucket["deals"], "amount": bucket["amount"],
            "weighted_amount": round(bucket["weighted_amount"], 2), "overdue": bucket["overdue"]}


def _add_months(first: date, count: int) -> date:
    index = first.month - 1 + count
    return date(first.year + index // 12, index % 12 + 1, 1)


def wins_and_losses(session: Session, *, period: Period = Period(), owners: Owners = None,
                    actor: Actor | None = None) -> dict:
    """Return the deals closed in the period, won and lost, by reason (and lost by stage), and WIN_RATE."""
    query = only_visible(_owned(select(Opportunity).where(Opportunity.outcome.in_(("won", "lost"))),
                                Opportunity, owners), deal_filter(session, actor))
    closed = [deal for deal in session.scalars(query) if period.contains(deal.closed_at)]
    won = [d for d in closed if d.outcome == "won"]
    lost = [d for d in closed if d.outcome == "lost"]
    lost_by_stage = Counter(d.stage for d in lost)
    return {**period.as_dict(), "win_rate": win_rate(len(won), len(lost)),
            "won": {**_sum(won), "by_reason": _by_reason(won, "win_reason", WIN_REASONS)},
            "lost": {**_sum(lost), "by_reason": _by_reason(lost, "lost_reason", LOST_REASONS),
                     "by_stage": [{"stage": s, "deals": n} for s, n in lost_by_stage.items()]}}


def _sum(deals: list[Opportunity]) -> dict:
    return {"deals": len(deals), "amount": sum(d.amount or 0 for d in deals)}


def _by_reason(deals, attribute: str, labels: dict) -> list[dict]:
    groups = defaultdict(list)
    for deal in deals:
        groups[getattr(deal, attribute) or "unspecified"].append(deal)
    reasons = [*labels, *(r for r in groups if r not in labels)]
    return [{"reason": r, "label": labels.get(r, r), **_sum(groups.get(r, []))} for r in reasons]


def tender_win_rate(session: Session, *, period: Period = Period(), owners: Owners = None,
                    actor: Actor | None = None) -> dict:
    """Return tenders closed in the period by outcome, the win rate of bids (WIN_RATE), and who beat us."""
    query = _owned(select(Tender).join(ProcessInstance).where(ProcessInstance.status != "terminated"),
                   Tender, owners)
    tenders = list(session.scalars(only_visible(query, tender_filter(session, actor))))
    closed = [t for t in tenders if t.outcome != "open" and period.contains(t.closed_at)]
    counts = Counter(t.outcome for t in closed)
    bids = counts["won"] + counts["lost"]
    lost_to = defaultdict(list)
    for tender in closed:
        if tender.outcome == "lost":
            lost_to[tender.winner or "unknown"].append(tender)
    return {**period.as_dict(), "closed": len(closed), "open": sum(t.outcome == "open" for t in tenders),
            "won": counts["won"], "lost": counts["lost"], "no_bid": counts["no_bid"],
            "missed": counts["missed"], "bids": bids, "win_rate": win_rate(counts["won"], counts["lost"]),
            "awarded_amount": sum(t.awarded_amount or 0 for t in closed if t.outcome == "won"),
            "lost_to": [{"winner": winner, "tenders": len(ts),
                         "average_winning_price": _mean_int([t.winning_price for t in ts]),
                         "average_our_price": _mean_int([t.bid_price for t in ts])}
                        for winner, ts in sorted(lost_to.items())]}


def _mean_int(values) -> int | None:
    known = [v for v in values if v is not None]
    return round(sum(known) / len(known)) if known else None
