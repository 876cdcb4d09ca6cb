"""The reports, from deals and tenders worked through the REST API and a stage history with known dates."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from engine.models import StageVisit
from tests.processes.funnel import (GOOD_DATA, LOST, LOW_SCORES, STAGES, TENDER_DATA, complete,
                                    TO_AWARD, drive_funnel, drive_tender, open_deal, open_tender)


def lose(team, deal, task, reason):
    drive_funnel(team, deal["instance_id"], until=task)
    complete(team, deal["instance_id"], task, {**LOST, "lost_reason": reason})


def five_deals(team) -> dict:
    """A won; B lost at 需求确认; C lost at 商务谈判; D open at 方案制定, overdue; E open at 商务谈判;
    and F, a second lead of D's company with neither amount nor date."""
    yesterday = date.today() - timedelta(days=1)
    deals = {key: open_deal(team, f"客户{key}", amount=100000) for key in "ABCE"}
    deals["D"] = open_deal(team, "客户D", amount=100000, expected_close_date=yesterday.isoformat())
    drive_funnel(team, deals["A"]["instance_id"])
    lose(team, deals["B"], "confirm_needs", "no_budget")
    lose(team, deals["C"], "negotiate", "price")
    drive_funnel(team, deals["D"]["instance_id"], until="design_solution")
    drive_funnel(team, deals["E"]["instance_id"], until="negotiate")
    second_lead = {"company_id": deals["D"]["company_id"]}
    deals["F"] = team["sales"].post("/api/opportunities", json=second_lead).get_json()
    return deals


def by_stage(report) -> dict:
    return {row["stage"]: (row["entered"], row["moved_on"], row["lost"], row["open"])
            for row in report["stages"]}


def test_stage_conversion_counts_entered_moved_on_and_lost_per_stage_and_overall(team):
    five_deals(team)
    report = team["sales"].get("/api/reports/conversion").get_json()
    assert by_stage(report) == {"线索获取": (6, 5, 0, 1), "需求确认": (5, 4, 1, 0), "方案制定": (4, 3, 0, 1),
                                "商务谈判": (3, 1, 1, 1), "合同签署": (1, 1, 0, 0), "交付实施": (1, 1, 0, 0),
                                "售后服务": (1, 1, 0, 0)}
    rates = {row["stage"]: (row["conversion_rate"], row["loss_rate"]) for row in report["stages"]}
    assert rates["需求确认"] == (0.8, 0.2) and rates["商务谈判"] == (0.333, 0.333)
    assert report["overall"] == {"entered": 6, "won": 1, "lost": 2, "open": 3, "conversion_rate": 0.167,
                                 "loss_rate": 0.333, "closed_won": 1, "closed_lost": 2, "win_rate": 0.333}
    assert report["overall"]["win_rate"] == team["sales"].get("/api/reports/win-loss").get_json()["win_rate"]
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    later = team["sales"].get(f"/api/reports/conversion?from={tomorrow}").get_json()
    assert later["overall"]["entered"] == 0 and later["from"] == tomorrow


def test_the_weighted_pipeline_and_the_monthly_forecast(team):
    deals = five_deals(team)
    in_two_months = (date.today().replace(day=1) + timedelta(days=62)).replace(day=10)
    complete(team, deals["E"]["instance_id"], "negotiate",
             {**GOOD_DATA["negotiate"], "expected_close_date": in_two_months.isoformat()})
    pipeline = team["sales"].get("/api/reports/pipeline").get_json()
    rows = {row["stage"]: (row["deals"], row["amount"], row["weighted_amount"]) for row in pipeline["stages"]}
    assert rows == {"线索获取": (1, 0, 0.0), "需求确认": (0, 0, 0.0), "方案制定": (1, 100000, 40000.0),
                    "商务谈判": (0, 0, 0.0), "合同签署": (1, 456000, 364800.0), "交付实施": (0, 0, 0.0),
                    "售后服务": (0, 0, 0.0)}
    assert pipeline["total"] == {"deals": 3, "amount": 556000, "weighted_amount": 404800.0}
    forecast = team["sales"].get("/api/reports/forecast?months=3").get_json()
    months = [(row["month"], row["deals"], row["weighted_amount"], row["overdue"])
              for row in forecast["months"]]
    this_month = date.today().replace(day=1)
    next_month = (this_month + timedelta(days=32)).replace(day=1)
    assert months == [(f"{this_month:%Y-%m}", 1, 40000.0, 1), (f"{next_month:%Y-%m}", 0, 0.0, 0),
                      (f"{in_two_months:%Y-%m}", 1, 364800.0, 0)]
    assert forecast["unscheduled"]["deals"] == 1 and forecast["later"]["deals"] == 0
    assert forecast["total_weighted_amount"] == 404800.0


def test_wins_and_losses_by_reason(team):
    five_deals(team)
    report = team["sales"].get("/api/reports/win-loss").get_json()
    assert (report["won"]["deals"], report["won"]["amount"], report["lost"]["deals"]) == (1, 456000, 2)
    assert report["win_rate"] == 0.333
    lost = {row["reason"]: (row["deals"], row["amount"]) for row in report["lost"]["by_reason"]}
    assert lost == {"price": (1, 480000), "competitor": (0, 0), "no_budget": (1, 100000),
                    "no_decision": (0, 0), "timing": (0, 0)}
    assert {row["stage"]: row["deals"] for row in report["lost"]["by_stage"]} == {"需求确认": 1, "商务谈判": 1}
    won = {row["reason"]: row["deals"] for row in report["won"]["by_reason"]}
    assert won["solution"] == 1 and sum(won.values()) == 1


def test_average_days_per_stage_and_conversion_per_month_from_the_stage_history(team, session_factory):
    deal = open_deal(team)
    drive_funnel(team, deal["instance_id"], until="after_sales")
    start = datetime(2026, 1, 20, tzinfo=timezone.utc)
    days = [2, 4, 6, 8, 10, 12]  # 线索获取 ... 交付实施; 售后服务 stays open
    with session_factory() as session:
        visits = session.scalars(select(StageVisit).where(StageVisit.instance_id == deal["instance_id"])
                                 .order_by(StageVisit.id)).all()
        moment = start
        for visit, length in zip(visits, [*days, None]):
            visit.entered_at = moment
            visit.left_at = moment + timedelta(days=length) if length else None
            moment = visit.left_at or moment
        session.commit()
    report = team["sales"].get("/api/reports/stage-durations").get_json()
    rows = {row["stage"]: (row["visits"], row["average_days"], row["open"]) for row in report["stages"]}
    assert [rows[stage][:2] for stage in STAGES[:6]] == [(1, float(d)) for d in days]
    assert rows["售后服务"][:1] == (0,) and rows["售后服务"][2] == 1
    monthly = team["sales"].get("/api/reports/conversion?from=2026-01-01&to=2026-04-01&by=month").get_json()
    periods = {p["period"]: {s["stage"]: s["entered"] for s in p["stages"] if s["entered"]}
               for p in monthly["periods"]}
    # Entered 01-20, 01-22, 01-26 (Jan); 02-03, 02-13 (Feb); 02-25 and 03-09.
    assert periods == {"2026-01": {"线索获取": 1, "需求确认": 1, "方案制定": 1},
                       "2026-02": {"商务谈判": 1, "合同签署": 1, "交付实施": 1},
                       "2026-03": {"售后服务": 1}}
    quarters = team["sales"].get("/api/reports/conversion?from=2026-01-01&by=quarter").get_json()["periods"]
    assert [(q["period"], q["overall"]["entered"]) for q in quarters] == [("2026-Q1", 1)]


def test_tender_win_rate_counts_bids_won_and_lost(team):
    won, lost, declined = (open_tender(team, title=title) for title in ("A", "B", "C"))
    drive_tender(team, won["instance_id"], [*TO_AWARD, "award"])
    drive_tender(team, lost["instance_id"], TO_AWARD)
    complete(team, lost["instance_id"], "award", {"won": False, "winner": "用友", "winning_price": 1700000})
    drive_tender(team, declined["instance_id"], ["announce", "score_bid"], score_bid=LOW_SCORES)
    complete(team, declined["instance_id"], "director_approval",
             {"approve_bid": False, "director_reason": "Not our field"})
    report = team["sales"].get("/api/reports/tender-win-rate").get_json()
    counts = [report[key] for key in ("closed", "bids", "won", "lost", "no_bid", "win_rate", "awarded_amount")]
    assert counts == [3, 2, 1, 1, 1, 0.5, TENDER_DATA["award"]["awarded_amount"]]
    conversion = team["sales"].get("/api/reports/conversion?process_key=tender").get_json()
    assert by_stage(conversion)["招标"] == (3, 2, 1, 0)
    assert conversion["overall"]["won"] == 1 and conversion["overall"]["lost"] == 2
