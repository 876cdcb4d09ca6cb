"""Four worker processes on one PostgreSQL database, one killed mid-run: every timer fires once."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app import create_app
from engine import definitions, instances
from core.db import utcnow
from core.audit import AuditEntry
from engine.models import ProcessInstance, Timer
from tests.conftest import FIXTURES, create_postgres_database, drop_postgres_database

ROOT = Path(__file__).resolve().parents[2]
TIMERS = 1000


@pytest.fixture
def postgres_app():
    url = create_postgres_database()
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test"})
    yield app
    app.extensions["db_engine"].dispose()
    drop_postgres_database(url)


def start_worker(url: str) -> subprocess.Popen:
    env = {**os.environ, "CRM_DATABASE_URL": url, "CRM_TIMER_LEASE_SECONDS": "3"}
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "worker"], cwd=ROOT,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def count(session, query):
    return session.scalar(select(func.count()).select_from(query.subquery()))


@pytest.mark.parametrize("backend", ["postgresql"])
@pytest.mark.slow  # kills worker processes; `make test` runs it, `pytest -m "not slow"` leaves it out
def test_every_timer_fires_exactly_once_across_workers_and_a_kill_9(postgres_app, backend):
    factory = postgres_app.extensions["session_factory"]
    due = (utcnow() + timedelta(seconds=8)).isoformat()
    with factory.begin() as session:
        definitions.deploy(session, [("timer_only.bpmn", (FIXTURES / "timer_only.bpmn").read_bytes())],
                           actor=None)
    for _ in range(TIMERS // 100):
        with factory.begin() as session:
            for _ in range(100):
                instances.start_instance(session, "timer_only", data={"due": due}, actor=None)
    url = postgres_app.config["DATABASE_URL"]
    workers = [start_worker(url) for _ in range(4)]
    try:
        with factory() as session:
            deadline = time.monotonic() + 60
            while count(session, select(AuditEntry).where(AuditEntry.action == "timer.fired")) < 150:
                assert time.monotonic() < deadline, "the workers fired nothing"
                time.sleep(0.02)
                session.rollback()
            workers[0].send_signal(signal.SIGKILL)
            deadline = time.monotonic() + 120
            while count(session, select(ProcessInstance).where(ProcessInstance.status == "completed")) < TIMERS:
                assert time.monotonic() < deadline, "not every timer fired"
                time.sleep(0.2)
                session.rollback()
            fired_per_instance = session.execute(
                select(AuditEntry.instance_id, func.count()).where(AuditEntry.action == "timer.fired")
                .group_by(AuditEntry.instance_id)).all()
            assert len(fired_per_instance) == TIMERS
            assert {n for _, n in fired_per_instance} == {1}
            assert count(session, select(Timer)) == 0
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
