"""Time in the bundled processes: stale deals remind and escalate, a missed submission ends a tender."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.conftest import wait_for
from tests.processes.funnel import (BID_WORK, GOOD_DATA, complete, drive_tender, open_deal, open_tasks,
                                    open_tender)


def test_a_stale_deal_reminds_its_owner_then_escalates_to_a_sales_manager(live_team, start_scheduler):
    deal = open_deal(live_team, stale_after="PT0.3S", escalate_after="PT0.4S")
    start_scheduler()
    instance_id = deal["instance_id"]
    follow_up = wait_for(lambda: open_tasks(live_team["admin"], instance_id).get("lead_follow_up"))
    assert (follow_up["assignee"], follow_up["stage"]) == ("sales-user", "线索获取")
    escalation = wait_for(lambda: open_tasks(live_team["admin"], instance_id).get("lead_escalation"))
    assert escalation["groups"] == ["sales_managers"]
    assert "qualify_lead" in open_tasks(live_team["admin"], instance_id), "the reminder does not interrupt"
    complete(live_team, instance_id, "lead_follow_up", {"next_step": "Call the CFO"}, as_role="sales")
    complete(live_team, instance_id, "qualify_lead", GOOD_DATA["qualify_lead"])
    shown = live_team["admin"].get(f"/api/process-instances/{instance_id}").get_json()
    statuses = {t["name"]: t["status"] for t in shown["tasks"]}
    assert (statuses["lead_follow_up"], statuses["lead_escalation"], statuses["qualify_lead"]) == (
        "completed", "cancelled", "completed")
    assert shown["stage"] == "需求确认" and statuses["confirm_needs"] == "open"


def test_the_reminder_waits_fourteen_days_unless_the_deal_says_otherwise(live_team):
    before = datetime.now(timezone.utc)
    deal = open_deal(live_team)
    [timer] = live_team["admin"].get(f"/api/process-instances/{deal['instance_id']}").get_json()["timers"]
    due = datetime.fromisoformat(timer["due_at"])
    assert timer["element_id"] == "lead_stale"
    assert before + timedelta(days=14) <= due < before + timedelta(days=14, minutes=5)


def test_missing_the_submission_deadline_ends_the_tender_as_missed(live_team, start_scheduler):
    due = datetime.now(timezone.utc) + timedelta(seconds=1.5)
    tender = open_tender(live_team, submission_due=due.isoformat())
    drive_tender(live_team, tender["instance_id"], ["announce", "score_bid"])
    assert set(open_tasks(live_team["admin"], tender["instance_id"])) <= set(BID_WORK)
    start_scheduler()
    missed = wait_for(lambda: (t := live_team["sales"].get(f"/api/tenders/{tender['id']}").get_json())
                      ["outcome"] == "missed" and t)
    assert (missed["status"], missed["stage"]) == ("completed", "投标")
    shown = live_team["admin"].get(f"/api/process-instances/{tender['instance_id']}").get_json()
    assert {t["name"]: t["status"] for t in shown["tasks"] if t["name"] in BID_WORK} == dict.fromkeys(
        BID_WORK, "cancelled")
