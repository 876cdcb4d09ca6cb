"""Generate processes/sales_funnel.bpmn and processes/tender.bpmn.

Run `.venv/bin/python -m processes.tools.build_processes` after changing a
model here; commit the .bpmn files it writes. The files are ordinary Camunda
Modeler files: a designer may as well edit them in the modeler and stop using
this script.

Conventions the engine and the crm package read (see README, "The sales funnel
and tenders"): `stage` on each stage box, `gate: <criterion>` on the task that
ends a stage, `outcome` (continue/lost) as the decision that lets a deal leave by
its lost exit whatever the gates say, and the process properties `stages`,
`probabilities`, `won_stage`, `protected_variables` and `protected_after_start`
(engine.bpmn_variables: names no caller may set from outside, and names only
start data may carry).
"""
from __future__ import annotations

from pathlib import Path

from processes.tools.bpmn_writer import Field, Process

PROCESSES = Path(__file__).resolve().parents[1]
LOST = "${outcome == 'lost'}"

# --- the sales funnel ---------------------------------------------------------------------

FUNNEL_STAGES = ["线索获取", "需求确认", "方案制定", "商务谈判", "合同签署", "交付实施", "售后服务"]
# Facts and decisions the funnel's own tasks, scripts and the contract archive set: a
# caller who could set them would skip a gate (contract_signed_by_both, entry_stage), an
# approval (discount_approved) or the terms negotiated (a 50 % discount after 5 % was agreed).
FUNNEL_PROTECTED = ("contract_signed_by_both, contract_id, *_approved, approval_note, outcome, stage, "
                    "entry_stage, agreed_amount, discount_percent, payment_terms, customer_accepted, "
                    "tender_id")
# Who owns the deal and its first estimate come with the start; afterwards a manager's
# reassignment and the solution task's quote change them, not an integration.
FUNNEL_AFTER_START = "owner, amount"
PROBABILITIES = "线索获取:0.1,需求确认:0.2,方案制定:0.4,商务谈判:0.6,合同签署:0.8,交付实施:1.0,售后服务:1.0"

DEFAULTS = """
# What a caller may pass when starting a deal, and its default.
try:
    stale_after
except NameError:
    stale_after = 'P14D'
try:
    escalate_after
except NameError:
    escalate_after = 'P7D'
try:
    entry_stage
except NameError:
    entry_stage = '线索获取'
try:
    owner
except NameError:
    owner = None
outcome = 'continue'
"""

OUTCOME_FIELDS = [
    Field("outcome", "结果 Outcome", "enum", values=[("continue", "继续推进 Move on"), ("lost", "丢单 Lost")],
          default="continue"),
    Field("lost_reason", "丢单原因 Reason lost", "enum", values=[
        ("price", "价格 Price"), ("competitor", "输给竞争对手 Competitor"),
        ("no_budget", "没有预算 No budget"), ("no_decision", "没有决策 No decision"),
        ("timing", "时机不对 Timing")]),
    Field("lost_note", "丢单说明 Note on the loss"),
]
OUTCOME_GATES = [
    ("丢单需选择原因 Pick the reason the deal was lost", "${outcome != 'lost' or not empty lost_reason}"),
    ("丢单需填写说明 Add a note on why the deal was lost", "${outcome != 'lost' or not empty lost_note}"),
]


def _unless_lost(condition: str) -> str:
    return f"${{outcome == 'lost' or {condition}}}"


# key, stage, task id, task name, groups, fields, gates (criterion, condition unless lost)
FUNNEL_WORK = [
    ("lead", "线索获取", "qualify_lead", "确认线索 Qualify the lead", "sales", [
        Field("company", "客户公司 Company"), Field("contact", "联系人 Contact person"),
        Field("deal_name", "商机名称 Deal name"),
        Field("source", "线索来源 Lead source", "enum", values=[
            ("web", "网站 Web form"), ("event", "活动 Event"), ("referral", "转介绍 Referral"),
            ("cold", "陌拜 Outbound"), ("tender", "招标 Tender")]),
    ], [("已填写客户公司 The customer company is named", "not empty company"),
        ("已填写联系人 A contact person is named", "not empty contact")]),
    ("needs", "需求确认", "confirm_needs", "确认需求（BANT） Confirm needs (BANT)", "sales", [
        Field("budget", "预算 Budget (CNY)", "long", min=0),
        Field("decision_maker", "决策人 Decision maker"), Field("need", "需求 Need"),
        Field("timeline", "决策时间 Timeline", "date"),
    ], [("预算已确认 The budget is confirmed", "budget > 0"),
        ("已找到决策人 The decision maker is known", "not empty decision_maker"),
        ("需求已明确 The need is understood", "not empty need"),
        ("时间表已确定 The timeline is set", "not empty timeline")]),
    ("solution", "方案制定", "design_solution", "制定方案并报价 Design the solution and quote", "sales", [
        Field("solution_summary", "方案摘要 Solution summary"),
        Field("amount", "报价 Quoted amount (CNY)", "long", min=0),
    ], [("方案摘要已填写 The solution is summarised", "not empty solution_summary"),
        ("已报价 A quoted amount is given", "amount > 0")]),
    ("negotiation", "商务谈判", "negotiate", "商务条款谈判 Negotiate terms", "sales", [
        Field("discount_percent", "折扣 Discount (%)", "long", min=0, max=100),
        Field("agreed_amount", "成交金额 Agreed amount (CNY)", "long", min=0),
        Field("payment_terms", "付款条件 Payment terms"),
        Field("expected_close_date", "预计签约日期 Expected signing date", "date"),
    ], [("已商定成交金额 The agreed amount is set", "agreed_amount > 0"),
        ("已填写折扣（无折扣填 0） The discount is stated (0 for none)", "discount_percent >= 0"),
        ("已约定付款条件 Payment terms are agreed", "not empty payment_terms")]),
    # Legal drafts and seals the contract from the deal in the archive, the customer signs
    # there; the archive sets contract_signed_by_both once both signatures verify.
    ("contract", "合同签署", "sign_contract", "完成双方合同签署 Get the contract signed by both parties", "legal", [
        Field("signed_on", "签署日期 Signed on", "date"),
        Field("win_reason", "赢单原因 Why we won", "enum", values=[
            ("price", "价格 Price"), ("solution", "方案 Solution fit"),
            ("relationship", "关系 Relationship"), ("references", "案例 References"),
            ("service", "服务 Service")]),
    ], [("合同已由双方签署 The contract is signed by both parties", "contract_signed_by_both")]),
    ("delivery", "交付实施", "deliver", "交付并取得验收 Deliver and get acceptance", "delivery", [
        Field("customer_accepted", "客户已验收 Customer accepted", "boolean"),
        Field("accepted_on", "验收日期 Accepted on", "date"),
        Field("delivery_note", "交付说明 Delivery note"),
    ], [("客户已验收 The customer has accepted the delivery", "customer_accepted")]),
    ("service", "售后服务", "after_sales", "售后回访 After-sales review", "service", [
        Field("satisfaction", "满意度 Satisfaction (1-5)", "long", min=1, max=5),
        Field("renewal_expected", "预计续约 Renewal expected", "boolean"),
        Field("service_note", "服务说明 Service note"),
    ], [("已记录客户满意度 Customer satisfaction is recorded", "satisfaction >= 1")]),
]

TOP, BOX_W, BOX_H = 100, 560, 370
ROW = TOP + 80  # the centre line of the top level and of each box's main task


def sales_funnel() -> Process:
    """Return the sales funnel: seven stage boxes, a lost exit after each, discount approval."""
    p = Process("sales_funnel", "销售漏斗 Sales funnel", [
        ("stages", ",".join(FUNNEL_STAGES)), ("probabilities", PROBABILITIES), ("won_stage", "交付实施"),
        ("protected_variables", FUNNEL_PROTECTED), ("protected_after_start", FUNNEL_AFTER_START),
    ], "A B2B deal from lead to after-sales service. Start data (all optional): company, "
       "company_id, deal_name, owner (user name), amount, stale_after and escalate_after (ISO "
       "durations, default P14D and P7D). entry_stage (合同签署 for a won tender) only the system "
       "sets.")
    start = p.start("start", "Deal opened", 40, ROW - 18)
    defaults = p.script("apply_defaults", "Apply defaults", 120, ROW - 40, DEFAULTS)
    entry = p.gateway("entry", "Where does the deal start?", 300, ROW - 25)
    p.flow("f_start", start, defaults)
    p.flow("f_defaults", defaults, entry)
    x, boxes, outcomes = 420, [], []
    for key, stage, *work in FUNNEL_WORK:
        boxes.append(_stage_box(p, key, stage, x, *work))
        outcomes.append(_lost_exit(p, boxes[-1], key, stage, above=key == "negotiation"))
        x += BOX_W + (400 if key == "negotiation" else 150)
    contract = boxes[FUNNEL_STAGES.index("合同签署")]
    p.flow("f_entry_contract", entry, contract, condition="${entry_stage == '合同签署'}",
           name="won tender", out="bottom", into="bottom",
           via=[(325, 700), (contract.x + BOX_W / 2, 700)])
    p.flow("f_entry_lead", entry, boxes[0], default=True, end_at=(boxes[0].x, ROW))
    for i, box in enumerate(boxes[1:], start=1):
        if box is contract:
            _discount_approval(p, outcomes[i - 1], boxes[i - 1], contract)
        p.flow(f"f_to_{box.id}", outcomes[i - 1], box, default=True, end_at=(box.x, ROW))
    won = p.end("won", "Deal completed", outcomes[-1].x + 110, ROW - 18)
    p.flow("f_won", outcomes[-1], won, default=True)
    return p


def _lost_exit(p: Process, box, key, stage, above: bool):
    """Add the gateway after a stage box that lets a lost deal end there; return it."""
    outcome = p.gateway(f"{key}_outcome", "Lost?", box.x + BOX_W + 50, ROW - 25)
    lost = p.end(f"{key}_lost", f"Lost at {stage}", outcome.x + 7, 30 if above else 560)
    p.flow(f"f_{key}_done", box, outcome, start_at=(box.x + BOX_W, ROW))
    p.flow(f"f_{key}_lost", outcome, lost, condition=LOST, name="lost",
           out="top" if above else "bottom", into="bottom" if above else "top")
    return outcome


def _stage_box(p: Process, key, stage, x, task_id, task_name, groups, fields, gates):
    """Add a stage box: its work, a reminder when it goes stale and an escalation after that."""
    box = p.subprocess(f"{key}_stage", stage, x, TOP, BOX_W, BOX_H, stage)
    inside = box.id
    start = p.start(f"{key}_start", None, x + 30, ROW - 18, parent=inside)
    # The salespeople's own stages go to the deal's owner, not to every salesperson: a deal is
    # in sight of whoever may work on it, and a lead belongs to the one who brought it in.
    owned = "${owner}" if groups == "sales" else None
    task = p.user_task(task_id, task_name, x + 120, ROW - 40, groups=groups, assignee=owned, parent=inside,
                       fields=[*fields, *OUTCOME_FIELDS],
                       gates=[(c, _unless_lost(v)) for c, v in gates] + OUTCOME_GATES)
    done = p.end(f"{key}_done", "Stage left", x + 480, ROW - 18, parent=inside, terminate=True)
    p.flow(f"f_{key}_start", start, task)
    p.flow(f"f_{key}_work", task, done)
    stale = p.boundary_timer(f"{key}_stale", "Stale", task, "${stale_after}", interrupting=False)
    remind = p.gateway(f"{key}_remind", None, x + 155, ROW + 110, kind="parallel", parent=inside)
    follow_up = p.user_task(f"{key}_follow_up", "跟进：商机停滞未推进 Follow up: the deal has not moved", x + 260, ROW + 95,
                            groups="sales", assignee="${owner}", parent=inside,
                            fields=[Field("next_step", "下一步 Next step", required=True),
                                    Field("next_contact", "下次联系 Next contact", "date")])
    followed = p.end(f"{key}_followed", "Followed up", x + 440, ROW + 117, parent=inside)
    still = p.timer_catch(f"{key}_still_stuck", "Still stuck", x + 162, ROW + 205, "${escalate_after}",
                          parent=inside)
    review = p.user_task(f"{key}_escalation", "停滞商机：与负责人复盘 Stalled deal: review it with the owner", x + 260, ROW + 183,
                         groups="sales_managers", parent=inside,
                         fields=[Field("manager_note", "经理意见 Manager's note", required=True)])
    reviewed = p.end(f"{key}_reviewed", "Reviewed", x + 440, ROW + 205, parent=inside)
    p.flow(f"f_{key}_stale", stale, remind, out="bottom", into="top")
    p.flow(f"f_{key}_follow_up", remind, follow_up)
    p.flow(f"f_{key}_followed", follow_up, followed)
    p.flow(f"f_{key}_wait", remind, still, out="bottom", into="top")
    p.flow(f"f_{key}_escalate", still, review)
    p.flow(f"f_{key}_reviewed", review, reviewed)
    return box


def _discount_approval(p: Process, outcome, negotiation, contract) -> None:
    """Add the sales manager's approval of a discount over 10 % between negotiation and contract."""
    approval = p.user_task("approve_discount", "审批折扣 Approve the discount", outcome.x - 35, 245,
                           groups="sales_managers", stage="商务谈判",
                           fields=[Field("discount_approved", "批准折扣 Discount approved", "boolean",
                                         required=True),
                                   Field("approval_note", "审批意见 Note")],
                           gates=[("拒绝折扣时需说明理由 Say why when refusing the discount",
                                   "${discount_approved or not empty approval_note}")],
                           doc="A discount over 10 % needs a sales manager's approval before the contract.")
    decision = p.gateway("discount_decision", "Approved?", outcome.x + 150, 260)
    p.flow("f_discount", outcome, approval, condition="${outcome != 'lost' and discount_percent > 10}",
           name="discount over 10 %", out="bottom", into="top")
    p.flow("f_approval", approval, decision)
    p.flow("f_discount_approved", decision, contract, condition="${discount_approved}", name="approved",
           end_at=(contract.x, decision.centre[1]))
    p.flow("f_renegotiate", decision, negotiation, name="refused: negotiate again", default=True,
           out="bottom", into="bottom", via=[(decision.x + 25, 520), (negotiation.x + BOX_W / 2, 520)])


# --- the tender -----------------------------------------------------------------------------

PLAN_DEADLINE = """
# The bid must be in by 17:00 Beijing time on the submission date, unless the
# exact moment was given as submission_due (ISO 8601, e.g. 2026-12-01T10:00:00+08:00).
try:
    submission_due
except NameError:
    submission_due = submission_deadline + 'T17:00:00+08:00'
"""

WEIGH_SCORE = """
# Weights (they add up to 100): fit 30, relationship 20, competition 15, margin 20,
# capability 15. Each criterion is scored 1 to 5, so bid_score runs from 20 to 100.
bid_score = round((fit * 30 + relationship * 20 + competition * 15 + margin * 20
                   + capability * 15) / 5)
"""

SCORE_FIELDS = [Field(name, label, "long", required=True, min=1, max=5) for name, label in (
    ("fit", "匹配度 Fit with our offer (1-5)"), ("relationship", "客户关系 Relationship (1-5)"),
    ("competition", "竞争态势 Competition, 5 = weak (1-5)"), ("margin", "利润 Margin (1-5)"),
    ("capability", "交付能力 Capability to deliver (1-5)"))]

# The bid/no-bid decision (its score and the director's approval), the price managers set,
# and the award: what the tender's record and the won deal's agreed amount are taken from.
TENDER_PROTECTED = ("approve_bid, director_reason, bid_score, bid_price, won, awarded_amount, outcome, "
                    "*_approved")
ROW_T = 280


def tender() -> Process:
    """Return the tender: announcement, bid/no-bid, parallel bid work, evaluation, award."""
    p = Process("tender", "招投标 Tender", [("stages", "招标,投标,评标,定标"),
                                     ("protected_variables", TENDER_PROTECTED),
                                     ("protected_after_start", "owner")],
                "A public tender from announcement to award. Start data (all optional): buyer, "
                "company_id, owner, submission_due (the exact submission moment, ISO 8601).")
    start = p.start("start", "Tender announced", 40, ROW_T - 18)
    announce = p.user_task("announce", "录入招标公告 Capture the tender announcement", 120, ROW_T - 40, groups="sales",
                           stage="招标", fields=[
                               Field("buyer", "招标单位 Buyer"),
                               Field("title", "项目名称 Tender title"),
                               Field("budget", "预算 Budget (CNY)", "long", min=0),
                               Field("registration_deadline", "报名截止 Registration deadline", "date"),
                               Field("questions_deadline", "答疑截止 Questions deadline", "date"),
                               Field("submission_deadline", "投标截止 Submission deadline", "date"),
                               Field("opening_date", "开标日期 Opening date", "date")],
                           gates=[("已填写招标单位 The buyer is named", "${not empty buyer}"),
                                  ("已填写投标截止日期 The submission deadline is set",
                                   "${not empty submission_deadline}")])
    plan = p.script("plan_deadline", "Plan the submission deadline", 290, ROW_T - 40, PLAN_DEADLINE)
    score = p.user_task("score_bid", "投标决策评分 Score the bid/no-bid decision", 460, ROW_T - 40, groups="sales_managers",
                        stage="招标", fields=SCORE_FIELDS,
                        doc="Score each criterion 1 (poor) to 5 (excellent). Weights: fit 30 %, "
                            "relationship 20 %, competition 15 %, margin 20 %, capability 15 %; "
                            "a weighted score under 60 needs a director's approval to bid.")
    weigh = p.script("weigh_score", "Weigh the score", 630, ROW_T - 40, WEIGH_SCORE)
    bid = p.gateway("bid_decision", "Score at least 60?", 800, ROW_T - 25)
    for i, (a, b) in enumerate([(start, announce), (announce, plan), (plan, score), (score, weigh),
                                (weigh, bid)]):
        p.flow(f"f_{i}", a, b)
    director = p.user_task("director_approval", "低于门槛时决定是否投标 Decide on bidding below the threshold", 765, ROW_T + 80,
                           groups="directors", stage="招标", fields=[
                               Field("approve_bid", "批准投标 Bid anyway", "boolean", required=True),
                               Field("director_reason", "理由 Reason", required=True)])
    go = p.gateway("director_decision", "Bid?", 935, ROW_T + 95)
    no_bid = p.script("record_no_bid", "Record: no bid", 900, ROW_T + 200, "outcome = 'no_bid'")
    no_bid_end = p.end("no_bid", "No bid", 942, ROW_T + 330)
    bidding = _bidding(p, 1060, 60)
    p.flow("f_bid", bid, bidding, condition="${bid_score >= 60}", name="score ≥ 60")
    p.flow("f_director", bid, director, default=True, name="under 60", out="bottom", into="top")
    p.flow("f_director_decision", director, go)
    p.flow("f_bid_anyway", go, bidding, condition="${approve_bid}", name="bid anyway", end_at=(1060, 400))
    p.flow("f_no_bid", go, no_bid, default=True, name="no bid", out="bottom", into="top")
    p.flow("f_no_bid_end", no_bid, no_bid_end, out="bottom", into="top")
    deadline = p.boundary_timer("submission_deadline_passed", "Submission deadline", bidding,
                                "${submission_due}", interrupting=True, timer="timeDate", at=0.5)
    missed = p.script("record_missed", "Record: deadline missed", deadline.x - 42, ROW_T + 280,
                      "outcome = 'missed'")
    missed_end = p.end("missed", "Deadline missed", deadline.x, ROW_T + 410)
    p.flow("f_deadline", deadline, missed, out="bottom", into="top")
    p.flow("f_missed", missed, missed_end, out="bottom", into="top")
    _evaluation_and_award(p, bidding)
    return p


def _bidding(p: Process, x, y):
    """Add the 投标 box: four pieces of work in parallel, then the submission."""
    box = p.subprocess("bidding", "投标 Prepare and submit the bid", x, y, 680, 440, "投标")
    centre = y + 220
    start = p.start("bidding_start", None, x + 30, centre - 18, parent="bidding")
    split = p.gateway("bid_split", None, x + 110, centre - 25, kind="parallel", parent="bidding")
    join = p.gateway("bid_join", None, x + 360, centre - 25, kind="parallel", parent="bidding")
    submit = p.user_task("submit_bid", "提交投标文件 Submit the bid", x + 430, centre - 40, groups="sales", parent="bidding",
                         fields=[Field("submitted_on", "递交日期 Submitted on", "date", required=True),
                                 Field("receipt_number", "回执编号 Receipt number")])
    end = p.end("bidding_done", "Bid submitted", x + 610, centre - 18, parent="bidding")
    p.flow("f_bidding_start", start, split)
    work = [
        ("technical_proposal", "编写技术方案 Write the technical proposal", "delivery",
         [Field("technical_summary", "技术方案摘要 Technical proposal summary")],
         [("技术方案已完成 The technical proposal is written", "${not empty technical_summary}")]),
        ("commercial_proposal", "编写商务方案 Write the commercial proposal", "sales",
         [Field("commercial_summary", "商务方案摘要 Commercial proposal summary")],
         [("商务方案已完成 The commercial proposal is written", "${not empty commercial_summary}")]),
        ("pricing", "确定投标报价 Set the bid price", "sales_managers",
         [Field("bid_price", "投标报价 Bid price (CNY)", "long", required=True, min=1)], []),
        ("bid_bond", "缴纳投标保证金 Pay the bid bond", "sales",
         [Field("bond_amount", "保证金 Bid bond (CNY)", "long", min=0),
          Field("bond_paid", "已缴纳 Paid", "boolean")],
         [("投标保证金已缴纳 The bid bond is paid", "${bond_paid}")]),
    ]
    for i, (task_id, name, groups, fields, gates) in enumerate(work):
        task = p.user_task(task_id, name, x + 200, y + 20 + i * 107, groups=groups, fields=fields,
                           gates=gates, parent="bidding")
        p.flow(f"f_split_{task_id}", split, task, out="top" if i < 2 else "bottom")
        p.flow(f"f_{task_id}_join", task, join, into="top" if i < 2 else "bottom")
    p.flow("f_submit", join, submit)
    p.flow("f_submitted", submit, end)
    return box


def _evaluation_and_award(p: Process, bidding):
    """Add 评标 (opening, clarification, result) and 定标 (award, won or lost)."""
    opening = p.user_task("opening", "记录开标 Record the bid opening", 1800, ROW_T - 40, groups="sales", stage="评标",
                          fields=[Field("opened_on", "开标日期 Opened on", "date"),
                                  Field("bidders", "投标单位数 Number of bidders", "long", min=1),
                                  Field("has_questions", "有澄清问题 Clarification questions", "boolean",
                                        required=True),
                                  Field("clarification_deadline", "澄清截止 Clarification deadline", "date")],
                          gates=[("有澄清问题时需填写截止日期 Give the deadline of the clarification questions",
                                  "${not has_questions or not empty clarification_deadline}")])
    questions = p.gateway("questions", "Clarification questions?", 1970, ROW_T - 25)
    answer = p.user_task("answer_questions", "答复澄清问题 Answer the clarification questions", 1935, ROW_T + 80,
                         groups="sales", stage="评标", due="${clarification_deadline}",
                         fields=[Field("answers_sent_on", "答复日期 Answers sent on", "date", required=True),
                                 Field("answers_summary", "答复摘要 Summary of the answers")],
                         gates=[("澄清须在截止日期前答复 The answers were sent by the clarification deadline",
                                 "${answers_sent_on <= clarification_deadline}")])
    result = p.user_task("evaluation_result", "记录评标结果 Record the evaluation result", 2080, ROW_T - 40, groups="sales",
                         stage="评标", fields=[
                             Field("evaluation_rank", "评标排名 Our rank", "long", required=True, min=1),
                             Field("technical_score", "技术分 Technical score", "long", min=0),
                             Field("commercial_score", "商务分 Commercial score", "long", min=0)])
    award = p.user_task("award", "记录定标结果 Record the award", 2250, ROW_T - 40, groups="sales_managers", stage="定标",
                        fields=[Field("won", "中标 Won", "boolean", required=True),
                                Field("awarded_amount", "中标金额 Awarded amount (CNY)", "long", min=0),
                                Field("winner", "中标单位 Winner"),
                                Field("winning_price", "中标价格 Winning price (CNY)", "long", min=0),
                                Field("award_date", "定标日期 Award date", "date")],
                        gates=[("中标时需填写中标金额 The awarded amount is given when we won",
                                "${not won or awarded_amount > 0}"),
                               ("未中标时需记录中标单位 The winner is recorded when we lost",
                                "${won or not empty winner}"),
                               ("未中标时需记录中标价格 The winning price is recorded when we lost",
                                "${won or winning_price > 0}")])
    decision = p.gateway("award_decision", "Won?", 2420, ROW_T - 25)
    won = p.script("record_won", "Record: won", 2520, ROW_T - 40, "outcome = 'won'")
    won_end = p.end("won", "Won: on to contract signing", 2680, ROW_T - 18)
    lost = p.script("record_lost", "Record: lost", 2385, ROW_T + 80, "outcome = 'lost'")
    lost_end = p.end("lost", "Lost", 2427, ROW_T + 210)
    p.flow("f_opening", bidding, opening)
    p.flow("f_questions", opening, questions)
    p.flow("f_answer", questions, answer, condition="${has_questions}", name="yes", out="bottom", into="top")
    p.flow("f_no_questions", questions, result, default=True, name="no")
    p.flow("f_answered", answer, result, into="bottom")
    p.flow("f_award", result, award)
    p.flow("f_award_decision", award, decision)
    p.flow("f_won", decision, won, condition="${won}", name="won")
    p.flow("f_won_end", won, won_end)
    p.flow("f_lost", decision, lost, default=True, name="lost", out="bottom", into="top")
    p.flow("f_lost_end", lost, lost_end, out="bottom", into="top")


def main() -> None:
    """Write both processes next to this package."""
    sales_funnel().write(PROCESSES / "sales_funnel.bpmn")
    tender().write(PROCESSES / "tender.bpmn")


if __name__ == "__main__":
    main()
