"""A believable sales book for the demo: company groups, contacts, deals in every stage, two tenders.

Deals and tenders are real process instances worked through the engine's own
services by the demo people, so their stage history, tasks and audit trail are
the ones the app would have recorded; demo.timeline then spreads that history
over the past months.
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm import deals, tenders
from customers import companies, contacts
from crm.models import Opportunity
import accounts
from engine import tasks
from signing import funnel
from accounts.models import User

from . import contracts

# name, parent, industry, city
COMPANIES = [
    ("中国移动通信集团", None, "Telecom", "北京"), ("广东移动", "中国移动通信集团", "Telecom", "广州"),
    ("深圳移动", "广东移动", "Telecom", "深圳"), ("广州移动", "广东移动", "Telecom", "广州"),
    ("浙江移动", "中国移动通信集团", "Telecom", "杭州"), ("杭州移动", "浙江移动", "Telecom", "杭州"),
    ("江苏移动", "中国移动通信集团", "Telecom", "南京"),
    ("国家电网", None, "Utilities", "北京"), ("国网江苏省电力", "国家电网", "Utilities", "南京"),
    ("国网南京供电公司", "国网江苏省电力", "Utilities", "南京"), ("国网浙江省电力", "国家电网", "Utilities", "杭州"),
    ("中国建筑集团", None, "Construction", "北京"), ("中建三局", "中国建筑集团", "Construction", "武汉"),
    ("中建三局一公司", "中建三局", "Construction", "武汉"), ("中建八局", "中国建筑集团", "Construction", "上海"),
    ("华润集团", None, "Conglomerate", "香港"), ("华润万家", "华润集团", "Retail", "深圳"),
    ("华润医药", "华润集团", "Pharma", "北京"), ("华润三九", "华润医药", "Pharma", "深圳"),
    ("上汽集团", None, "Automotive", "上海"), ("上汽大众", "上汽集团", "Automotive", "上海"),
    ("上汽通用五菱", "上汽集团", "Automotive", "柳州"),
    ("招商银行", None, "Banking", "深圳"), ("招银理财", "招商银行", "Banking", "深圳"),
    ("平安保险", None, "Insurance", "深圳"), ("平安科技", "平安保险", "Technology", "深圳"),
    ("美的集团", None, "Appliances", "佛山"), ("比亚迪", None, "Automotive", "深圳"),
    ("宁德时代", None, "Batteries", "宁德"), ("海尔智家", None, "Appliances", "青岛"),
    ("顺丰速运", None, "Logistics", "深圳"), ("小米科技", None, "Electronics", "北京"),
    ("京东物流", None, "Logistics", "北京"), ("迈瑞医疗", None, "Medical devices", "深圳"),
    ("万科企业", None, "Real estate", "深圳"),
]

# company, deal, amount (CNY), owner, where it stands: a task it waits at, "won", or ("lost", task, reason)
DEALS = [
    ("深圳移动", "5G 专网运维平台", 1200000, "lina", "qualify_lead"),
    ("杭州移动", "客服中心 CRM", 680000, "lina", "qualify_lead"),
    ("比亚迪", "经销商管理系统", 950000, "lina", "confirm_needs"),
    ("宁德时代", "供应链协同平台", 2400000, "wang", "confirm_needs"),
    ("华润万家", "会员营销中台", 760000, "lina", "design_solution"),
    ("迈瑞医疗", "售后服务管理", 420000, "lina", "design_solution"),
    ("国网南京供电公司", "用电报装客户系统", 380000, "lina", "design_solution"),
    ("招银理财", "投顾 CRM", 1500000, "wang", "negotiate"),
    ("招商银行", "对公客户经营平台", 3200000, "wang", "negotiate"),
    ("上汽大众", "经销商线索系统", 1800000, "lina", "approve_discount"),
    ("顺丰速运", "大客户管理", 880000, "lina", "sign_contract"),
    ("海尔智家", "渠道门户", 540000, "lina", "sign_contract"),
    ("中建八局", "项目投标管理", 1100000, "wang", "deliver"),
    ("华润三九", "学术推广系统", 650000, "lina", "deliver"),
    ("平安科技", "销售绩效平台", 2000000, "wang", "after_sales"),
    ("京东物流", "仓储客户门户", 720000, "lina", "after_sales"),
    ("万科企业", "物业 CRM", 900000, "lina", "won"),
    ("美的集团", "海外经销商平台", 1300000, "wang", "won"),
    ("广州移动", "政企客户视图", 500000, "lina", ("lost", "qualify_lead", "no_decision")),
    ("小米科技", "生态链伙伴管理", 830000, "lina", ("lost", "confirm_needs", "no_budget")),
    ("上汽通用五菱", "售后工单系统", 610000, "lina", ("lost", "design_solution", "competitor")),
    ("中建三局一公司", "分包商协同", 450000, "wang", ("lost", "design_solution", "price")),
    ("江苏移动", "集客 CRM 升级", 1700000, "wang", ("lost", "negotiate", "price")),
    ("国网浙江省电力", "客户服务平台", 1400000, "lina", ("lost", "sign_contract", "timing")),
]
# Deals waiting at 合同签署 whose contract legal has drafted and sealed; the customer has not signed yet.
SEALED_AWAITING_SIGNATURE = {"顺丰速运"}
FUNNEL_TASKS = ["qualify_lead", "confirm_needs", "design_solution", "negotiate", "sign_contract", "deliver",
                "after_sales"]
WORKERS = {"qualify_lead": "lina", "confirm_needs": "lina", "design_solution": "lina", "negotiate": "lina",
           "approve_discount": "wang", "sign_contract": "zhou", "deliver": "chen", "after_sales": "chen",
           "announce": "lina", "score_bid": "wang", "director_approval": "liu", "technical_proposal": "chen",
           "commercial_proposal": "lina", "pricing": "wang", "bid_bond": "lina", "submit_bid": "lina",
           "opening": "lina", "answer_questions": "lina", "evaluation_result": "lina", "award": "wang"}
CONTACTS = [("王建国", "CIO", "decision_maker", 0.9, "supporter"), ("李娜", "IT 经理", "evaluator", 0.6, "champion"),
            ("张伟", "采购经理", "gatekeeper", 0.4, "neutral"), ("刘洋", "销售总监", "user", 0.5, "skeptic")]


def load_records(session: Session, today: date) -> list[int]:
    """Create companies, contacts, 24 deals and 2 tenders; return the ids of their instances."""
    people = {name: accounts.get_user(session, name) for name in ("admin", "lina", "wang", "zhou", "chen", "liu")}
    # A company belongs to the owner of its first deal; the rest to lina, who prospects them.
    first_owner = {}
    for company, _, _, owner, _ in DEALS:
        first_owner.setdefault(company, owner)
    by_name = {}
    for name, parent, industry, city in COMPANIES:
        parent_id = by_name[parent].id if parent else None
        by_name[name] = companies.create_company(session, name=name, parent_id=parent_id, industry=industry,
                                                 city=city, actor=people[first_owner.get(name, "lina")])
    instance_ids = []
    for i, (company, deal_name, amount, owner, target) in enumerate(DEALS):
        deal = deals.open_deal(session, company_id=by_name[company].id, actor=people[owner], name=deal_name,
                               amount=amount, owner=owner,
                               expected_close_date=today + timedelta(days=20 + 9 * i))
        _work_deal(session, people, deal, company, people[owner], amount, target,
                   today + timedelta(days=20 + 9 * i), today)
        if i % 4 == 0:
            _add_committee(session, deal, by_name[company].id)
        instance_ids.append(deal.instance_id)
    instance_ids += _tenders(session, people, by_name, today)
    return instance_ids


def _work_deal(session: Session, people: dict, deal, company: str, owner, amount: int, target, close: date,
               today: date) -> None:
    lost = target if isinstance(target, tuple) else None
    stop = lost[1] if lost else target
    discount = 15 if stop == "approve_discount" else 5
    data = {
        "qualify_lead": {"contact": "王建国", "source": "referral"},
        "confirm_needs": {"budget": int(amount * 1.1), "decision_maker": "王建国 (CIO)",
                          "need": "统一客户视图与销售流程", "timeline": close.isoformat()},
        "design_solution": {"solution_summary": "SaaS, 分阶段上线, 含数据迁移", "amount": amount},
        "negotiate": {"discount_percent": discount, "agreed_amount": amount * (100 - discount) // 100,
                      "payment_terms": "30 % 预付, 70 % 验收后", "expected_close_date": close.isoformat()},
        # Signed today: the day the archive's signatures bear (demo.contracts).
        "sign_contract": {"signed_on": today.isoformat(), "win_reason": "solution"},
        "deliver": {"customer_accepted": True, "accepted_on": close.isoformat()},
        "after_sales": {"satisfaction": 4, "renewal_expected": True},
    }
    for name in FUNNEL_TASKS:
        if name == stop or (stop == "approve_discount" and name == "sign_contract"):
            break
        if name == "sign_contract":
            # The gate opens on the archive's word that both parties signed, as for a real deal.
            contracts.sign_deal_contract(session, deal.instance_id, company, legal=people["zhou"],
                                         sender=owner)
        complete_named(session, people, deal.instance_id, name, data[name])
    if stop == "sign_contract" and not lost and company in SEALED_AWAITING_SIGNATURE:
        funnel.draft_for_instance(session, deal.instance_id, people["zhou"])
    if lost:
        complete_named(session, people, deal.instance_id, stop, {
            "outcome": "lost", "lost_reason": lost[2], "lost_note": "客户最终选择了其他方案"})


def _add_committee(session: Session, deal, company_id: int) -> None:
    for name, title, role, influence, attitude in CONTACTS:
        contact = contacts.create_contact(session, company_id=company_id, name=name, title=title)
        deals.add_committee_member(session, deal.id, contact_id=contact.id, role=role, influence=influence,
                                   attitude=attitude)


def _tenders(session: Session, people: dict, by_name: dict, today: date) -> list[int]:
    won = tenders.open_tender(session, actor=people["lina"], company_id=by_name["国网江苏省电力"].id,
                              title="营销服务系统升级招标")
    going = tenders.open_tender(session, actor=people["lina"], company_id=by_name["中建三局"].id,
                                title="智慧工地平台招标")
    for tender, questions in ((won, True), (going, False)):
        work = {
            "announce": {"budget": 2600000, "registration_deadline": (today - timedelta(days=50)).isoformat(),
                         "questions_deadline": (today - timedelta(days=40)).isoformat(),
                         "submission_deadline": (today + timedelta(days=10)).isoformat(),
                         "opening_date": (today + timedelta(days=11)).isoformat()},
            "score_bid": {"fit": 4, "relationship": 4, "competition": 3, "margin": 3, "capability": 4},
            "technical_proposal": {"technical_summary": "微服务架构, 国产化适配"},
            "commercial_proposal": {"commercial_summary": "总价包干, 三期付款"},
            "pricing": {"bid_price": 2380000}, "bid_bond": {"bond_amount": 50000, "bond_paid": True},
            "submit_bid": {"submitted_on": today.isoformat(), "receipt_number": "TB-2026-118"},
            "opening": {"opened_on": today.isoformat(), "bidders": 6, "has_questions": questions,
                        "clarification_deadline": (today + timedelta(days=3)).isoformat()},
            "answer_questions": {"answers_sent_on": (today + timedelta(days=2)).isoformat()},
            "evaluation_result": {"evaluation_rank": 1, "technical_score": 91, "commercial_score": 86},
            "award": {"won": True, "awarded_amount": 2350000, "award_date": today.isoformat()},
        }
        names = list(work) if tender is won else list(work)[:-3]
        for name in names:
            if name == "answer_questions" and not questions:
                continue
            complete_named(session, people, tender.instance_id, name, work[name])
    deal_instance = session.scalar(select(Opportunity.instance_id).where(Opportunity.tender_id == won.id))
    return [won.instance_id, going.instance_id, deal_instance]


def complete_named(session: Session, people: dict, instance_id: int, element_id: str, data: dict) -> None:
    """Complete the open task `element_id` of an instance as its assignee, else the demo person for that work."""
    [row] = [t for t in tasks.list_open_tasks(session, people["admin"], instance_id=instance_id)
             if t.element_id == element_id]
    actor: User = row.assignee or people[WORKERS[element_id]]
    tasks.complete_task(session, row.id, data, actor=actor)
