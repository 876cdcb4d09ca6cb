"""Demo data for `make run`: the bundled processes, people to log in as and a sales book, loaded once."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from customers.models import Company
import accounts
from accounts import teams
from engine import definitions
from core.db import utcnow
from core.settings import PROJECT_ROOT

from . import records, timeline

PROCESSES_DIR = PROJECT_ROOT / "processes"

DEMO_USERS = [
    # name, password, role, groups
    ("admin", "admin-demo-1", "admin", []),
    ("designer", "designer-demo-1", "designer", []),
    ("lina", "sales-demo-1", "member", ["sales"]),
    ("wang", "manager-demo-1", "member", ["sales", "sales_managers", "managers"]),
    ("zhou", "legal-demo-1", "member", ["legal"]),
    ("chen", "delivery-demo-1", "member", ["delivery", "service"]),
    ("liu", "director-demo-1", "member", ["directors", "sales_managers"]),
]
# name, manager, members: wang sees lina's deals; liu, a director, sees everything by permission.
DEMO_TEAMS = [("华东销售 East sales", "wang", ["lina", "wang"])]


def deploy_bundled_processes(session: Session) -> list[definitions.Deployment]:
    """Deploy every .bpmn/.dmn file under processes/ (a no-op for unchanged files)."""
    paths = sorted(p for p in PROCESSES_DIR.iterdir() if p.suffix in (".bpmn", ".dmn"))
    return definitions.deploy(session, [(p.name, p.read_bytes()) for p in paths], actor=None)


def load_demo(session: Session) -> bool:
    """Create the demo users and the demo sales book unless they exist; return whether anything was made.

    The sales book (demo.records) is made of real process instances, so it is
    loaded only once the bundled processes are deployed (`flask demo` deploys
    them first); demo.timeline then spreads their history over the past months
    and gives the open tasks due dates and priorities. Deals past 合同签署 have
    their contract signed by both parties through the archive (demo.contracts).
    """
    created = False
    if accounts.find_user(session, DEMO_USERS[0][0]) is None:
        for name, password, role, groups in DEMO_USERS:
            if accounts.find_user(session, name) is None:
                accounts.create_user(session, name, password, role=role, groups=groups)
        for name, manager, members in DEMO_TEAMS:
            teams.create_team(session, name, manager=manager, members=members, actor=None)
        created = True
    is_deployed = all(definitions.find_latest(session, key) for key in ("sales_funnel", "tender"))
    if is_deployed and session.scalar(select(Company.id).limit(1)) is None:
        now = utcnow()
        instance_ids = records.load_records(session, now.date())
        tender_won, _, tender_deal = instance_ids[-3:]
        timeline.spread_history(session, instance_ids, now=now,
                                last_change_days={tender_won: 16, tender_deal: 14})
        timeline.schedule_open_tasks(session, instance_ids)
        created = True
    return created
