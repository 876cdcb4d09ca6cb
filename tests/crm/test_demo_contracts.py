"""The demo tells the truth: every deal past 合同签署 has a contract both parties signed, made
through the archive as a real one is, and the inbox shows which demo tasks are overdue.

Loading the demo signs six contracts, so it is loaded once per backend for the module, in a
transaction rolled back at its end, with keys and data dir of its own.
"""
from __future__ import annotations

import functools
import re
import shutil

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker
from werkzeug.security import generate_password_hash

import demo
import accounts
import accounts.users
from app import create_app
from crm.models import Opportunity
from engine import instances
from engine.models import HumanTask
from signing import keys
from tests.conftest import Api

pytestmark = pytest.mark.slow

STAGES = ["线索获取", "需求确认", "方案制定", "商务谈判", "合同签署", "交付实施", "售后服务"]
PAST_SIGNING = STAGES[STAGES.index("合同签署") + 1:]
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module")
def demo_app(database_url, db_engine, keys_template, tmp_path_factory):
    """The app on a database holding the demo, loaded as `flask demo` does."""
    folder = tmp_path_factory.mktemp("demo-data")
    shutil.copytree(keys.keys_dir(keys_template), keys.keys_dir(folder))
    shutil.copytree(keys_template / "fonts", folder / "fonts")
    connection = db_engine.connect()
    outer = connection.begin()
    factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CRM_DATA_DIR", str(folder))
        patch.setattr(accounts.users, "generate_password_hash",
                      functools.partial(generate_password_hash, method="pbkdf2:sha256:1"))
        with factory() as session:
            demo.deploy_bundled_processes(session)
            assert demo.load_demo(session) is True
            session.commit()
        app = create_app({"TESTING": True, "DATABASE_URL": database_url, "AUTO_MIGRATE": False,
                          "SECRET_KEY": "test"})
        app.extensions["session_factory"] = factory
        yield app
    outer.rollback()
    connection.close()


@pytest.fixture
def session(demo_app):
    with demo_app.extensions["session_factory"]() as session:
        yield session


def test_every_demo_deal_past_signing_has_a_contract_signed_by_both_parties(demo_app, session):
    app = demo_app
    legal = Api(app.test_client(), accounts.create_token(session, accounts.get_user(session, "zhou")))
    session.commit()
    past = session.scalars(select(Opportunity).where(Opportunity.stage.in_(PAST_SIGNING))).all()
    assert len(past) == 6 and {deal.outcome for deal in past} == {"won"}
    for deal in past:
        [contract] = legal.get(f"/api/contracts?instance_id={deal.instance_id}").get_json()
        assert (contract["status"], contract["customer"]) == ("completed", deal.company.name)
        report = legal.get(f"/api/contracts/{contract['id']}/verify").get_json()
        assert report["intact"] and report["trusted"], report["problems"]
        assert not report["modified_after_signing"] and report["problems"] == []
        assert {s["role"] for s in report["signatures"]} >= {"company", "customer"}
        assert all(s["trusted"] for s in report["signatures"])
        shown = legal.get(f"/api/contracts/{contract['id']}").get_json()
        actions = [event["action"] for event in shown["events"]]
        assert actions[:6] == ["drafted", "rendered", "sealed", "link_created", "link_opened", "signed"]
        assert shown["events"][5]["detail"]["link_id"], "the customer signed through a signing link"
        facts = instances.get_instance(session, deal.instance_id).data
        assert facts["contract_id"] == contract["id"] and facts["contract_signed_by_both"] is True
    archive = legal.get("/api/contracts").get_json()
    assert sorted(c["status"] for c in archive) == ["completed"] * 6 + ["sealed"], \
        "one deal waiting at 合同签署 has its sealed contract, waiting for the customer"


def test_the_demo_inbox_shows_overdue_work_first(demo_app, session):
    app = demo_app
    open_tasks = session.scalars(select(HumanTask).where(HumanTask.status == "open")).all()
    assert all(task.due_at is not None for task in open_tasks)
    assert len({task.priority for task in open_tasks}) >= 3
    browser = app.test_client()
    page = browser.get("/login").get_data(as_text=True)
    answer = browser.post("/login", data={"name": "lina", "password": "sales-demo-1",
                                          "csrf_token": CSRF.search(page)[1]})
    assert answer.status_code == 302
    inbox = browser.get("/?tab=all").get_data(as_text=True)
    assert re.search(r'class="badge badge-overdue"[^>]*>已逾期 \d+ 天', inbox)
    assert re.search(r'截止 <time datetime="[^"]+" data-zone="Asia/Shanghai">\d{4}-\d\d-\d\d 18:00 UTC\+8',
                     inbox)
    assert inbox.index("badge-overdue") < inbox.index("badge badge-due"), "sorted by due date"
