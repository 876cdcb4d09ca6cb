"""The bundled tender process, driven through the REST API: bid or not, bid work, evaluation, award."""
from __future__ import annotations

from tests.processes.funnel import (BID_WORK, LOW_SCORES, TO_AWARD, complete, drive_tender, gate_messages,
                                    open_tasks, open_tender, report_signed_by_both, show)



def test_a_won_tender_leads_into_the_sales_funnel_at_contract_signing(team, session_factory):
    tender = open_tender(team, title="ERP for the grid")
    drive_tender(team, tender["instance_id"], [*TO_AWARD, "award"])
    won = team["sales"].get(f"/api/tenders/{tender['id']}").get_json()
    assert (won["outcome"], won["stage"], won["status"], won["bid_score"], won["awarded_amount"]) == (
        "won", "定标", "completed", 69, 1850000)
    assert (won["submission_deadline"], won["opening_date"], won["company"]) == ("2027-01-10", "2027-01-12",
                                                                               "国家电网")
    [deal] = team["sales"].get("/api/opportunities").get_json()
    assert (deal["tender_id"], deal["stage"], deal["amount"], deal["company"], deal["owner"]) == (
        tender["id"], "合同签署", 1850000, "国家电网", "sales-user")
    assert list(open_tasks(team["admin"], deal["instance_id"])) == ["sign_contract"]
    history = show(team["admin"], deal["instance_id"])["history"]
    assert [h["detail"]["stage"] for h in history if h["action"] == "stage.entered"] == ["合同签署"]
    from crm import models, tracking
    with session_factory() as session:  # a second save of the won tender starts nothing more
        assert tracking.open_deal_for_won_tender(session, session.get(models.Tender, tender["id"])) is None
    report_signed_by_both(team, deal["instance_id"])
    complete(team, deal["instance_id"], "sign_contract", {})
    assert team["sales"].get(f"/api/opportunities/{deal['id']}").get_json()["outcome"] == "won"


def test_a_lost_tender_records_the_winner_and_the_winning_price(team):
    tender = open_tender(team)
    drive_tender(team, tender["instance_id"], TO_AWARD)
    body = complete(team, tender["instance_id"], "award", {"won": False}, expect=422)
    assert gate_messages(body) == {"未中标时需记录中标单位 The winner is recorded when we lost",
                                   "未中标时需记录中标价格 The winning price is recorded when we lost"}
    complete(team, tender["instance_id"], "award", {"won": False, "winner": "用友", "winning_price": 1700000})
    lost = team["sales"].get(f"/api/tenders/{tender['id']}").get_json()
    assert (lost["outcome"], lost["winner"], lost["winning_price"], lost["bid_price"]) == (
        "lost", "用友", 1700000, 1900000)
    assert team["sales"].get("/api/opportunities").get_json() == []
    report = team["sales"].get("/api/reports/tender-win-rate").get_json()
    assert report["lost_to"] == [{"winner": "用友", "tenders": 1, "average_winning_price": 1700000,
                                  "average_our_price": 1900000}]


def test_winning_needs_the_awarded_amount(team):
    tender = open_tender(team)
    drive_tender(team, tender["instance_id"], TO_AWARD)
    body = complete(team, tender["instance_id"], "award", {"won": True}, expect=422)
    assert gate_messages(body) == {"中标时需填写中标金额 The awarded amount is given when we won"}


def test_below_the_threshold_a_director_must_approve_bidding_and_say_why(team):
    tender = open_tender(team)
    drive_tender(team, tender["instance_id"], ["announce", "score_bid"], score_bid=LOW_SCORES)
    task = open_tasks(team["admin"], tender["instance_id"])["director_approval"]
    assert (task["groups"], task["stage"]) == (["directors"], "招标")
    complete(team, tender["instance_id"], "director_approval", {"approve_bid": True}, as_role="manager",
             expect=403)
    body = complete(team, tender["instance_id"], "director_approval", {"approve_bid": True}, expect=422)
    assert [e["field"] for e in body["errors"]] == ["director_reason"]
    complete(team, tender["instance_id"], "director_approval",
             {"approve_bid": True, "director_reason": "Strategic account: entry into the grid"})
    assert set(open_tasks(team["admin"], tender["instance_id"])) == set(BID_WORK)
    shown = team["sales"].get(f"/api/tenders/{tender['id']}").get_json()
    assert (shown["bid_score"], shown["decision_reason"], shown["stage"]) == (
        46, "Strategic account: entry into the grid", "投标")
    logged = [h for h in show(team["admin"], tender["instance_id"])["history"]
              if h["action"] == "task.completed" and h["element_id"] == "director_approval"]
    assert logged[0]["detail"]["data"]["director_reason"] == "Strategic account: entry into the grid"


def test_a_director_may_decline_and_the_tender_ends_without_a_bid(team):
    tender = open_tender(team)
    drive_tender(team, tender["instance_id"], ["announce", "score_bid"], score_bid=LOW_SCORES)
    complete(team, tender["instance_id"], "director_approval",
             {"approve_bid": False, "director_reason": "Margin too thin"})
    shown = team["sales"].get(f"/api/tenders/{tender['id']}").get_json()
    assert (shown["outcome"], shown["status"], shown["stage"], shown["decision_reason"]) == (
        "no_bid", "completed", "招标", "Margin too thin")


def test_a_score_at_the_threshold_bids_without_a_director(team):
    tender = open_tender(team)
    scores = {"fit": 3, "relationship": 3, "competition": 3, "margin": 3, "capability": 3}  # exactly 60
    drive_tender(team, tender["instance_id"], ["announce", "score_bid"], score_bid=scores)
    assert set(open_tasks(team["admin"], tender["instance_id"])) == set(BID_WORK)


def test_the_announcement_needs_a_buyer_and_a_submission_deadline(team):
    instance = team["sales"].post("/api/process-instances", json={"process_key": "tender"}).get_json()
    body = complete(team, instance["id"], "announce", {"budget": 5}, expect=422)
    assert gate_messages(body) == {"已填写招标单位 The buyer is named",
                                   "已填写投标截止日期 The submission deadline is set"}


def test_the_bid_work_runs_in_parallel_each_piece_with_its_people_and_gate(team):
    tender = open_tender(team)
    drive_tender(team, tender["instance_id"], ["announce", "score_bid"])
    tasks = open_tasks(team["admin"], tender["instance_id"])
    assert {name: t["groups"] for name, t in tasks.items()} == {
        "technical_proposal": ["delivery"], "commercial_proposal": ["sales"], "pricing": ["sales_managers"],
        "bid_bond": ["sales"]}
    body = complete(team, tender["instance_id"], "bid_bond", {"bond_amount": 40000, "bond_paid": False},
                    expect=422)
    assert gate_messages(body) == {"投标保证金已缴纳 The bid bond is paid"}
    drive_tender(team, tender["instance_id"], ["pricing", "bid_bond", "technical_proposal"])
    assert list(open_tasks(team["admin"], tender["instance_id"])) == ["commercial_proposal"]
    drive_tender(team, tender["instance_id"], ["commercial_proposal", "submit_bid"])
    assert list(open_tasks(team["admin"], tender["instance_id"])) == ["opening"]
    assert show(team["admin"], tender["instance_id"])["data"]["bid_price"] == 1900000


def test_clarification_answers_after_their_deadline_are_refused(team):
    tender = open_tender(team)
    drive_tender(team, tender["instance_id"], TO_AWARD[:-2])
    answer = open_tasks(team["admin"], tender["instance_id"])["answer_questions"]
    assert answer["due_at"].startswith("2027-01-15")
    body = complete(team, tender["instance_id"], "answer_questions", {"answers_sent_on": "2027-01-16"},
                    expect=422)
    assert gate_messages(body) == {"澄清须在截止日期前答复 The answers were sent by the clarification deadline"}


def test_without_clarification_questions_the_evaluation_result_comes_next(team):
    tender = open_tender(team)
    drive_tender(team, tender["instance_id"], TO_AWARD[:-3])
    body = complete(team, tender["instance_id"], "opening", {"has_questions": True}, expect=422)
    assert gate_messages(body) == {"有澄清问题时需填写截止日期 Give the deadline of the clarification questions"}
    complete(team, tender["instance_id"], "opening", {"has_questions": False, "bidders": 3})
    assert list(open_tasks(team["admin"], tender["instance_id"])) == ["evaluation_result"]
    assert show(team["admin"], tender["instance_id"])["stage"] == "评标"
