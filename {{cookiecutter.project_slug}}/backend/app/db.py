"""Engine, sessions and schema: the only module that knows which database is behind the URL.

The schema is owned by the Alembic migrations in `app/migrations/`, for SQLite and PostgreSQL
alike. `make migrate` applies them; a development server applies them itself at start, while a
production server only checks that they were applied and refuses to start otherwise, so that
no deployment ever changes a schema as a side effect of starting a process.
"""

from __future__ import annotations

import sqlite3
import time
from functools import cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import ColumnElement, Connection, Engine, create_engine, delete, event, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from app.settings import Settings

SQLITE_BUSY_TIMEOUT_SECONDS = 10
WAL_SWITCH_RETRY_SECONDS = 0.01
# A PostgreSQL server that cannot be reached in this time fails the request instead of hanging it.
POSTGRES_CONNECT_TIMEOUT_SECONDS = 10
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Any constant shared by every instance: PostgreSQL advisory locks are keyed by a 64-bit integer.
MIGRATION_LOCK_KEY = 0x5EC0_57AC

SessionFactory = sessionmaker[Session]


class DatabaseNotReady(Exception):
    """The database cannot be reached, or its schema is not this code's; the message says why."""


def make_engine(settings: Settings) -> Engine:
    """An engine for `DATABASE_URL`, with the pool limits from the settings.

    Each instance holds at most DATABASE_POOL_SIZE + DATABASE_MAX_OVERFLOW connections; a request
    that finds none free waits DATABASE_POOL_TIMEOUT_SECONDS, then fails.
    """
    url = make_url(settings.database_url)
    pool = {
        "pool_size": settings.database_pool_size,
        "max_overflow": settings.database_max_overflow,
        "pool_timeout": settings.database_pool_timeout_seconds,
    }
    if url.get_backend_name() != "sqlite":
        return create_engine(
            url,
            pool_pre_ping=True,
            connect_args={"connect_timeout": POSTGRES_CONNECT_TIMEOUT_SECONDS},
            **pool,
        )
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
        **pool,
    )
    event.listen(engine, "connect", _configure_sqlite_connection)
    event.listen(engine, "begin", _begin_immediate)
    return engine


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # Leave BEGIN to SQLAlchemy's "begin" event below instead of the driver's own guesswork.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside the one writer, and lets several processes on this host share
    # the file (it is stored in the file, so every later connection finds it on).
    _switch_to_wal(cursor)
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _switch_to_wal(cursor: Any) -> None:
    """Turn WAL on, waiting out a concurrent switch instead of failing.

    Two processes opening a brand-new file at once (two instances, two `make migrate`) both try
    the switch; SQLite answers the loser "database is locked" at once, without its busy handler.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_SECONDS
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(WAL_SWITCH_RETRY_SECONDS)


def _begin_immediate(connection: Any) -> None:
    # A deferred SQLite transaction that reads and then writes fails at once with SQLITE_BUSY
    # when another writer got in between; taking the write lock up front makes it wait instead.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def delete_unlocked(
    session: Session, key: InstrumentedAttribute[Any], condition: ColumnElement[bool]
) -> None:
    """Delete the rows matching `condition` that no other transaction holds; never wait.

    For housekeeping of expired rows. On PostgreSQL rows locked elsewhere are skipped (FOR UPDATE
    SKIP LOCKED) and left for the next sweep, so a sweep never queues behind, or deadlocks with, a
    login or a refresh; SQLite has a single writer anyway and leaves the clause out.
    """
    unlocked = select(key).where(condition).with_for_update(skip_locked=True)
    session.execute(delete(key.class_).where(key.in_(unlocked.scalar_subquery())))


def make_session_factory(engine: Engine) -> SessionFactory:
    """Sessions whose objects stay readable after commit, for use outside the transaction."""
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config() -> Config:
    """Alembic's configuration for the app's own migrations, without reading alembic.ini."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


@cache
def expected_revisions() -> frozenset[str]:
    """The head revision(s) of the migrations shipped with this code (read once per process)."""
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def lock_for_migration(connection: Connection) -> None:
    """Make concurrent migrators take turns inside their transactions.

    On PostgreSQL a transaction-scoped advisory lock; on SQLite the write lock that every
    transaction here already takes (BEGIN IMMEDIATE) does the same job.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})


def migrate(engine: Engine) -> None:
    """Apply every pending migration in one transaction; a no-op when the schema is current."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def schema_revisions(engine: Engine) -> frozenset[str]:
    """The revision(s) the database is at; empty when it was never migrated."""
    with engine.connect() as connection:
        return frozenset(MigrationContext.configure(connection).get_current_heads())


def check_schema(engine: Engine) -> None:
    """Raise DatabaseNotReady unless the database is at the revision this code expects."""
    current = schema_revisions(engine)
    expected = expected_revisions()
    if current != expected:
        found = ", ".join(sorted(current)) or "no schema (an empty or unmigrated database)"
        raise DatabaseNotReady(
            f"DATABASE_URL holds {found}; this code needs revision {', '.join(sorted(expected))}. "
            "Run 'make migrate' (cd backend && python -m alembic upgrade head), then start again."
        )


def prepare_schema(engine: Engine, settings: Settings) -> None:
    """Development migrates at start, for a zero-step `make dev`; production only checks."""
    try:
        if settings.is_production:
            check_schema(engine)
        # One query when the schema is current; Alembic itself only loads when there is work.
        elif schema_revisions(engine) != expected_revisions():
            migrate(engine)
    except OperationalError as error:
        # The driver's first line says what failed (refused, timed out, bad password) without
        # the URL's password; the rest is a traceback nobody starting a server needs.
        reason = str(error.orig).strip().splitlines()[0] if error.orig else "no answer"
        where = engine.url.render_as_string(hide_password=True)
        raise DatabaseNotReady(
            f"DATABASE_URL: cannot use {where}: {reason}. Is the database server running, and "
            "are the user, password and database name in backend/.env right?"
        ) from None
