"""Engine, sessions and schema: the only module that knows which database is behind the URL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from app.models import Base

SQLITE_BUSY_TIMEOUT_SECONDS = 10

SessionFactory = sessionmaker[Session]


def make_engine(database_url: str) -> Engine:
    """An engine for `database_url`; SQLite gets the settings concurrent requests need."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
    )
    event.listen(engine, "connect", _configure_sqlite_connection)
    event.listen(engine, "begin", _begin_immediate)
    return engine


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # Leave BEGIN to SQLAlchemy's "begin" event below instead of the driver's own guesswork.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _begin_immediate(connection: Any) -> None:
    # A deferred SQLite transaction that reads and then writes fails at once with SQLITE_BUSY
    # when another writer got in between; taking the write lock up front makes it wait instead.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> SessionFactory:
    """Sessions whose objects stay readable after commit, for use outside the transaction."""
    return sessionmaker(engine, expire_on_commit=False)


def create_schema(engine: Engine) -> None:
    """Create missing tables. The one place schema management happens, for migrations to replace."""
    Base.metadata.create_all(engine)
