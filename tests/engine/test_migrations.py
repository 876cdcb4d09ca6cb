"""The schema comes from the migrations only: every revision goes down and up again, and the
models match what the migrations build."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

import crm.models  # noqa: F401  every domain's tables must be in Base.metadata
import signing.models  # noqa: F401
from core import migrations
from core.db import Base, make_engine
from tests.conftest import create_postgres_database, drop_postgres_database

import pytest


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    url = create_postgres_database()
    yield url
    drop_postgres_database(url)


def test_every_revision_downgrades_and_upgrades_again(empty_database):
    migrations.upgrade(empty_database)
    revisions = list(ScriptDirectory.from_config(migrations.alembic_config()).walk_revisions())
    for _ in revisions:
        migrations.downgrade(empty_database, "-1")
    engine = make_engine(empty_database)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    migrations.upgrade(empty_database)


def test_the_models_match_the_migrated_schema(empty_database):
    migrations.upgrade(empty_database)
    engine = make_engine(empty_database)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []
