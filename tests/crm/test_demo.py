"""`make run`'s demo: loaded once, a believable sales book whose reports have something to show."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

import demo
from crm import reports
from crm.models import Opportunity, Tender
from customers.models import Company
from core import audit
from core.db import utcnow
from engine.models import StageVisit

STAGES = ["线索获取", "需求确认", "方案制定", "商务谈判", "合同签署", "交付实施", "售后服务"]


def test_the_demo_loads_once_with_deals_in_every_stage_and_a_history(session, fast_passwords,
                                                                   data_dir):  # it signs contracts
    assert demo.load_demo(session) is True
    assert session.scalar(select(func.count()).select_from(Company)) == 0, "no processes, no deals yet"
    demo.deploy_bundled_processes(session)  # what `flask demo` does first
    assert demo.load_demo(session) is True
    assert demo.load_demo(session) is False
    assert session.scalar(select(func.count()).select_from(Company)) >= 30
    assert session.scalar(select(func.count()).select_from(Company).where(Company.parent_id.is_not(None))) >= 15
    running = session.scalars(select(Opportunity.stage).where(Opportunity.outcome != "lost")).all()
    assert set(running) == set(STAGES)
    assert {o for o in session.scalars(select(Opportunity.outcome))} == {"open", "won", "lost"}
    assert sorted(session.scalars(select(Tender.outcome))) == ["open", "won"]
    oldest = session.scalar(select(func.min(StageVisit.entered_at)))
    assert oldest.replace(tzinfo=oldest.tzinfo or utcnow().tzinfo) < utcnow() - timedelta(days=60)
    durations = {row["stage"]: row["average_days"] for row in reports.stage_durations(session)["stages"]}
    assert all(days and days >= 3 for stage, days in durations.items() if stage in STAGES[:5])
    assert reports.weighted_pipeline(session)["total"]["weighted_amount"] > 0
    session.commit()
    verdict = audit.verify_chain(session)
    assert verdict.is_intact, str(verdict)
