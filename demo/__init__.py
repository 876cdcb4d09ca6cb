"""Demo data for `make run`: the bundled processes and people to log in as, loaded once."""
from __future__ import annotations

from sqlalchemy.orm import Session

from engine import accounts, definitions
from engine.settings import PROJECT_ROOT

PROCESSES_DIR = PROJECT_ROOT / "processes"

DEMO_USERS = [
    # name, password, role, groups
    ("admin", "admin-demo-1", "admin", []),
    ("designer", "designer-demo-1", "designer", []),
    ("lina", "sales-demo-1", "member", ["sales"]),
    ("wang", "manager-demo-1", "member", ["sales", "sales_managers", "managers"]),
    ("zhou", "legal-demo-1", "member", ["legal"]),
    ("chen", "delivery-demo-1", "member", ["delivery", "service"]),
]


def deploy_bundled_processes(session: Session) -> list[definitions.Deployment]:
    """Deploy every .bpmn/.dmn file under processes/ (a no-op for unchanged files)."""
    paths = sorted(p for p in PROCESSES_DIR.iterdir() if p.suffix in (".bpmn", ".dmn"))
    return definitions.deploy(session, [(p.name, p.read_bytes()) for p in paths], actor=None)


def load_demo(session: Session) -> bool:
    """Create the demo users unless they exist; return whether anything was created."""
    if accounts.find_user(session, DEMO_USERS[0][0]) is not None:
        return False
    for name, password, role, groups in DEMO_USERS:
        accounts.create_user(session, name, password, role=role, groups=groups)
    return True
