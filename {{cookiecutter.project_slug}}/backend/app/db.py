"""Engine, sessions and schema: the only module that knows which database is behind the URL.

The schema is owned by the Alembic migrations in `app/migrations/`, for SQLite and PostgreSQL
alike. `make migrate` applies them; a development server applies them itself at start, while a
production server only checks that they were applied and refuses to start otherwise, so that
no deployment ever changes a schema as a side effect of starting a process.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import ColumnElement, Connection, Engine, create_engine, delete, event, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from app import connections
from app.settings import Settings, chosen_env_file, env_file_label

# A PostgreSQL server that cannot be reached in this time fails the request instead of hanging it.
POSTGRES_CONNECT_TIMEOUT_SECONDS = 10
# Connections older than this are replaced at their next checkout, so one that a firewall or a
# proxy dropped silently is not kept for ever.
POSTGRES_POOL_RECYCLE_SECONDS = 1800
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Any constant shared by every instance: PostgreSQL advisory locks are keyed by a 64-bit integer.
MIGRATION_LOCK_KEY = 0x5EC0_57AC
# SQLSTATE classes and codes that mean "not now" rather than "wrong": connection exceptions,
# insufficient resources (too many connections), operator intervention (shutdown, statement or
# lock timeout).
UNAVAILABLE_SQLSTATE_CLASSES = ("08", "53", "57")
LOCK_NOT_AVAILABLE = "55P03"

SessionFactory = sessionmaker[Session]
T = TypeVar("T")


class DatabaseNotReady(Exception):
    """The database cannot be reached, or its schema is not this code's; the message says why."""


class ReadSessionFactory(sessionmaker[Session]):
    """Sessions for transactions that only read; they end in ROLLBACK and never COMMIT.

    Use `run` (retried once on a connection the server closed) or `with factory.begin() as
    session:`. A write through one fails: the connection is read-only.
    """

    @contextmanager
    def begin(self) -> Iterator[Session]:
        """A session whose transaction is rolled back at the end, not committed."""
        with self() as session:
            yield session

    def run(self, read: Callable[[Session], T]) -> T:
        """`read(session)` in a read transaction; once more on a fresh connection when the first
        one turns out to be dead (the database restarted), which is safe because it only reads."""
        try:
            with self.begin() as session:
                return read(session)
        except DBAPIError as error:
            if not error.connection_invalidated:
                raise
        with self.begin() as session:
            return read(session)


def make_engine(settings: Settings) -> Engine:
    """The engine for transactions that write, for `DATABASE_URL`, with the pool limits from the
    settings.

    Each pool holds at most DATABASE_POOL_SIZE + DATABASE_MAX_OVERFLOW connections; a request
    that finds none free waits DATABASE_POOL_TIMEOUT_SECONDS, then answers 503.
    """
    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite":
        return _postgres_engine(url, settings)
    connections.make_private(url)
    engine = _sqlite_engine(url, settings)
    event.listen(engine, "begin", connections.begin_immediate)
    return engine


def make_read_engine(settings: Settings, engine: Engine) -> Engine:
    """The engine for transactions that only read; `engine` is the one for writes.

    SQLite: a pool of its own, with read-only connections that begin deferred, so a read takes
    no lock at all (WAL lets readers run beside the writer) and never queues behind writers for
    a connection either. PostgreSQL: the same pool, in read-only transactions (`BEGIN READ
    ONLY`), which the sessions roll back instead of committing.
    """
    if engine.dialect.name != "sqlite":
        return engine.execution_options(postgresql_readonly=True)
    reader = _sqlite_engine(engine.url, settings)
    event.listen(reader, "connect", connections.read_only_connection)
    event.listen(reader, "begin", connections.begin_deferred)
    return reader


def make_session_factory(engine: Engine) -> SessionFactory:
    """Sessions whose objects stay readable after commit, for use outside the transaction."""
    return sessionmaker(engine, expire_on_commit=False)


def make_read_session_factory(read_engine: Engine) -> ReadSessionFactory:
    return ReadSessionFactory(read_engine, expire_on_commit=False)


def _pool(settings: Settings) -> dict[str, Any]:
    """Pool limits: up to POOL_SIZE + MAX_OVERFLOW connections, each kept once opened.

    SQLAlchemy's own overflow closes a connection above POOL_SIZE as soon as it is returned; a
    busy server whose requests hold connections only briefly then opens (and, on PostgreSQL,
    authenticates) a new connection for a large share of its requests. Measured: 130 new
    PostgreSQL connections a second at 550 reads a second, and twice the reads without them.
    """
    return {
        "pool_size": settings.database_pool_size + settings.database_max_overflow,
        "max_overflow": 0,
        "pool_timeout": settings.database_pool_timeout_seconds,
    }


def _postgres_engine(url: URL, settings: Settings) -> Engine:
    # A lock wait longer than the busy timeout answers 503 instead of holding the request.
    lock_timeout = round(settings.database_busy_timeout_seconds * 1000)
    engine = create_engine(
        url,
        pool_recycle=POSTGRES_POOL_RECYCLE_SECONDS,
        connect_args={
            "connect_timeout": POSTGRES_CONNECT_TIMEOUT_SECONDS,
            "options": f"-c lock_timeout={lock_timeout}",
        },
        **_pool(settings),
    )
    event.listen(engine, "checkout", connections.drop_if_closed_by_server)
    return engine


def _sqlite_engine(url: URL, settings: Settings) -> Engine:
    engine = create_engine(
        url,
        connect_args={
            "check_same_thread": False,
            "timeout": settings.database_busy_timeout_seconds,
        },
        **_pool(settings),
    )
    timeout = settings.database_busy_timeout_seconds

    def configure(dbapi_connection: Any, _record: Any) -> None:
        connections.configure_sqlite_connection(dbapi_connection, timeout)

    event.listen(engine, "connect", configure)
    return engine


def unavailable_reason(error: Exception) -> str | None:
    """Why `error` means the database cannot serve this request now but may soon (busy, out of
    connections, restarting, unreachable); None when it is a real failure."""
    if isinstance(error, PoolTimeout):
        return "no free connection in the pool"
    if not isinstance(error, DBAPIError):
        return None
    if error.connection_invalidated:
        return "the connection to the database was lost"
    original = error.orig
    if isinstance(original, sqlite3.Error):
        code = getattr(original, "sqlite_errorcode", 0) & 0xFF
        busy = code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
        return "another connection holds the database's write lock" if busy else None
    sqlstate = getattr(original, "sqlstate", None)
    if sqlstate is None:
        # A driver error without a server's SQLSTATE: the server was never reached.
        return "the database cannot be reached" if isinstance(error, OperationalError) else None
    if sqlstate.startswith(UNAVAILABLE_SQLSTATE_CLASSES) or sqlstate == LOCK_NOT_AVAILABLE:
        return f"the database refused or cancelled the work for now (SQLSTATE {sqlstate})"
    return None


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
        # A migration may wait for another for as long as that one takes.
        connection.execute(text("SET LOCAL lock_timeout = 0"))
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
            f"are the user, password and database name in {env_file_label(chosen_env_file())} "
            "right?"
        ) from None
