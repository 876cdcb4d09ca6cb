"""Fixtures: the app on SQLite and on PostgreSQL, a transaction per test, users and tokens.

Every test that takes `database_url` (directly or through `session`/`app`/`api`)
runs once per backend. Without a reachable PostgreSQL a developer's machine runs
the SQLite half and the header says so; CI (CI=true) fails instead.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from app import create_app
import accounts
from core import migrations
from core.audit import GENESIS_HASH, AuditChainHead
from core.db import Base, make_engine
from engine.scheduler import TimerScheduler
from tests.databases import (POSTGRES_ADMIN_URL, create_postgres_database, drop_postgres_database,
                             postgres_problem)

PROCESSES = Path(__file__).resolve().parents[1] / "processes"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


POSTGRES_PROBLEM = postgres_problem()
# Rows the migrations put in (the bundled groups' permissions, the audit chain's head): kept when a
# test empties the database; the head goes back to the empty chain.
SEEDED_TABLES = {"group_permissions", "audit_chain_head"}


def pytest_report_header(config):
    if POSTGRES_PROBLEM:
        return (f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL} ({POSTGRES_PROBLEM}): "
                "running the SQLite half of the storage tests only")
    return f"storage tests run on SQLite and on PostgreSQL ({POSTGRES_ADMIN_URL})"


def pytest_collection_modifyitems(config, items):
    if not POSTGRES_PROBLEM:
        return
    if os.environ.get("CI"):
        raise pytest.UsageError(f"CI needs PostgreSQL at {POSTGRES_ADMIN_URL}: {POSTGRES_PROBLEM}")
    kept = [i for i in items if "[postgresql" not in i.nodeid and "-postgresql" not in i.nodeid]
    config.hook.pytest_deselected(items=[i for i in items if i not in kept])
    items[:] = kept


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory):
    """A migrated, empty database of each backend, for the whole run."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        migrations.upgrade(url)
        yield url
        return
    url = create_postgres_database()
    migrations.upgrade(url)
    yield url
    drop_postgres_database(url)


@pytest.fixture(scope="session")
def db_engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(db_engine):
    """A connection inside a transaction that is rolled back after the test."""
    conn = db_engine.connect()
    outer = conn.begin()
    yield conn
    outer.rollback()
    conn.close()


@pytest.fixture
def session_factory(connection):
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint",
                        expire_on_commit=False)


@pytest.fixture
def session(session_factory) -> Session:
    with session_factory() as s:
        yield s


@pytest.fixture
def app(database_url, session_factory):
    """The app on each backend, its requests joined to the test's rolled-back transaction."""
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "AUTO_MIGRATE": False,
                      "SECRET_KEY": "test"})
    app.extensions["session_factory"] = session_factory
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def live_app(database_url, db_engine):
    """The app committing for real to the test database, emptied afterwards."""
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "AUTO_MIGRATE": False,
                      "SECRET_KEY": "test"})
    yield app
    app.extensions["db_engine"].dispose()
    with db_engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in SEEDED_TABLES:
                conn.execute(table.delete())
        conn.execute(AuditChainHead.__table__.update().values(seq=0, hash=GENESIS_HASH))


@pytest.fixture
def start_scheduler(live_app, database_url):
    """Start a timer scheduler on the live app (call it); stopped after the test."""
    started = []

    def start():
        scheduler = TimerScheduler(live_app.extensions["session_factory"],
                                   listen_url=database_url if "postgresql" in database_url else None)
        scheduler.start()
        started.append(scheduler)
        return scheduler

    yield start
    for scheduler in started:
        scheduler.shutdown()


def wait_for(predicate, timeout=20.0):
    """Poll until `predicate()` is truthy and return its value; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("gave up waiting")


def make_token(app, name, groups=("sales",), role="member") -> str:
    """Create a committed user with a token in `app`'s database; return the token."""
    with app.extensions["session_factory"].begin() as session:
        user = accounts.create_user(session, name, f"{name}-password", role=role, groups=list(groups))
        return accounts.create_token(session, user)


class Api:
    """A test client that sends one user's bearer token with every request."""

    def __init__(self, client, token: str):
        self.client, self.token = client, token

    def __getattr__(self, method):
        call = getattr(self.client, method)
        return lambda path, **kw: call(path, headers={"Authorization": f"Bearer {self.token}",
                                                       **kw.pop("headers", {})}, **kw)


@pytest.fixture
def users(session_factory):
    """admin, designer and two sales members (alice in sales, bob in sales and managers)."""
    with session_factory() as s:
        people = {
            "admin": accounts.create_user(s, "admin", "admin-pass-1", role="admin"),
            "designer": accounts.create_user(s, "dora", "designer-pass", role="designer"),
            "alice": accounts.create_user(s, "alice", "alice-pass-1", groups=["sales"]),
            "bob": accounts.create_user(s, "bob", "bob-pass-12", groups=["sales", "managers"]),
            "carol": accounts.create_user(s, "carol", "carol-pass-1", groups=["legal"]),
        }
        tokens = {key: accounts.create_token(s, user) for key, user in people.items()}
        s.commit()
    return tokens


@pytest.fixture
def api(client, users):
    """One Api per demo user: api['admin'].post(...)."""
    return {name: Api(client, token) for name, token in users.items()}


def deploy(api_client, *paths: Path, expect: int = 201):
    """Upload files through the API and return the JSON body."""
    files = [(p.open("rb"), p.name) for p in paths]
    response = api_client.post("/api/process-definitions", data={"file": files},
                               content_type="multipart/form-data")
    assert response.status_code == expect, response.get_json()
    return response.get_json()
