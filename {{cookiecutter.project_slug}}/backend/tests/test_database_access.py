"""Reads never wait for a writer; a busy or exhausted database answers 503 with Retry-After, never
500; reads go through read-only transactions that roll back; the SQLite file is private.

"A writer" is another connection holding what every write needs: SQLite's write lock, or on
PostgreSQL an EXCLUSIVE lock on every table (which, like SQLite's lock in WAL mode, still lets
plain reads through).
"""

from __future__ import annotations

import logging
import sqlite3
import stat
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from app import db
from app.models import Base, User

from .conftest import (
    BAKED_DATABASE,
    Account,
    AppFactory,
    SettingsFactory,
    bearer,
    new_account,
    token_pair,
)

# Short, so the writes that must give up do so quickly; reads must not notice it at all.
BUSY_TIMEOUT_SECONDS = 0.3


@contextmanager
def writes_blocked(database_url: str) -> Iterator[None]:
    """Another connection holds what every write needs, until the block ends."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        holder = sqlite3.connect(str(url.database), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.rollback()
            holder.close()
        return
    engine = create_engine(url)
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    try:
        with engine.connect() as holder:
            holder.execute(text(f"LOCK TABLE {tables} IN EXCLUSIVE MODE"))
            yield
            holder.rollback()
    finally:
        engine.dispose()


@pytest.fixture
def busy_app(make_app: AppFactory, make_settings: SettingsFactory) -> FastAPI:
    return make_app(make_settings(database_busy_timeout_seconds=BUSY_TIMEOUT_SECONDS))


def test_reads_proceed_while_a_writer_holds_the_lock_and_writes_answer_503(
    busy_app: FastAPI, database_url: str
) -> None:
    client = TestClient(busy_app, base_url="http://localhost:8000")
    account = new_account(busy_app)
    pair = token_pair(client, account)
    with writes_blocked(database_url):
        me = client.get("/users/me", headers=bearer(pair["access_token"]))
        assert me.status_code == 200
        assert me.json() == {"id": account.id, "email": account.email, "email_verified": True}
        refused = client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "1"
        assert refused.json() == {"detail": "The service is busy; try again in a moment"}
    # Nothing was half done: the same refresh token still works once the writer is gone.
    after = client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert after.status_code == 200


def test_an_exhausted_pool_answers_503_and_leaves_reads_alone_on_sqlite(
    make_app: AppFactory, make_settings: SettingsFactory
) -> None:
    settings = make_settings(
        database_pool_size=1, database_max_overflow=0, database_pool_timeout_seconds=1
    )
    app = make_app(settings)
    client = TestClient(app, base_url="http://localhost:8000")
    account = new_account(app)
    pair = token_pair(client, account)
    with app.state.services.engine.connect():  # the writers' only connection
        refused = client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "1"
        me = client.get("/users/me", headers=bearer(pair["access_token"]))
        # SQLite readers have a pool of their own; PostgreSQL readers share the writers'.
        assert me.status_code == (200 if BAKED_DATABASE == "sqlite" else 503)


def test_connections_opened_under_load_are_kept_for_the_next_burst(
    make_settings: SettingsFactory,
) -> None:
    """Closing the connections above POOL_SIZE as they come back would make the next burst open
    (and on PostgreSQL authenticate) them again; the limit is still POOL_SIZE + MAX_OVERFLOW."""
    engine = db.make_engine(make_settings(database_pool_size=1, database_max_overflow=2))
    try:
        with engine.connect(), engine.connect(), engine.connect():
            assert engine.pool.checkedout() == 3
        assert engine.pool.checkedin() == 3
        assert engine.pool.size() == 3
    finally:
        engine.dispose()


def test_other_database_errors_are_still_500(app: FastAPI, account: Account) -> None:
    """Only 'not now' becomes 503: a broken schema is a real failure, not a busy database."""
    token = app.state.services.tokens.issue(account.id)
    engine = app.state.services.engine
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE users RENAME TO users_elsewhere"))
    try:
        client = TestClient(app, raise_server_exceptions=False)
        assert client.get("/users/me", headers=bearer(token)).status_code == 500
    finally:
        with engine.begin() as connection:
            connection.execute(text("ALTER TABLE users_elsewhere RENAME TO users"))


def test_reads_are_read_only_and_end_in_rollback(app: FastAPI, account: Account) -> None:
    factory = app.state.services.read_session_factory
    ends: list[str] = []
    engine = factory.kw["bind"]
    event.listen(engine, "commit", lambda _connection: ends.append("commit"))
    event.listen(engine, "rollback", lambda _connection: ends.append("rollback"))
    user = app.state.services.accounts.get(account.id)
    assert user is not None
    assert user.email == account.email
    assert ends == ["rollback"]
    intruder = User(id=str(uuid.uuid4()), email="x@example.org", password_hash="x", created_at=0)
    with factory.begin() as session:
        session.add(intruder)
        with pytest.raises(DBAPIError):
            session.flush()
    assert app.state.services.accounts.find("x@example.org") is None


def test_a_new_sqlite_file_is_private_to_its_owner(
    tmp_path: Path, make_settings: SettingsFactory, make_app: AppFactory
) -> None:
    path = tmp_path / "fresh.db"
    app = make_app(make_settings(database_url=f"sqlite:///{path}"))
    TestClient(app).get("/health")
    for file in (path, path.with_name("fresh.db-wal"), path.with_name("fresh.db-shm")):
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file


def test_an_existing_sqlite_file_readable_by_others_is_tightened_and_reported(
    tmp_path: Path, make_settings: SettingsFactory, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "shared.db"
    sqlite3.connect(path).close()
    path.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="app.connections"):
        db.make_engine(make_settings(database_url=f"sqlite:///{path}")).dispose()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert f"{path} was readable or writable by other users (mode 644); it is now 600" in (
        caplog.text
    )


def test_busy_timeout_reaches_the_driver(make_settings: SettingsFactory) -> None:
    """The setting that decides when a write gives up is the one the connections use."""
    settings = make_settings(database_busy_timeout_seconds=BUSY_TIMEOUT_SECONDS)
    engine = db.make_engine(settings)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                timeout_ms = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
            else:
                shown = connection.exec_driver_sql("SHOW lock_timeout").scalar()
                timeout_ms = int(str(shown).removesuffix("ms"))
    finally:
        engine.dispose()
    assert timeout_ms == round(BUSY_TIMEOUT_SECONDS * 1000)
