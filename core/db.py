"""Database wiring: the declarative Base, engines and sessions.

SQLite is the embedded default and PostgreSQL the multi-process database; both
get the same schema from Alembic. On SQLite every transaction starts with
BEGIN IMMEDIATE so that two writers queue on the busy timeout instead of one
failing with "database is locked" when it upgrades a read lock.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import MetaData, create_engine, event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, make_transient_to_detached, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.types import DateTime, TypeDecorator

from .errors import NotFound

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator):
    """A timestamp that is always timezone-aware UTC in Python, whatever the database keeps."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


def utcnow() -> datetime:
    """Return the current time, timezone-aware, in UTC."""
    return datetime.now(timezone.utc)


def make_engine(url: str, **kwargs) -> Engine:
    """Create an engine for `url` with the settings each backend needs."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)
        _use_immediate_transactions(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _use_immediate_transactions(engine: Engine) -> None:
    # SQLAlchemy's documented pysqlite workaround: take over BEGIN so that
    # SAVEPOINTs work and so that we choose the transaction mode ourselves.
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, connection_record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return a session factory bound to `engine`; objects stay usable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def get_or_raise(session: Session, model: type, key, what: str):
    """Return the `model` row with primary key `key`; raise NotFound("no <what> <key>") otherwise."""
    found = session.get(model, key)
    if found is None:
        raise NotFound(f"no {what} {key}")
    return found


def is_postgresql(session: Session) -> bool:
    """Tell whether `session` talks to PostgreSQL (row locks, SKIP LOCKED)."""
    return session.get_bind().dialect.name == "postgresql"


def as_loaded(session: Session, model: type, values: dict):
    """Hand a row read with a plain SELECT to `session` as if the ORM had loaded it.

    For the hot path of every engine step, where the ORM's own loading costs more
    than the step. An object of that identity already in the session is refreshed
    instead, as `populate_existing` would: another writer may have moved it on.
    """
    mapper = inspect(model)
    key = mapper.identity_key_from_primary_key([values[column.key] for column in mapper.primary_key])
    existing = session.identity_map.get(key)
    if existing is not None:
        for name, value in values.items():
            set_committed_value(existing, name, value)
        session.expire(existing, list(mapper.relationships.keys()))  # loaded on next use, afresh
        return existing
    # Filled in as the ORM's own loader fills a row: no attribute events, no history.
    loaded = mapper.class_manager.new_instance()
    loaded.__dict__.update(values)
    make_transient_to_detached(loaded)
    session.add(loaded)
    return loaded
