"""Throwaway PostgreSQL databases for the test suite and the benchmarks.

Each run gets a database of its own on the server at CRM_TEST_POSTGRES_URL
(default: the machine's 127.0.0.1:5432, database `test`, user `postgres`), and
drops it afterwards, so runs never see each other's rows.
"""
from __future__ import annotations

import os
import uuid

from sqlalchemy import create_engine, text

POSTGRES_ADMIN_URL = os.environ.get("CRM_TEST_POSTGRES_URL",
                                    "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def postgres_problem() -> str | None:
    """Return why PostgreSQL cannot be reached, or None when it can."""
    try:
        engine = create_engine(POSTGRES_ADMIN_URL)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any failure means: not here
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def create_postgres_database(prefix: str = "dealflow_test") -> str:
    """Create a fresh PostgreSQL database and return its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def drop_postgres_database(url: str) -> None:
    """Drop a database made by `create_postgres_database`, closing its connections."""
    name = url.rsplit("/", 1)[1]
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
